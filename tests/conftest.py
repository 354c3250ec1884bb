"""Shared test helpers: real git repositories and an in-process CLI runner."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner, Result

from prcheck.cli import main


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty real git repository."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    return root


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """Run `prcheck ARGS` in-process from a folder; NO_COLOR unset so tests see real behaviour."""
    monkeypatch.delenv("NO_COLOR", raising=False)

    def run(args: list[str], cwd: Path) -> Result:
        monkeypatch.chdir(cwd)
        return CliRunner().invoke(main, args, catch_exceptions=False)

    yield run
