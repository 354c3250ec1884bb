"""Operand checks with OPA's wording, shared by the Python built-ins.

regorus hands an extension plain Python values (dict, list, set, str,
int/float, bool, None); OPA type-checks built-in operands and says
`<name>: operand <n> must be <type> but got <type>`. Raising the same text
keeps error messages the same whichever engine a policy runs on.
"""

from __future__ import annotations

from typing import Any


class BuiltinError(ValueError):
    """A built-in called with operands OPA would refuse; the message is OPA's."""


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (set, frozenset)):
        return "set"
    if isinstance(value, (list, tuple)):
        return "array"
    return "object"


def need(name: str, index: int, value: Any, *types: str) -> Any:
    """`value` when its Rego type is one of `types`, else OPA's operand error."""
    if type_name(value) not in types:
        raise BuiltinError(f"{name}: operand {index} must be {' or '.join(types)} but got {type_name(value)}")
    return value


def number(value: Any) -> int | float:
    """An integral float as int, the way Rego numbers print."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
