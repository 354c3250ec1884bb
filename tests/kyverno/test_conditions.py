"""Condition operators, deprecated ones included, with Kyverno's type rules."""

from __future__ import annotations

import pytest

from prcheck.checks.policy.kyverno.conditions import UnknownOperator, evaluate


@pytest.mark.parametrize(("op", "key", "value", "expected"), [
    ("Equals", "a", "a", True),
    ("Equals", "nginx:1", "nginx:*", True),  # the value is the wildcard pattern
    ("Equals", "nginx:*", "nginx:1", False),
    ("Equals", 1, 1.0, True),
    ("Equals", 1, "1", True),
    ("Equals", True, True, True),
    ("Equals", True, "true", False),
    ("Equals", "1Gi", "1024Mi", True),
    ("Equals", "1h", "60m", True),
    ("Equals", "60s", 60, True),
    ("Equals", {"a": [1]}, {"a": [1]}, True),
    ("Equals", [1, 2], [2, 1], False),
    ("Equals", None, None, False),
    ("equal", "a", "a", True),  # deprecated spelling, case-insensitive
    ("NotEquals", "a", "b", True),
    ("NotEquals", "a", "a", False),
    ("NotEquals", "", "DELETE", True),
    ("NotEqual", 1, 2, True),
    ("NotEquals", None, "x", False),
    ("AnyIn", "a", ["a", "b"], True),
    ("AnyIn", "a", ["x*"], False),
    ("AnyIn", "abc", ["a*"], True),
    ("AnyIn", ["x", "b"], ["a", "b"], True),
    ("AnyIn", ["x", "y"], ["a", "b"], False),
    ("AnyIn", "b", '["a", "b"]', True),  # JSON array in a string (ConfigMap data)
    ("AnyIn", 8080, "8000-9000", True),  # ranges
    ("AnyIn", [80, 8080], "8000-9000", True),
    ("AllIn", ["a", "b"], ["a", "b", "c"], True),
    ("AllIn", ["a", "x"], ["a", "b"], False),
    ("AnyNotIn", ["a", "x"], ["a", "b"], True),
    ("AnyNotIn", ["a", "b"], ["a", "b"], False),
    ("AnyNotIn", [80], "8000-9000", True),
    ("AllNotIn", ["x", "y"], ["a", "b"], True),
    ("AllNotIn", ["a", "y"], ["a", "b"], False),
    ("In", "a", ["a"], True),
    ("In", ["a", "b"], ["a", "b", "c"], True),
    ("NotIn", "z", ["a"], True),
    ("NotIn", ["a", "z"], ["a"], True),
    ("GreaterThan", 3, 2, True),
    ("GreaterThan", "3", 2, True),
    ("GreaterThan", "2Gi", "1500Mi", True),
    ("GreaterThan", "90m", "1h", True),
    ("GreaterThanOrEquals", 2, "2", True),
    ("LessThan", "1.2.3", "1.10.0", True),  # semantic versions
    ("LessThanOrEquals", 2, 2.5, True),
    ("LessThan", "abc", 1, False),
    ("DurationGreaterThan", "2h", "1h", True),
    ("DurationLessThanOrEquals", 30, "1m", True),
    ("DurationGreaterThanOrEquals", "1h", 3600, True),
    ("DurationLessThan", "x", "1h", False),
])
def test_operators(op, key, value, expected):
    assert evaluate(op, key, value) is expected


def test_unknown_operator_is_rejected():
    with pytest.raises(UnknownOperator):
        evaluate("Contains", "a", "a")
