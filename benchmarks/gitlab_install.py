"""How long the GitLab template's job takes, cold and with its `.prcheck-cache/` cache.

Runs the `prcheck-codequality-base` job's before_script and script (the shell
emulation of tests/publish/ci_harness.py) in a project clone, installing prcheck
from this checkout's HEAD commit (PRCHECK_REPO / PRCHECK_REF) with the hash-locked
requirements: first with no cache, then in a fresh clone at the same path with
the cache folder put back, as a GitLab runner restores `cache:` paths after
cloning. Prints the seconds of each job and the size of the cache folder.

    python benchmarks/gitlab_install.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.publish.ci_harness import run_gitlab_job  # noqa: E402


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="prcheck-gitlab-install-"))
    origin = tmp / "origin.git"
    git(tmp, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    seed = tmp / "seed"
    git(tmp, "clone", "--quiet", origin.as_uri(), str(seed))
    (seed / "ok.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n")
    git(seed, "add", "-A")
    git(seed, "-c", "user.name=a", "-c", "user.email=a@example.com", "commit", "--quiet", "-m", "one")
    git(seed, "push", "--quiet", "origin", "HEAD:main")
    project = tmp / "builds/group/gitops"
    ref = git(ROOT, "rev-parse", "HEAD")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp), "TMPDIR": str(tmp), "GITLAB_CI": "true",
           "CI_PROJECT_DIR": str(project), "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main",
           "CI_DEFAULT_BRANCH": "main", "PRCHECK_REPO": ROOT.as_uri(), "PRCHECK_REF": ref}
    kept = tmp / "runner-cache"
    for label in ("cold", "cached"):
        shutil.rmtree(project, ignore_errors=True)
        project.parent.mkdir(parents=True, exist_ok=True)
        git(tmp, "clone", "--quiet", origin.as_uri(), str(project))
        if kept.exists():  # the runner restores the cache paths after the clone
            shutil.move(str(kept), str(project / ".prcheck-cache"))
        started = time.monotonic()
        done = run_gitlab_job(project, "prcheck-codequality-base", env)
        seconds = time.monotonic() - started
        report = project / "gl-code-quality-report.json"
        issues = len(json.loads(report.read_text())) if report.exists() else None
        cache = project / ".prcheck-cache"
        print(f"{label}: exit {done.returncode}, job {seconds:.1f} s, cache {size_mb(cache):.0f} MB, "
              f"report {issues} issues, collected from the cache: "
              f"{'yes' if '.prcheck-cache' in (report.read_text() if report.exists() else '') else 'no'}")
        if done.returncode:
            print((done.stdout + done.stderr)[-3000:])
            break
        shutil.move(str(cache), str(kept))  # what `cache:` uploads at the end of the job
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
