"""Rego that OPA's compiler accepts loads in prcheck and means the same thing.

Each case is a construct OPA scopes differently from regorus' own reading;
the expected values are OPA's (`opa eval` on the same module and input).
"""

from __future__ import annotations

import json

import pytest
import regorus

from prcheck.checks.policy.rego_modules import parse_module
from prcheck.checks.policy.rego_rewrite.scoping import scope_nested_declarations

INPUT = {"a": 7, "b": [1, 2, 3], "c": {"x": 1, "y": 2}}


def evaluate(text: str, rule: str = "data.p.x", version: str = "v1"):
    module = parse_module("p.rego", text, version)
    engine = regorus.Engine()
    engine.set_rego_v0(module.v0)
    engine.add_policy("p.rego", module.regorus_text)
    engine.set_input_json(json.dumps(INPUT))
    return json.loads(engine.eval_rule_as_json(rule))


CASES = {
    "some redeclared in a comprehension": ("""
package p
x := r if {
  some i
  input.b[i] > 0
  r := [v | some i; v := input.b[i]]
}
""", [1, 2, 3]),
    "some-in redeclares an outer key in a set comprehension": ("""
package p
x := r if {
  some i, v in input.b
  r := {k | some i, k in input.b}
}
""", [1, 2, 3]),
    ":= in a comprehension shadows the rule body's name": ("""
package p
x := [n, r] if {
  n := input.a
  r := [n | n := input.b[_]]
}
""", [7, [1, 2, 3]]),
    "object comprehension redeclares both names": ("""
package p
x := r if {
  some k, v in input.c
  r := {k: v | some k, v in input.c; v > 1}
}
""", {"y": 2}),
    "nested comprehensions each redeclare": ("""
package p
x := r if {
  some i
  input.b[i] == 1
  r := [[j | some i; j := input.b[i]; j > i] | some i; input.b[i]]
}
""", [[1, 2, 3], [1, 2, 3], [1, 2, 3]]),  # the inner `i` in `j > i` is the innermost one
    "some redeclared in an every body": ("""
package p
x if {
  some i
  input.b[i] == 3
  every v in input.b { some i; input.b[i] == v }
}
""", True),
    "v0 comprehension re-binds a name from the body": ("""
package p
x = r {
  some i
  input.b[i]
  r := count([i | some i; input.b[i] > 1])
}
""", 2),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_opa_scoping(name: str) -> None:
    text, expected = CASES[name]
    version = "v0" if name.startswith("v0") else "v1"
    assert evaluate(text, version=version) == expected


def test_names_used_only_inside_are_left_alone() -> None:
    text = "package p\nx := [v | some i; v := input.b[i]] if { true }\n"
    assert scope_nested_declarations(text, v0=False) == text


def test_rewrite_keeps_lines() -> None:
    text, _ = CASES["some redeclared in a comprehension"]
    module = parse_module("p.rego", text, "v1")
    assert module.regorus_text.count("\n") == text.count("\n")
    assert module.text == text  # what an OPA server would receive


def test_negated_undefined_operand_is_not_a_violation_in_conftest_policies() -> None:
    """OPA binds a negated call's operands first (the same rewrite Gatekeeper templates get)."""
    text = """
package p
allowed(v, ranges) if { v in ranges }
x contains "bad" if { not allowed(1, input.missing) }
"""
    assert evaluate(text) == []
