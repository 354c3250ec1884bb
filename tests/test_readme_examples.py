"""The README's CI examples are what users copy: they must pass prcheck's own
default pack (pinned actions, least-privilege permissions, no injection), or
the first thing a new user sees is prcheck failing its own recipe."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_BLOCK = re.compile(r"^```yaml\n# (\S+)\n(.*?)^```", re.M | re.S)


def examples() -> dict[str, str]:
    """`path -> text` of every yaml block in README.md whose first line names its file."""
    found = {}
    for path, body in _BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8")):
        found[path] = f"# {path}\n{body}"
    return found


def test_the_readme_has_the_ci_examples():
    assert {".github/workflows/prcheck.yml", ".github/workflows/prcheck-sarif.yml", ".github/workflows/prcheck-target.yml",
            ".gitlab-ci.yml", ".pre-commit-config.yaml"} <= set(examples())


def test_the_readme_ci_examples_pass_the_default_pack(tmp_path: Path):
    for path, text in examples().items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    done = subprocess.run([sys.executable, "-m", "prcheck", "check", "--format", "json", "."], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    report = json.loads(done.stdout)
    blocking = [(f["path"], f["line"], f["rule"], f["message"]) for f in report["findings"] if f["severity"] != "info"]
    assert blocking == [], blocking
    assert done.returncode == 0, done.stderr
    files = {f["path"] for f in report["findings"]} | {s["finding"]["path"] for s in report.get("suppressed", [])}
    assert ".github/workflows/prcheck-target.yml" in files  # the one deliberate exception is listed, not hidden
