"""Semantic versions and blang/semver ranges, for `semver_compare` and the
numeric condition operators (which compare `"1.2.3"` keys as versions)."""

from __future__ import annotations

import re

_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?")
_TERM = re.compile(r"(>=|<=|!=|==|=|>|<)?(.+)")


def parse(text: str, allow_v: bool = True) -> "tuple[int, int, int, tuple] | None":
    """`MAJOR.MINOR.PATCH[-pre][+build]`; blang's `Parse` rejects a leading `v`,
    its range parser accepts one."""
    text = text.strip()
    if allow_v and text.startswith("v"):
        text = text[1:]
    found = _VERSION.fullmatch(text)
    if not found:
        return None
    pre = tuple((0, int(p)) if p.isdigit() else (1, p) for p in (found.group(4) or "").split(".") if p)
    return int(found.group(1)), int(found.group(2)), int(found.group(3)), pre


def key(version: "tuple[int, int, int, tuple]") -> tuple:
    """Sort key: a pre-release sorts before its release."""
    major, minor, patch, pre = version
    return (major, minor, patch, (1,)) if not pre else (major, minor, patch, (0, pre))


def satisfies(version: "tuple[int, int, int, tuple]", expression: str) -> bool:
    """Space-separated terms are ANDed, `||` alternatives ORed."""
    current = key(version)
    for alternative in expression.split("||"):
        ok = True
        for part in alternative.split():
            found = _TERM.fullmatch(part)
            target = parse(found.group(2)) if found else None
            if target is None:
                raise ValueError(f"invalid semver range {expression!r}")
            other = key(target)
            op = found.group(1) or "="
            ok = ok and {
                "=": current == other, "==": current == other, "!=": current != other,
                ">": current > other, ">=": current >= other, "<": current < other, "<=": current <= other,
            }[op]
        if ok:
            return True
    return False
