"""Source rewrites that give cel-go's results on cel-cpp."""

from __future__ import annotations

import pytest

from prcheck.checks.policy.cel.source import expand_definitions, inline_variables, lenient_optionals


def test_variables_are_inlined_outside_string_literals():
    text = "variables.a.all(c, c == 'variables.a') && variables.b"
    assert inline_variables(text, {"a": "object.x"}) == "(object.x).all(c, c == 'variables.a') && variables.b"


def test_later_variables_see_earlier_ones():
    expanded = expand_definitions([("a", "object.?x.orValue([])"), ("b", "variables.a + [1]")])
    assert expanded == {"a": "object.?x.orValue([])", "b": "(object.?x.orValue([])) + [1]"}


def test_has_on_a_variable_is_not_inlined():
    assert inline_variables("has(variables.a.b)", {"a": "object"}) is None


@pytest.mark.parametrize("source,expected", [
    ("c.resources.requests.orValue({}).cpu", "c.resources.requests.cpu"),
    ("resource.List('v1', 'pods', ns).items.orValue([])", "resource.List('v1', 'pods', ns).items"),
    ("x[0].y.orValue('a.orValue(b)')", "x[0].y"),
    # receivers that are (or may be) optional keep the call
    ("c.?securityContext.orValue({})", "c.?securityContext.orValue({})"),
    ("a.?b.c.orValue(1)", "a.?b.c.orValue(1)"),
    ("(object.?a).orValue(2)", "(object.?a).orValue(2)"),
    ("f(x).orValue(1)", "f(x).orValue(1)"),
    ("m[?'k'].orValue('')", "m[?'k'].orValue('')"),
    ("optional.of(1).orValue(2)", "optional.of(1).orValue(2)"),
])
def test_or_value_on_plain_paths_is_dropped(source: str, expected: str):
    assert lenient_optionals(source) == expected
