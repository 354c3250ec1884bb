"""Kyverno's `*` / `?` wildcards.

Kyverno matches names, kinds, label keys and pattern values with one tiny
glob dialect: `*` is any run of characters (including none and including
`/`), `?` is exactly one character, nothing else is special and there is no
escaping. `fnmatch` would also treat `[...]` as a class, so it cannot be used.
"""

from __future__ import annotations

import re
from functools import lru_cache


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> "re.Pattern[str]":
    """Pure memo: the same few patterns are matched against every resource."""
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.DOTALL)


def match(pattern: str, text: str) -> bool:
    """True when `text` matches the whole of `pattern`."""
    if "*" not in pattern and "?" not in pattern:
        return pattern == text
    if pattern == "*":
        return True
    return _compile(pattern).fullmatch(text) is not None
