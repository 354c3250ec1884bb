"""`fnmatch.fnmatchcase` for one pattern, without a regex when `*` is its only wildcard.

fnmatch compiles every pattern to a regex on first use; for the few globs of
prcheck's own data (client-side file names and API versions) those compiles cost
a one-file run more than all its matches. A pattern of literal text and `*` is
decided by prefix, suffix and in-order `find` of the pieces between stars, which
is what its regex (`.*` under DOTALL for each star) accepts; any other pattern
(`?`, `[...]`) goes to fnmatch itself.
"""

from __future__ import annotations

import fnmatch
from typing import Callable


def matcher(pattern: str) -> Callable[[str], bool]:
    """A predicate equal to `lambda name: fnmatch.fnmatchcase(name, pattern)`."""
    if "?" in pattern or "[" in pattern:
        return lambda name: fnmatch.fnmatchcase(name, pattern)
    parts = pattern.split("*")
    if len(parts) == 1:
        return pattern.__eq__
    first, middle, last = parts[0], [p for p in parts[1:-1] if p], parts[-1]

    def match(name: str) -> bool:
        end = len(name) - len(last)
        if end < len(first) or not name.startswith(first) or not name.endswith(last):
            return False
        pos = len(first)
        for piece in middle:  # the leftmost place of each piece leaves the most room for the rest
            found = name.find(piece, pos, end)
            if found < 0:
                return False
            pos = found + len(piece)
        return True

    return match
