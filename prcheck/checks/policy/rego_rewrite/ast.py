"""regorus' AST as the rewrites read it, and the one way they edit source text.

Every rewrite works on the byte spans regorus reports, edits the source and
hands the new text to the engine: the module a user wrote stays the module
an OPA server receives, and positions in error messages stay on the user's
lines because no edit adds a line break.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, Sequence

import regorus


def term_node(term: Any) -> tuple[str, dict]:
    """A regorus AST term is `{"Kind": {...}}`."""
    if isinstance(term, dict) and len(term) == 1:
        (kind, body), = term.items()
        if isinstance(body, dict):
            return kind, body
    return "", {}


def queries(node: Any) -> Iterator[dict]:
    """Every query (rule bodies, else bodies, comprehension and `every` bodies)."""
    if isinstance(node, dict):
        if isinstance(node.get("stmts"), list):
            yield node
        for value in node.values():
            yield from queries(value)
    elif isinstance(node, list):
        for value in node:
            yield from queries(value)


def head_var(rule: dict) -> dict | None:
    """The Var node naming a rule (`violation` in `violation[{"msg": m}] { ... }`)."""
    spec = rule.get("Spec") or rule.get("Default") or {}
    heads = list((spec.get("head") or {}).values()) if "Spec" in rule else [spec]
    for head in heads:
        kind, ref = term_node(head.get("refr") if isinstance(head, dict) else None)
        while kind in ("RefDot", "RefBrack"):
            kind, ref = term_node(ref.get("refr"))
        if kind == "Var":
            return ref
    return None


def parse_ast(text: str, v0: bool) -> dict:
    """regorus' AST of one module; raises RuntimeError as regorus does when it does not parse."""
    engine = regorus.Engine()
    engine.set_rego_v0(v0)
    engine.add_policy("module.rego", text)
    return json.loads(engine.get_ast_as_json())[0]["ast"]


def apply_edits(text: str, edits: Sequence[tuple[int, int, bytes]]) -> str:
    """`text` with each (start, end, replacement) byte edit applied; edits must not overlap."""
    if not edits:
        return text
    raw = text.encode("utf-8")
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        raw = raw[:start] + replacement + raw[end:]
    return raw.decode("utf-8")
