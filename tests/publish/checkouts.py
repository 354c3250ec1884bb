"""Real git repositories checked out the way CI platforms check them out.

`advanced_origin` builds a bare origin whose target branch moved on after the
pull request branched off (the case that blames a pull request for the target
branch's changes when the base is wrong), with GitHub's `refs/pull/7/head`
and `refs/pull/7/merge` and GitLab's `refs/merge-requests/3/merge`. Fetching
a commit by id is allowed, as GitHub and GitLab allow it.

The checkouts copy what the platforms run: actions/checkout initialises an
empty repository and fetches one commit at depth 1 (the merge ref by default,
or the head SHA); GitLab clones the branch at `GIT_DEPTH` (or fetches the
merge ref for merged-results pipelines).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

BAD_POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ops}\nspec:\n  containers:\n" \
          "    - name: c\n      image: nginx:1.27\n      securityContext: {privileged: true}\n"


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "GIT_AUTHOR_DATE": "2026-11-01T12:00:00",
           "GIT_COMMITTER_DATE": "2026-11-01T12:00:00"}
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env)
    return done.stdout.strip()


@dataclass
class Origin:
    path: Path
    branch_point: str  # where the pull request branched off main
    main_tip: str  # main after it moved on (a privileged Pod landed there)
    head: str  # the pull request's head (several commits after the branch point)
    merge: str  # GitHub's / GitLab's test merge of head into main_tip
    commits: int  # commits on the pull request


def author_and_origin(root: Path) -> tuple[Path, Path]:
    """An author's repository and the bare origin it pushes to (commits fetchable by id)."""
    origin = root / "origin.git"
    git(root, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    git(origin, "config", "uploadpack.allowAnySHA1InWant", "true")
    work = root / "author"
    git(root, "init", "--quiet", "--initial-branch=main", str(work))
    for key, value in (("user.name", "Author"), ("user.email", "a@example.com"), ("commit.gpgsign", "false")):
        git(work, "config", key, value)
    git(work, "remote", "add", "origin", origin.as_uri())
    return work, origin


def advanced_origin(root: Path, pr_commits: int = 3, main_commits: int = 4) -> Origin:
    work, origin = author_and_origin(root)
    (work / "apps").mkdir()
    (work / "apps/web.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {n: \"0\"}\n")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "base")
    branch_point = git(work, "rev-parse", "HEAD")
    git(work, "checkout", "--quiet", "-b", "feature")
    for n in range(1, pr_commits + 1):
        (work / "apps/web.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: web}}\ndata: {{n: \"{n}\"}}\n")
        git(work, "commit", "--quiet", "-am", f"feature {n}")
    head = git(work, "rev-parse", "HEAD")
    git(work, "checkout", "--quiet", "main")
    for n in range(main_commits):
        (work / f"ops{n}.txt").write_text(str(n))
        if n == 0:
            (work / "ops").mkdir()
            (work / "ops/pod.yaml").write_text(BAD_POD)
        git(work, "add", "-A")
        git(work, "commit", "--quiet", "-m", f"main moves on {n}")
    main_tip = git(work, "rev-parse", "HEAD")
    git(work, "checkout", "--quiet", "--detach", main_tip)
    git(work, "merge", "--quiet", "--no-ff", "-m", "Merge feature into main", head)
    merge = git(work, "rev-parse", "HEAD")
    git(work, "push", "--quiet", "origin", "main", "feature", f"{head}:refs/pull/7/head", f"{merge}:refs/pull/7/merge",
        f"{merge}:refs/merge-requests/3/merge")
    return Origin(origin, branch_point, main_tip, head, merge, pr_commits)


def actions_checkout(origin: Path, dest: Path, sha: str, depth: int = 1) -> Path:
    """What actions/checkout does: init, add origin, fetch one commit shallowly, detach."""
    dest.mkdir(parents=True)
    git(dest, "init", "--quiet")
    git(dest, "remote", "add", "origin", origin.as_uri())
    depth_args = [f"--depth={depth}"] if depth else []
    git(dest, "-c", "protocol.version=2", "fetch", "--no-tags", "--prune", "--quiet", *depth_args, "origin",
        f"+{sha}:refs/remotes/pull/7/merge")
    git(dest, "checkout", "--quiet", "--detach", "refs/remotes/pull/7/merge")
    return dest


def gitlab_clone(origin: Origin, dest: Path, depth: int = 20, merged_result: bool = False) -> Path:
    """A GitLab runner's fetch: the source branch, or the MR's merge ref for merged results."""
    dest.mkdir(parents=True)
    git(dest, "init", "--quiet")
    git(dest, "remote", "add", "origin", origin.path.as_uri())
    ref = "refs/merge-requests/3/merge" if merged_result else "refs/heads/feature"
    git(dest, "fetch", "--no-tags", "--quiet", f"--depth={depth}", "origin", f"+{ref}:refs/pipelines/1")
    git(dest, "checkout", "--quiet", "--detach", "refs/pipelines/1")
    return dest
