"""`processes.Output` starts git without `subprocess`: what it reads, the exit code, a missing
command and a killed one are what `subprocess` gives, and collection's git questions answer as
they did with it (a repository, a folder outside one, a repository git refuses, no git)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from prcheck import processes
from prcheck.sources import collect
from prcheck.processes import Toplevel
from tests.conftest import git, write


def _output(argv: list[str]) -> tuple[int | None, bytes]:
    child = processes.Output(argv)
    out = child.read()
    return child.returncode, out

COMMANDS = [
    ["git", "--version"],
    ["sh", "-c", "printf 'out\\0put'; echo err >&2; exit 3"],
    ["sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x"],  # more than a pipe holds
    ["sh", "-c", "ls /proc/self/fd"],  # the descriptors it inherits
    ["sh", "-c", "kill -TERM $$"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[-1][:30])
def test_output_is_what_subprocess_reads(argv):
    done = subprocess.run(argv, capture_output=True)
    assert _output(argv) == (done.returncode, done.stdout)


def _signals(status: bytes) -> dict[str, int]:
    """Blocked and ignored signals of a /proc status, among the standard ones: glibc's
    posix_spawn (which `subprocess` itself uses for some calls) also leaves its two internal
    real-time signals ignored until the child's C library sets them up."""
    fields = dict(line.split(b":\t") for line in status.splitlines() if line.startswith((b"SigBlk", b"SigIgn")))
    return {k.decode(): int(v, 16) & ((1 << 31) - 1) for k, v in fields.items()}


def test_a_child_starts_with_the_signals_subprocess_gives_it():
    argv = ["cat", "/proc/self/status"]
    assert _signals(_output(argv)[1]) == _signals(subprocess.run(argv, capture_output=True).stdout)
    ignored = _signals(_output(argv)[1])["SigIgn"]  # a bit per signal, SIGHUP's first
    # SIGPIPE and SIGXFSZ, ignored by Python, are not; others the parent's own parent ignored
    # (SIGINT and SIGQUIT for a background job) stay ignored, as with subprocess
    assert not ignored & (1 << (signal.SIGPIPE - 1) | 1 << (signal.SIGXFSZ - 1))


def test_a_missing_command_raises_as_subprocess_does(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FileNotFoundError):
        subprocess.run(["git", "--version"])
    with pytest.raises(FileNotFoundError):
        processes.Output(["git", "--version"])


def test_a_killed_command_leaves_no_process():
    child = processes.Output(["sleep", "30"])
    child.kill()
    assert child.returncode == -9
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)  # reaped
    child.kill()  # again: nothing to do
    assert child.read() == b""


def _subprocess_toplevel(folder: Path) -> str | None:
    """What collection asked git with `subprocess` before."""
    try:
        done = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
                              capture_output=True, text=True, check=True)
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None
    return done.stdout.strip()


def test_the_top_level_is_what_git_said_through_subprocess(repo, tmp_path, monkeypatch):
    write(repo, {"deploy/app.yaml": "a: 1\n"})
    outside = tmp_path / "plain"
    outside.mkdir()
    refused = tmp_path / "foreign"
    refused.mkdir()
    git(refused, "init", "-q")
    for path in [refused, *refused.rglob("*")]:
        os.lchown(path, 12345, 12345)  # another user's repository: git refuses it (safe.directory)
    folders = [repo, repo / "deploy", outside, refused, tmp_path / "missing"]
    for folder in folders:
        assert Toplevel(folder).text() == _subprocess_toplevel(folder), folder
    assert Toplevel(repo / "deploy").text() == str(repo.resolve())
    assert Toplevel(refused).text() is None and collect.find_root(refused) == refused.resolve()
    for cwd, target in ((repo, "deploy/app.yaml"), (repo / "deploy", "app.yaml"), (outside, "../repo/deploy"),
                        (refused, "."), (outside, ".")):
        asked_before = Toplevel(cwd)  # as `prcheck check` asks it, before the stages import
        assert collect.root_for(Path(target), cwd, asked_before) == collect.root_for(Path(target), cwd), (cwd, target)
    assert collect.root_for(Path("deploy/app.yaml"), repo) == repo.resolve()
    assert collect.root_for(Path("."), outside) == outside.resolve()
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))  # no git at all: plain folders
    assert Toplevel(repo).text() is None and collect.find_root(repo / "deploy") == (repo / "deploy").resolve()
    assert collect.GitListing(repo, [repo]).files() is None
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("PATH", str(tmp_path / "file"))  # a PATH entry that is not a folder
    assert Toplevel(repo).text() is None and collect.root_for(Path("."), repo) == repo.resolve()


def test_a_listing_is_what_git_lists(repo):
    write(repo, {".gitignore": "ignored/\n", "a.yaml": "a: 1\n", "ignored/b.yaml": "b: 1\n", "c d/é.yaml": "c: 1\n"})
    git(repo, "add", "a.yaml")
    done = subprocess.run(["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                           "--", "."], capture_output=True, check=True)
    expected = sorted({p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p})
    assert collect.GitListing(repo, [repo]).files() == expected == [".gitignore", "a.yaml", "c d/é.yaml"]
