"""Publishing's own error lines reach the user whole: the masking applied to
every error line must not eat the flag names they tell the user to set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    (tmp_path / "ok.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n")
    return subprocess.run([sys.executable, "-m", "prcheck", "check", *args, "--", "ok.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env})


def test_a_missing_token_names_the_flag(tmp_path: Path):
    done = run(tmp_path, "--publish", "github", GITHUB_ACTIONS="true", GITHUB_REPOSITORY="o/r", GITHUB_SHA="a" * 40)
    assert done.returncode == 2
    assert done.stderr.strip().endswith("--publish github needs a token: set GITHUB_TOKEN or use --github-token")


def test_auto_outside_ci_names_the_flags(tmp_path: Path):
    done = run(tmp_path, "--publish", "auto")
    assert done.returncode == 2 and "use --publish github or --publish gitlab" in done.stderr


def test_a_bad_name_is_one_line(tmp_path: Path):
    done = run(tmp_path, "--publish", "github", "--name", "a b", "--dry-run", GITHUB_REPOSITORY="o/r", GITHUB_SHA="a" * 40)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "--name 'a b'" in done.stderr
