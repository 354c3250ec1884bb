"""`check --render`: every environment rendered at head and checked, nothing compared
(the default branch's own report, which a merge request's Code Quality is compared with)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.publish.checkouts import git

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kustomize renders need kubectl")

DEPLOY = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n"
          "  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n        - {name: web, image: nginx:1.27}\n")
HOST = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec: {hostNetwork: true}\n"


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "prcheck", *args], cwd=cwd, env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(root))
    (root / "base").mkdir()
    (root / "base/deploy.yaml").write_text(DEPLOY)
    (root / "base/kustomization.yaml").write_text("resources: [deploy.yaml]\n")
    for env in ("prod", "staging"):
        (root / f"overlays/{env}").mkdir(parents=True)
        (root / f"overlays/{env}/kustomization.yaml").write_text(
            f"resources: [../../base]\nnamePrefix: {env}-\n" + ("patches:\n  - path: host.yaml\n" if env == "prod" else ""))
    (root / "overlays/prod/host.yaml").write_text(HOST)
    git(root, "add", "-A")
    git(root, "-c", "user.name=a", "-c", "user.email=a@example.com", "commit", "--quiet", "-m", "one")
    return root


def test_render_checks_every_environment_at_head(repo):
    done = cli(repo, "check", "--render", "--format", "json", ".")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    host = [f for f in report["findings"] if f["rule"] == "k8s/host-namespaces"]
    assert [(f["envs"], f["resource"]) for f in host] == [(["prod"], "Deployment/prod-web")]
    assert report["diffs"] == []  # nothing compared, nothing diffed
    text = cli(repo, "check", "--render", ".").stdout
    assert "rendered 2 environments at head (no base: nothing compared)" in text


def test_without_render_the_overlay_s_finding_is_not_seen(repo):
    report = json.loads(cli(repo, "check", "--format", "json", ".").stdout)
    assert not [f for f in report["findings"] if f["rule"] == "k8s/host-namespaces"]
    assert "`--render` checks them at head" in cli(repo, "check", ".").stdout


def test_render_and_no_render_contradict(repo):
    done = cli(repo, "check", "--render", "--no-render", ".")
    assert done.returncode == 2 and "--render and --no-render contradict" in done.stderr
    assert "Traceback" not in done.stderr


def test_render_with_a_base_compares_as_before(repo):
    git(repo, "checkout", "--quiet", "-b", "feature")
    (repo / "overlays/staging/host.yaml").write_text(HOST.replace("hostNetwork", "hostPID"))
    (repo / "overlays/staging/kustomization.yaml").write_text(
        "resources: [../../base]\nnamePrefix: staging-\npatches:\n  - path: host.yaml\n")
    report = json.loads(cli(repo, "check", "--render", "--base", "main", "--format", "json", ".").stdout)
    new = [(f["rule"], f["envs"]) for f in report["findings"] if f["rule"] == "k8s/host-namespaces"]
    assert new == [("k8s/host-namespaces", ["staging"])]  # prod's is pre-existing: the base was compared
    assert {d["env"] for d in report["diffs"]} == {"prod", "staging"}
