"""Running one compiled rule against one resource context.

The order is Kyverno's validator: load context entries, check preconditions
(skip when false), then `deny`, `pattern`/`anyPattern` or `foreach`. The
outcome is one of pass / fail / skip / error with Kyverno's message, so the
`kyverno test` comparison and the findings read like the real engine's.
Foreach keeps Kyverno's quirks: null elements are ignored, an error on any
but the last element is ignored, a list where every element was skipped
skips the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .context import add_variable, add_variables, resource_of, with_element
from .match import Request, matches, request_for
from .pattern import compile_pattern, match
from .rules import Condition, Conditions, ContextEntry, ForEach, Rule, Validation
from .valuesfile import Values
from .variables import (
    Jmes,
    QueryError,
    lenient_resolver,
    strict_resolver,
    substitute,
    substitute_string,
)


@dataclass
class Result:
    status: str  # pass | fail | skip | error
    message: str = ""
    needs_cluster: str = ""  # set when skipped for want of cluster data


class _Stop(Exception):
    """Carries an early result (context error or missing cluster data) out of nested calls."""

    def __init__(self, result: Result) -> None:
        super().__init__(result.message)
        self.result = result


class Evaluator:
    """Evaluates rules; `offline="skip"` turns cluster-data context entries without
    values into a skip, `offline="ignore"` leaves them unset as `kyverno test` does."""

    def __init__(self, jmes: Jmes, values: "Values | None" = None, offline: str = "skip") -> None:
        self.jmes = jmes
        self.values = values or Values()
        self.offline = offline

    def prepare(self, policy_name: str, rule: Rule) -> "RuleRunner":
        """A runner for one rule; engines build these once, at compile time."""
        return RuleRunner(self, policy_name, rule)


class RuleRunner:
    """Runs one rule; what it needs from the values file is worked out once."""

    def __init__(self, evaluator: Evaluator, policy: str, rule: Rule) -> None:
        self.jmes = evaluator.jmes
        self.passed = Result("pass", f"validation rule '{rule.name}' passed.")
        self.values = evaluator.values
        self.offline = evaluator.offline
        self.policy = policy
        self.rule = rule
        self.provided = self.values.rule_names(policy, rule.name) | self.values.rule_names(policy, rule.source)
        self.rule_values = self.values.for_rule(policy, rule.name) or self.values.for_rule(policy, rule.source) or {}
        foreach_values = self.values.foreach_values
        self.foreach_values = foreach_values.get((policy, rule.name)) or foreach_values.get((policy, rule.source)) or {}

    def __call__(self, context: dict, request: "Request | None" = None) -> Result:
        """`request` (the match facts) enables Kyverno's UPDATE handling: an Enforce rule
        that the old object already failed is skipped (`allowExistingViolations`)."""
        result = self._guarded(context)
        if result.status == "fail" and request is not None and self._existing_violation(context, request):
            return Result("skip", "skipping the rule evaluation as pre-existing violations are allowed")
        return result

    def _guarded(self, context: dict) -> Result:
        """One odd policy or resource must not stop the run: whatever escapes becomes
        this rule's `error` result, reported like any other."""
        try:
            return self.run(context)
        except _Stop as stop:
            return stop.result
        except (TypeError, ValueError, KeyError, AttributeError, IndexError, RecursionError) as exc:
            return Result("error", f"rule could not be evaluated: {type(exc).__name__}: {exc}")

    def run(self, context: dict) -> Result:
        if self.rule.validation.kind == "cel":
            return self.cel(context)
        if self.rule.context or self.rule_values:
            context = self.load_context(self.rule.context, context)
        target = resource_of(context)
        if target is None and self.rule.validation.kind in ("pattern", "anyPattern"):
            return Result("skip", "skipping validation on deleted resource")
        return self.validate(self.rule.preconditions, self.rule.validation, context, target, 0)

    def cel(self, context: dict) -> Result:
        """`validate.cel`: the CEL engine evaluates; the request facts come from the context."""
        from prcheck.checks.policy.cel.kyverno_policies import run_cel_rule
        status, message = run_cel_rule(self.rule.validation.cel, context, self.values.namespaces)
        return Result(status, message or (self.passed.message if status == "pass" else ""))

    def _existing_violation(self, context: dict, request: Request) -> bool:
        """Evaluate the old object as if it were being created, as Kyverno does for updates."""
        if request.operation != "UPDATE" or not self.rule.allow_existing:
            return False
        if self.rule.action_for(request.namespace) != "Enforce":
            return False
        old = (context.get("request") or {}).get("oldObject")
        if not isinstance(old, dict):
            return False
        old_request = request_for(old, "CREATE", request.namespace_labels, request.user)
        if not matches(self.rule.match, self.rule.exclude, old_request):
            return False
        old_context = dict(context)
        old_context["request"] = {**context["request"], "object": old, "oldObject": {}, "operation": "CREATE"}
        return self._guarded(old_context).status == "fail"

    # --- context ----------------------------------------------------------

    def load_context(self, entries: list[ContextEntry], context: dict, element_index: "int | None" = None) -> dict:
        context = add_variables(context, self.rule_values)
        for entry in entries:
            if entry.name in self.provided:
                continue
            if entry.kind == "variable":
                context = add_variable(context, entry.name, self.load_variable(entry, context))
            elif self.offline == "skip":
                raise _Stop(Result(
                    "skip",
                    f"context entry '{entry.name}' needs cluster data ({entry.kind}); "
                    "not evaluated offline (provide it in a values file)",
                    needs_cluster=entry.kind))
        if element_index is not None:
            for name, items in self.foreach_values.items():
                if isinstance(items, list) and element_index < len(items):
                    context = add_variable(context, name, items[element_index])
        return context

    def load_variable(self, entry: ContextEntry, context: dict) -> Any:
        spec = entry.spec
        resolve = strict_resolver(self.jmes, context)
        try:
            path = substitute(spec.get("jmesPath") or "", resolve)
            default = substitute(spec.get("default"), resolve) if "default" in spec else None
            if "value" in spec or path:
                # `jmesPath` queries the entry's own `value` when it has one, else the
                # whole context; either way a failed query falls back to `default`.
                output = substitute(spec.get("value"), resolve) if "value" in spec else context
                if path:
                    try:
                        output = self.jmes.search(str(path), output)
                    except QueryError:
                        if default is None:
                            raise
                        output = default
            else:
                output = default
        except QueryError as exc:
            raise _Stop(Result("error", f"failed to load context entry '{entry.name}': {exc}")) from None
        return default if output is None and default is not None else output

    # --- conditions -------------------------------------------------------

    def conditions(self, compiled: Conditions, context: dict) -> "tuple[bool, str]":
        """Kyverno's any/all evaluation; variables resolve lazily, condition by condition."""
        resolve = lenient_resolver(self.jmes, context)
        messages = []
        if compiled.any is not None:
            for cond in compiled.any:
                ok, msg = self._one(cond, resolve)
                if ok:
                    break
                if msg:
                    messages.append(msg)
            else:
                all_ok, msg = self._all(compiled.all, resolve)
                if msg and not all_ok:
                    messages.append(msg)
                return False, "; ".join(messages)
        all_ok, msg = self._all(compiled.all, resolve)
        return all_ok, msg if not all_ok else ""

    def _all(self, items: "tuple[Condition, ...]", resolve: Any) -> "tuple[bool, str]":
        for cond in items:
            ok, msg = self._one(cond, resolve)
            if not ok:
                return False, msg
        return True, ""

    def _one(self, cond: Condition, resolve: Any) -> "tuple[bool, str]":
        try:
            key = substitute(cond.key, resolve) if cond.key_vars else cond.key
            value = substitute(cond.value, resolve) if cond.value_vars else cond.value
        except QueryError as exc:
            raise _Stop(Result("error", f"failed to substitute variables in condition: {exc}")) from None
        return cond.operator(key, value), cond.message

    # --- validation -------------------------------------------------------

    def validate(self, preconditions: "Conditions | None", validation: Validation, context: dict, target: Any, nesting: int) -> Result:
        if preconditions is not None:
            passed, message = self.conditions(preconditions, context)
            if not passed:
                return Result("skip", "; ".join(m for m in ("preconditions not met", message) if m))
        if validation.kind == "deny":
            return self.deny(validation, context)
        if validation.kind in ("pattern", "anyPattern"):
            return self.patterns(validation, context, target)
        return self.foreach(validation.foreach, context, target, nesting)

    def message(self, context: dict, extra: str = "") -> "str | None":
        """The rule message with variables substituted; `None` when substitution fails."""
        text = "; ".join(m for m in (self.rule.validation.message, extra) if m)
        try:
            value = substitute_string(text, strict_resolver(self.jmes, context))
        except QueryError:
            return None
        return value if isinstance(value, str) else "the produced message didn't resolve to a string, check your policy definition."

    def deny(self, validation: Validation, context: dict) -> Result:
        denied, detail = self.conditions(validation.deny, context) if validation.deny is not None else (True, "")
        if not denied:
            return self.passed
        if not self.rule.validation.message and not detail:
            return Result("fail", f"validation error: rule {self.rule.name} failed")
        text = self.message(context, detail)
        return Result("fail", detail if text is None else text)

    def _nodes(self, validation: Validation, context: dict) -> list:
        if validation.compiled is not None:
            return validation.compiled
        resolve = strict_resolver(self.jmes, context)
        try:
            patterns = substitute(validation.patterns, resolve)
        except QueryError as exc:
            raise _Stop(Result("error", f"variable substitution failed: {exc}")) from None
        return [compile_pattern(p) for p in patterns]

    def _error_message(self, context: dict, path: str, detail: str) -> str:
        rule = self.rule.name
        if not self.rule.validation.message:
            if path:
                return f"validation error: rule {rule} failed at path {path}"
            return f"validation error: rule {rule} execution error: {detail}"
        text = self.message(context)
        if text is None:
            return f"validation error: variables substitution error in rule {rule} execution error: {detail}"
        if not text.endswith("."):
            text += "."
        if path:
            return f"validation error: {text} rule {rule} failed at path {path}"
        return f"validation error: {text} rule {rule} execution error: {detail}"

    def patterns(self, validation: Validation, context: dict, target: Any) -> Result:
        nodes = self._nodes(validation, context)
        if validation.kind == "pattern":
            outcome = match(target, nodes[0])
            if outcome.status == "pass":
                return self.passed
            if outcome.status == "skip":
                return Result("skip", outcome.message)
            return Result(outcome.status, self._error_message(context, outcome.path, outcome.message))
        failed, skipped = [], []
        for index, node in enumerate(nodes):
            outcome = match(target, node)
            if outcome.status == "pass":
                return Result("pass", f"validation rule '{self.rule.name}' anyPattern[{index}] passed.")
            if outcome.status == "skip":
                skipped.append(f"rule {self.rule.name}[{index}] skipped: {outcome.message}")
            elif outcome.path:
                failed.append(f"rule {self.rule.name}[{index}] failed at path {outcome.path}")
            else:
                failed.append(f"rule {self.rule.name}[{index}] failed: {outcome.message}")
        if skipped and not failed:
            return Result("skip", " ".join(skipped))
        text = self.message(context)
        base = self.rule.validation.message
        if not base:
            return Result("fail", "validation error: " + " ".join(failed))
        text = base if text is None else text
        joiner = " " if text.endswith(".") else ". "
        return Result("fail", f"validation error: {text}{joiner}{' '.join(failed)}")

    # --- foreach ----------------------------------------------------------

    def foreach(self, loops: list[ForEach], context: dict, target: Any, nesting: int) -> Result:
        applied = 0
        for loop in loops:
            try:
                elements = self.jmes.search(_unwrap(loop.list_expr), context)
            except QueryError:
                continue
            if not isinstance(elements, list):
                elements = [elements]
            result, count = self.elements(loop, elements, context, target, nesting)
            if result.status != "pass":
                return result
            applied += count
        if applied == 0:
            return Result("skip", "rule skipped")
        return Result("pass", "rule passed")

    def elements(self, loop: ForEach, elements: list, context: dict, target: Any, nesting: int) -> "tuple[Result, int]":
        applied = 0
        last = len(elements) - 1
        for index, element in enumerate(elements):
            if element is None:
                continue
            scoped = isinstance(element, dict) if loop.element_scope is None else loop.element_scope
            if scoped and not isinstance(element, dict):
                return Result("error", "cannot use elementScope=true foreach rules for elements that are not maps"), applied
            element_context = with_element(context, element, index, nesting)
            try:
                element_context = self.load_context(loop.context, element_context, index)
                result = self.validate(loop.preconditions, loop.validation, element_context,
                                       element if scoped else target, nesting + 1)
            except _Stop as stop:
                result = stop.result
                if result.needs_cluster:
                    raise
            if result.status == "skip":
                continue
            if result.status == "error":
                if index < last:
                    continue
                return Result("error", f"validation failure: {result.message}"), applied
            if result.status == "fail":
                return Result("fail", f"validation failure: {result.message}"), applied
            applied += 1
        return Result("pass"), applied


def _unwrap(expression: str) -> str:
    """A foreach list is a bare JMESPath expression; tolerate a `{{ }}` wrapper."""
    text = expression.strip()
    if text.startswith("{{") and text.endswith("}}") and text.count("{{") == 1:
        return text[2:-2].strip()
    return text
