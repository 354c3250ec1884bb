"""`{{ ... }}` variables: JMESPath queries against the rule context.

Two behaviours matter for agreeing with Kyverno:

- a plain path whose key is missing (`{{ request.object.metadata.labels.team }}`)
  is an error ("Unknown key"), not null, as in Kyverno's JMESPath fork; inside
  `||`, filters and function calls missing keys are null, so the usual
  `{{ x || '' }}` defaults work;
- in conditions any failing variable becomes `""` (Kyverno's preconditions
  resolver), while in patterns and context entries it is an error.

A variable filling the whole string keeps its type (a list stays a list);
inside a larger string it is printed as Go's `json.Marshal` would. Nested
variables (`{{ a.\"{{ b }}\" }}`) resolve innermost first; `\\{{` escapes.
Compiled expressions are cached per `Jmes` instance, which an engine owns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jmespath
from jmespath import visitor
from jmespath.exceptions import JMESPathError

from .functions import KyvernoFunctions
from .gofmt import marshal
from .jmescompile import Compiler

VARIABLE = re.compile(r"(?<!\\)\{\{(?:\{[^{}]*\}|[^{}])*\}\}")
ESCAPED = re.compile(r"\\\{\{(?:\{[^{}]*\}|[^{}])*\}\}")
_MAX_ROUNDS = 64


class QueryError(Exception):
    """A variable that cannot be resolved."""


class NotFound(QueryError):
    """Kyverno's `Unknown key "x" in path`."""


@dataclass(frozen=True)
class Query:
    text: str
    run: Callable[[Any], Any]
    path: "tuple[tuple[str, Any], ...] | None"  # set for plain field/index paths


def _plain_path(ast: dict) -> "tuple[tuple[str, Any], ...] | None":
    kind = ast.get("type")
    if kind == "field":
        return (("field", ast["value"]),)
    if kind == "subexpression":
        steps: list[tuple[str, Any]] = []
        for child in ast["children"]:
            part = _plain_path(child)
            if part is None:
                return None
            steps.extend(part)
        return tuple(steps)
    if kind == "index_expression":
        left, right = ast["children"]
        base = _plain_path(left)
        if base is None or right.get("type") != "index":
            return None
        return base + (("index", right["value"]),)
    return None


def _missing_key(path: "tuple[tuple[str, Any], ...]", data: Any) -> "str | None":
    """The first map key of `path` absent from `data`, walking as Kyverno's fork does."""
    current = data
    for step, arg in path:
        if step == "field":
            if not isinstance(current, dict):
                return None
            if arg not in current:
                return arg
            current = current[arg]
        else:
            if not isinstance(current, list):
                return None
            try:
                current = current[arg]
            except IndexError:
                return None
    return None


class Jmes:
    """JMESPath with Kyverno's functions, compiling each expression once."""

    def __init__(self) -> None:
        self._cache: dict[str, Query] = {}
        self._compiler = Compiler(visitor.TreeInterpreter(jmespath.Options(custom_functions=KyvernoFunctions())))

    def compile(self, text: str) -> Query:
        query = self._cache.get(text)
        if query is None:
            stripped = text.strip()
            if not stripped:
                raise QueryError("invalid query (empty)")
            try:
                ast = jmespath.compile(stripped).parsed
            except JMESPathError as exc:
                raise QueryError(f"incorrect query {stripped}: {exc}") from None
            query = Query(stripped, self._compiler.compile(ast), _plain_path(ast))
            self._cache[text] = query
        return query

    def search(self, text: str, data: Any) -> Any:
        query = self.compile(text)
        try:
            result = query.run(data)
        except JMESPathError as exc:
            raise QueryError(f"JMESPath query failed: {exc}") from None
        except (TypeError, ValueError, ArithmeticError, AttributeError, KeyError, IndexError) as exc:
            raise QueryError(f"JMESPath query failed: {exc}") from None
        if result is None and query.path is not None:
            missing = _missing_key(query.path, data)
            if missing is not None:
                raise NotFound(f'Unknown key "{missing}" in path')
        return result


Resolver = Callable[[str, str], Any]  # (expression, document path) -> value


def strict_resolver(jmes: Jmes, context: dict) -> Resolver:
    """Patterns, messages, context entries: an unresolved variable is an error."""
    delete = _operation(context) == "DELETE"

    def resolve(expression: str, path: str) -> Any:
        expression = _rewrite(expression, path, delete)
        try:
            return jmes.search(expression, context)
        except QueryError as exc:
            raise QueryError(f"failed to resolve {expression} at path {path}: {exc}") from None

    return resolve


def lenient_resolver(jmes: Jmes, context: dict) -> Resolver:
    """Conditions: an unresolved variable is an empty string."""
    delete = _operation(context) == "DELETE"

    def resolve(expression: str, path: str) -> Any:
        try:
            return jmes.search(_rewrite(expression, path, delete), context)
        except QueryError:
            return ""

    return resolve


def _operation(context: dict) -> Any:
    request = context.get("request")
    return request.get("operation") if isinstance(request, dict) else None


def _rewrite(expression: str, path: str, delete: bool) -> str:
    if expression == "@":
        steps = [p for p in path.strip("/").split("/") if p]
        expression = "request.object" + "".join(f"[{p}]" if p.isdigit() else f'."{p}"' for p in steps)
    if delete:
        expression = expression.replace("request.object", "request.oldObject")
    return expression


def has_variables(document: Any) -> bool:
    if isinstance(document, str):
        return "{{" in document
    if isinstance(document, dict):
        return any(has_variables(k) or has_variables(v) for k, v in document.items())
    if isinstance(document, list):
        return any(has_variables(v) for v in document)
    return False


def substitute_string(text: str, resolve: Resolver, path: str = "") -> Any:
    """One string: whole-string variables keep their type, others are interpolated."""
    if "{{" not in text:
        return text
    if text.startswith("{{") and text.count("{{") == 1 and VARIABLE.fullmatch(text):
        return resolve(text[2:-2].strip(), path)
    value: Any = text
    for _ in range(_MAX_ROUNDS):
        found = list(VARIABLE.finditer(value))
        if not found:
            break
        original = value
        for match in found:
            token = match.group(0)
            resolved = resolve(token[2:-2].strip(), path)
            if token == original:
                return resolved
            value = value.replace(token, resolved if isinstance(resolved, str) else marshal(resolved), 1)
    else:
        raise QueryError(f"variable substitution did not terminate at path {path}")
    return ESCAPED.sub(lambda m: m.group(0)[1:], value)


def substitute(document: Any, resolve: Resolver, path: str = "") -> Any:
    """Every string value and key of a JSON-like document; returns a new document."""
    if isinstance(document, str):
        return substitute_string(document, resolve, path)
    if isinstance(document, dict):
        result = {}
        for key, value in document.items():
            new_key = substitute_string(key, resolve, path) if isinstance(key, str) and "{{" in key else key
            if not isinstance(new_key, str):
                new_key = marshal(new_key)
            result[new_key] = substitute(value, resolve, f"{path}/{new_key}")
        return result
    if isinstance(document, list):
        return [substitute(item, resolve, f"{path}/{i}") for i, item in enumerate(document)]
    return document
