"""Which commit a CI run compares against, for every event the platforms send,
and enough history in the clone for `check --base` to use it.

Blaming a pull request for what its target branch changed is the failure this
prevents, so each event gets the base a reviewer would expect:

* GitHub `pull_request*`: a merge-ref checkout (`refs/pull/N/merge`, the
  default) is compared with its first parent, the target branch as GitHub
  merged it; a head checkout with the pull request's base commit (the merge
  base is computed). `pull_request_target` must have checked out the pull
  request (its head or its merge), never the base branch: that would compare
  the base with itself and pass anything.
* `merge_group`: `merge_group.base_sha`.
* `push`: `before..after`; a new branch (`before` all zeros) against the
  default branch; the first push of the default branch has no base.
* GitLab merge request pipelines: `CI_MERGE_REQUEST_DIFF_BASE_SHA`; merged
  results and merge trains (HEAD is the merge GitLab made) the target branch
  head it merged with, `CI_MERGE_REQUEST_TARGET_BRANCH_SHA`. Branch pipelines
  use `CI_COMMIT_BEFORE_SHA` like a push.

Clones are shallow by default on both platforms (actions/checkout: depth 1,
GitLab: `GIT_DEPTH`), so the base is fetched and the clone deepened until the
merge base exists; when that is impossible the error says what to set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from prcheck.render.worktree import GitError, git

ZERO = "0" * 40
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment")
DEEPEN_STEPS = (10, 40, 160, 640)  # then --unshallow


class BaseError(GitError):
    """No usable base: one line saying which setting gives the clone the history it needs."""


@dataclass(frozen=True)
class Target:
    """What the event says to compare against, before the clone is checked."""

    base: str = ""  # a commit id, or `origin/<branch>`; "" checks every file
    trusted: bool = False  # a pull/merge request: the base's tree supplies the rules (--trusted-ref)
    reason: str = ""
    fetch: str = ""  # what to fetch from origin when `base` is missing: a commit id or a branch
    depth_hint: int = 0  # commits the head needs to reach the merge base, when the event says
    advice: str = "set `fetch-depth: 0` on actions/checkout"


@dataclass(frozen=True)
class Resolved:
    base: str  # a commit id present in the clone, or ""
    trusted_ref: str  # the same commit for pull/merge requests, else ""
    reason: str

    def outputs(self) -> str:
        """`key=value` lines for $GITHUB_OUTPUT or a shell `eval`-free read."""
        return f"base={self.base}\ntrusted-ref={self.trusted_ref}\nreason={self.reason}\n"


def _event(environ: Mapping[str, str]) -> dict:
    path = environ.get("GITHUB_EVENT_PATH", "")
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BaseError(f"cannot read the GitHub event payload {path}: {exc}") from None
    return data if isinstance(data, dict) else {}


def _commit(repo: Path, ref: str) -> str:
    return git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False).strip()


def _parents(repo: Path, commit: str) -> list[str]:
    """Parent ids from the commit object itself: a shallow clone keeps them there
    even when the parents are not in the clone."""
    raw = git(repo, "cat-file", "commit", commit, check=False)
    parents = []
    for line in raw.splitlines():
        if not line:
            break
        if line.startswith("parent "):
            parents.append(line.split()[1])
    return parents


def github_target(environ: Mapping[str, str], repo: Path, base_ref: str = "") -> Target:
    event = _event(environ)
    name = environ.get("GITHUB_EVENT_NAME", "")
    pull = event.get("pull_request") or {}
    if base_ref:
        return Target(base=base_ref, fetch=base_ref, trusted=bool(pull), reason=f"base-ref {base_ref}")
    if name in PULL_REQUEST_EVENTS and pull:
        head_sha = (pull.get("head") or {}).get("sha") or ""
        base_sha = (pull.get("base") or {}).get("sha") or ""
        commits = int(pull.get("commits") or 0)
        here = _commit(repo, "HEAD")
        parents = _parents(repo, here) if here else []
        if here and here != head_sha and len(parents) == 2 and parents[1] == head_sha:
            return Target(base=parents[0], fetch=parents[0], trusted=True,
                          reason=f"merge of #{pull.get('number')}: its first parent, the base branch GitHub merged with")
        if here and here != head_sha and name == "pull_request_target":
            raise BaseError(
                f"pull_request_target checked out {here[:12]}, which is neither the pull request's head "
                f"{head_sha[:12]} nor its merge: nothing of the pull request would be checked. Check it out with "
                "actions/checkout `ref: ${{ github.event.pull_request.head.sha }}` and `persist-credentials: false`")
        return Target(base=base_sha, fetch=base_sha, trusted=True, depth_hint=commits + 1,
                      reason=f"pull request #{pull.get('number')}: its base {base_sha[:12]} (merge base computed)")
    if name == "merge_group":
        group = event.get("merge_group") or {}
        base_sha = group.get("base_sha") or ""
        return Target(base=base_sha, fetch=base_sha, reason=f"merge group: base {base_sha[:12]}")
    if name == "push":
        default = (event.get("repository") or {}).get("default_branch") or ""
        return _push(event.get("before") or "", event.get("ref") or "", default)
    return Target(reason=f"{name or 'this event'} has no base: every file is checked")


def _push(before: str, ref: str, default: str, advice: str = "set `fetch-depth: 0` on actions/checkout") -> Target:
    branch = ref.removeprefix("refs/heads/")
    if before and before != ZERO:
        return Target(base=before, fetch=before, reason=f"push: {before[:12]}..HEAD", advice=advice)
    if default and branch and branch != default:
        return Target(base=f"origin/{default}", fetch=default, advice=advice,
                      reason=f"new branch {branch}: against its merge base with {default}")
    return Target(reason=f"first push of {branch or 'this branch'}: no earlier commit, every file is checked",
                  advice=advice)


GITLAB_ADVICE = "set `GIT_DEPTH: 0` in the job's variables (or Settings > CI/CD > Git shallow clone: 0)"


def gitlab_target(environ: Mapping[str, str], repo: Path, base_ref: str = "") -> Target:
    iid = environ.get("CI_MERGE_REQUEST_IID", "")
    if base_ref:
        return Target(base=base_ref, fetch=base_ref, trusted=bool(iid), reason=f"base {base_ref}", advice=GITLAB_ADVICE)
    if iid:
        kind = environ.get("CI_MERGE_REQUEST_EVENT_TYPE", "detached")
        if kind in ("merged_result", "merge_train"):
            target = environ.get("CI_MERGE_REQUEST_TARGET_BRANCH_SHA", "")
            if not target:
                here = _commit(repo, "HEAD")
                parents = _parents(repo, here) if here else []
                target = parents[0] if parents else ""
            return Target(base=target, fetch=target, trusted=True, advice=GITLAB_ADVICE,
                          reason=f"{kind.replace('_', ' ')} pipeline of !{iid}: the target branch head {target[:12]} "
                                 "GitLab merged with")
        base = environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA", "")
        return Target(base=base, fetch=base, trusted=True, advice=GITLAB_ADVICE,
                      reason=f"merge request !{iid}: its merge base {base[:12]}")
    branch = environ.get("CI_COMMIT_BRANCH", "")
    if branch:
        return _push(environ.get("CI_COMMIT_BEFORE_SHA", ""), branch, environ.get("CI_DEFAULT_BRANCH", ""),
                     GITLAB_ADVICE)
    return Target(reason="not a merge request or branch pipeline: every file is checked", advice=GITLAB_ADVICE)


def _fetch(repo: Path, *args: str) -> str:
    """'' when the fetch worked, else git's last line (credentials dropped, network, a SHA GC'd)."""
    try:
        git(repo, "fetch", "--no-tags", "--quiet", "--no-recurse-submodules", "origin", *args)
    except GitError as exc:
        return str(exc)
    return ""


def _shallow(repo: Path) -> bool:
    return git(repo, "rev-parse", "--is-shallow-repository", check=False).strip() == "true"


def _merge_base(repo: Path, base: str) -> str:
    return git(repo, "merge-base", base, "HEAD", check=False).strip()


def resolve(target: Target, repo: Path) -> Resolved:
    """Make `target.base` and the merge base with HEAD present in the clone."""
    if not target.base:
        return Resolved("", "", target.reason)
    base = _commit(repo, target.base)
    if not base:
        refspec = target.fetch if len(target.fetch) == 40 else f"+refs/heads/{target.fetch}:refs/remotes/origin/{target.fetch}"
        problem = _fetch(repo, "--depth=1", refspec)
        base = _commit(repo, target.base)
        if not base:
            raise BaseError(f"cannot get the base commit {target.base} ({target.reason}): "
                            f"{problem or 'origin does not have it'}; {target.advice}")
    here = _commit(repo, "HEAD")
    wanted = [base, here] if here else [base]
    steps = ((target.depth_hint,) if target.depth_hint else ()) + DEEPEN_STEPS
    for step in steps:
        if _merge_base(repo, base) or not _shallow(repo):
            break
        _fetch(repo, f"--deepen={step}", *wanted)
    if not _merge_base(repo, base) and _shallow(repo):
        problem = _fetch(repo, "--unshallow", *wanted)
        if not _merge_base(repo, base):
            need = f" (or at least {target.depth_hint} for this pull request's commits, more if its base moved on)" \
                if target.depth_hint else ""
            raise BaseError(f"no merge base of {base[:12]} and HEAD in this shallow clone ({target.reason}), and "
                            f"deepening it failed{': ' + problem if problem else ''}; {target.advice}{need}")
    return Resolved(base, base if target.trusted else "", target.reason)


def ci_base(platform: str, environ: Mapping[str, str], repo: Path, base_ref: str = "") -> Resolved:
    """The base for this CI run, with the history it needs fetched."""
    if platform == "auto":
        platform = "gitlab" if environ.get("GITLAB_CI") == "true" else "github"
    target = gitlab_target(environ, repo, base_ref) if platform == "gitlab" else github_target(environ, repo, base_ref)
    return resolve(target, repo)


AUTO = "auto"


def _upstream(repo: Path) -> str:
    """The current branch's upstream (`origin/feature`); '' on a detached HEAD or without one."""
    return git(repo, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}", check=False).strip()


def _remote_defaults(repo: Path) -> list[str]:
    """Each remote's default branch as the clone recorded it (`refs/remotes/<remote>/HEAD`), origin first."""
    listed = git(repo, "for-each-ref", "--format=%(refname)%00%(symref)", "refs/remotes/", check=False)
    found = []
    for line in listed.splitlines():
        name, _, target = line.partition("\0")
        if name.endswith("/HEAD") and target.startswith("refs/remotes/"):
            found.append(target.removeprefix("refs/remotes/"))
    return sorted(found, key=lambda ref: (not ref.startswith("origin/"), ref))


def auto_base(repo: Path) -> tuple[str, str]:
    """`--base auto` for pre-commit and local runs: the merge base of HEAD with the
    current branch's upstream, else with the remote's default branch (`origin/HEAD`).

    Returns (merge base commit, the ref it was computed with). The merge base, not
    the ref's tip, so what the target branch gained since is not taken for the
    change; a ref without shared history is skipped.
    """
    if git(repo, "rev-parse", "--is-inside-work-tree", check=False).strip() != "true":
        raise BaseError("--base auto needs a git repository: run it inside one, or use --base <ref>")
    if not _commit(repo, "HEAD"):
        raise BaseError("--base auto: the repository has no commit yet; use --base <ref>")
    for ref in dict.fromkeys([_upstream(repo), *_remote_defaults(repo)]):
        if not ref or not _commit(repo, ref):
            continue
        found = _merge_base(repo, ref)
        if found:
            return found, ref
        if _shallow(repo):
            raise BaseError(f"--base auto: no merge base of HEAD and {ref} in this shallow clone: fetch more history "
                            "(`git fetch --unshallow`), or use --base <ref>")
    raise BaseError("--base auto: the current branch has no upstream and no remote default branch is known "
                    "(origin/HEAD): use --base <ref> (e.g. --base origin/main), or set one with "
                    "`git branch --set-upstream-to` or `git remote set-head origin --auto`")
