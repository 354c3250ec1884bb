"""Small OPA built-ins regorus lacks or reads differently, and v0's deprecated ones.

The deprecated built-ins (`any`, `all`, `re_match`, `set_diff`, `cast_*`,
`net.cidr_overlap`) exist in OPA only for Rego v0 modules; prcheck's load
check refuses them in v1 modules as OPA does, so registering them here only
serves the v0 policies that still call them.
"""

from __future__ import annotations

import re
from typing import Any

from prcheck.checks.policy.rego_builtins.operands import BuiltinError, need

# semver.org 2.0.0, as Go's coreos/go-semver (OPA's) reads it: no `v`, no leading zeros
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


def semver_is_valid(version: Any) -> bool:
    """OPA accepts any operand: a non-string is simply not a version (regorus errors)."""
    return isinstance(version, str) and bool(_SEMVER.match(version))


def trace(note: Any) -> bool:
    need("trace", 1, note, "string")
    return True


def array_flatten(arr: Any) -> list:
    """One level: array items are spliced in, anything else is kept (OPA 1.13)."""
    out: list = []
    for item in need("array.flatten", 1, arr, "array"):
        out.extend(item) if isinstance(item, list) else out.append(item)
    return out


def any_(collection: Any) -> bool:
    return any(v is True for v in need("any", 1, collection, "array", "set"))


def all_(collection: Any) -> bool:
    return all(v is True for v in need("all", 1, collection, "array", "set"))


def re_match(pattern: Any, value: Any) -> bool:
    try:
        return re.search(need("re_match", 1, pattern, "string"), need("re_match", 2, value, "string")) is not None
    except re.error as exc:
        raise BuiltinError(f"re_match: {exc}") from None


def set_diff(a: Any, b: Any) -> set:
    return set(need("set_diff", 1, a, "set")) - set(need("set_diff", 2, b, "set"))


def cast_array(value: Any) -> list:
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return need("cast_array", 1, value, "array")


def cast_set(value: Any) -> set:
    if isinstance(value, list):
        try:
            return set(value)
        except TypeError:
            raise BuiltinError("cast_set: array items must be scalars") from None
    return need("cast_set", 1, value, "set")


def caster(rego_type: str):
    def cast(value: Any) -> Any:
        return need(f"cast_{rego_type}", 1, value, rego_type)
    return cast
