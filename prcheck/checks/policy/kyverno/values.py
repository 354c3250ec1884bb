"""Leaf comparison of one resource value with one pattern value.

This is Kyverno's `pattern.Validate`: a string pattern is a `|`-separated list
of `&`-separated conditions; each condition may carry an operator (`>`, `>=`,
`<`, `<=`, `!`), be a range (`1-10`, `1!-10`) and is then compared as a Go
duration, a Kubernetes quantity, or a wildcard string, in that order. A
missing value counts as `0` for the numeric comparisons, as Kyverno does.
The string pattern is parsed once (`compile_scalar`); the value side is
parsed per comparison.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from . import units, wildcard
from .gofmt import format_float_e, timestamp_text

EQUAL, NOT_EQUAL, MORE, LESS, MORE_EQUAL, LESS_EQUAL = "", "!", ">", "<", ">=", "<="
_NOT_IN_RANGE = re.compile(r"^(\d+(\.\d+)?)([^-]*)!-(\d+(\.\d+)?)([^-]*)$")
_IN_RANGE = re.compile(r"^(\d+(\.\d+)?)([^-]*)-(\d+(\.\d+)?)([^-]*)$")

Check = Callable[[Any], bool]


def operator_of(condition: str) -> str:
    """Kyverno's `GetOperatorFromStringPattern`: range detection comes last."""
    if len(condition) < 2:
        return EQUAL
    for op in (MORE_EQUAL, LESS_EQUAL, MORE, LESS, NOT_EQUAL):
        if condition.startswith(op):
            return op
    if _NOT_IN_RANGE.match(condition):
        return "!-"
    if _IN_RANGE.match(condition):
        return "-"
    return EQUAL


def _compare(result: int, op: str) -> bool:
    return {
        EQUAL: result == 0, NOT_EQUAL: result != 0, MORE: result > 0,
        LESS: result < 0, MORE_EQUAL: result >= 0, LESS_EQUAL: result <= 0,
    }[op]


def _cmp(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


def _number_text(value: Any) -> "str | None":
    """Kyverno's `convertNumberToString`: nil is `"0"`, floats are `%f`."""
    if value is None:
        return "0"
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:f}"
    return None


@lru_cache(maxsize=8192)
def _duration(text: str) -> "int | None":
    return units.parse_duration(text)


@lru_cache(maxsize=8192)
def _quantity(text: str) -> "units.Quantity | None":
    return units.parse_quantity(text)


def _string_form(value: Any) -> "str | None":
    """How Kyverno stringifies a value before a wildcard comparison."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float_e(value)
    if isinstance(value, (date, datetime)):
        return timestamp_text(value)
    return None


def _simple_check(operand: str, op: str) -> Check:
    """One operator and operand, already split; duration, then quantity, then string."""
    pattern_duration = units.parse_duration(operand)
    pattern_quantity = units.parse_quantity(operand)
    if pattern_duration is None and pattern_quantity is None:
        if op not in (EQUAL, NOT_EQUAL):
            return lambda value: False
        negate = op == NOT_EQUAL

        def string_only(value: Any) -> bool:
            as_text = _string_form(value)
            if as_text is None:
                return False
            return wildcard.match(operand, as_text) != negate

        return string_only

    def check(value: Any) -> bool:
        text = _number_text(value)
        if pattern_duration is not None and text is not None:
            value_duration = _duration(text)
            if value_duration is not None:
                if _compare(_cmp(value_duration, pattern_duration), op):
                    return True
        if pattern_quantity is not None and text is not None:
            value_quantity = _quantity(text)
            if value_quantity is not None:
                if _compare(value_quantity.compare(pattern_quantity), op):
                    return True
        if op in (EQUAL, NOT_EQUAL):
            as_text = _string_form(value)
            if as_text is None:
                return False
            matched = wildcard.match(operand, as_text)
            return not matched if op == NOT_EQUAL else matched
        return False

    return check


def _condition_check(condition: str) -> Check:
    op = operator_of(condition)
    if op == "-":
        low, high = condition.split("-")[:2]
        lower, upper = _condition_check(">= " + low), _condition_check("<= " + high)
        return lambda value: lower(value) and upper(value)
    if op == "!-":
        low, high = condition.split("!-")[:2]
        below, above = _condition_check("< " + low), _condition_check("> " + high)
        return lambda value: below(value) or above(value)
    return _simple_check(condition[len(op):].strip(), op)


def compile_string(pattern: str) -> Check:
    """`a | b & c`: any alternative whose conditions all hold."""
    alternatives = [
        [_condition_check(part.strip(" ")) for part in alternative.strip(" ").split("&")]
        for alternative in pattern.split("|")
    ]
    if len(alternatives) == 1 and len(alternatives[0]) == 1:
        only = alternatives[0][0]
        return lambda value: (isinstance(value, str) and value == pattern) or only(value)

    def check(value: Any) -> bool:
        if isinstance(value, str) and value == pattern:
            return True
        for conditions in alternatives:
            for condition in conditions:
                if not condition(value):
                    break
            else:
                return True
        return False

    return check


def _number_check(pattern: "int | float") -> Check:
    """Patterns reach Kyverno as JSON, so every number is a float64 there."""

    def check(value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if isinstance(value, (int, float)):
            return value == pattern
        if isinstance(value, str):
            parsed = units.parse_float(value)
            return parsed is not None and parsed == pattern
        return False

    return check


def _nil_check(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value == 0
    if isinstance(value, str):
        return value == ""
    return False


@dataclass(frozen=True)
class Scalar:
    """A compiled leaf of a pattern."""

    raw: Any
    check: Check

    def __call__(self, value: Any) -> bool:
        return self.check(value)


def compile_scalar(pattern: Any) -> Scalar:
    if isinstance(pattern, bool):
        return Scalar(pattern, lambda value: isinstance(value, bool) and value == pattern)
    if isinstance(pattern, (int, float)):
        return Scalar(pattern, _number_check(pattern))
    if pattern is None:
        return Scalar(None, _nil_check)
    if isinstance(pattern, str):
        return Scalar(pattern, compile_string(pattern))
    if isinstance(pattern, dict):
        return Scalar(pattern, lambda value: isinstance(value, dict))
    return Scalar(pattern, lambda value: False)


def validate(value: Any, pattern: Any) -> bool:
    """Uncompiled entry point, used by the `In` operators' range handling."""
    return compile_scalar(pattern)(value)
