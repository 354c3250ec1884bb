"""`match` and `exclude`: which resources a rule applies to.

Follows Kyverno's `MatchesResourceDescription`: inside one resource filter
every given attribute must hold (kinds, name/names, namespaces, annotations,
selector, namespaceSelector, operations), a list attribute holds when any of
its entries does; `any` needs one filter, `all` needs every filter. User
information (roles, subjects) is ignored when matching without request user
info, but an `exclude` by user info then never excludes, as in the CLI.
Kinds may be `Kind`, `version/Kind`, `group/version/Kind` or `Kind/subresource`,
each part with wildcards. Filters are compiled once per rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import wildcard

_VERSION = re.compile(r"^(v\d+((alpha|beta)\d+)?|\*)$")


def parse_kind(selector: str) -> "tuple[str, str, str, str]":
    """Kyverno's `ParseKindSelector` → (group, version, kind, subresource)."""
    parts = selector.split("/")
    parts = parts[:-1] + parts[-1].split(".")
    if len(parts) == 1:
        return "*", "*", parts[0], ""
    if len(parts) == 2:
        if parts[0] == "*" and parts[1] == "*":
            return "*", "*", "*", "*"
        if parts[0] == "*" and parts[1].lower() == parts[1]:
            return "*", "*", parts[0], parts[1]
        if _VERSION.match(parts[0]):
            return "*", parts[0], parts[1], ""
        return "*", "*", parts[0], parts[1]
    if len(parts) == 3:
        if _VERSION.match(parts[0]):
            return "*", parts[0], parts[1], parts[2]
        return parts[0], parts[1], parts[2], ""
    if len(parts) == 4:
        return parts[0], parts[1], parts[2], parts[3]
    return "", "", "", ""


def kind_name(selector: str) -> str:
    """The bare kind of a selector (`apps/v1/Deployment` → `Deployment`)."""
    return parse_kind(selector)[2]


def group_version(api_version: str) -> "tuple[str, str]":
    if "/" in api_version:
        group, version = api_version.split("/", 1)
        return group, version
    return "", api_version


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str
    values: tuple[str, ...]


@dataclass
class LabelSelector:
    match_labels: dict[str, str] = field(default_factory=dict)
    expressions: list[Requirement] = field(default_factory=list)

    def matches(self, labels: dict[str, str]) -> bool:
        for key, value in self.match_labels.items():
            if wildcard.has_wildcard(key) or wildcard.has_wildcard(value):
                if not any(wildcard.match(key, k) and wildcard.match(value, v) for k, v in labels.items()):
                    return False
            elif labels.get(key) != value:
                return False
        for req in self.expressions:
            present = req.key in labels
            if req.operator == "In" and not (present and labels[req.key] in req.values):
                return False
            if req.operator == "NotIn" and present and labels[req.key] in req.values:
                return False
            if req.operator == "Exists" and not present:
                return False
            if req.operator == "DoesNotExist" and present:
                return False
        return True


def compile_selector(raw: Any) -> "LabelSelector | None":
    if not isinstance(raw, dict):
        return None
    labels = {str(k): "" if v is None else str(v) for k, v in (raw.get("matchLabels") or {}).items()}
    expressions = []
    for expr in raw.get("matchExpressions") or []:
        if isinstance(expr, dict):
            expressions.append(Requirement(
                str(expr.get("key", "")), str(expr.get("operator", "")),
                tuple(str(v) for v in expr.get("values") or [])))
    return LabelSelector(labels, expressions)


@dataclass
class Request:
    """What a filter is checked against: the resource and the admission facts."""

    kind: str
    group: str
    version: str
    name: str
    namespace: str
    labels: dict[str, str]
    annotations: dict[str, str]
    operation: str = "CREATE"
    namespace_labels: dict[str, str] = field(default_factory=dict)
    user: "dict | None" = None  # {roles, clusterRoles, userInfo: {username, groups}}

    def __post_init__(self) -> None:
        user = self.user or {}
        self.has_user = bool(user.get("roles") or user.get("clusterRoles") or user.get("userInfo"))


def request_for(resource: dict, operation: str = "CREATE", namespace_labels: "dict[str, str] | None" = None,
                user: "dict | None" = None) -> Request:
    metadata = resource.get("metadata") if isinstance(resource.get("metadata"), dict) else {}
    group, version = group_version(str(resource.get("apiVersion") or ""))
    name = metadata.get("name") or metadata.get("generateName") or ""
    return Request(
        kind=str(resource.get("kind") or ""), group=group, version=version, name=str(name),
        namespace=str(metadata.get("namespace") or ""),
        labels=_string_map(metadata.get("labels")), annotations=_string_map(metadata.get("annotations")),
        operation=operation, namespace_labels=namespace_labels or {}, user=user,
    )


def _string_map(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in raw.items()}


@dataclass
class Filter:
    """One resource filter (an `any`/`all` element or a legacy `resources:` block)."""

    kinds: list[tuple[str, str, str, str]] = field(default_factory=list)
    name: str = ""
    names: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    selector: "LabelSelector | None" = None
    namespace_selector: "LabelSelector | None" = None
    operations: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    cluster_roles: list[str] = field(default_factory=list)
    subjects: list[dict] = field(default_factory=list)
    has_description: bool = False

    def __post_init__(self) -> None:
        """Build the list of checks this filter actually uses, so that matching a
        resource only pays for the attributes the policy sets."""
        plain = {k for g, v, k, s in self.kinds if g == v == "*" and not s and not wildcard.has_wildcard(k)}
        exact = {(g, v, k) for g, v, k, s in self.kinds
                 if not s and not any(wildcard.has_wildcard(x) for x in (g, v, k)) and (g, v) != ("*", "*")}
        others = [t for t in self.kinds if t[2] not in plain and t[:3] not in exact]
        self.checks: list[Callable[[Request], bool]] = []
        if self.operations:
            self.checks.append(lambda req: req.operation not in self.operations)
        if self.kinds:
            self.checks.append(lambda req: req.kind not in plain and (req.group, req.version, req.kind) not in exact
                               and not any(_kind_matches(t, req) for t in others))
        if self.name:
            self.checks.append(lambda req: not wildcard.match(self.name, req.name))
        if self.names:
            self.checks.append(lambda req: not any(wildcard.match(n, req.name) for n in self.names))
        if self.namespaces:
            self.checks.append(self._namespace_error)
        if self.annotations:
            self.checks.append(self._annotations_error)
        if self.selector is not None:
            self.checks.append(lambda req: not self.selector.matches(req.labels))  # type: ignore[union-attr]
        if self.namespace_selector is not None:
            self.checks.append(lambda req: req.kind == "Namespace"
                               or not self.namespace_selector.matches(req.namespace_labels))  # type: ignore[union-attr]

    @property
    def has_user_info(self) -> bool:
        return bool(self.roles or self.cluster_roles or self.subjects)

    def _namespace_error(self, req: Request) -> bool:
        namespace = req.name if req.kind == "Namespace" else req.namespace
        return not any(wildcard.match(ns, namespace) for ns in self.namespaces)

    def _annotations_error(self, req: Request) -> bool:
        return not all(
            any(wildcard.match(k, k1) and wildcard.match(v, v1) for k1, v1 in req.annotations.items())
            for k, v in self.annotations.items()
        )

    def resource_errors(self, req: Request) -> bool:
        """True when the resource description does not hold."""
        for check in self.checks:
            if check(req):
                return True
        return False

    def user_errors(self, req: Request) -> bool:
        user = req.user or {}
        if self.roles and not set(self.roles) & set(user.get("roles") or []):
            return True
        if self.cluster_roles and not set(self.cluster_roles) & set(user.get("clusterRoles") or []):
            return True
        if self.subjects and not any(_subject_matches(s, user.get("userInfo") or {}) for s in self.subjects):
            return True
        return False


def _kind_matches(selector: "tuple[str, str, str, str]", req: Request) -> bool:
    group, version, kind, sub = selector
    return (wildcard.match(group, req.group) and wildcard.match(version, req.version)
            and wildcard.match(kind, req.kind) and (not sub or wildcard.match(sub, "")))


def _subject_matches(subject: dict, info: dict) -> bool:
    kind, name = subject.get("kind"), str(subject.get("name", ""))
    username = str(info.get("username", ""))
    if kind == "ServiceAccount":
        return username == f"system:serviceaccount:{subject.get('namespace', '')}:{name}"
    if kind == "Group":
        return any(wildcard.match(name, str(g)) for g in info.get("groups") or [])
    return wildcard.match(name, username)


def _compile_filter(block: Any) -> Filter:
    block = block if isinstance(block, dict) else {}
    resources = block.get("resources") if isinstance(block.get("resources"), dict) else {}
    flt = Filter(
        kinds=[parse_kind(str(k)) for k in resources.get("kinds") or []],
        name=str(resources.get("name") or ""),
        names=[str(n) for n in resources.get("names") or []],
        namespaces=[str(n) for n in resources.get("namespaces") or []],
        annotations=_string_map(resources.get("annotations")),
        selector=compile_selector(resources.get("selector")),
        namespace_selector=compile_selector(resources.get("namespaceSelector")),
        operations=[str(o) for o in resources.get("operations") or []],
        roles=[str(r) for r in block.get("roles") or []],
        cluster_roles=[str(r) for r in block.get("clusterRoles") or []],
        subjects=[s for s in block.get("subjects") or [] if isinstance(s, dict)],
    )
    flt.has_description = bool(resources)
    return flt


@dataclass
class Block:
    """A compiled `match` or `exclude`."""

    any: list[Filter] = field(default_factory=list)
    all: list[Filter] = field(default_factory=list)
    legacy: "Filter | None" = None
    present: bool = False

    def kind_names(self) -> "set[str] | None":
        """The bare kinds this block can match, `None` meaning any kind (for indexing)."""
        filters = self.any or self.all or ([self.legacy] if self.legacy else [])
        names: set[str] = set()
        for flt in filters:
            if not flt.kinds:
                if self.all:
                    continue
                return None
            for _, _, kind, _ in flt.kinds:
                if wildcard.has_wildcard(kind):
                    return None
                names.add(kind)
        return names if names else None


def compile_block(raw: Any) -> Block:
    if not isinstance(raw, dict) or not raw:
        return Block()
    block = Block(present=True)
    block.any = [_compile_filter(f) for f in raw.get("any") or []]
    block.all = [_compile_filter(f) for f in raw.get("all") or []]
    if not block.any and not block.all:
        block.legacy = _compile_filter(raw)
    return block


def _match_filter(flt: Filter, req: Request) -> bool:
    use_user = req.has_user and flt.has_user_info
    if not flt.has_description and not use_user:
        return False  # "match cannot be empty"
    if flt.resource_errors(req):
        return False
    return not (use_user and flt.user_errors(req))


def _excluded_by(flt: Filter, req: Request) -> bool:
    if not flt.has_description and not flt.has_user_info:
        return False
    if flt.resource_errors(req):
        return False
    return not (flt.has_user_info and flt.user_errors(req))


def matches(match: Block, exclude: Block, req: Request) -> bool:
    """True when the rule applies to the request's resource."""
    if match.any:
        if not any(_match_filter(f, req) for f in match.any):
            return False
    elif match.all:
        if not all(_match_filter(f, req) for f in match.all):
            return False
    elif match.legacy is None or not _match_filter(match.legacy, req):
        return False
    if exclude.any:
        return not any(_excluded_by(f, req) for f in exclude.any)
    if exclude.all:
        return not all(_excluded_by(f, req) for f in exclude.all)
    if exclude.legacy is not None:
        return not _excluded_by(exclude.legacy, req)
    return True
