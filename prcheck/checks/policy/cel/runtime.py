"""The CEL runtime prcheck evaluates every CEL policy with: cel-expr-python (cel-cpp).

One `Runtime` holds one environment with the Kubernetes extensions and
libraries, and a cache of compiled programs keyed by source text, so each
expression is parsed and checked once per run however many resources,
bindings or environments it meets. Every variable an admission or CRD
expression may read is declared `dyn`: prcheck has no OpenAPI types for the
objects it checks, so type errors the API server finds against a schema
surface here as evaluation errors instead (see docs/cel.md).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any, Mapping

from cel_expr_python import cel
from cel_expr_python.ext import ext_bindings, ext_encoders, ext_math, ext_optional, ext_strings

from . import ast
from .library import compat, declarations

# Every name an expression may read. Unbound names evaluate to an error, which
# is what the API server reports for a variable the context does not offer.
VARIABLES = (
    "object", "oldObject", "request", "params", "namespaceObject", "authorizer", "variables",
    "self", "oldSelf", "oldSelfList", "anyObject",  # CRD rules; Gatekeeper's predefined variable is variables.anyObject
    "resource", "image", "imagedata", "http", "globalContext", "time", "exceptions",  # Kyverno libraries
)

_ERROR = cel.Type.ERROR
_LOCATION = re.compile(r"<input>:(\d+):(\d+): (.*)")
# Two-variable comprehensions (cel-go's TwoVarComprehensions, in Kubernetes from
# 1.33) are a compiler library the binding registers by name only.
_CONFIG = "extensions:\n  - name: two-var-comprehensions\n"


class CelCompileError(Exception):
    """A syntax or type error; `line`/`column` are 1-based inside the expression."""

    def __init__(self, message: str, line: int = 1, column: int = 0) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


@dataclass(frozen=True)
class Outcome:
    """One evaluation: `value` (plain Python) or `error` (the runtime's message)."""

    value: Any = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


class Program:
    """A compiled expression; `run` never raises."""

    __slots__ = ("source", "_expr")

    def __init__(self, source: str, expr: Any) -> None:
        self.source, self._expr = source, expr

    def run(self, activation: Any) -> Outcome:
        try:
            result = self._expr.eval(activation)
            value = result.plain_value()
        except (RuntimeError, TypeError, ValueError, AssertionError) as exc:
            return Outcome(error=_short(str(exc)))
        if isinstance(value, str) and result.type() == _ERROR:  # an error's plain value is its message
            return Outcome(error=_short(value))
        return Outcome(value=value)


def _short(message: str) -> str:
    """`INVALID_ARGUMENT: divide by zero [INVALID_ARGUMENT]` → `divide by zero`."""
    message = re.sub(r"\s*\[[A-Z_]+\]\s*$", "", message.strip())
    message = re.sub(r"^[A-Z_]+: ", "", message)
    return message


class Runtime:
    """The Kubernetes CEL environment plus a compile cache; one per engine and run."""

    def __init__(self, authorizer_rules: "tuple[dict, ...]" = ()) -> None:
        self.authorizer_rules = authorizer_rules
        self.store: dict[str, Any] = {}  # data the Kyverno library lookups answer from (library/kyverno.py)
        self._env = cel.NewEnv(
            config=cel.NewEnvConfigFromYaml(_CONFIG),
            variables={name: cel.Type.DYN for name in VARIABLES},
            extensions=[ext_strings.ExtStrings(), ext_optional.ExtOptional(), ext_bindings.ExtBindings(),
                        ext_math.ExtMath(), ext_encoders.ExtEncoders()],
            functions=declarations(self.store),
        )
        self._programs: dict[str, "Program | CelCompileError"] = {}
        self.compiled = 0

    def compile(self, source: str) -> Program:
        """The program for `source`, compiled on first use; raises `CelCompileError`."""
        found = self._programs.get(source)
        if found is None:
            try:
                found = Program(source, self._compile(source))
                self.compiled += 1
            except RuntimeError as exc:
                found = _compile_error(str(exc))
            self._programs[source] = found
        if isinstance(found, CelCompileError):
            raise found
        return found

    def _compile(self, source: str) -> Any:
        """Checked when the checker can know every overload; otherwise (a list's
        `indexOf`, `string(ip)`) parsed only. Then the calls the binding cannot
        serve directly are routed to host functions (library/compat.py)."""
        unchecked = False
        try:
            expr = self._env.compile(source)
        except RuntimeError as exc:
            if not _curable(str(exc)):
                raise
            expr = self._env.compile(source, disable_check=True)
            unchecked = True
        serialized = expr.serialize()
        if not unchecked and not compat.needs_rewrite(serialized):
            return expr
        return self._env.deserialize(ast.rewrite(serialized, lambda call, b: compat.rule(call, b, unchecked)))

    def activation(self, data: Mapping[str, Any]) -> Any:
        """Bind variables for a batch of evaluations (conversion is lazy and cheap);
        pass values through `plain` once per object first."""
        return self._env.Activation(data)


_CURABLE = re.compile(r"found no matching overload for '(%s)'" % "|".join(compat.CURABLE))


def _curable(text: str) -> bool:
    """Every error is a missing overload of a name library/compat.py serves."""
    messages = [m.group(3) for m in _LOCATION.finditer(text)]
    return bool(messages) and all(_CURABLE.match(m) for m in messages)


def _compile_error(text: str) -> CelCompileError:
    """The first error prcheck could not have cured (else the first)."""
    found = list(_LOCATION.finditer(text))
    first = next((m for m in found if not _CURABLE.match(m.group(3))), found[0] if found else None)
    if first is None:
        return CelCompileError(_short(text))
    message = first.group(3).strip()
    return CelCompileError(message, int(first.group(1)), int(first.group(2)))


def plain(value: Any) -> Any:
    """The object as CEL can take it: YAML dates and timestamps become the RFC 3339
    strings Kubernetes would have stored, keys become strings. Nulls stay (Kyverno
    and the API server's unstructured path keep them). Returns `value` itself when
    nothing changes, so the common case allocates nothing."""
    if isinstance(value, dict):
        changed = False
        out = {}
        for key, item in value.items():
            new = plain(item)
            changed = changed or new is not item or not isinstance(key, str)
            out[str(key)] = new
        return out if changed else value
    if isinstance(value, list):
        items = [plain(v) for v in value]
        return items if any(a is not b for a, b in zip(items, value)) else value
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value
