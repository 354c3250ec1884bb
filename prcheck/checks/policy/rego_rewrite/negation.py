"""Give `not` the meaning OPA gives it when an operand is undefined.

OPA's compiler rewrites every rule body before evaluation
(`rewriteExprTerms`, then `rewriteDynamicTerms`): nested calls and the
reference operands of a call are bound to fresh variables in expressions
placed *before* the expression that uses them, and those expressions are not
negated. So in OPA

    not accept_value(rule, value, params.ranges)

is `__local0__ = params.ranges; not accept_value(rule, value, __local0__)`,
which fails (no violation) when `params.ranges` is undefined. regorus
evaluates the negation as written, so an undefined operand makes the `not`
true and the template reports a violation gatekeeper never would
(gatekeeper-library's psp users template, allowed case, is one).

This module performs OPA's rewrite at the source level for negated
expressions only (for the others, hoisting cannot change the outcome), using
the byte spans of the AST regorus gives. A `not` that carries `with` is left
as written: its hoisted operands would need the same modifiers.
"""

from __future__ import annotations

from typing import Any, Iterator

from prcheck.checks.policy.rego_rewrite.ast import apply_edits, head_var, parse_ast, queries, term_node

_HOISTED = {"RefDot", "RefBrack", "Call", "ArrayCompr", "SetCompr", "ObjectCompr"}
_PREFIX = "__prcheck_not"


def _operands(expr: Any) -> list[Any]:
    """The terms OPA treats as call operands in a negated expression."""
    kind, body = term_node(expr)
    if kind == "Call":
        return list(body.get("params") or [])
    if kind in ("BoolExpr", "ArithExpr", "BinExpr"):
        return [body.get("lhs"), body.get("rhs")]
    if kind == "Membership":
        return [body.get("key"), body.get("value"), body.get("collection")]
    if kind in ("RefDot", "RefBrack"):
        return _ref_operands(kind, body)
    return []


def _ref_operands(kind: str, body: dict) -> list[Any]:
    """A negated reference keeps its path; only a computed index or a call at its root moves out."""
    found = []
    while kind in ("RefDot", "RefBrack"):
        if kind == "RefBrack":
            found.append(body.get("index"))
        kind, body_next = term_node(body.get("refr"))
        if kind == "Call":
            found.append(body.get("refr"))
        body = body_next
    return [t for t in found if term_node(t)[0] in _HOISTED]


def _hoistable(term: Any, globals_: set[str]) -> Iterator[dict]:
    """Outermost subterms OPA binds first: refs, calls, comprehensions, rule names."""
    kind, body = term_node(term)
    if kind in _HOISTED or (kind == "Var" and body.get("value") in globals_):
        yield body
    elif kind in ("Array", "Set"):
        for item in body.get("items") or []:
            yield from _hoistable(item, globals_)
    elif kind == "Object":
        for field in body.get("fields") or []:
            for item in field[1:]:
                yield from _hoistable(item, globals_)


def _globals(ast: dict, raw: bytes) -> set[str]:
    """Names that resolve to `data` references: the package's rules and the imports."""
    names = {"input", "data"}
    for rule in ast.get("rules") or []:
        var = head_var(rule)
        if var is not None:
            names.add(str(var.get("value")))
    for imp in ast.get("imports") or []:
        span, (kind, ref) = imp.get("as"), term_node(imp.get("refr"))
        if isinstance(span, dict):
            names.add(raw[span["start"]:span["end"]].decode("utf-8"))
        elif kind == "RefDot" and _root(ref) not in ("future", "rego"):
            names.add(ref["field"][1])
    return names


def _root(ref: dict) -> str:
    kind, body = "RefDot", ref
    while kind in ("RefDot", "RefBrack"):
        kind, body = term_node(body.get("refr"))
    return body.get("value", "") if kind == "Var" else ""


def _edits(ast: dict, raw: bytes) -> list[tuple[int, int, bytes]]:
    globals_ = _globals(ast, raw)
    edits: list[tuple[int, int, bytes]] = []
    counter = 0
    for query in queries(ast):
        # A rule body is braced and a comprehension body's span starts at its `|`;
        # only a one-expression `p if expr` body needs braces added.
        braced = raw[query["span"]["start"]:query["span"]["start"] + 1] in (b"{", b"|")
        for stmt in query["stmts"]:
            kind, negated = term_node(stmt.get("literal"))
            if kind != "NotExpr" or stmt.get("with_mods"):
                continue
            moved = [t for op in _operands(negated.get("expr")) for t in _hoistable(op, globals_)]
            if not moved:
                continue
            binds = []
            for term in moved:
                span = term["span"]
                name = f"{_PREFIX}{counter}__".encode()
                counter += 1
                binds.append(name + b" := " + raw[span["start"]:span["end"]] + b"; ")
                edits.append((span["start"], span["end"], name))
            start = stmt["span"]["start"]
            edits.append((start, start, (b"" if braced else b"{ ") + b"".join(binds)))
            if not braced:
                edits.append((stmt["span"]["end"], stmt["span"]["end"], b" }"))
    return edits


def hoist_negated_operands(text: str, v0: bool, ast: dict | None = None) -> str:
    """The module with OPA's operand binding spelled out in front of each affected `not`.

    `ast` is regorus' AST of `text` when the caller has it already. Returns
    `text` unchanged when nothing needs to move; raises RuntimeError as
    regorus does when `text` does not parse.
    """
    raw = text.encode("utf-8")
    return apply_edits(text, _edits(ast if ast is not None else parse_ast(text, v0), raw))
