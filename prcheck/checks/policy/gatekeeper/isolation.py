"""Keep a failing built-in from taking every other violation down with it.

Gatekeeper queries OPA without strict built-in errors, so a built-in that
fails (`to_number("1.5x")`, `units.parse_bytes("lots")`) makes its expression
undefined: that one `violation` body produces nothing and the others still
count. regorus (this build has no switch for it) aborts the whole query
instead. When that happens, the template is queried again one `violation`
definition at a time, each renamed apart, and a definition that still fails
contributes nothing, as under OPA. The second engine is built only on the
first failure, so templates that never fail pay nothing for it.
"""

from __future__ import annotations

from prcheck.checks.policy.rego_rewrite.ast import head_var, parse_ast

PREFIX = "__prcheck_violation_"


def rename_definitions(text: str, v0: bool, rule: str = "violation") -> tuple[str, list[str]]:
    """Each definition of `rule` under its own name; returns the text and the new names."""
    raw = text.encode("utf-8")
    spans = []
    for definition in parse_ast(text, v0).get("rules") or []:
        if "Spec" not in definition:
            continue
        var = head_var(definition)
        if var is not None and var.get("value") == rule:
            spans.append((var["span"]["start"], var["span"]["end"]))
    names = [f"{PREFIX}{index}__" for index in range(len(spans))]
    for (start, end), name in sorted(zip(spans, names, strict=True), reverse=True):
        raw = raw[:start] + name.encode() + raw[end:]
    return raw.decode("utf-8"), names
