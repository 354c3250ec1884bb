"""ValidatingAdmissionPolicy + ValidatingAdmissionPolicyBinding
(admissionregistration.k8s.io v1, also v1beta1/v1alpha1), evaluated as the
API server evaluates them, over the objects of a run.

A policy does nothing without a binding. For each binding of a policy, an
object is checked when the policy's `matchConstraints` and the binding's
`matchResources` both match it; `paramKind` + the binding's `paramRef`
(name, namespace, selector, `parameterNotFoundAction`) pick the parameter
objects from the run, and the policy is evaluated once per parameter
object. `validationActions` decide what a failure is: Deny → error, Warn →
warning, Audit → info. An evaluation error (including a failing match
condition) follows `failurePolicy`: Fail (the default) reports it, Ignore
drops it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prcheck.checks.policy.kyverno.match import compile_selector
from prcheck.model import Document

from .bindings import labels_of, metadata
from .match import Constraints, Request, compile_constraints
from .program import CelProgram, Compiler, Problem, compile_program
from .runtime import Runtime

GROUP = "admissionregistration.k8s.io"
POLICY_KIND = "ValidatingAdmissionPolicy"
BINDING_KIND = "ValidatingAdmissionPolicyBinding"
ACTION_SEVERITY = {"Deny": "error", "Warn": "warning", "Audit": "info"}
RANK = {"info": 0, "warning": 1, "error": 2}


def _is(doc: Document, kind: str) -> bool:
    return isinstance(doc.obj, dict) and doc.kind == kind and doc.api_version.startswith(GROUP + "/")


def is_policy(doc: Document) -> bool:
    return _is(doc, POLICY_KIND)


def is_binding(doc: Document) -> bool:
    return _is(doc, BINDING_KIND)


@dataclass
class Policy:
    name: str
    path: str
    line: int
    constraints: Constraints
    program: CelProgram
    failure_policy: str
    param_kind: "tuple[str, str] | None"  # (apiVersion, kind)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class ParamRef:
    name: str = ""
    namespace: str = ""
    selector: Any = None
    not_found: str = "Deny"


@dataclass
class Binding:
    name: str
    policy: str
    path: str
    line: int
    actions: tuple[str, ...]
    resources: "Constraints | None"
    param_ref: "ParamRef | None"

    @property
    def severity(self) -> str:
        found = [ACTION_SEVERITY[a] for a in self.actions if a in ACTION_SEVERITY]
        return max(found, key=RANK.__getitem__) if found else "error"


def compile_policy(runtime: Runtime, doc: Document) -> Policy:
    obj = doc.obj
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    compiler = Compiler(runtime, doc, ["spec"])
    program = compile_program(compiler, spec)
    if not spec.get("validations") and not spec.get("auditAnnotations"):
        compiler.error(["spec"], "a ValidatingAdmissionPolicy needs validations or auditAnnotations")
    param = spec.get("paramKind") if isinstance(spec.get("paramKind"), dict) else None
    return Policy(
        name=str(metadata(obj).get("name") or ""), path=doc.path, line=doc.line,
        constraints=compile_constraints(spec.get("matchConstraints")), program=program,
        failure_policy=str(spec.get("failurePolicy") or "Fail"),
        param_kind=(str(param.get("apiVersion") or ""), str(param.get("kind") or "")) if param else None,
        problems=compiler.problems)


def compile_binding(doc: Document) -> Binding:
    obj = doc.obj
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    raw_ref = spec.get("paramRef") if isinstance(spec.get("paramRef"), dict) else None
    ref = None
    if raw_ref is not None:
        ref = ParamRef(str(raw_ref.get("name") or ""), str(raw_ref.get("namespace") or ""),
                       compile_selector(raw_ref.get("selector")) if isinstance(raw_ref.get("selector"), dict) else None,
                       str(raw_ref.get("parameterNotFoundAction") or "Deny"))
    resources = spec.get("matchResources")
    return Binding(
        name=str(metadata(obj).get("name") or ""), policy=str(spec.get("policyName") or ""), path=doc.path,
        line=doc.line, actions=tuple(str(a) for a in spec.get("validationActions") or []),
        resources=compile_constraints(resources, empty_matches_all=True) if isinstance(resources, dict) else None,
        param_ref=ref)


def find_params(policy: Policy, binding: Binding, objects: Sequence[Mapping[str, Any]], request_namespace: str,
                namespaced_params: bool) -> "list[Any] | None":
    """The parameter objects for one request; None when none is found (then
    `parameterNotFoundAction` decides), `[None]` when the policy takes no params."""
    if policy.param_kind is None:
        return [None]
    ref = binding.param_ref
    if ref is None:
        return None
    api_version, kind = policy.param_kind
    # A namespaced param without paramRef.namespace is looked up in the request's namespace.
    namespace = ref.namespace or (request_namespace if namespaced_params else "")
    found = []
    for obj in objects:
        if obj.get("apiVersion") != api_version or obj.get("kind") != kind:
            continue
        meta = metadata(obj)
        if namespaced_params and str(meta.get("namespace") or "") != namespace:
            continue
        if ref.name:
            if meta.get("name") == ref.name:
                found.append(obj)
        elif ref.selector is not None and ref.selector.matches(labels_of(obj)):
            found.append(obj)
    return found or None


def binds(binding: Binding, req: Request) -> bool:
    return binding.resources is None or binding.resources.matches(req)


def load(runtime: Runtime, docs: Iterable[Document]) -> tuple[list[Policy], list[Binding]]:
    policies, bindings = [], []
    for doc in docs:
        if is_policy(doc):
            policies.append(compile_policy(runtime, doc))
        elif is_binding(doc):
            bindings.append(compile_binding(doc))
    return policies, bindings
