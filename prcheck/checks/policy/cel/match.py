"""`matchConstraints` as the API server reads them (VAP, Kyverno ValidatingPolicy).

A request matches when some `resourceRules` entry names its group, version,
resource (`*`, `resource/subresource` and `*/subresource` forms) and
operation, no `excludeResourceRules` entry does, and the namespace and
object selectors hold. Cluster-scoped objects pass `namespaceSelector`
(except Namespaces, which are matched by their own labels), as in the API
server.

`matchPolicy: Equivalent` (the default) also matches a request for the same
resource at another version or in the API group that serves it too: the API
server converts the request to the version the rule names. Equivalence is
what shares storage in kube-apiserver: every version of one group/resource,
plus the cross-group pairs of `EQUIVALENT_GROUPS`. prcheck has no converters,
so the policy sees the object as written (docs/cel.md). `Exact` matches only
the group and version written in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from prcheck.checks.policy.kyverno.match import LabelSelector, compile_selector


@dataclass(frozen=True)
class Request:
    group: str
    version: str
    kind: str
    resource: str
    namespace: str
    name: str
    operation: str
    labels: Mapping[str, str]
    namespace_labels: "Mapping[str, str] | None"  # None: no Namespace object known
    namespaced: bool = True


# Resources kube-apiserver serves from one storage under two API groups
# (pkg/controlplane and pkg/registry: extensions/v1beta1 aliases, events.k8s.io).
_CROSS_GROUP = (
    ("extensions", "apps", ("deployments", "daemonsets", "replicasets")),
    ("extensions", "networking.k8s.io", ("ingresses", "networkpolicies")),
    ("extensions", "policy", ("podsecuritypolicies",)),
    ("", "events.k8s.io", ("events",)),
)
EQUIVALENT_GROUPS: dict[tuple[str, str], tuple[str, ...]] = {}
for _a, _b, _resources in _CROSS_GROUP:
    for _resource in _resources:
        EQUIVALENT_GROUPS[(_a, _resource)] = (*EQUIVALENT_GROUPS.get((_a, _resource), ()), _b)
        EQUIVALENT_GROUPS[(_b, _resource)] = (*EQUIVALENT_GROUPS.get((_b, _resource), ()), _a)


@dataclass(frozen=True)
class Rule:
    groups: tuple[str, ...]
    versions: tuple[str, ...]
    resources: tuple[str, ...]
    operations: tuple[str, ...]
    names: tuple[str, ...]
    scope: str

    def matches(self, req: Request, equivalent: bool = False) -> bool:
        if equivalent:  # any version of the resource, in its group or an equivalent one
            if not any(_any(self.groups, g) for g in (req.group, *EQUIVALENT_GROUPS.get((req.group, req.resource), ()))):
                return False
        elif not _any(self.groups, req.group) or not _any(self.versions, req.version):
            return False
        if not _any(self.operations, req.operation):
            return False
        if self.names and req.name not in self.names:
            return False
        if self.scope == "Namespaced" and not req.namespaced or self.scope == "Cluster" and req.namespaced:
            return False
        return any(_resource(r, req.resource) for r in self.resources)


def _any(allowed: tuple[str, ...], value: str) -> bool:
    return "*" in allowed or value in allowed


def _resource(pattern: str, resource: str) -> bool:
    """Requests here are for the main resource, never a subresource (`pods/status`)."""
    return pattern in ("*", resource)


@dataclass
class Constraints:
    rules: "list[Rule] | None" = field(default_factory=list)  # None: every resource (a binding's matchResources)
    excludes: list[Rule] = field(default_factory=list)
    namespace_selector: "LabelSelector | None" = None
    object_selector: "LabelSelector | None" = None
    equivalent: bool = True  # matchPolicy: Equivalent (the default) or Exact

    def matches(self, req: Request) -> bool:
        if self.rules is not None and not any(r.matches(req, self.equivalent) for r in self.rules):
            return False
        if any(r.matches(req, self.equivalent) for r in self.excludes):
            return False
        if self.object_selector is not None and not self.object_selector.matches(dict(req.labels)):
            return False
        if self.namespace_selector is not None:
            if req.kind == "Namespace" and req.group == "":
                return self.namespace_selector.matches(dict(req.labels))
            if req.namespaced and not self.namespace_selector.matches(dict(req.namespace_labels or {})):
                return False
        return True

    def resources(self) -> set[str]:
        """Every resource name the rules could match (`*` included), for indexing."""
        return {r for rule in self.rules or () for r in rule.resources}


def _strings(raw: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in raw) if isinstance(raw, list) else ()


def _rule(raw: Any) -> Rule:
    raw = raw if isinstance(raw, dict) else {}
    operations = _strings(raw.get("operations")) or ("*",)
    return Rule(_strings(raw.get("apiGroups")), _strings(raw.get("apiVersions")),
                _strings(raw.get("resources")), operations, _strings(raw.get("resourceNames")),
                str(raw.get("scope") or "*"))


def compile_constraints(raw: Any, empty_matches_all: bool = False) -> Constraints:
    """`empty_matches_all`: a binding's `matchResources` without resourceRules narrows
    nothing by resource (the policy's matchConstraints already did)."""
    raw = raw if isinstance(raw, dict) else {}
    rules = [_rule(r) for r in raw.get("resourceRules") or [] if isinstance(r, dict)]
    return Constraints(
        rules=rules if rules or not empty_matches_all else None,
        excludes=[_rule(r) for r in raw.get("excludeResourceRules") or [] if isinstance(r, dict)],
        namespace_selector=_selector(raw.get("namespaceSelector")),
        object_selector=_selector(raw.get("objectSelector")),
        equivalent=raw.get("matchPolicy") != "Exact",
    )


def _selector(raw: Any) -> "LabelSelector | None":
    if not isinstance(raw, dict) or not raw:
        return None
    return compile_selector(raw)
