"""PyYAML is imported only by a run that needs it: a check of ordinary manifests (the C loader's
texts) never imports it, and a file the C loader leaves to the general path (an anchor, a syntax
error) still loads there, with the same findings as before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from prcheck.sources import yaml_loader

ROOT = Path(__file__).resolve().parents[2]

DEPLOYMENT = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      namespace: shop
      labels: {app: web}
    spec:
      replicas: 2
      selector:
        matchLabels: {app: web}
      template:
        metadata:
          labels: {app: web}
        spec:
          containers:
            - name: web
              image: nginx
              env:
                - {name: PORT, value: "8080"}
    """)
# The same object written with an anchor and aliases: only the general path loads it.
ANCHORED = DEPLOYMENT.replace("labels: {app: web}\nspec:", "labels: &labels {app: web}\nspec:", 1) \
    .replace("matchLabels: {app: web}", "matchLabels: *labels").replace("  labels: {app: web}\n    spec:", "  labels: *labels\n    spec:")
BROKEN = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: [1, 2\n"

PROBE = textwrap.dedent("""
    import json, sys
    from prcheck.cli import main
    sys.argv = ["prcheck", "check", sys.argv[1], "--fail-on", "never", "--format", "json", "--output", sys.argv[2]]
    try:
        main()
    except SystemExit:
        pass
    print(json.dumps("yaml" in sys.modules))
""")

needs_c = pytest.mark.skipif(yaml_loader._fastyaml is None and not os.environ.get("CI"),
                             reason="the C loader is not built in this source tree")


def _check(repo: Path, name: str) -> tuple[bool, list[tuple[str, int]]]:
    out = repo / "report.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run([sys.executable, "-c", PROBE, name, str(out)], cwd=repo, env=env,
                         capture_output=True, text=True, check=True)
    report = json.loads(out.read_text(encoding="utf-8"))
    return json.loads(run.stdout.splitlines()[-1]), sorted((f["rule"], f["line"]) for f in report["findings"])


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    for name, text in {"plain.yaml": DEPLOYMENT, "anchored.yaml": ANCHORED, "broken.yaml": BROKEN}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


@needs_c
def test_a_one_file_check_of_an_ordinary_manifest_does_not_import_pyyaml(repo: Path) -> None:
    imported, findings = _check(repo, "plain.yaml")
    assert findings  # the pack had something to say: the file was loaded and checked
    assert imported is False


def test_files_the_c_loader_leaves_load_on_the_general_path(repo: Path) -> None:
    assert "&labels" in ANCHORED and ANCHORED.count("*labels") == 2
    plain_imported, plain = _check(repo, "plain.yaml")
    imported, anchored = _check(repo, "anchored.yaml")
    assert imported is True
    assert [rule for rule, _ in anchored] == [rule for rule, _ in plain]  # the same object, so the same findings
    imported, broken = _check(repo, "broken.yaml")
    assert imported is True
    assert broken == [("yaml/syntax", 7)]
