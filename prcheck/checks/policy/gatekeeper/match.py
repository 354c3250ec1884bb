"""Constraint `spec.match`, decided the way gatekeeper's pkg/mutation/match does.

Gatekeeper decides matching in Go before any Rego runs: every top-level
criterion (kinds, scope, namespaces, excludedNamespaces, labelSelector,
namespaceSelector, name, source) must agree, and an absent criterion agrees.
The namespace of an object is known only when its `Namespace` object is in the
run (gatekeeper's namespace cache); otherwise the name the object declares is
used, and a namespaceSelector cannot be decided (gatekeeper then rejects the
request; callers choose what to do with `MatchError`).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from prcheck.model import GVK

SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
SOURCES = ("All", "Original", "Generated")


class MatchError(Exception):
    """The match cannot be decided; gatekeeper turns this into a rejection."""


def metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def meta_str(obj: Mapping[str, Any], key: str) -> str:
    value = metadata(obj).get(key)
    return value if isinstance(value, str) else ""


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    """Like unstructured.GetLabels: a label map with a non-string value reads as no labels."""
    labels = metadata(obj).get("labels")
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        return {}
    return {str(k): v for k, v in labels.items()}


def is_namespace(obj: Mapping[str, Any]) -> bool:
    gvk = GVK.of(obj)
    return gvk.kind == "Namespace" and gvk.group == ""


def wildcard_matches(pattern: str, candidate: str) -> bool:
    """gatekeeper's Wildcard: a leading and/or trailing `*` globs, nothing else does."""
    if pattern.startswith("*") and pattern.endswith("*"):
        return pattern.strip("*") in candidate if len(pattern) > 1 else True
    if pattern.startswith("*"):
        return candidate.endswith(pattern[1:])
    if pattern.endswith("*"):
        return candidate.startswith(pattern[:-1])
    return pattern == candidate


def _generate_name_matches(pattern: str, candidate: str) -> bool:
    if not candidate:
        return False
    if pattern.startswith("*") and pattern.endswith("*"):
        return pattern.strip("*") in candidate if len(pattern) > 1 else True
    if pattern.endswith("*"):
        return candidate.startswith(pattern[:-1])
    return False


def selector_problems(selector: Any) -> list[str]:
    """What metav1.LabelSelectorAsSelector and ValidateLabelSelector would refuse."""
    if selector is None:
        return []
    if not isinstance(selector, dict):
        return ["a label selector must be a mapping"]
    problems = []
    labels = selector.get("matchLabels") or {}
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        problems.append("matchLabels must map keys to strings")
    exprs = selector.get("matchExpressions") or []
    if not isinstance(exprs, list):
        return problems + ["matchExpressions must be a list"]
    for index, expr in enumerate(exprs):
        where = f"matchExpressions[{index}]"
        if not isinstance(expr, dict) or not isinstance(expr.get("key"), str):
            problems.append(f"{where} needs a key")
            continue
        op, values = expr.get("operator"), expr.get("values") or []
        if op not in SELECTOR_OPERATORS:
            problems.append(f"{where}: operator {op!r} is not one of {', '.join(SELECTOR_OPERATORS)}")
        elif op in ("In", "NotIn") and not values:
            problems.append(f"{where}: operator {op} needs values")
        elif op in ("Exists", "DoesNotExist") and values:
            problems.append(f"{where}: operator {op} takes no values")
        elif not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problems.append(f"{where}: values must be a list of strings")
    return problems


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """matchLabels and every matchExpression must hold; `{}` selects everything."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(str(key)) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op = expr["key"], expr["operator"]
        values = expr.get("values") or []
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def match_problems(match: Any) -> list[str]:
    """Refusals gatekeeper makes when the constraint is created, not when it is used."""
    if match is None:
        return []
    if not isinstance(match, dict):
        return ["spec.match must be a mapping"]
    problems = [f"labelSelector: {p}" for p in selector_problems(match.get("labelSelector"))]
    problems += [f"namespaceSelector: {p}" for p in selector_problems(match.get("namespaceSelector"))]
    source = match.get("source")
    if source not in (None, "", *SOURCES):
        problems.append(f"source {source!r} is not one of {', '.join(SOURCES)}")
    for key in ("kinds", "namespaces", "excludedNamespaces"):
        if match.get(key) is not None and not isinstance(match.get(key), list):
            problems.append(f"{key} must be a list")
    return problems


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _kinds_match(match: Mapping[str, Any], gvk: GVK) -> bool:
    kinds = match.get("kinds") or []
    if not kinds:
        return True
    for entry in kinds:
        entry = entry if isinstance(entry, dict) else {}
        names, groups = _strings(entry.get("kinds")), _strings(entry.get("apiGroups"))
        if (not names or "*" in names or gvk.kind in names) and (not groups or "*" in groups or gvk.group in groups):
            return True
    return False


def _scope_match(match: Mapping[str, Any], obj: Mapping[str, Any], ns: Mapping[str, Any] | None) -> bool:
    has_namespace = bool(meta_str(obj, "namespace")) or ns is not None
    scope = match.get("scope")
    if scope == "Cluster":
        return is_namespace(obj) or not has_namespace
    if scope == "Namespaced":
        return not is_namespace(obj) and has_namespace
    return True  # "*", absent, or a typo: gatekeeper matches all three


def _namespace_name(obj: Mapping[str, Any], ns: Mapping[str, Any] | None) -> str:
    if is_namespace(obj):
        return meta_str(obj, "name")
    if ns is not None:
        return meta_str(ns, "name")
    return meta_str(obj, "namespace")


def _namespaces_match(match: Mapping[str, Any], obj: Mapping[str, Any], ns: Mapping[str, Any] | None) -> bool:
    wanted = _strings(match.get("namespaces"))
    name = _namespace_name(obj, ns)
    if not wanted or not name:
        return True
    return any(wildcard_matches(p, name) for p in wanted)


def _excluded_match(match: Mapping[str, Any], obj: Mapping[str, Any], ns: Mapping[str, Any] | None) -> bool:
    name = _namespace_name(obj, ns)
    return not name or not any(wildcard_matches(p, name) for p in _strings(match.get("excludedNamespaces")))


def _namespace_selector_match(match: Mapping[str, Any], obj: Mapping[str, Any], ns: Mapping[str, Any] | None) -> bool:
    selector = match.get("namespaceSelector")
    if selector is None:
        return True
    if is_namespace(obj):
        return selector_matches(selector, labels_of(obj))
    if ns is None and not meta_str(obj, "namespace"):
        return True  # cluster-scoped objects match every namespaceSelector
    if ns is None:
        raise MatchError(f"namespaceSelector needs the labels of Namespace '{meta_str(obj, 'namespace')}', "
                         "which is not among the checked objects")
    return selector_matches(selector, labels_of(ns))


def _name_match(match: Mapping[str, Any], obj: Mapping[str, Any]) -> bool:
    pattern = match.get("name")
    if not isinstance(pattern, str) or not pattern:
        return True
    return wildcard_matches(pattern, meta_str(obj, "name")) or _generate_name_matches(pattern, meta_str(obj, "generateName"))


def matches(match: Mapping[str, Any] | None, obj: Mapping[str, Any], ns: Mapping[str, Any] | None) -> bool:
    """Does a constraint with this `spec.match` review `obj` (whose Namespace object is `ns`, if known)?

    Objects come from files, so their source is always "Original": a match on
    `source: Generated` never applies.
    """
    if not match:
        return True
    if not _kinds_match(match, GVK.of(obj)) or not _scope_match(match, obj, ns):
        return False
    if not _namespaces_match(match, obj, ns) or not _excluded_match(match, obj, ns):
        return False
    selector = match.get("labelSelector")
    if selector is not None and not selector_matches(selector, labels_of(obj)):
        return False
    if not _namespace_selector_match(match, obj, ns) or not _name_match(match, obj):
        return False
    return match.get("source") != "Generated"


def matches_any(match: Mapping[str, Any] | None, objects: Sequence[Mapping[str, Any]],
                ns: Mapping[str, Any] | None) -> bool:
    """An admission request matches when its object or its oldObject does (gatekeeper's
    matchAny); as there, the first undecidable match ends the search with its error."""
    return any(matches(match, obj, ns) for obj in objects)
