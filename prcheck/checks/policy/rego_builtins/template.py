"""`strings.render_template`: the part of Go's text/template that policies use.

OPA renders with Go's text/template and `missingkey=error`. Supported here:
text, `{{ pipeline }}` printing a field chain (`.a.b`), `.`, a `$variable`
or a literal; `if`/`else if`/`else`, `range` (with `$i, $v :=`), `with`,
`end`, comments and the `{{-`/`-}}` whitespace trims. Values print as Go's
`fmt` prints decoded JSON (`[a b]`, `map[k:v]`, `<nil>`). Any other action
(functions, pipes, `define`/`template`) is an error naming the action,
never a silently different rendering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from prcheck.checks.policy.kyverno.gofmt import sprint
from prcheck.checks.policy.rego_builtins.operands import BuiltinError, need

NAME = "strings.render_template"
_ACTION = re.compile(r"{{(-\s)?(.*?)(\s-)?}}", re.DOTALL)
_RANGE_VARS = re.compile(r"^(\$\w+)(?:\s*,\s*(\$\w+))?\s*:=\s*(.+)$", re.DOTALL)


@dataclass
class _Node:
    kind: str  # text, print, if, range, with
    arg: Any = None
    body: list["_Node"] = field(default_factory=list)
    orelse: list["_Node"] = field(default_factory=list)


def _tokens(template: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    trim_next = False
    for match in _ACTION.finditer(template):
        text = template[pos:match.start()]
        if trim_next:
            text = text.lstrip()
        if match.group(1):
            text = text.rstrip()
        out.append(("text", text))
        out.append(("action", match.group(2).strip()))
        trim_next = bool(match.group(3))
        pos = match.end()
    tail = template[pos:]
    out.append(("text", tail.lstrip() if trim_next else tail))
    return out


def _parse(tokens: list[tuple[str, str]], index: int, stop: tuple[str, ...]) -> tuple[list[_Node], int, str]:
    nodes: list[_Node] = []
    while index < len(tokens):
        kind, value = tokens[index]
        index += 1
        if kind == "text":
            if value:
                nodes.append(_Node("text", value))
            continue
        word = value.split(None, 1)[0] if value else ""
        if value.startswith("/*"):
            continue
        if word in ("end", "else"):
            if word not in stop:
                raise BuiltinError(f"{NAME}: template: unexpected {{{{{word}}}}}")
            return nodes, index, value
        if word in ("if", "range", "with"):
            node, index = _block(word, value[len(word):].strip(), tokens, index)
            nodes.append(node)
            continue
        if word in ("define", "template", "block", "break", "continue") or "|" in value:
            raise BuiltinError(f"{NAME}: template action not supported: {{{{{value}}}}}")
        nodes.append(_Node("print", value))
    if stop:
        raise BuiltinError(f"{NAME}: template: unexpected EOF")
    return nodes, index, ""


def _block(word: str, arg: str, tokens: list[tuple[str, str]], index: int) -> tuple[_Node, int]:
    """An `if`/`range`/`with` up to its `end`; `else if X` nests an `if` sharing that `end`."""
    node = _Node(word, arg)
    node.body, index, ended = _parse(tokens, index, ("end", "else"))
    if ended.startswith("else"):
        rest = ended[4:].strip()
        if rest.startswith("if ") and word == "if":
            inner, index = _block("if", rest[3:].strip(), tokens, index)
            node.orelse = [inner]
        else:
            node.orelse, index, _ = _parse(tokens, index, ("end",))
    return node, index


def _lookup(path: str, dot: Any, variables: dict[str, Any]) -> Any:
    text = path.strip()
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        return text[1:-1]
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d*\.\d+", text):
        return float(text)
    if text in ("true", "false"):
        return text == "true"
    if text.startswith("$"):
        head, _, rest = text.partition(".")
        if head not in variables:
            raise BuiltinError(f"{NAME}: template: undefined variable {head}")
        value, fields = variables[head], [f for f in rest.split(".") if f]
    elif text.startswith("."):
        value, fields = dot, [f for f in text.split(".") if f]
    else:
        raise BuiltinError(f"{NAME}: template action not supported: {{{{{text}}}}}")
    for name in fields:
        if not isinstance(value, dict):
            raise BuiltinError(f"{NAME}: template: can't evaluate field {name}")
        if name not in value:
            raise BuiltinError(f'{NAME}: template: map has no entry for key "{name}"')
        value = value[name]
    return value


def _truthy(value: Any) -> bool:
    return not (value is None or value is False or value == 0 and not isinstance(value, bool)
                or (isinstance(value, (str, list, dict, set, frozenset)) and not value))


def go_format(value: Any) -> str:
    """fmt's %v for a value decoded from JSON (a Rego set prints as its sorted array)."""
    if isinstance(value, (set, frozenset)):
        value = sorted(value, key=str)
    return sprint(value)


def _render(nodes: list[_Node], dot: Any, variables: dict[str, Any], out: list[str]) -> None:
    for node in nodes:
        if node.kind == "text":
            out.append(node.arg)
        elif node.kind == "print":
            out.append(go_format(_lookup(node.arg, dot, variables)))
        elif node.kind in ("if", "with"):
            value = _lookup(node.arg, dot, variables)
            if _truthy(value):
                _render(node.body, value if node.kind == "with" else dot, variables, out)
            else:
                _render(node.orelse, dot, variables, out)
        else:
            _range(node, dot, variables, out)


def _range(node: _Node, dot: Any, variables: dict[str, Any], out: list[str]) -> None:
    names = _RANGE_VARS.match(node.arg)
    expr = names.group(3) if names else node.arg
    value = _lookup(expr, dot, variables)
    if isinstance(value, dict):
        items = sorted(value.items())
    elif isinstance(value, (list, tuple)):
        items = list(enumerate(value))
    elif isinstance(value, (set, frozenset)):
        items = list(enumerate(sorted(value, key=str)))
    elif value is None:
        items = []
    else:
        raise BuiltinError(f"{NAME}: template: range can't iterate over {go_format(value)}")
    if not items:
        _render(node.orelse, dot, variables, out)
    for key, item in items:
        scope = dict(variables)
        if names:
            if names.group(2):
                scope[names.group(1)], scope[names.group(2)] = key, item
            else:
                scope[names.group(1)] = item
        _render(node.body, item, scope, out)


def render_template(template: Any, variables: Any) -> str:
    need(NAME, 1, template, "string")
    need(NAME, 2, variables, "object")
    nodes, _, _ = _parse(_tokens(template), 0, ())
    out: list[str] = []
    _render(nodes, variables, {"$": variables}, out)
    return "".join(out)
