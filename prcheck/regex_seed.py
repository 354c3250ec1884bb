"""`re`'s cache, filled at start with patterns compiled at build time.

`re` parses and compiles every new pattern in Python (`re._parser`, `re._compiler`) before
handing the result to the C engine (`_sre.compile`). A one-file check meets about eighty
patterns at import (prcheck's, click's and the standard library's): ~9 ms of a run that
does ~40 ms of its own work, and PyYAML's reader class alone costs ~7 ms more when PyYAML
is imported. The build hook (`hatch_build.py`) compiles the patterns listed in
`regex_seed_patterns.txt` with the build interpreter's own `re` and stores what
`_sre.compile` received for each; `seed()` makes the same calls and places their results
in `re._cache` under the keys `re._compile` looks up, so those patterns are found instead
of compiled. The build checks on its interpreter that each stored call gives a pattern
equal to `re.compile`'s and that `re._compile` answers from `re._cache` under that key.

The stored calls are only good for the interpreter that made them, so the file names it
(version, build, `_sre`'s code format) and a checksum covers the rest: a missing file, one
from another interpreter, or a damaged one seeds nothing, and every pattern is compiled
as before. Nothing already cached is replaced, and seeds fill at most half the cache.
"""

from __future__ import annotations

import _sre
import marshal
import os
import re
import sys
from binascii import crc32

FILE_PREFIX = "_regex_seed"


def interpreter_key() -> tuple:
    """Everything that decides what `re` compiles a pattern to and how `_sre` reads it."""
    return (sys.implementation.name, sys.version, sys.hexversion, sys.maxunicode,
            _sre.MAGIC, _sre.CODESIZE, _sre.MAXREPEAT, _sre.MAXGROUPS)


def seed_path(folder: str) -> str:
    """The seed file for this interpreter in `folder` (several interpreters may share a tree)."""
    return os.path.join(folder, f"{FILE_PREFIX}.{sys.implementation.cache_tag}.bin")


def encode(calls: list[tuple[int, tuple]]) -> bytes:
    """The file holding `calls`: (the flags `re.compile` was given, the arguments
    `_sre.compile` received) per pattern, after the CRC-32 of all that follows it."""
    body = marshal.dumps((interpreter_key(), calls))
    return crc32(body).to_bytes(4, "big") + body


def decode(data: bytes) -> list[tuple[tuple, object]]:
    """The ((type, pattern, flags) cache key, compiled pattern) pairs a file holds, or none
    when it is not this interpreter's or not intact."""
    body = memoryview(data)[4:]
    try:
        if crc32(body) != int.from_bytes(data[:4], "big"):
            return []
        key, calls = marshal.loads(body)
        if key != interpreter_key():
            return []
        return [((type(args[0]), args[0], flags), _sre.compile(*args)) for flags, args in calls]
    except Exception:  # noqa: BLE001 - a damaged file only means compiling as usual
        return []


def place(pairs: list[tuple[tuple, object]]) -> None:
    """Put compiled patterns in `re`'s cache where absent, leaving room for the run's own."""
    cache = getattr(re, "_cache", None)
    room = getattr(re, "_MAXCACHE", 0) // 2
    if not isinstance(cache, dict):
        return
    for key, pattern in pairs:
        if len(cache) >= room:
            return
        cache.setdefault(key, pattern)


def seed() -> None:
    """Seed `re`'s cache from the file built for this interpreter, if there is one."""
    try:
        with open(seed_path(os.path.dirname(__file__)), "rb") as fh:
            data = fh.read()
    except OSError:
        return
    place(decode(data))
