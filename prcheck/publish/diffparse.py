"""Which lines of a changed file a review comment may sit on.

Both APIs give per-file unified-diff hunks (GitHub's `patch`, GitLab's `diff`);
a comment is only accepted on a line inside a hunk, so the hunks decide, not
the local checkout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclass(frozen=True)
class DiffLines:
    """`added`: new-file lines the change added; `context`: unchanged lines shown
    in a hunk, mapped to their line in the old file (GitLab needs both numbers)."""

    added: frozenset[int] = frozenset()
    context: Mapping[int, int] = field(default_factory=dict)

    def commentable(self, scope: str) -> frozenset[int]:
        if scope == "diff_context":
            return self.added | frozenset(self.context)
        return self.added


def parse_patch(patch: str | None) -> DiffLines:
    """Read the hunks of one file's unified diff. A missing patch (binary or too
    large for the API) has no commentable line."""
    added: set[int] = set()
    context: dict[int, int] = {}
    old = new = 0
    in_hunk = False
    for line in (patch or "").split("\n"):
        hunk = _HUNK.match(line)
        if hunk:
            old, new, in_hunk = int(hunk.group(1)), int(hunk.group(2)), True
            continue
        if not in_hunk or line.startswith("\\"):
            continue  # file headers before the first hunk; "\ No newline at end of file"
        if line.startswith("+"):
            added.add(new)
            new += 1
        elif line.startswith("-"):
            old += 1
        elif line.startswith(" ") or line == "":
            context[new] = old
            old += 1
            new += 1
    return DiffLines(frozenset(added), context)


def from_line_numbers(lines: Mapping[str, Iterable[int]]) -> dict[str, DiffLines]:
    """Changed lines given directly (dry runs): every listed line counts as added."""
    return {path: DiffLines(frozenset(int(n) for n in numbers)) for path, numbers in lines.items()}
