"""Check out a git ref into a temporary folder for as long as a `with` block runs.

The base side of a pull request has to exist as real files, because kustomize
and helm read directories, not git objects. A `git worktree` shares the
object store, so nothing is copied or fetched. The folder and git's record of
it are removed whatever happens inside the block: an exception, Ctrl-C, or a
SIGTERM from a CI runner cancelling the job.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Iterator


class GitError(RuntimeError):
    """A git command failed; the message is git's own first error line."""


def git(repo: Path, *args: str, check: bool = True) -> str:
    """Run git with settings that make its output machine-readable and its
    behaviour independent of the user's configuration (no pager, no hooks,
    no LFS downloads, no path quoting)."""
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_LFS_SKIP_SMUDGE="1", LC_ALL="C")
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    cmd = ["git", "-c", "core.quotepath=off", "-c", f"core.hooksPath={os.devnull}", *args]
    import subprocess  # a run without --base or a trusted ref never calls git here

    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, check=False)
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {' '.join(args[:2])}: {message[-1] if message else f'exit {proc.returncode}'}")
    return proc.stdout.decode("utf-8", "surrogateescape")


def toplevel(path: Path) -> Path:
    return Path(git(path, "rev-parse", "--show-toplevel").strip())


def resolve_commit(repo: Path, ref: str) -> str:
    """The full commit id of `ref`, so later commands cannot see a moved ref."""
    commit = git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False).strip()
    if not commit:
        raise GitError(f"unknown git ref {ref!r}")
    return commit


class _Terminated(KeyboardInterrupt):
    """SIGTERM seen while a worktree existed; unwinds like Ctrl-C."""


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """Turn SIGTERM into an exception for the duration of the block, so
    `finally` clauses run; the previous handler is restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, frame: FrameType | None) -> None:
        raise _Terminated()

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


PREFIX = "prcheck-base-"
_LOCK_REASON = "prcheck run, pid "


@contextmanager
def materialise(repo: Path, ref: str) -> Iterator[Path]:
    """Yield a folder holding the tree of `ref`; always removed afterwards.
    The worktree is locked with this process's id, so a later run can tell a
    leftover of a killed run (`remove_stale`) from one still in use."""
    commit = resolve_commit(repo, ref)
    parent = Path(tempfile.mkdtemp(prefix=PREFIX))
    target = parent / "tree"
    with _sigterm_unwinds():
        try:
            git(repo, "worktree", "add", "--detach", "--force", "--quiet", "--lock",
                "--reason", f"{_LOCK_REASON}{os.getpid()}", str(target), commit)
            yield target
        finally:
            remove(repo, target)
            shutil.rmtree(parent, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(repo: Path) -> list[str]:
    """Remove `prcheck-base-*` worktrees left by runs that were killed (SIGKILL,
    OOM, a crashed runner); never one whose run is still alive. Returns their paths."""
    try:
        listing = git(repo, "worktree", "list", "--porcelain", check=False)
    except OSError:
        return []
    removed: list[str] = []
    for block in listing.split("\n\n"):
        fields = dict(line.partition(" ")[::2] for line in block.splitlines() if line)
        path = fields.get("worktree", "")
        if not path or not Path(path).parent.name.startswith(PREFIX):
            continue
        reason = fields.get("locked", "")
        pid = reason[len(_LOCK_REASON):] if reason.startswith(_LOCK_REASON) else ""
        if pid.isdigit() and _alive(int(pid)):
            continue
        remove(repo, Path(path))
        shutil.rmtree(Path(path).parent, ignore_errors=True)
        removed.append(path)
    return removed


def remove(repo: Path, target: Path) -> None:
    """Forget and delete a worktree; never raises, since it runs while unwinding."""
    try:
        git(repo, "worktree", "remove", "--force", "--force", str(target), check=False)
    finally:
        shutil.rmtree(target, ignore_errors=True)
        git(repo, "worktree", "prune", check=False)
