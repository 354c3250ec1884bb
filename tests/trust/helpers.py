"""A pull request as a real repository: `main` holds the base, branch `pr` the change."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import git, write


def base_then_pr(repo: Path, before: dict[str, str], after: dict[str, str]) -> None:
    write(repo, before)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "pr")
    write(repo, after)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pr")
