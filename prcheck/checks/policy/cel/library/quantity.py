"""Kubernetes quantity library: `quantity`, `isQuantity`, `sign`, `isInteger`,
`asInteger`, `asApproximateFloat`, `add`, `sub`, `isLessThan`, `isGreaterThan`,
`compareTo`.

https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-quantity-library
A quantity is kept in its canonical form, so `quantity("1Gi") == quantity("1024Mi")`
holds as it does for `Quantity.Equal`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from prcheck.checks.policy.kyverno.units import Quantity, format_quantity, parse_quantity

from .common import BOOL, DOUBLE, INT, OBJ, STRING, Fn, compare, expect, fn, shared, tagged

_INT64 = (-(2**63), 2**63 - 1)


def _make(q: Quantity) -> dict:
    return tagged("quantity", value=format_quantity(q), fmt=q.fmt)


def _parse(q: dict) -> Quantity:
    q = expect(q, "quantity")
    parsed = parse_quantity(str(q["value"]))
    if parsed is None:  # canonical forms always parse
        raise ValueError("invalid quantity")
    return Quantity(parsed.value, str(q.get("fmt") or parsed.fmt))


def quantity_value(q: dict) -> Fraction:
    return _parse(q).value


def quantity(text: str) -> dict:
    parsed = parse_quantity(text)
    if parsed is None:
        raise ValueError(f"quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text}")
    return _make(parsed)


def is_quantity(text: str) -> bool:
    return parse_quantity(text) is not None


def sign(q: dict) -> int:
    value = quantity_value(q)
    return (value > 0) - (value < 0)


def is_integer(q: dict) -> bool:
    value = quantity_value(q)
    return value.denominator == 1 and _INT64[0] <= value <= _INT64[1]


def as_integer(q: dict) -> int:
    if not is_integer(q):
        raise ValueError("cannot convert value to integer")
    return int(quantity_value(q))


def as_float(q: dict) -> float:
    return float(quantity_value(q))


def _operand(other: Any) -> Fraction:
    return Fraction(other) if isinstance(other, int) and not isinstance(other, bool) else quantity_value(other)


def add(q: dict, other: Any) -> dict:
    mine = _parse(q)
    return _make(Quantity(mine.value + _operand(other), mine.fmt))


def sub(q: dict, other: Any) -> dict:
    mine = _parse(q)
    return _make(Quantity(mine.value - _operand(other), mine.fmt))


def compare_to(q: dict, other: dict) -> int:
    return compare(quantity_value(q), quantity_value(other))


for _name, _impl in (("isLessThan", lambda a, b: compare_to(a, b) < 0),
                     ("isGreaterThan", lambda a, b: compare_to(a, b) > 0),
                     ("compareTo", compare_to)):
    shared(_name).impls["quantity"] = _impl

FUNCTIONS = [
    Fn("quantity", [fn("quantity", OBJ, [STRING], quantity)]),
    Fn("isQuantity", [fn("isQuantity", BOOL, [STRING], is_quantity)]),
    Fn("sign", [fn("sign", INT, [OBJ], sign, member=True)]),
    Fn("isInteger", [fn("isInteger", BOOL, [OBJ], is_integer, member=True)]),
    Fn("asInteger", [fn("asInteger", INT, [OBJ], as_integer, member=True)]),
    Fn("asApproximateFloat", [fn("asApproximateFloat", DOUBLE, [OBJ], as_float, member=True)]),
    Fn("add", [fn("add", OBJ, [OBJ, OBJ], add, member=True), fn("add", OBJ, [OBJ, INT], add, member=True)]),
    Fn("sub", [fn("sub", OBJ, [OBJ, OBJ], sub, member=True), fn("sub", OBJ, [OBJ, INT], sub, member=True)]),
    Fn("isLessThan", [fn("isLessThan", BOOL, [OBJ, OBJ], shared("isLessThan"), member=True)]),
    Fn("isGreaterThan", [fn("isGreaterThan", BOOL, [OBJ, OBJ], shared("isGreaterThan"), member=True)]),
    Fn("compareTo", [fn("compareTo", INT, [OBJ, OBJ], shared("compareTo"), member=True)]),
]
