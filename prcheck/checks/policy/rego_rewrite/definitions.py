"""Keep a failing built-in from taking every other result of a rule down with it.

OPA evaluates without strict built-in errors by default (Gatekeeper always
does), so a built-in that fails (`to_number("1.5x")`, `units.parse_bytes("lots")`)
makes its expression undefined: that one definition of `violation` or `deny`
produces nothing and the others still count. The same holds for a call
prcheck refuses (`http.send`). regorus (this build has no switch for it)
aborts the whole query instead. When that happens, the rule is queried again
one definition at a time, each renamed apart, and a definition that still
fails contributes nothing, as under OPA. The second engine is built only on
the first failure, so policies that never fail pay nothing for it.
"""

from __future__ import annotations

from prcheck.checks.policy.rego_rewrite.ast import head_var, parse_ast

PREFIX = "__prcheck_"


def rename_definitions(text: str, v0: bool, rule: str = "violation", start: int = 0) -> tuple[str, list[str]]:
    """Each definition of `rule` under its own name; returns the text and the new names.

    `start` numbers the names on, for a rule defined in several modules of a package.
    """
    raw = text.encode("utf-8")
    spans = []
    for definition in parse_ast(text, v0).get("rules") or []:
        if "Spec" not in definition:
            continue
        var = head_var(definition)
        if var is not None and var.get("value") == rule:
            spans.append((var["span"]["start"], var["span"]["end"]))
    names = [f"{PREFIX}{rule}_{index}__" for index in range(start, start + len(spans))]
    for (start_at, end), name in sorted(zip(spans, names, strict=True), reverse=True):
        raw = raw[:start_at] + name.encode() + raw[end:]
    return raw.decode("utf-8"), names
