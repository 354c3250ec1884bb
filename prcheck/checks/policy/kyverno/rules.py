"""Policies compiled once: match blocks, anchors, patterns, conditions checked.

Compiling turns each `ClusterPolicy` / `Policy` document into plain objects
the evaluator walks without re-parsing: match filters with parsed kinds and
selectors, patterns as node trees (unless they contain variables, which can
only be substituted per resource), operators validated. A malformed policy is
a `PolicyError` pointing at the offending line, so a typo in a policy stops
the run instead of silently passing everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prcheck.model import Document

from ..base import PolicyError
from . import autogen, conditions, wildcard
from .match import Block, compile_block
from .pattern import Node, compile_pattern
from .variables import has_variables

CLUSTER_DATA = ("configMap", "apiCall", "imageRegistry", "globalReference")
_VALIDATE_KINDS = ("pattern", "anyPattern", "deny", "foreach", "cel")
_OFFLINE_UNSUPPORTED = ("podSecurity", "manifests", "assert")


@dataclass
class ContextEntry:
    name: str
    kind: str  # variable | configMap | apiCall | imageRegistry | globalReference
    spec: dict


@dataclass
class Validation:
    kind: str  # pattern | anyPattern | deny | foreach | cel
    message: str = ""
    cel: Any = None  # kind cel: (Runtime, CelProgram), compiled by the CEL engine
    patterns: list[Any] = field(default_factory=list)
    compiled: "list[Node] | None" = None
    deny: "Conditions | None" = None
    foreach: "list[ForEach]" = field(default_factory=list)


@dataclass
class ForEach:
    list_expr: str
    element_scope: "bool | None"
    context: list[ContextEntry]
    preconditions: "Conditions | None"
    validation: Validation


@dataclass
class Rule:
    name: str
    match: Block
    exclude: Block
    kinds: "set[str] | None"
    context: list[ContextEntry]
    preconditions: "Conditions | None"
    validation: Validation
    action: str
    overrides: list[tuple[str, list[str]]] = field(default_factory=list)
    source: str = ""  # the Pod rule an autogen rule came from
    allow_existing: bool = True  # validate.allowExistingViolations

    def action_for(self, namespace: str) -> str:
        """`validationFailureActionOverrides` win for the namespaces they name."""
        for action, namespaces in self.overrides:
            if any(wildcard.match(ns, namespace) for ns in namespaces):
                return action
        return self.action


@dataclass
class Policy:
    name: str
    kind: str
    namespace: str
    path: str
    line: int
    rules: list[Rule]
    unsupported: list[tuple[str, str]] = field(default_factory=list)  # (rule, feature)
    problems: list[Any] = field(default_factory=list)  # CEL compile errors (cel.program.Problem)
    source: Any = None  # the policy object as written, to rebuild the policy elsewhere
    apply_one: bool = False  # spec.applyRules: One — stop after the first rule that applies

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


class _Locator:
    """Turns a key path inside the policy document into a `PolicyError`."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc

    def error(self, keypath: list, message: str) -> PolicyError:
        return PolicyError(self.doc.path, self.doc.line_of(keypath), 0, message)


def normalize_action(value: Any) -> str:
    return "Enforce" if str(value or "Audit").lower() == "enforce" else "Audit"


@dataclass(frozen=True)
class Condition:
    """One condition with its operator resolved and its variable use known."""

    operator: Callable[[Any, Any], bool]
    key: Any
    value: Any
    key_vars: bool
    value_vars: bool
    message: str


@dataclass(frozen=True)
class Conditions:
    """`any` (None when absent: Kyverno treats an empty `any` as false) and `all`."""

    any: "tuple[Condition, ...] | None"
    all: tuple[Condition, ...]


def _condition(raw: Any, where: list, loc: _Locator) -> Condition:
    if not isinstance(raw, dict):
        raise loc.error(where, "a condition must be a map with key, operator and value")
    try:
        handler = conditions.handler_for(raw.get("operator", ""))
    except conditions.UnknownOperator as exc:
        raise loc.error(where + ["operator"], str(exc)) from None
    key, value = raw.get("key"), raw.get("value")
    return Condition(handler, key, value, has_variables(key), has_variables(value), str(raw.get("message") or ""))


def compile_conditions(raw: Any, where: list, loc: _Locator) -> "Conditions | None":
    """A list (legacy: all must hold) or a map with `any` / `all`."""
    if raw is None:
        return None
    if isinstance(raw, list):
        return Conditions(None, tuple(_condition(c, where + [i], loc) for i, c in enumerate(raw)))
    if not isinstance(raw, dict):
        raise loc.error(where, "conditions must be a list or a map with 'any'/'all'")
    unknown = set(raw) - {"any", "all"}
    if unknown:
        raise loc.error(where, f"conditions may only hold 'any' and 'all', found {sorted(unknown)}")
    blocks: dict[str, "tuple[Condition, ...] | None"] = {}
    for name in ("any", "all"):
        items = raw.get(name)
        if items is None:
            blocks[name] = None
            continue
        if not isinstance(items, list):
            raise loc.error(where + [name], "condition block must be a list")
        blocks[name] = tuple(_condition(c, where + [name, i], loc) for i, c in enumerate(items))
    return Conditions(blocks["any"], blocks["all"] or ())


def _context_entries(raw: Any, where: list, loc: _Locator) -> list[ContextEntry]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise loc.error(where, "context must be a list")
    entries = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not item.get("name"):
            raise loc.error(where + [i], "context entry needs a name")
        kind = next((k for k in ("variable", *CLUSTER_DATA) if k in item), "")
        if not kind:
            raise loc.error(where + [i], f"context entry '{item['name']}' has no variable, configMap, apiCall, "
                                         "imageRegistry or globalReference")
        spec = item.get(kind) if isinstance(item.get(kind), dict) else {}
        entries.append(ContextEntry(str(item["name"]), kind, spec))
    return entries


def _compile_patterns(patterns: list[Any]) -> "list[Node] | None":
    if has_variables(patterns):
        return None
    return [compile_pattern(p) for p in patterns]


def _validation(raw: dict, where: list, loc: _Locator, message: str = "") -> Validation:
    kinds = [k for k in _VALIDATE_KINDS if k in raw]
    if len(kinds) != 1:
        raise loc.error(where, "validate needs exactly one of pattern, anyPattern, deny or foreach"
                        + (f", found {kinds}" if kinds else ""))
    kind = kinds[0]
    validation = Validation(kind=kind, message=message)
    if kind == "pattern":
        validation.patterns = [raw["pattern"]]
    elif kind == "anyPattern":
        if not isinstance(raw["anyPattern"], list) or not raw["anyPattern"]:
            raise loc.error(where + ["anyPattern"], "anyPattern must be a non-empty list")
        validation.patterns = list(raw["anyPattern"])
    elif kind == "deny":
        deny = raw["deny"] if isinstance(raw["deny"], dict) else {}
        validation.deny = compile_conditions(deny.get("conditions"), where + ["deny", "conditions"], loc)
    elif kind == "cel":
        if not isinstance(raw["cel"], dict):
            raise loc.error(where + ["cel"], "validate.cel must be a map with expressions")
    else:
        if not isinstance(raw["foreach"], list) or not raw["foreach"]:
            raise loc.error(where + ["foreach"], "foreach must be a non-empty list")
        validation.foreach = [_foreach(item, where + ["foreach", i], loc) for i, item in enumerate(raw["foreach"])]
    if validation.patterns:
        validation.compiled = _compile_patterns(validation.patterns)
    return validation


def _foreach(raw: Any, where: list, loc: _Locator) -> ForEach:
    if not isinstance(raw, dict) or not isinstance(raw.get("list"), str):
        raise loc.error(where, "foreach entry needs a 'list' expression")
    preconditions = compile_conditions(raw.get("preconditions"), where + ["preconditions"], loc)
    scope = raw.get("elementScope")
    return ForEach(
        list_expr=raw["list"],
        element_scope=scope if isinstance(scope, bool) else None,
        context=_context_entries(raw.get("context"), where + ["context"], loc),
        preconditions=preconditions,
        validation=_validation(raw, where, loc),
    )


def _overrides(raw: Any) -> list[tuple[str, list[str]]]:
    result = []
    for item in raw or []:
        if isinstance(item, dict):
            result.append((normalize_action(item.get("action")), [str(n) for n in item.get("namespaces") or []]))
    return result


def _rule(raw: dict, index: int, spec: dict, loc: _Locator, source: str = "", runtime: Any = None,
          problems: "list | None" = None) -> "Rule | str":
    """A compiled rule, or the name of the feature that keeps it from running offline."""
    where = ["spec", "rules", index]
    validate = raw.get("validate")
    if not isinstance(validate, dict):
        for feature in ("mutate", "generate", "verifyImages"):
            if feature in raw:
                return feature
        raise loc.error(where, f"rule '{raw.get('name')}' has no validate, mutate, generate or verifyImages")
    for feature in _OFFLINE_UNSUPPORTED:
        if feature in validate:
            return f"validate.{feature}"
    where_validate = where + ["validate"]
    if not isinstance(raw.get("match"), dict) or not raw["match"]:
        raise loc.error(where, f"rule '{raw.get('name')}' has no match block")
    match = compile_block(raw.get("match"))
    action = validate.get("failureAction") or spec.get("validationFailureAction")
    validation = _validation(validate, where_validate, loc, str(validate.get("message") or ""))
    if validation.kind == "cel":
        from prcheck.checks.policy.cel.kyverno_policies import compile_cel_rule
        program, found = compile_cel_rule(runtime, loc.doc, raw, where)
        validation.cel = (runtime, program, found)
        if problems is not None:
            problems.extend(p for p in found if p not in problems)
    return Rule(
        name=str(raw["name"]),
        match=match,
        exclude=compile_block(raw.get("exclude")),
        kinds=match.kind_names(),
        context=_context_entries(raw.get("context"), where + ["context"], loc),
        preconditions=compile_conditions(raw.get("preconditions"), where + ["preconditions"], loc),
        validation=validation,
        action=normalize_action(action),
        overrides=_overrides(validate.get("failureActionOverrides") or spec.get("validationFailureActionOverrides")),
        source=source,
        allow_existing=validate.get("allowExistingViolations") is not False,
    )


def compile_policy(doc: Document, runtime: Any = None) -> Policy:
    """One `ClusterPolicy` / `Policy` document → `Policy`, autogen rules included.
    `runtime`: the CEL runtime `validate.cel` rules compile into (one is made when needed)."""
    loc = _Locator(doc)
    obj = doc.obj
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = str(metadata.get("name") or "")
    if not name:
        raise loc.error(["metadata"], f"{doc.kind} has no metadata.name")
    spec = obj.get("spec")
    if not isinstance(spec, dict) or not isinstance(spec.get("rules"), list) or not spec["rules"]:
        raise loc.error(["spec"], f"{doc.kind} {name}: spec.rules must be a non-empty list")
    namespace = str(metadata.get("namespace") or "default") if doc.kind == "Policy" else ""
    policy = Policy(name=name, kind=doc.kind, namespace=namespace, path=doc.path, line=doc.line, rules=[], source=obj,
                    apply_one=str(spec.get("applyRules") or "").lower() == "one")
    raw_rules = list(spec["rules"])
    for index, raw in enumerate(raw_rules):
        if not isinstance(raw, dict) or not raw.get("name"):
            raise loc.error(["spec", "rules", index], "every rule needs a name")
    generated = autogen.generate_rules(obj)
    sources = {}
    for raw in generated:
        base = raw["name"].removeprefix("autogen-cronjob-").removeprefix("autogen-")
        sources[raw["name"]] = base
    for index, raw in enumerate(raw_rules + generated):
        source_index = index if index < len(raw_rules) else _source_index(raw_rules, sources[raw["name"]])
        if runtime is None and isinstance(raw.get("validate"), dict) and "cel" in raw["validate"]:
            from prcheck.checks.policy.cel.runtime import Runtime
            runtime = Runtime()
        compiled = _rule(raw, source_index, spec, loc, sources.get(raw["name"], ""), runtime, policy.problems)
        if isinstance(compiled, str):
            if index < len(raw_rules):
                policy.unsupported.append((str(raw["name"]), compiled))
            continue
        policy.rules.append(compiled)
    return policy


def _source_index(rules: list[dict], name: str) -> int:
    return next((i for i, r in enumerate(rules) if r.get("name") == name), 0)
