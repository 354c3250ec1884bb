"""`regex.globs_match`: do two glob-like patterns have a non-empty string in common?

OPA delegates to glob-intersection, which reads a pattern as a sequence of
tokens where only `.`, `*`, `+`, `[`, `-`, `]` and `\\` are special: `.` is
any character, `[a-z0-9_]` a class, `*` and `+` repeat the token before.
Two such patterns intersect when some non-empty string matches both; that
is a walk over pairs of positions, consuming one character on both sides at
a time, where the two tokens' character sets overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

from prcheck.checks.policy.rego_builtins.operands import BuiltinError, need

ANY = None  # the `.` token: every character


@dataclass(frozen=True)
class _Token:
    chars: frozenset[str] | None  # None is `.`
    ranges: tuple[tuple[str, str], ...] = ()
    repeat: str = ""  # "", "*" or "+"

    def overlaps(self, other: "_Token") -> bool:
        if self.chars is None or other.chars is None:
            return True
        if self.chars & other.chars:
            return True
        for lo, hi in self.ranges:
            if any(lo <= c <= hi for c in other.chars) or any(not (hi < lo2 or hi2 < lo) for lo2, hi2 in other.ranges):
                return True
        return any(lo <= c <= hi for lo, hi in other.ranges for c in self.chars)


def _class(pattern: str, i: int) -> tuple[_Token, int]:
    chars: set[str] = set()
    ranges: list[tuple[str, str]] = []
    i += 1
    while i < len(pattern) and pattern[i] != "]":
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            i += 1
            ch = pattern[i]
        if i + 2 < len(pattern) and pattern[i + 1] == "-" and pattern[i + 2] != "]":
            ranges.append((ch, pattern[i + 2]))
            i += 3
            continue
        chars.add(ch)
        i += 1
    if i >= len(pattern):
        raise BuiltinError(f"regex.globs_match: unterminated character class in {pattern!r}")
    return _Token(frozenset(chars), tuple(ranges)), i + 1


def _tokens(pattern: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch in "*+":
            if not tokens or tokens[-1].repeat:
                raise BuiltinError(f"regex.globs_match: nothing to repeat in {pattern!r}")
            last = tokens.pop()
            tokens.append(_Token(last.chars, last.ranges, ch))
            i += 1
            continue
        if ch == "[":
            token, i = _class(pattern, i)
            tokens.append(token)
            continue
        if ch == "\\" and i + 1 < len(pattern):
            i += 1
            ch = pattern[i]
            tokens.append(_Token(frozenset(ch)))
        elif ch == ".":
            tokens.append(_Token(ANY))
        else:
            tokens.append(_Token(frozenset(ch)))
        i += 1
    # `x+` is `x` then `x*`: only the starred form needs special steps below
    expanded: list[_Token] = []
    for token in tokens:
        if token.repeat == "+":
            expanded += [_Token(token.chars, token.ranges), _Token(token.chars, token.ranges, "*")]
        else:
            expanded.append(token)
    return expanded


def intersect(a: list[_Token], b: list[_Token]) -> bool:
    """Is there a non-empty string both token lists match?"""
    seen: set[tuple[int, int, bool]] = set()
    stack = [(0, 0, False)]
    while stack:
        state = stack.pop()
        if state in seen:
            continue
        seen.add(state)
        i, j, consumed = state
        if i == len(a) and j == len(b):
            if consumed:
                return True
            continue
        if i < len(a) and a[i].repeat == "*":
            stack.append((i + 1, j, consumed))  # zero repetitions
        if j < len(b) and b[j].repeat == "*":
            stack.append((i, j + 1, consumed))
        if i < len(a) and j < len(b) and a[i].overlaps(b[j]):
            # one character on both sides; a starred token may repeat
            stack.append((i if a[i].repeat == "*" else i + 1, j if b[j].repeat == "*" else j + 1, True))
    return False


def globs_match(glob1: object, glob2: object) -> bool:
    first = need("regex.globs_match", 1, glob1, "string")
    second = need("regex.globs_match", 2, glob2, "string")
    return intersect(_tokens(first), _tokens(second))
