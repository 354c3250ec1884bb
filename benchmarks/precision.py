"""Default `prcheck check` on real repositories: errors per rule, findings per severity.

`python benchmarks/precision.py PATH...`: each PATH is copied into a fresh
temporary git repository (one commit), checked with the default run
(`prcheck check . --format json`), and summarised. Prints figures, asserts
nothing: every error it lists is meant to be read by a person. `--errors`
also lists each error with its location, for that review; extra arguments
after `--` go to `prcheck check`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid"}


def as_git_repo(source: Path, into: Path) -> Path:
    """A copy of `source` committed once, without its own `.git` (if any)."""
    repo = into / source.name
    shutil.copytree(source, repo, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    import os
    env = {**os.environ, **GIT_ENV}
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                ["git", "commit", "-q", "--no-verify", "-m", "snapshot"]):
        subprocess.run(cmd, cwd=repo, env=env, check=True, capture_output=True)
    return repo


def run_check(repo: Path, extra: list[str]) -> tuple[dict, float, int]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "prcheck", "check", ".", "--format", "json", *extra],
                          cwd=repo, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    try:
        return json.loads(proc.stdout), elapsed, proc.returncode
    except json.JSONDecodeError:
        sys.exit(f"{repo.name}: prcheck gave no JSON (rc {proc.returncode}): {proc.stderr.strip()[:400]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--errors", action="store_true", help="list every error for review")
    args, extra = parser.parse_known_args()
    extra = [a for a in extra if a != "--"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="precision-") as tmp:
        for index, source in enumerate(args.paths):
            if not source.is_dir():
                sys.exit(f"{source}: not a folder")
            holder = Path(tmp) / str(index)
            holder.mkdir()
            label = source.name if source.name not in ("head", "base") else f"{source.parent.name}/{source.name}"
            report, elapsed, rc = run_check(as_git_repo(source, holder), extra)
            findings = report.get("findings", [])
            severities = Counter(f["severity"] for f in findings)
            errors = [f for f in findings if f["severity"] == "error"]
            rows.append((label, severities, Counter(f["rule"] for f in errors), errors, elapsed, rc))
    print(f"{'repository':<28} {'rc':>3} {'error':>6} {'warning':>8} {'info':>6} {'seconds':>8}")
    for label, sev, _, _, elapsed, rc in rows:
        print(f"{label:<28} {rc:>3} {sev['error']:>6} {sev['warning']:>8} {sev['info']:>6} {elapsed:>8.2f}")
    for label, _, by_rule, errors, _, _ in rows:
        print(f"\n{label}: errors per rule" + ("" if by_rule else ": none"))
        for rule, count in by_rule.most_common():
            print(f"  {count:>5}  {rule}")
        if args.errors:
            for f in errors:
                envs = f.get("envs") or ([f["env"]] if f.get("env") else [])
                where = f"{f.get('path') or '-'}:{f.get('line') or 0}"
                print(f"    {where}  {f['rule']}  {f['message'][:160]}" + (f"  [{', '.join(envs)}]" if envs else ""))


if __name__ == "__main__":
    main()
