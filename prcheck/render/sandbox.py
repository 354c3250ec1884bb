"""Run renders in child processes that hold nothing worth stealing.

A render executes content of the pull request: kustomize follows its
references, Helm templates read chart files through `.Files`, and the
embedded Helm SDK is Go code that can abort the whole process. So every
render runs in a separate, freshly executed Python process (not a fork: a
fork would keep this process's memory, and `/proc/self/environ` would still
show the job's secrets), started with:

- an environment built from an allow-list (PATH, locale, time zone): no
  `*_TOKEN`, `CI_*`, `GITHUB_*`, cloud credentials or `SSH_AUTH_SOCK`;
  `HOME`, `TMPDIR` and the XDG/Helm folders point into a temporary folder;
- git neutralised unless `--allow-remote`: `GIT_ALLOW_PROTOCOL=file`,
  `GIT_SSH_COMMAND`/`GIT_ASKPASS`/`SSH_ASKPASS` set to `false`, no system or
  global git config, no terminal prompt, no kustomize plugins;
- `RLIMIT_AS` (set by the child on itself, inherited by kustomize/helm), so a
  memory bomb ends that render, not the machine;
- its own session, so Ctrl-C or a CI runner's SIGTERM reach prcheck, which
  then ends the workers itself; the child keeps the default SIGTERM action.

A worker takes one task at a time over a pipe (length-prefixed pickles) and
gets a deadline per task, not one for the whole run: a run of 10,000
environments is as patient with the last one as with the first. A worker
that overruns is killed (its process group) and replaced; one that dies (Go
`fatal error`, OOM, a signal) yields a `render/failed` finding for the task
it held, with the first line of its error, and is replaced too.
"""

from __future__ import annotations

import io
import os
import pickle
import queue
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, Mapping, Sequence

# Variables a render may see. Everything else (tokens, CI variables, cloud
# credentials, agent sockets) is dropped: a render never needs it.
PASSED_VARIABLES = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "PYTHONPATH",
                    "PYTHONHASHSEED", "VIRTUAL_ENV", "SYSTEMROOT")
# With --allow-remote the user asked for fetching: proxies and trust roots are needed for it.
REMOTE_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
                    "SSL_CERT_FILE", "SSL_CERT_DIR", "SSH_AUTH_SOCK")
DEFAULT_MEMORY_BYTES = 4 * 1024 ** 3
_HEADER = struct.Struct("!Q")
_MAX_FRAME = 2 * 1024 ** 3


def scrubbed_environment(home: Path, allow_remote: bool = False,
                         source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a render process."""
    source = os.environ if source is None else source
    passed = PASSED_VARIABLES + (REMOTE_VARIABLES if allow_remote else ())
    env = {k: source[k] for k in passed if k in source}
    env.setdefault("PATH", os.defpath)
    tmp = home / "tmp"
    for folder in ("tmp", "cache", "config", "data"):
        (home / folder).mkdir(parents=True, exist_ok=True)
    env.update({
        "HOME": str(home), "TMPDIR": str(tmp), "USERPROFILE": str(home),
        "XDG_CACHE_HOME": str(home / "cache"), "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "HELM_CACHE_HOME": str(home / "cache" / "helm"), "HELM_CONFIG_HOME": str(home / "config" / "helm"),
        "HELM_DATA_HOME": str(home / "data" / "helm"),
        "KUSTOMIZE_PLUGIN_HOME": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0",
        "GIT_LFS_SKIP_SMUDGE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    if not allow_remote:
        env.update({
            "GIT_ALLOW_PROTOCOL": "file",
            "GIT_SSH_COMMAND": "false", "GIT_SSH": "false", "GIT_ASKPASS": "false", "SSH_ASKPASS": "false",
            "GIT_PROXY_COMMAND": "false",
        })
    return env


def _package_path() -> str:
    """Where this copy of prcheck is imported from, so the child imports the same one."""
    import prcheck

    return str(Path(prcheck.__file__).resolve().parent.parent)


# --- framing -----------------------------------------------------------------

class _Unpickler(pickle.Unpickler):
    """Results come from a process that rendered hostile input: accept only the
    types a result is made of, never an arbitrary callable."""

    _BUILTINS = frozenset({"set", "frozenset", "tuple", "list", "dict", "bytes", "bytearray", "complex",
                           "int", "float", "str", "bool", "slice", "range", "object"})

    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" and name in self._BUILTINS:
            return super().find_class(module, name)
        if module == "copyreg" and name == "_reconstructor":
            return super().find_class(module, name)
        if module == "yaml._yaml" and name.startswith("__pyx_unpickle_"):  # libyaml's Mark
            return super().find_class(module, name)
        if module.startswith(("prcheck.", "yaml.nodes", "yaml.error", "yaml._yaml", "collections", "datetime")):
            found = super().find_class(module, name)
            if isinstance(found, type):  # classes only: a function could be called with any arguments
                return found
        raise pickle.UnpicklingError(f"refused {module}.{name}")


def write_frame(stream: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes | None:
    """`size` bytes from `fd`; None at end of file; TimeoutError past the deadline."""
    chunks = io.BytesIO()
    while chunks.tell() < size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
        block = os.read(fd, min(size - chunks.tell(), 1 << 20))
        if not block:
            return None
        chunks.write(block)
    return chunks.getvalue()


def read_frame(fd: int, deadline: float | None = None, trusted: bool = False) -> Any:
    """The next value on `fd`; EOFError when the writer is gone."""
    header = _read_exact(fd, _HEADER.size, deadline)
    if header is None:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    if size > _MAX_FRAME:
        raise EOFError
    data = _read_exact(fd, size, deadline)
    if data is None:
        raise EOFError
    return pickle.loads(data) if trusted else _Unpickler(io.BytesIO(data)).load()


# --- the worker (child side) ---------------------------------------------------

def _limit_memory(limit: int) -> None:
    try:
        import resource
    except ImportError:  # not on this platform: the parent's deadline still applies
        return
    if limit > 0:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def serve() -> None:
    """Child main loop: (function path, args) in, result out, until stdin closes."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when a worker stops
    _limit_memory(int(os.environ.pop("PRCHECK_RENDER_MEMORY", "0") or 0))
    stdin, stdout = sys.stdin.buffer.fileno(), sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the result stream
    functions: dict[str, Callable[..., Any]] = {}
    while True:
        try:
            target, args = read_frame(stdin, trusted=True)  # the parent is the trusted side
        except EOFError:
            return
        func = functions.get(target)
        if func is None:
            module, _, attr = target.partition(":")
            func = functions[target] = getattr(__import__(module, fromlist=[attr]), attr)
        write_frame(stdout, func(*args))


# --- the pool (parent side) ----------------------------------------------------

class WorkerDied(Exception):
    """The worker process ended while holding a task; the message says how."""


class _Worker:
    def __init__(self, env: Mapping[str, str]) -> None:
        self._stderr = tempfile.TemporaryFile(prefix="prcheck-render-err-")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from prcheck.render.sandbox import serve; serve()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, env=dict(env),
            cwd=env["HOME"], start_new_session=True, close_fds=True)

    def call(self, target: str, args: tuple[Any, ...], timeout: float) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            write_frame(self.proc.stdin, (target, args))
            return read_frame(self.proc.stdout.fileno(), time.monotonic() + timeout)
        except TimeoutError:
            raise
        except (EOFError, BrokenPipeError, pickle.UnpicklingError, OSError) as exc:
            self._stop()
            why = self._why(exc)
            self.kill()
            raise WorkerDied(why) from None

    def _why(self, exc: BaseException) -> str:
        code = self.proc.wait()
        try:
            self._stderr.seek(0)
            text = self._stderr.read(64 * 1024).decode("utf-8", "replace")
        except (OSError, ValueError):  # closed by `SandboxPool.close` while unwinding
            text = ""
        for line in text.splitlines():  # Go: `fatal error: out of memory`, `runtime: out of memory: ...`
            stripped = line.strip()
            if stripped.startswith(("fatal error:", "runtime: out of memory", "MemoryError", "panic:")):
                return f"the render process stopped: {stripped[:200]}"
        if isinstance(exc, pickle.UnpicklingError):
            return f"the render process sent an unexpected result ({exc})"  # noqa
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            return f"the render process was killed by {name} (out of memory?)"
        return f"the render process exited with code {code}"

    def _stop(self) -> None:
        """End the worker and whatever it started (kustomize, helm): its whole session."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        self.proc.wait()

    def kill(self) -> None:
        self._stop()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        self._stderr.close()

    def close(self) -> None:
        """Ask politely (stdin closed), then kill: a worker may run an abandoned Helm call."""
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


@dataclass(frozen=True)
class Outcome:
    """What one call gave: `value`, or `error` ("timeout" or why the worker died)."""

    value: Any = None
    timed_out: bool = False
    error: str = ""


class SandboxPool:
    """Up to `size` sandboxed workers; `map` calls one function on many argument
    tuples, each with its own deadline. Workers start when the pool is made, so
    their start-up overlaps whatever the caller does before the first call."""

    def __init__(self, size: int, *, allow_remote: bool = False, memory_bytes: int = DEFAULT_MEMORY_BYTES,
                 start: int | None = None) -> None:
        self.size = max(1, size)
        self._home = Path(tempfile.mkdtemp(prefix="prcheck-render-home-"))
        env = scrubbed_environment(self._home, allow_remote)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_package_path(), env.get("PYTHONPATH", "")) if p)
        env["PRCHECK_RENDER_MEMORY"] = str(memory_bytes)
        self._env = env
        self._lock = threading.Lock()
        self._closed = False
        self._idle: list[_Worker] = [_Worker(env) for _ in range(self.size if start is None else min(start, self.size))]
        self._all: set[_Worker] = set(self._idle)

    def _take(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise WorkerDied("the render pool was closed")
            if self._idle:
                return self._idle.pop()
            worker = _Worker(self._env)
            self._all.add(worker)
            return worker

    def _give(self, worker: _Worker) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(worker)
                return
        worker.close()

    def call(self, target: str, args: tuple[Any, ...], timeout: float,
             reusable: Callable[[Any], bool] | None = None) -> Outcome:
        """`reusable(value)` False retires the worker after this call (it may still
        run an abandoned native call)."""
        try:
            worker = self._take()
        except WorkerDied as exc:
            return Outcome(error=str(exc))
        try:
            value = worker.call(target, args, timeout)
        except WorkerDied as exc:
            self._forget(worker)
            return Outcome(error=str(exc))
        except TimeoutError:
            worker.kill()
            self._forget(worker)
            return Outcome(timed_out=True)
        if reusable is not None and not reusable(value):
            worker.kill()
            self._forget(worker)
        else:
            self._give(worker)
        return Outcome(value=value)

    def _forget(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)

    def map(self, target: str, calls: Sequence[tuple[Any, ...]], timeout: float,
            reusable: Callable[[Any], bool] | None = None) -> list[Outcome]:
        """Outcomes in call order; `size` calls run at a time."""
        outcomes: list[Outcome | None] = [None] * len(calls)
        pending: "queue.SimpleQueue[int]" = queue.SimpleQueue()
        for index in range(len(calls)):
            pending.put(index)

        def drain() -> None:
            while True:
                try:
                    index = pending.get_nowait()
                except queue.Empty:
                    return
                outcomes[index] = self.call(target, calls[index], timeout, reusable)

        threads = [threading.Thread(target=drain, name=f"render-{i}", daemon=True)
                   for i in range(min(self.size, len(calls)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [o if o is not None else Outcome(error="not run") for o in outcomes]

    def close(self) -> None:
        """Idle workers are asked to stop; busy ones (after Ctrl-C, SIGTERM) are killed."""
        with self._lock:
            self._closed = True
            idle, busy = self._idle, self._all - set(self._idle)
            self._idle, self._all = [], set()
        for worker in busy:
            worker.kill()
        for worker in idle:
            worker.close()
        shutil.rmtree(self._home, ignore_errors=True)

    def __enter__(self) -> "SandboxPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
