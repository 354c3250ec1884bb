"""The two places regorus reads Rego differently from OPA, and what templates may reach in `data`."""

from __future__ import annotations

import json

import regorus

from prcheck.checks.policy.rego_rewrite.negation import hoist_negated_operands
from prcheck.checks.policy.rego_rewrite.chains import (
    data_roots,
    split_chained_bodies,
)


def _eval(text: str, rule: str, input_: dict, v0: bool = True) -> object:
    engine = regorus.Engine()
    engine.set_rego_v0(v0)
    engine.add_policy("t.rego", text)
    engine.set_input_json(json.dumps(input_))
    return json.loads(engine.eval_rule_as_json(rule))


CHAINED = """\
package t
# a comment with { braces }
violation[{"msg": msg,  # inline
  "details": {}}] {
  input.a == 1
  msg := "a is one } {"
} {
  input.b == 1
  msg := `raw } {`
}
size(x) = "big" { x > 10 } { x > 100 }
p = {"k": 1} { true }
"""


def test_chained_bodies_become_separate_definitions_on_the_same_lines() -> None:
    out = split_chained_bodies(CHAINED)
    assert out.count("\n") == CHAINED.count("\n")
    assert '} violation[{"msg": msg, "details": {}}] {' in out
    assert 'size(x) = "big" { x > 10 } size(x) = "big" { x > 100 }' in out
    assert 'p = {"k": 1} { true }' in out  # an object value is not a body
    got = _eval(out, "data.t.violation", {"a": 1, "b": 1})
    assert sorted(v["msg"] for v in got) == ["a is one } {", "raw } {"]


def test_data_roots() -> None:
    text = 'package t\nimport data.lib.x\np { data.inventory.cluster; input.review.object.data.k; data["other"] }'
    assert data_roots(text) == {"lib", "inventory", "other"}
    assert data_roots('package t\n# data.inventory in a comment\np { "data.inventory" }') == set()


NEGATION = """\
package t

accept("any", _)

violation[{"msg": "unaccepted"}] {
  not accept(input.parameters.rule, input.parameters.ranges)
}

violation[{"msg": "not equal"}] {
  not input.parameters.mode == "strict"
}

violation[{"msg": "absent"}] {
  not input.parameters.mode
}
"""


def test_negation_binds_operands_first_as_opa_does() -> None:
    hoisted = hoist_negated_operands(NEGATION, v0=True)
    assert hoisted.count("\n") == NEGATION.count("\n")
    # `ranges` and `mode` undefined: OPA binds them before the `not`, so those bodies fail;
    # a bare undefined reference under `not` is still true.
    got = _eval(hoisted, "data.t.violation", {"parameters": {"rule": "any"}})
    assert got == [{"msg": "absent"}]
    # regorus as written would have said otherwise
    assert len(_eval(NEGATION, "data.t.violation", {"parameters": {"rule": "any"}})) == 3
    got = _eval(hoisted, "data.t.violation", {"parameters": {"rule": "x", "ranges": [], "mode": "lax"}})
    assert sorted(v["msg"] for v in got) == ["not equal", "unaccepted"]


def test_negation_rewrite_in_comprehensions_and_v1_one_liners() -> None:
    v1 = 'package t\nimport rego.v1\nf(_) := true\np if not f(input.x)\nq := [1 | not f(input.y)]\n'
    hoisted = hoist_negated_operands(v1, v0=False)
    assert _eval(hoisted, "data.t.p", {}, v0=False) == "<undefined>"
    assert _eval(hoisted, "data.t.q", {}, v0=False) == []
    assert _eval(hoisted, "data.t.q", {"y": 1}, v0=False) == []
    assert hoist_negated_operands("package t\np { not input.x }\n", v0=True) == "package t\np { not input.x }\n"
