"""Give names declared in a nested body the scope OPA gives them.

OPA's compiler (`rewriteLocalVars`) opens a new scope for every comprehension
and `every` body: a name declared there with `some`, `some ... in` or `:=`
is a new variable, even when the enclosing rule body already has one of the
same name, so

    some i
    input.a[i] > 0
    names := [n | some i; n := input.b[i].name]

collects every `input.b[_].name`, whatever `i` the outer body is at. regorus
reads the inner `some i` as the outer `i` (the rule then yields one value per
outer `i` and fails with "rules must not produce multiple outputs"), and
refuses `some i, v in ...` in a comprehension when `i` exists outside
("used before definition"). Renaming each such inner declaration, and the
uses it governs, to a fresh name is exactly OPA's rewrite; names that do not
occur outside the nested body are left alone, so ordinary modules (and their
error messages) are unchanged.
"""

from __future__ import annotations

from typing import Any, Iterator

from prcheck.checks.policy.rego_rewrite.ast import apply_edits, parse_ast, term_node

_COMPREHENSIONS = ("ArrayCompr", "SetCompr", "ObjectCompr")
_PREFIX = "__prcheck_"


def _span_text(raw: bytes, span: dict) -> str:
    return raw[span["start"]:span["end"]].decode("utf-8")


def mentions(node: Any, raw: bytes) -> Iterator[tuple[str, int]]:
    """(name, offset) of every variable mention: Var terms, `some` and `every` declarations."""
    if isinstance(node, list):
        for item in node:
            yield from mentions(item, raw)
        return
    if not isinstance(node, dict):
        return
    kind, body = term_node(node)
    if kind == "Var":
        yield str(body.get("value")), body["span"]["start"]
        return
    if kind == "Call":
        yield from mentions(body.get("params"), raw)  # the function's name is no variable
        return
    if kind == "SomeVars":
        for span in body.get("vars") or []:
            yield _span_text(raw, span), span["start"]
    if kind == "Every":
        for span in (body.get("key"), body.get("value")):
            if isinstance(span, dict):
                yield _span_text(raw, span), span["start"]
    for value in node.values():
        yield from mentions(value, raw)


def pattern_vars(term: Any) -> Iterator[str]:
    """Names a `:=` left-hand side or a `some ... in` key/value declares."""
    kind, body = term_node(term)
    if kind == "Var" and body.get("value") != "_":
        yield str(body.get("value"))
    elif kind == "Array":
        for item in body.get("items") or []:
            yield from pattern_vars(item)
    elif kind == "Object":
        for field in body.get("fields") or []:
            yield from pattern_vars(field[-1])


def _declared(query: dict, raw: bytes) -> set[str]:
    """Names the statements of one body declare in that body's own scope."""
    names: set[str] = set()
    for stmt in query.get("stmts") or []:
        kind, literal = term_node(stmt.get("literal"))
        if kind == "SomeVars":
            names.update(_span_text(raw, span) for span in literal.get("vars") or [])
        elif kind == "SomeIn":
            for term in (literal.get("key"), literal.get("value")):
                names.update(pattern_vars(term))
        elif kind == "Expr":
            expr_kind, expr = term_node(literal.get("expr"))
            if expr_kind == "AssignExpr" and expr.get("op") == "ColEq":
                names.update(pattern_vars(expr.get("lhs")))
    names.discard("_")
    return names


class _Renamer:
    def __init__(self, raw: bytes, rule: dict) -> None:
        self.raw = raw
        self.mentions = list(mentions(rule, raw))
        self.edits: list[tuple[int, int, bytes]] = []
        self.counter = 0

    def _seen_outside(self, name: str, span: dict) -> bool:
        return any(n == name and not span["start"] <= at < span["end"] for n, at in self.mentions)

    def _scope(self, query: dict, span: dict, renames: dict[str, str], hidden: set[str]) -> dict[str, str]:
        """The names in force inside a nested body: its own declarations renamed when
        the same name is used outside it, `every`'s own key/value no longer renamed."""
        inner = {k: v for k, v in renames.items() if k not in hidden}
        for name in sorted(_declared(query, self.raw)):
            if self._seen_outside(name, span):
                inner[name] = f"{_PREFIX}{name}_{self.counter}"
                self.counter += 1
            else:
                inner.pop(name, None)
        return inner

    def walk(self, node: Any, renames: dict[str, str]) -> None:
        if isinstance(node, list):
            for item in node:
                self.walk(item, renames)
            return
        if not isinstance(node, dict):
            return
        kind, body = term_node(node)
        if kind == "Var":
            new = renames.get(str(body.get("value")))
            if new:
                self.edits.append((body["span"]["start"], body["span"]["end"], new.encode()))
            return
        if kind == "Call":
            self.walk(body.get("params"), renames)
            return
        if kind == "SomeVars":
            for span in body.get("vars") or []:
                new = renames.get(_span_text(self.raw, span))
                if new:
                    self.edits.append((span["start"], span["end"], new.encode()))
            return
        if kind in _COMPREHENSIONS:
            inner = self._scope(body["query"], body["span"], renames, set())
            for key in ("term", "key", "value", "query"):
                self.walk(body.get(key), inner)
            return
        if kind == "Every":
            hidden = {_span_text(self.raw, s) for s in (body.get("key"), body.get("value")) if isinstance(s, dict)}
            self.walk(body.get("domain"), renames)
            self.walk(body.get("query"), self._scope(body["query"], body["span"], renames, hidden))
            return
        for value in node.values():
            self.walk(value, renames)


def scope_nested_declarations(text: str, v0: bool, ast: dict | None = None) -> str:
    """The module with each nested redeclaration renamed apart, as OPA scopes it.

    `ast` is regorus' AST of `text` when the caller has it. Returns `text`
    unchanged when no nested body redeclares an outer name.
    """
    raw = text.encode("utf-8")
    edits: list[tuple[int, int, bytes]] = []
    for rule in (ast if ast is not None else parse_ast(text, v0)).get("rules") or []:
        renamer = _Renamer(raw, rule)
        renamer.walk(rule, {})
        edits.extend(renamer.edits)
    return apply_edits(text, edits)
