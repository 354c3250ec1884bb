"""The base checkout is removed whatever happens inside the block."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from prcheck.render.worktree import GitError, materialise
from tests.conftest import git, write
from tests.render.conftest import commit


@pytest.fixture
def two_commits(repo: Path) -> Path:
    write(repo, {"a.yaml": "v: 1\n"})
    commit(repo, "one")
    write(repo, {"a.yaml": "v: 2\n"})
    commit(repo, "two")
    return repo


def _worktrees(repo: Path) -> int:
    return git(repo, "worktree", "list", "--porcelain").count("worktree ")


def test_checkout_content_and_cleanup(two_commits: Path) -> None:
    with materialise(two_commits, "HEAD~1") as tree:
        assert (tree / "a.yaml").read_text() == "v: 1\n"
        assert _worktrees(two_commits) == 2
    assert not tree.exists() and not tree.parent.exists()
    assert _worktrees(two_commits) == 1


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_cleanup_on_error_and_interrupt(two_commits: Path, error: type[BaseException]) -> None:
    with pytest.raises(error):
        with materialise(two_commits, "HEAD~1") as tree:
            raise error()
    assert not tree.exists()
    assert _worktrees(two_commits) == 1


def test_cleanup_on_sigterm(two_commits: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        with materialise(two_commits, "HEAD~1") as tree:
            os.kill(os.getpid(), signal.SIGTERM)
    assert not tree.exists()
    assert _worktrees(two_commits) == 1
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_unknown_ref(two_commits: Path) -> None:
    with pytest.raises(GitError, match="unknown git ref 'nope'"):
        with materialise(two_commits, "nope"):
            pass
    assert _worktrees(two_commits) == 1
