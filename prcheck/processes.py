"""How prcheck starts other processes: worker processes, and git's short questions."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    import multiprocessing.context

# The signals Python ignores and a child must not inherit ignored (`subprocess` restores them too).
_DEFAULT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ") if hasattr(signal, name))


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def capped_jobs(jobs: int | None) -> int:
    """Workers for a run: as asked, never more than the cores (more only thrash)."""
    cores = default_jobs()
    return max(1, min(jobs or cores, cores))


def context() -> "multiprocessing.context.BaseContext":
    """Fork (cheap, nothing re-imported) unless the Helm SDK is loaded: a forked
    child of a process with a running Go runtime can deadlock."""
    import multiprocessing  # only runs with workers pay for it

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and "helm_python" not in sys.modules:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class Output:
    """A command (found on PATH) whose standard output is read when the caller needs it: its
    standard input inherited, its errors discarded, no other descriptor passed on, like
    `subprocess.Popen(argv, stdout=PIPE, stderr=PIPE)` whose errors nobody reads. Started by `os.posix_spawnp`, because every run
    asks git the same two short questions, and `subprocess`'s import (with `selectors` and
    `threading`) and its Popen machinery cost more than the questions. A missing command
    raises `FileNotFoundError` here, as Popen does."""

    def __init__(self, argv: Sequence[str]) -> None:
        read, write = os.pipe()
        try:
            self.pid = os.posix_spawnp(argv[0], list(argv), os.environ, setsigdef=_DEFAULT_SIGNALS, file_actions=[
                (os.POSIX_SPAWN_DUP2, write, 1), (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
                *((os.POSIX_SPAWN_CLOSE, fd) for fd in _inherited())])
        except BaseException:
            os.close(read)
            raise
        finally:
            os.close(write)
        self._pipe: int | None = read
        self.returncode: int | None = None

    def read(self) -> bytes:
        """Everything the command wrote, once it has ended (`returncode` is set)."""
        chunks = []
        while self._pipe is not None and (chunk := os.read(self._pipe, 1 << 16)):
            chunks.append(chunk)
        self._reap()
        return b"".join(chunks)

    def kill(self) -> None:
        """End a command nobody will read (a run that stopped early), leaving no process behind."""
        if self.returncode is None:
            os.kill(self.pid, signal.SIGKILL)
            self._reap()

    def _reap(self) -> None:
        if self._pipe is not None:
            os.close(self._pipe)
            self._pipe = None
        if self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])


def _inherited() -> list[int]:
    """The descriptors above 2 a child would inherit (this process was given them inheritable;
    its own are not): `subprocess` closes them in the child (`close_fds`), and so does `Output`."""
    try:
        names = os.listdir("/dev/fd")
    except OSError:  # no such listing here: nothing to go by
        return []
    found = []
    for fd in map(int, names):
        try:
            if fd > 2 and os.get_inheritable(fd):
                found.append(fd)
        except OSError:  # the listing's own descriptor, closed since
            continue
    return found


class Toplevel:
    """`git rev-parse --show-toplevel` in `folder`, started when made and read on `text()`.

    Every run asks where the working folder's repository starts before it can read its
    config; git takes a few milliseconds to answer, mostly starting up. `prcheck check`
    asks before it imports the stages, so the answer is ready when the trust stage reads
    it (`collect.root_for`) instead of being waited for then."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            self._process: Output | None = Output(["git", "-C", str(folder), "rev-parse", "--show-toplevel"])
        except (FileNotFoundError, NotADirectoryError):  # no git on PATH: every folder is a plain one
            self._process = None

    def text(self) -> str | None:
        """What git printed, stripped; None where git refuses (not a repository, an unsafe
        one) or is missing."""
        if self._process is None:
            return None
        out = self._process.read()
        return os.fsdecode(out).strip() if self._process.returncode == 0 else None
