"""What a template sees: `input.review` for an object, and `data.inventory` for the run.

`input.review` is the JSON form of a Kubernetes AdmissionRequest, the same
value gatekeeper builds (`unstructuredToAdmissionRequest`): `kind` as
{group, version, kind}, `object`, `name`, `namespace`, and the fields the Go
struct always serialises (`uid`, `resource`, `operation`, `userInfo`) at their
zero values. A plain object has no operation in gator; `prcheck check` says
CREATE, since a pull request proposes objects to be created or replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from prcheck.checks.policy import rego_input
from prcheck.checks.policy.gatekeeper.load import Constraint
from prcheck.checks.policy.gatekeeper.match import (
    GVK,
    is_namespace,
    matches_any,
    meta_str,
)
from prcheck.checks.policy.gatekeeper.program import CompiledTemplate

ADMISSION_GROUP = "admission.k8s.io"


def to_json(value: Any) -> str:
    """JSON regorus reads, whatever YAML put in the objects (see `rego_input`)."""
    return rego_input.to_json(value)


def reviewable(obj: Any) -> bool:
    """Gatekeeper refuses objects without a version or kind; so do we, silently."""
    if not isinstance(obj, dict):
        return False
    gvk = GVK.of(obj)
    return bool(gvk.version and gvk.kind)


def _request_defaults() -> dict[str, Any]:
    return {
        "uid": "",
        "kind": {"group": "", "version": "", "kind": ""},
        "resource": {"group": "", "version": "", "resource": ""},
        "operation": "",
        "userInfo": {},
    }


@dataclass(frozen=True)
class Request:
    """One review: the `input.review` JSON, the objects `spec.match` is decided on, their namespace."""

    review_json: str
    match_objects: tuple[Mapping[str, Any], ...]
    namespace: str


def object_request(obj: Mapping[str, Any], operation: str) -> Request:
    gvk = GVK.of(obj)
    review = _request_defaults()
    review.update(kind={"group": gvk.group, "version": gvk.version, "kind": gvk.kind}, operation=operation, object=obj)
    name, namespace = meta_str(obj, "name"), meta_str(obj, "namespace")
    if name:
        review["name"] = name
    if namespace:
        review["namespace"] = namespace
    return Request(to_json(review), (obj,), namespace)


def is_admission_review(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("kind") == "AdmissionReview" and GVK.of(obj).group == ADMISSION_GROUP


def admission_request(review_obj: Mapping[str, Any]) -> Request:
    """gator's AdmissionReview path: the request as sent, DELETE's oldObject standing in for the object."""
    request = review_obj.get("request")
    if not isinstance(request, dict):
        raise ValueError("AdmissionReview has no request")
    obj, old = request.get("object"), request.get("oldObject")
    if not isinstance(obj, dict) and not isinstance(old, dict):
        raise ValueError('AdmissionRequest has neither "object" nor "oldObject" to review')
    review = _request_defaults()
    review.update({k: v for k, v in request.items() if v is not None})
    if request.get("operation") == "DELETE" and not isinstance(obj, dict):
        review["object"] = old
    objects = tuple(o for o in (obj, old) if isinstance(o, dict))
    namespace = request.get("namespace")
    return Request(to_json(review), objects, namespace if isinstance(namespace, str) else "")


def build_inventory(objects: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """gatekeeper's sync layout: cluster[gv][kind][name] and namespace[ns][gv][kind][name]."""
    inventory: dict[str, Any] = {"cluster": {}, "namespace": {}}
    for obj in objects:
        gvk, name = GVK.of(obj), meta_str(obj, "name")
        if not (gvk.version and gvk.kind and name):
            continue
        namespace = meta_str(obj, "namespace")
        branch = inventory["namespace"].setdefault(namespace, {}) if namespace else inventory["cluster"]
        branch.setdefault(gvk.group_version, {}).setdefault(gvk.kind, {})[name] = obj
    return inventory


def namespace_cache(objects: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Namespace objects by name: what gatekeeper knows of a namespace's labels."""
    return {meta_str(o, "name"): o for o in objects if is_namespace(o) and meta_str(o, "name")}


@dataclass(frozen=True)
class Violation:
    msg: str
    details: Any = None


@dataclass
class Verdict:
    """One constraint's violations for one review, and the built-in failures OPA would have ignored."""

    violations: list[Violation] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _violation(result: Any) -> Violation | None:
    """gatekeeper's hook keeps results that have a `msg`, defaulting `details` to {}."""
    if not isinstance(result, dict) or "msg" not in result:
        return None
    msg = result["msg"]
    return Violation(msg if isinstance(msg, str) else to_json(msg), result.get("details", {}))


def run_constraint(program: CompiledTemplate, constraint: Constraint, request: Request) -> Verdict:
    """Query the template for one constraint and one review (match already decided)."""
    answer = program.violations(request.review_json, constraint.parameters_json)
    found = (_violation(r) for r in answer.results)
    return Verdict([v for v in found if v is not None], answer.errors)


def decide_match(constraint: Constraint, request: Request,
                 namespaces: Mapping[str, Mapping[str, Any]]) -> bool:
    """`spec.match` for a request; raises MatchError when it cannot be decided offline."""
    ns = namespaces.get(request.namespace) if request.namespace else None
    return matches_any(constraint.match, request.match_objects, ns)

