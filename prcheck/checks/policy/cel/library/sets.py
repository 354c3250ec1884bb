"""cel-go's sets extension, which Kubernetes enables: `sets.contains`,
`sets.equivalent`, `sets.intersects` (cel-cpp's Python wheel does not ship it)."""

from __future__ import annotations

from typing import Any

from .common import BOOL, LIST, Fn, fn


def _has(items: list, wanted: Any) -> bool:
    return any(type(v) is type(wanted) and v == wanted if isinstance(v, bool) or isinstance(wanted, bool)
               else v == wanted for v in items)


def contains(items: list, wanted: list) -> bool:
    return all(_has(items, w) for w in wanted)


def equivalent(a: list, b: list) -> bool:
    return contains(a, b) and contains(b, a)


def intersects(a: list, b: list) -> bool:
    return any(_has(a, w) for w in b)


FUNCTIONS = [
    Fn("sets.contains", [fn("sets.contains", BOOL, [LIST, LIST], contains)]),
    Fn("sets.equivalent", [fn("sets.equivalent", BOOL, [LIST, LIST], equivalent)]),
    Fn("sets.intersects", [fn("sets.intersects", BOOL, [LIST, LIST], intersects)]),
]
