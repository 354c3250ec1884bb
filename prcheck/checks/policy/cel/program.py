"""The part every CEL admission policy shares: match conditions, variables,
validations and audit annotations, compiled once and run in the API server's
order.

ValidatingAdmissionPolicy, Kyverno's ValidatingPolicy and `validate.cel`, and
Gatekeeper's K8sNativeValidation all follow the same recipe (Kyverno and
Gatekeeper reuse the API server's CEL admission library), so one
`CelProgram` and one `run` serve them all:
- `matchConditions` in order; any `false` → the policy does not apply; an
  error (and no `false`) → an error, which the failure policy turns into a
  rejection or a skip;
- `variables` in order, each seeing the ones before it; a variable whose
  evaluation fails is left out, so only expressions that use it fail (the
  API server evaluates variables lazily, with the same effect);
- `validations`: `false` → a violation with `messageExpression` (when it
  yields a non-empty string), else `message`, else `failed expression: …`;
  an error → an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prcheck.model import Document

from .runtime import CelCompileError, Program, Runtime
from .source import expand_definitions, inline_variables, lenient_optionals


@dataclass(frozen=True)
class Problem:
    """A compile error: the finding `policy/invalid` at the expression's line."""

    path: str
    line: int
    message: str


@dataclass
class Expr:
    program: Program
    source: str
    line: int
    inlined: bool = False  # variables were substituted: no need to bind them


class Compiler:
    """Compiles the expressions of one policy document, collecting problems with
    the line of the expression inside the file (block scalars add their own
    line offset)."""

    def __init__(self, runtime: Runtime, doc: Document, base: Sequence["str | int"] = ()) -> None:
        self.runtime, self.doc, self.base = runtime, doc, list(base)
        self.problems: list[Problem] = []

    def expr(self, source: Any, keypath: Sequence["str | int"], what: str = "expression",
             variables: "Mapping[str, str] | None" = None) -> "Expr | None":
        """Compile `source` as written (for its diagnostics), then as evaluated: with
        `variables` inlined and cel-go's lenient `orValue` (see `source.py`)."""
        line = self.doc.line_of([*self.base, *keypath])
        if not isinstance(source, str) or not source.strip():
            self.problems.append(Problem(self.doc.path, line, f"{what} must be a non-empty CEL string"))
            return None
        try:
            program = self.runtime.compile(source)
        except CelCompileError as exc:
            where = line + (exc.line - 1 if _is_block(self.doc, [*self.base, *keypath]) else 0)
            self.problems.append(Problem(self.doc.path, where, f"{what} does not compile: {exc.message}"
                                         + (f" (column {exc.column})" if exc.column else "")))
            return None
        evaluated = inline_variables(source, variables) if variables is not None else source
        if evaluated is None:
            return Expr(program, source, line)
        evaluated = lenient_optionals(evaluated)
        if evaluated != source:
            try:
                return Expr(self.runtime.compile(evaluated), source, line, inlined=variables is not None)
            except CelCompileError:
                pass
        return Expr(program, source, line, inlined=variables is not None)

    def error(self, keypath: Sequence["str | int"], message: str) -> None:
        self.problems.append(Problem(self.doc.path, self.doc.line_of([*self.base, *keypath]), message))


def _is_block(doc: Document, keypath: Sequence["str | int"]) -> bool:
    """A `|`/`>` scalar starts on the line after its key."""
    from prcheck.model import _child_node
    node = doc.node
    for key in keypath:
        child = _child_node(node, key) if node is not None else None
        if child is None:
            return False
        node = child[1]
    return getattr(node, "style", None) in ("|", ">")


@dataclass
class Validation:
    expression: Expr
    message: str = ""
    message_expression: "Expr | None" = None
    reason: str = "Invalid"


@dataclass
class CelProgram:
    match_conditions: list[tuple[str, Expr]] = field(default_factory=list)
    variables: list[tuple[str, Expr]] = field(default_factory=list)
    validations: list[Validation] = field(default_factory=list)
    audit_annotations: list[tuple[str, Expr]] = field(default_factory=list)

    _inlined: "bool | None" = None

    @property
    def inlined(self) -> bool:
        """Every expression reading variables has them substituted (see `source.py`)."""
        if self._inlined is None:
            own = {id(v) for _, v in self.variables}
            self._inlined = all(e.inlined for e in self.expressions() if id(e) not in own)
        return self._inlined

    def expressions(self) -> list[Expr]:
        found = [e for _, e in self.match_conditions] + [e for _, e in self.variables]
        for v in self.validations:
            found.append(v.expression)
            if v.message_expression is not None:
                found.append(v.message_expression)
        return found + [e for _, e in self.audit_annotations]


def compile_program(compiler: Compiler, spec: Mapping[str, Any], *, conditions_key: str = "matchConditions",
                    validations_key: str = "validations", variables_key: str = "variables") -> CelProgram:
    """The shared fields of a VAP / ValidatingPolicy / K8sNativeValidation spec."""
    program = CelProgram()
    definitions = variable_definitions(spec.get(variables_key))
    for key, target in ((conditions_key, program.match_conditions), (variables_key, program.variables)):
        for index, item in enumerate(_items(spec.get(key))):
            name = str(item.get("name") or "")
            if not name:
                compiler.error([key, index], f"{key}[{index}] needs a name")
            compiled = compiler.expr(item.get("expression"), [key, index, "expression"])
            if compiled is not None:
                target.append((name, compiled))
    for index, item in enumerate(_items(spec.get(validations_key))):
        validation = compile_validation(compiler, item, [validations_key, index], definitions)
        if validation is not None:
            program.validations.append(validation)
    for index, item in enumerate(_items(spec.get("auditAnnotations"))):
        compiled = compiler.expr(item.get("valueExpression"), ["auditAnnotations", index, "valueExpression"],
                                 "valueExpression", definitions)
        if compiled is not None:
            program.audit_annotations.append((str(item.get("key") or ""), compiled))
    return program


def variable_definitions(raw: Any) -> "dict[str, str] | None":
    """name → expression with earlier variables inlined; None when they cannot be inlined."""
    ordered = [(str(i.get("name") or ""), i.get("expression")) for i in _items(raw)]
    if any(not isinstance(text, str) for _, text in ordered):
        return None
    return expand_definitions(ordered)  # type: ignore[arg-type]


def compile_validation(compiler: Compiler, item: Mapping[str, Any], where: list,
                       definitions: "Mapping[str, str] | None" = None) -> "Validation | None":
    expression = compiler.expr(item.get("expression"), [*where, "expression"], variables=definitions)
    message_expression = None
    if item.get("messageExpression") is not None:
        message_expression = compiler.expr(item.get("messageExpression"), [*where, "messageExpression"],
                                           "messageExpression", definitions)
    if expression is None:
        return None
    return Validation(expression, str(item.get("message") or ""), message_expression,
                      str(item.get("reason") or "Invalid"))


def _items(raw: Any) -> list[dict]:
    return [item for item in raw if isinstance(item, dict)] if isinstance(raw, list) else []


@dataclass
class Violation:
    message: str
    reason: str
    expression: str


@dataclass
class Verdict:
    status: str  # pass | fail | skip | error
    violations: list[Violation] = field(default_factory=list)
    error: str = ""
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return "; ".join(v.message for v in self.violations) or self.error


def check_conditions(runtime: Runtime, conditions: Sequence[tuple[str, Expr]], activation: Any) -> "Verdict | None":
    """None when every condition holds; a `skip` or `error` verdict otherwise."""
    errors = []
    for name, expr in conditions:
        outcome = expr.program.run(activation)
        if not outcome.ok:
            errors.append(f"matchCondition '{name}': {outcome.error}")
        elif outcome.value is not True:
            if outcome.value is not False:
                errors.append(f"matchCondition '{name}' must evaluate to bool, got {type(outcome.value).__name__}")
                continue
            return Verdict("skip")
    return Verdict("error", error="; ".join(errors)) if errors else None


def bind_variables(runtime: Runtime, variables: Sequence[tuple[str, Expr]], bindings: dict[str, Any],
                   preset: "Mapping[str, Any] | None" = None) -> dict[str, Any]:
    """`bindings` with `variables` filled in order (failed ones left out)."""
    values: dict[str, Any] = dict(preset or {})
    bound = {**bindings, "variables": values}
    for name, expr in variables:
        outcome = expr.program.run(runtime.activation(bound))
        if outcome.ok:
            values[name] = outcome.value
            bound = {**bindings, "variables": dict(values)}
    return bound


def run(runtime: Runtime, program: CelProgram, bindings: dict[str, Any],
        preset_variables: "Mapping[str, Any] | None" = None, conditions: bool = True,
        activation: Any = None) -> Verdict:
    """Evaluate one policy against one request's bindings. `activation`: the same
    bindings already bound, shared by the policies that need nothing more."""
    if program.variables and not program.inlined:
        bindings = bind_variables(runtime, program.variables, bindings, preset_variables)
        activation = None
    elif preset_variables:
        bindings = {**bindings, "variables": dict(preset_variables)}
        activation = None
    if activation is None:
        activation = runtime.activation(bindings)
    if conditions and program.match_conditions:
        verdict = check_conditions(runtime, program.match_conditions, activation)
        if verdict is not None:
            return verdict
    violations, errors = [], []
    for validation in program.validations:
        outcome = validation.expression.program.run(activation)
        if not outcome.ok:
            errors.append(f"expression '{_one_line(validation.expression.source)}' resulted in error: {outcome.error}")
        elif outcome.value is False:
            violations.append(Violation(_message(validation, activation), validation.reason,
                                        validation.expression.source))
        elif outcome.value is not True:
            errors.append(f"expression '{_one_line(validation.expression.source)}' must evaluate to bool")
    annotations = {}
    for key, expr in program.audit_annotations:
        outcome = expr.program.run(activation)
        if not outcome.ok:
            errors.append(f"auditAnnotation '{key}': {outcome.error}")
        elif isinstance(outcome.value, str):
            if outcome.value:  # null or an empty string: the API server records nothing
                annotations[key] = outcome.value
        elif outcome.value is not None:
            errors.append(f"auditAnnotation '{key}': valueExpression must evaluate to a string or null")
    if violations:  # a denial stands even when another validation errored, as in the API server
        return Verdict("fail", violations, "; ".join(errors), annotations)
    if errors:
        return Verdict("error", violations, "; ".join(errors), annotations)
    return Verdict("pass", annotations=annotations)


def _message(validation: Validation, activation: Any) -> str:
    if validation.message_expression is not None:
        outcome = validation.message_expression.program.run(activation)
        if outcome.ok and isinstance(outcome.value, str) and outcome.value.strip():
            return " ".join(outcome.value.split("\n")).strip()
    if validation.message:
        return validation.message
    return f"failed expression: {_one_line(validation.expression.source)}"


def _one_line(text: str) -> str:
    return " ".join(text.split())
