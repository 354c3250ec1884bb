"""Kubernetes list library: `isSorted`, `sum`, `min`, `max`.

`indexOf` / `lastIndexOf` on lists are missing: cel-cpp's strings extension
already owns those names and the runtime cannot add list overloads to them
(docs/cel.md).

https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-list-library
"""

from __future__ import annotations

import datetime
from typing import Any

from .common import BOOL, DYN, LIST, Fn, fn, kind_of
from .quantity import quantity_value
from .semver import semver_key


def _key(value: Any) -> Any:
    """Tagged quantities and semvers order by their value, as their Comparer does."""
    kind = kind_of(value)
    if kind == "quantity":
        return quantity_value(value)
    if kind == "semver":
        return semver_key(value)
    if isinstance(value, (dict, list)) or value is None:
        raise ValueError(f"no such overload: {type(value).__name__} is not comparable")
    return value


def is_sorted(items: list) -> bool:
    keys = [_key(v) for v in items]
    return all(a <= b for a, b in zip(keys, keys[1:]))


def total(items: list) -> Any:
    if not items:
        return 0
    if isinstance(items[0], datetime.timedelta):
        return sum(items, datetime.timedelta(0))
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in items):
        raise ValueError("no such overload: sum() takes a list of numbers or durations")
    return sum(items)


def smallest(items: list) -> Any:
    if not items:
        raise ValueError("min called on empty list")
    return min(items, key=_key)


def largest(items: list) -> Any:
    if not items:
        raise ValueError("max called on empty list")
    return max(items, key=_key)


FUNCTIONS = [
    Fn("isSorted", [fn("isSorted", BOOL, [LIST], is_sorted, member=True)]),
    Fn("sum", [fn("sum", DYN, [LIST], total, member=True)]),
    Fn("min", [fn("min", DYN, [LIST], smallest, member=True)]),
    Fn("max", [fn("max", DYN, [LIST], largest, member=True)]),
]
