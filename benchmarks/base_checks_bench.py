"""What judging a pull request against the base tree costs: `check --base` on a
synthetic repository where a change edits K files.

Prints figures, asserts nothing: `python benchmarks/base_checks_bench.py [--files N] [--changed K ...]`.
The `base-checks` stage is the same checks run on the base versions of the
changed files (new-versus-pre-existing by signature); `total` is the whole
process, `--no-render`, with the built-in pack.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_bench import make_repo  # noqa: E402

ENV = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "b",
       "GIT_COMMITTER_EMAIL": "b@example.com", "PATH": "/usr/bin:/bin"}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=ENV)


def measure(root: Path, changed: int) -> None:
    files = sorted(p for p in root.rglob("*.yaml") if ".git" not in p.parts)
    git(root, "checkout", "-q", "-B", f"pr-{changed}", "main")
    for path in files[:changed]:
        path.write_text(path.read_text().replace("name: ", "name: x", 1))
    git(root, "commit", "-qam", "pr")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "prcheck", "check", ".", "--base", "main", "--no-render",
                           "--builtin", "--format", "json"], cwd=root, capture_output=True, text=True)
    total = time.perf_counter() - started
    timings = json.loads(done.stdout)["stats"].get("timings", {})
    print(f"files={len(files)} (10 resources each) changed={changed} total={total:.2f}s base-checks={timings.get('base-checks', 0):.3f}s "
          f"lint={timings.get('lint', 0):.3f}s builtin={timings.get('builtin', 0):.3f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=2000, help="resources in the repository")
    parser.add_argument("--changed", type=int, nargs="*", default=[1, 20, 200])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        make_repo(root, args.files)
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-qm", "base")
        for changed in args.changed:
            measure(root, changed)


if __name__ == "__main__":
    main()
