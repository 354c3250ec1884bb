"""Condition operators of `preconditions` and `deny.conditions`.

Each operator is Kyverno's handler from `pkg/engine/variables/operator`,
type rules included: Equals compares a duration string with seconds, a
quantity string with a quantity string, and otherwise treats the *value* as a
wildcard pattern for the key; the `In` family stringifies numbers with
`fmt.Sprint`, accepts a JSON-array string as the value and matches wildcards
in both directions. Deprecated spellings (`Equal`, `NotEqual`, `In`, `NotIn`,
`Duration*`) are still honoured, case-insensitively, as Kyverno does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import semver, units, values, wildcard
from .gofmt import sprint


class UnknownOperator(ValueError):
    """The policy names an operator Kyverno does not know."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def deep_equal(a: Any, b: Any) -> bool:
    """`reflect.DeepEqual` on JSON values: booleans are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(deep_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _durations(key: Any, value: Any) -> "tuple[float, float] | None":
    """Kyverno's `parseDuration`: at least one side a duration string (not `"0"`),
    the other a duration string or a number of seconds."""
    key_d = units.parse_duration(key) if isinstance(key, str) and key != "0" else None
    value_d = units.parse_duration(value) if isinstance(value, str) and value != "0" else None
    if key_d is None and value_d is None:
        return None
    if key_d is None:
        if not _is_number(key):
            return None
        key_d = int(key) * 1_000_000_000
    if value_d is None:
        if not _is_number(value):
            return None
        value_d = int(value) * 1_000_000_000
    return key_d / 1e9, value_d / 1e9


def _equal(key: Any, value: Any) -> "bool | None":
    """`None` where Kyverno's Equal and NotEqual both answer false."""
    if isinstance(key, bool):
        return isinstance(value, bool) and key == value
    if _is_number(key):
        if _is_number(value):
            return key == value
        if isinstance(value, str):
            parsed = units.parse_float(value)
            return None if parsed is None else parsed == key
        return False
    if isinstance(key, str):
        durations = _durations(key, value)
        if durations is not None:
            return durations[0] == durations[1]
        key_q = units.parse_quantity(key)
        if key_q is not None and isinstance(value, str):
            value_q = units.parse_quantity(value)
            return None if value_q is None else key_q.value == value_q.value
        if isinstance(value, str):
            return wildcard.match(value, key)
        return False
    if isinstance(key, (dict, list)):
        return deep_equal(key, value)
    return None


def equals(key: Any, value: Any) -> bool:
    return bool(_equal(key, value))


def not_equals(key: Any, value: Any) -> bool:
    result = _equal(key, value)
    return False if result is None else not result


# --- the In family ----------------------------------------------------------

def _string_array(text: str) -> "list[str] | None":
    """A JSON array of strings hidden in a string (how ConfigMap data carries lists);
    text that is not JSON stands for itself, other JSON is an invalid type (`None`)."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return [text]
    if isinstance(parsed, list) and all(isinstance(x, str) for x in parsed):
        return parsed
    return None


def _both_ways(a: str, b: str) -> bool:
    return wildcard.match(a, b) or wildcard.match(b, a)


def _range_check(key: str, value: str) -> bool:
    return values.validate(key, value)


def _is_range(value: str) -> bool:
    return values.operator_of(value) == "-"


def _any_key_in(key: str, value: Any) -> "bool | None":
    """`anyKeyExistsInArray` / `allKeyExistsInArray` for a single key; `None` = invalid type."""
    if isinstance(value, list):
        return any(_both_ways(sprint(v), key) for v in value)
    if isinstance(value, str):
        if wildcard.match(value, key):
            return True
        if _is_range(value):
            return _range_check(key, value)
        array = _string_array(value)
        return None if array is None else key in array
    return None


def _combine(found: list[bool], mode: str) -> bool:
    """Fold per-key results the way `mode` (any_in / all_in / any_not_in /
    all_not_in) reads them; the range and the array paths must agree."""
    return {"any_in": any(found), "all_in": all(found),
            "any_not_in": not all(found), "all_not_in": not any(found)}[mode]


def _set_in(keys: list[str], value: Any, mode: str) -> "bool | None":
    """`anySetExistsInArray` / `allSetExistsInArray` with mode any_in / any_not_in /
    all_in / all_not_in."""
    if isinstance(value, list):
        available = [sprint(v) for v in value]
    elif _is_number(value):
        available = [sprint(value)]
    elif isinstance(value, str):
        if len(keys) == 1 and keys[0] == value:
            return mode != "any_not_in"  # Kyverno answers true for AllNotIn here too
        if _is_range(value):
            return _combine([_range_check(k, value) for k in keys], mode)
        array = _string_array(value)
        if array is None:
            return None
        available = array
    else:
        return None
    return _combine([any(_both_ways(k, v) for v in available) for k in keys], mode)


def _key_strings(key: Any) -> "str | list[str] | None":
    if isinstance(key, str):
        return key
    if _is_number(key) or isinstance(key, bool):
        return sprint(key)
    if isinstance(key, list):
        return [sprint(k) for k in key]
    return None


def _in_operator(mode: str, *, accepts_bool: bool) -> Callable[[Any, Any], bool]:
    """One handler of the `AnyIn` / `AllIn` / `AnyNotIn` / `AllNotIn` family.

    The four differ only in how per-key results fold (`mode`) and in whether a
    boolean key is stringified (Kyverno's AnyIn does, the other three reject it),
    so they share the dispatch between a single key and a set of keys.
    """
    negated = mode.endswith("not_in")

    def handler(key: Any, value: Any) -> bool:
        keys = _key_strings(key)
        if keys is None or (not accepts_bool and isinstance(key, bool)):
            return False
        if isinstance(keys, str):
            found = _any_key_in(keys, value)
            if negated:
                return found is not None and not found
            return bool(found)
        return bool(_set_in(keys, value, mode))

    return handler


any_in = _in_operator("any_in", accepts_bool=True)
all_in = _in_operator("all_in", accepts_bool=False)
any_not_in = _in_operator("any_not_in", accepts_bool=False)
all_not_in = _in_operator("all_not_in", accepts_bool=False)


def _legacy_in(key: Any, value: Any, negate: bool) -> bool:
    """Deprecated `In` / `NotIn`: every key element must (not) be present, exact match
    for lists, wildcards for a single key."""
    keys = _key_strings(key)
    if keys is None or isinstance(key, bool):
        return False
    if isinstance(keys, str):
        if isinstance(value, list):
            found = any(_both_ways(sprint(v), keys) for v in value)
        elif isinstance(value, str):
            if wildcard.match(value, keys):
                found = True
            else:
                array = _string_array(value)
                if array is None or array == [value]:
                    return False
                found = keys in array
        else:
            return False
        return not found if negate else found
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            return False
        available = value
    elif isinstance(value, str):
        if len(keys) == 1 and keys[0] == value:
            return True
        array = _string_array(value)
        if array is None or array == [value]:
            return False
        available = array
    else:
        return False
    present = set(available)
    if negate:
        return any(k not in present for k in keys)
    return all(k in present for k in keys)


# --- numeric ----------------------------------------------------------------

def _semver(text: str) -> "tuple | None":
    parsed = semver.parse(text, allow_v=False)
    return semver.key(parsed) if parsed else None


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "greaterthanorequals": lambda a, b: a >= b, "greaterthan": lambda a, b: a > b,
    "lessthanorequals": lambda a, b: a <= b, "lessthan": lambda a, b: a < b,
}
"""The four orderings, shared by the numeric operators and their deprecated
`Duration*` spellings (looked up without the `duration` prefix)."""


def _numeric(op: str) -> Callable[[Any, Any], bool]:
    compare = _COMPARISONS[op]

    def number_vs(key: float, value: Any) -> bool:
        if _is_number(value):
            return compare(key, value)
        if isinstance(value, str):
            durations = _durations(key, value)
            if durations is not None:
                return compare(*durations)
            parsed = units.parse_float(value)
            return parsed is not None and compare(key, parsed)
        return False

    def handler(key: Any, value: Any) -> bool:
        if isinstance(key, bool):
            return False
        if _is_number(key):
            return number_vs(key, value)
        if not isinstance(key, str):
            return False
        durations = _durations(key, value)
        if durations is not None:
            return compare(*durations)
        key_q = units.parse_quantity(key)
        if key_q is not None and isinstance(value, str):
            value_q = units.parse_quantity(value)
            if value_q is not None:
                return compare(key_q.value, value_q.value)
        key_f = units.parse_float(key)
        if key_f is not None:
            return number_vs(key_f, value)
        key_v = _semver(key)
        if key_v is not None and isinstance(value, str):
            value_v = _semver(value)
            return value_v is not None and compare(key_v, value_v)
        return False

    return handler


def _duration_op(op: str) -> Callable[[Any, Any], bool]:
    """Deprecated `Duration*` operators: numbers are seconds, strings Go durations."""
    compare = _COMPARISONS[op.removeprefix("duration")]

    def seconds(value: Any) -> "float | None":
        if _is_number(value):
            return float(int(value))
        if isinstance(value, str):
            nanos = units.parse_duration(value)
            return None if nanos is None else nanos / 1e9
        return None

    def handler(key: Any, value: Any) -> bool:
        a, b = seconds(key), seconds(value)
        return a is not None and b is not None and compare(a, b)

    return handler


_HANDLERS: dict[str, Callable[[Any, Any], bool]] = {
    "equal": equals, "equals": equals,
    "notequal": not_equals, "notequals": not_equals,
    "in": lambda k, v: _legacy_in(k, v, negate=False),
    "notin": lambda k, v: _legacy_in(k, v, negate=True),
    "anyin": any_in, "allin": all_in, "anynotin": any_not_in, "allnotin": all_not_in,
    **{name: _numeric(name) for name in _COMPARISONS},
    **{"duration" + name: _duration_op("duration" + name) for name in _COMPARISONS},
}

OPERATORS = frozenset(_HANDLERS)


def handler_for(operator: str) -> Callable[[Any, Any], bool]:
    try:
        return _HANDLERS[str(operator).lower()]
    except KeyError:
        raise UnknownOperator(f"unknown condition operator {operator!r}") from None


def evaluate(operator: str, key: Any, value: Any) -> bool:
    return handler_for(operator)(key, value)
