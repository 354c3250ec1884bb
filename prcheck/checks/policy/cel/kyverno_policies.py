"""Kyverno's CEL policies: `ValidatingPolicy` / `NamespacedValidatingPolicy`
(policies.kyverno.io v1alpha1, v1beta1, v1) and the `validate.cel` rules of
`ClusterPolicy` / `Policy`.

A ValidatingPolicy is a ValidatingAdmissionPolicy with Kyverno's libraries
and autogen: `matchConstraints`, `matchConditions`, `variables`,
`validations`, `validationActions`. A `validate.cel` rule keeps the classic
match/exclude and adds `celPreconditions` (as match conditions),
`cel.variables` and `cel.expressions`. Calls that need the network (`http`)
or data prcheck does not have fail the evaluation with a message saying so;
the engine reports that once per policy as `info`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prcheck.model import Document

from . import autogen
from .bindings import bindings_for, match_request
from .kinds import KindTable
from .match import Constraints, Request, compile_constraints
from .program import (CelProgram, Compiler, Problem, Verdict, compile_program, compile_validation, run,
                      variable_definitions)
from .runtime import Runtime

GROUP = "policies.kyverno.io"
VP_KINDS = ("ValidatingPolicy", "NamespacedValidatingPolicy")
_NETWORK = re.compile(r"\b(http|globalContext)\s*\.")


def is_validating_policy(doc: Document) -> bool:
    return isinstance(doc.obj, dict) and doc.api_version.startswith(GROUP + "/") and doc.kind in VP_KINDS


def needs_network(program: CelProgram) -> bool:
    return any(_NETWORK.search(e.source) for e in program.expressions())


@dataclass
class ValidatingPolicy:
    name: str
    kind: str
    namespace: str
    path: str
    line: int
    constraints: Constraints
    program: CelProgram
    actions: tuple[str, ...]
    failure_policy: str
    controllers: dict[str, CelProgram] = field(default_factory=dict)  # autogen: kind → rewritten program
    problems: list[Problem] = field(default_factory=list)
    network: bool = False

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


def _autogen_controllers(spec: Mapping[str, Any], constraints: Constraints) -> list[str]:
    """Controllers a Pod policy extends to: all unless `autogen.podControllers.controllers` says otherwise."""
    if not any(r.resources and ("pods" in r.resources) and ("" in r.groups or "*" in r.groups)
               for r in constraints.rules):
        return []
    configured = ((spec.get("autogen") or {}).get("podControllers") or {}) if isinstance(spec.get("autogen"), dict) else {}
    controllers = configured.get("controllers") if isinstance(configured, dict) else None
    if controllers is None:
        return list(autogen.POD_CONTROLLERS)
    return [autogen.CONTROLLER_RESOURCES[c] for c in controllers if c in autogen.CONTROLLER_RESOURCES]


def compile_validating_policy(runtime: Runtime, doc: Document) -> ValidatingPolicy:
    obj = doc.obj
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    compiler = Compiler(runtime, doc, ["spec"])
    program = compile_program(compiler, spec)
    if not spec.get("validations"):
        compiler.error(["spec"], f"{doc.kind} {meta.get('name')}: spec.validations must not be empty")
    constraints = compile_constraints(spec.get("matchConstraints"))
    actions = tuple(str(a) for a in spec.get("validationActions") or ["Deny"])
    policy = ValidatingPolicy(
        name=str(meta.get("name") or ""), kind=doc.kind,
        namespace=str(meta.get("namespace") or "default") if doc.kind == "NamespacedValidatingPolicy" else "",
        path=doc.path, line=doc.line, constraints=constraints, program=program, actions=actions,
        failure_policy=str(spec.get("failurePolicy") or "Fail"), problems=compiler.problems,
        network=needs_network(program))
    for kind in _autogen_controllers(spec, constraints):
        rewritten = Compiler(runtime, doc, ["spec"])
        policy.controllers[kind] = compile_program(rewritten, autogen.rewrite_tree(spec, kind))
        policy.problems.extend(p for p in rewritten.problems if p not in policy.problems)
    return policy


def compile_cel_rule(runtime: Runtime, doc: Document, rule: Mapping[str, Any], where: Sequence["str | int"]) -> tuple[CelProgram, list[Problem]]:
    """A `validate.cel` rule: `celPreconditions` become match conditions."""
    compiler = Compiler(runtime, doc, list(where))
    validate = rule.get("validate") if isinstance(rule.get("validate"), dict) else {}
    cel = validate.get("cel") if isinstance(validate.get("cel"), dict) else {}
    program = CelProgram()
    pre = compile_program(compiler, {"matchConditions": rule.get("celPreconditions")})
    program.match_conditions = pre.match_conditions
    body = Compiler(runtime, doc, [*where, "validate", "cel"])
    inner = compile_program(body, {"variables": cel.get("variables"), "auditAnnotations": cel.get("auditAnnotations")})
    program.variables, program.audit_annotations = inner.variables, inner.audit_annotations
    definitions = variable_definitions(cel.get("variables"))
    for index, item in enumerate(cel.get("expressions") or []):
        if isinstance(item, dict):
            validation = compile_validation(body, item, ["expressions", index], definitions)
            if validation is not None:
                program.validations.append(validation)
    if not cel.get("expressions"):
        body.error([], "validate.cel needs expressions")
    return program, compiler.problems + body.problems


class PolicyRunner:
    """Evaluates compiled ValidatingPolicies against objects (for `kyverno test` and `check`)."""

    def __init__(self, runtime: Runtime, policies: Sequence[ValidatingPolicy], kinds: KindTable) -> None:
        self.runtime, self.policies, self.kinds = runtime, list(policies), kinds

    def evaluate(self, policy: ValidatingPolicy, obj: dict, operation: str = "CREATE", old: Any = None,
                 user: "Mapping[str, Any] | None" = None, namespace_obj: Any = None,
                 extra: "Mapping[str, Any] | None" = None) -> "Verdict | None":
        """None when the policy does not apply to `obj` (no match)."""
        if policy.problems:
            return Verdict("error", error="policy does not compile: " + policy.problems[0].message)
        req = match_request(obj, operation, self.kinds, namespace_obj)
        if policy.namespace and req.namespace != policy.namespace:
            return None
        program = self._program_for(policy, req, namespace_obj)
        if program is None:
            return None
        verdict = run(self.runtime, program, bindings_for(obj, old, req, user, namespace_obj, extra))
        if verdict.status == "error" and policy.failure_policy == "Ignore":
            return Verdict("skip", error=verdict.error)
        return verdict

    def _program_for(self, policy: ValidatingPolicy, req: Request, namespace_obj: Any) -> "CelProgram | None":
        if policy.constraints.matches(req):
            return policy.program
        controller = policy.controllers.get(req.kind) if req.group in ("apps", "batch", "") else None
        if controller is None:
            return None
        as_pod = Request(group="", version="v1", kind="Pod", resource="pods", namespace=req.namespace,
                         name=req.name, operation=req.operation, labels=req.labels,
                         namespace_labels=req.namespace_labels)
        return controller if policy.constraints.matches(as_pod) else None


def run_cel_rule(compiled: Any, context: Mapping[str, Any], namespaces: Mapping[str, Any]) -> tuple[str, str]:
    """(status, message) of a `validate.cel` rule for one resource's Kyverno context."""
    runtime, program, problems = compiled
    if problems:
        return "error", "policy does not compile: " + problems[0].message
    request = context.get("request") if isinstance(context.get("request"), dict) else {}
    operation = str(request.get("operation") or "CREATE")
    obj = request.get("object") if operation != "DELETE" else None
    old = request.get("oldObject") if operation in ("UPDATE", "DELETE") else None
    target = obj if isinstance(obj, dict) else old if isinstance(old, dict) else {}
    namespace = str(((target.get("metadata") or {}).get("namespace")) or "")
    namespace_obj = namespaces.get(namespace)
    req = match_request(target, operation, KindTable(), namespace_obj)
    user = request.get("userInfo") if isinstance(request.get("userInfo"), dict) else {}
    verdict = run(runtime, program, bindings_for(obj, old, req, user, namespace_obj))
    return verdict.status, verdict.message


@dataclass(frozen=True)
class _NoRule:
    name: str = ""
    source: str = ""


@dataclass
class PolicyResponse:
    """A ValidatingPolicy's result in the shape `kyverno test` compares (no rule name)."""

    policy: ValidatingPolicy
    rule: _NoRule
    result: Any  # kyverno.evaluate.Result


def library_bindings(runtime: Runtime, objects: Sequence[dict], images: Sequence[dict], kinds: KindTable,
                     authorizer_rules: Sequence[dict] = (), username: str = "") -> dict[str, Any]:
    """The Kyverno library variables: cluster lookups answered from `objects`, image
    metadata from `images`, the clock, an offline authorizer, no network."""
    from .library import authz, common, kyverno as lib
    store = runtime.store
    image = lib.image_context(store, list(images))
    return {"resource": lib.resource_context(store, list(objects), kinds.plural_map(objects)),
            "image": image, "imagedata": image,
            "time": lib.time_context(), "authorizer": authz.authorizer(username, list(authorizer_rules)),
            "http": common.tagged("kyverno.http"), "globalContext": common.tagged("kyverno.globalContext")}
