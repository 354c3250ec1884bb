"""Rego's view of YAML values, for the Kubernetes rules written in Python.

These rules were Rego first, and their findings must stay what a Rego
engine reports: these few helpers are the places where Python's and Rego's
value semantics differ. In Python `True == 1` and `0 == False`; in Rego a
boolean is never a number. Rego iterates a mapping's values (`x[_]`) as
readily as a list's, never a string's. `object.get` returns a key's value
when the key is present, even when the value is null. And `sprintf("%s")`
prints numbers positionally (1e21 as 1000000000000000000000) and
collections as JSON with sorted keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

MISSING: Any = object()  # a key that is not there (Rego: undefined), unlike a key whose value is null


def is_number(value: Any) -> bool:
    """Rego's is_number: booleans are not numbers."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def same(a: Any, b: Any) -> bool:
    """Rego's `==`: numbers by value (1 == 1.0), booleans only equal booleans, collections element-wise."""
    if a.__class__ is str:  # the common case, answered as the general one below would
        return b.__class__ is str and a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if is_number(a) or is_number(b):
        return is_number(a) and is_number(b) and a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def members(collection: Any) -> Iterable[tuple[Any, Any]]:
    """`some k, v in collection`: (index, item) of a list, (key, value) of a mapping (in key order, as
    Rego sorts objects), nothing for anything else (Rego does not iterate strings or numbers)."""
    if isinstance(collection, list):
        return enumerate(collection)
    if isinstance(collection, dict) and collection:
        return sorted(collection.items(), key=_key_order)
    return ()


def _key_order(item: tuple[Any, Any]) -> tuple:
    return sort_key(item[0])


def contains(collection: Any, value: Any) -> bool:
    """Rego's `value in collection`: list items or mapping values; never true for a string."""
    items = collection if isinstance(collection, list) else collection.values() if isinstance(collection, dict) else ()
    if value.__class__ is str and value not in items:
        return False  # `in` compares by ==: no item equal to the string, so none the same as it
    return any(same(item, value) for item in items)


def get(mapping: Any, key: str, default: Any) -> Any:
    """object.get(mapping, key, default) on a value that may not be a mapping."""
    return mapping.get(key, default) if isinstance(mapping, dict) else default


def get_path(value: Any, path: Sequence[str], default: Any = None) -> Any:
    """object.get(value, [k1, k2, ...], default): the default as soon as a step is not a mapping or lacks the key."""
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return default
        value = value[key]
    return value


def field(value: Any, *keys: str) -> Any:
    """A Rego reference `value.k1.k2`: MISSING when a step is not a mapping or lacks the key."""
    return get_path(value, keys, MISSING)


def mapping(value: Any) -> dict:
    """The value when it is a mapping, else {} (a `securityContext:` left empty, which YAML makes null)."""
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str:
    """What Rego's sprintf prints for `%s`/`%v`."""
    return value if isinstance(value, str) else _inner(value)


def _inner(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        digits = format(Decimal(repr(value)), "f")
        return digits.rstrip("0").rstrip(".") if "." in digits else digits
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_inner(v) for v in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: sort_key(item[0]))
        return "{" + ", ".join(f"{_inner(k)}: {_inner(v)}" for k, v in items) + "}"
    return json.dumps(str(value))


def sort_key(value: Any) -> tuple:
    """Rego's order of values (null < booleans < numbers < strings < arrays < objects), enough for keys."""
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (1, value)
    if is_number(value):
        return (2, value)
    if isinstance(value, str):
        return (3, value)
    return (4, repr(value))
