"""Kubernetes regex library: `find`, `findAll` (RE2 syntax; Python's `re` for the
patterns policies use, see docs/cel.md).

https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-regex-library
"""

from __future__ import annotations

import functools
import re

from .common import INT, LIST, STRING, Fn, fn


@functools.lru_cache(maxsize=512)
def _pattern(text: str) -> "re.Pattern[str]":
    try:
        return re.compile(text)
    except re.error as exc:
        raise ValueError(f"invalid regex: {exc}") from None


def find(text: str, pattern: str) -> str:
    found = _pattern(pattern).search(text)
    return found.group(0) if found else ""


def find_all(text: str, pattern: str, limit: int = -1) -> list:
    if limit == 0:
        return []
    found = [m.group(0) for m in _pattern(pattern).finditer(text)]
    return found if limit < 0 else found[:limit]


FUNCTIONS = [
    Fn("find", [fn("find", STRING, [STRING, STRING], find, member=True)]),
    Fn("findAll", [fn("findAll", LIST, [STRING, STRING], find_all, member=True),
                   fn("findAll", LIST, [STRING, STRING, INT], find_all, member=True)]),
]
