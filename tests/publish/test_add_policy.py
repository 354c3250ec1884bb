"""`--add-policy` (the Action's and the template's `policies`) runs in addition
to the configured policies, never instead of them: a job that adds a policy
must not silently drop the repository's own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_added_policies_run_next_to_the_configured_ones(tmp_path: Path):
    (tmp_path / "policy").mkdir()
    (tmp_path / "extra").mkdir()
    (tmp_path / "policy/own.rego").write_text('package main\n\ndeny[msg] { input.kind == "Pod"; msg := "own rule" }\n')
    (tmp_path / "extra/more.rego").write_text('package main\n\nwarn[msg] { input.kind == "Pod"; msg := "added rule" }\n')
    (tmp_path / ".prcheck.yaml").write_text("policies: [policy]\nbuiltin: false\n")
    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: a:1}]}\n")
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)

    def messages(*flags: str) -> list[str]:
        done = subprocess.run([sys.executable, "-m", "prcheck", "check", "--format", "json", "--fail-on", "never", *flags,
                               "--", "pod.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
        assert done.returncode == 0, done.stderr
        return sorted(f["message"] for f in json.loads(done.stdout)["findings"] if f["engine"] != "schema")

    assert messages("--add-policy", "extra") == ["added rule", "own rule"]
    assert messages("--policy", "extra") == ["added rule"]  # --policy still replaces, as conftest's does
    assert messages("--add-policy", "policy") == ["own rule"]  # the same folder twice runs once
