"""spec.match as gatekeeper's pkg/mutation/match decides it."""

from __future__ import annotations

import pytest

from prcheck.checks.policy.gatekeeper.match import (
    MatchError,
    match_problems,
    matches,
    matches_any,
    selector_matches,
    wildcard_matches,
)
from tests.gatekeeper.helpers import obj

POD = obj("Pod", "web-1", "team-a", labels={"app": "web", "tier": "front"})
DEPLOY = obj("Deployment", "web", "team-a", api_version="apps/v1")
NODE = obj("Node", "n1", labels={"zone": "a"})
NS_A = obj("Namespace", "team-a", labels={"env": "prod"})


def test_no_match_reviews_everything() -> None:
    assert matches(None, POD, None) and matches({}, NODE, None)


@pytest.mark.parametrize("kinds, target, want", [
    ([{"apiGroups": [""], "kinds": ["Pod"]}], POD, True),
    ([{"apiGroups": [""], "kinds": ["Pod"]}], DEPLOY, False),
    ([{"apiGroups": ["apps"], "kinds": ["Deployment"]}], DEPLOY, True),
    ([{"apiGroups": [""], "kinds": ["Deployment"]}], DEPLOY, False),
    ([{"apiGroups": ["*"], "kinds": ["*"]}], NODE, True),
    ([{"kinds": ["Deployment"]}], DEPLOY, True),  # no apiGroups: any group
    ([{"apiGroups": ["apps"]}], DEPLOY, True),  # no kinds: any kind
    ([{"apiGroups": [""], "kinds": ["Pod"]}, {"apiGroups": ["apps"], "kinds": ["Deployment"]}], DEPLOY, True),
])
def test_kinds_with_api_groups(kinds: list, target: dict, want: bool) -> None:
    assert matches({"kinds": kinds}, target, None) is want


@pytest.mark.parametrize("pattern, name, want", [
    ("kube-*", "kube-system", True), ("*-system", "kube-system", True), ("*sys*", "kube-system", True),
    ("*", "anything", True), ("kube", "kube-system", False), ("team-a", "team-a", True),
])
def test_wildcards_glob_only_at_the_ends(pattern: str, name: str, want: bool) -> None:
    assert wildcard_matches(pattern, name) is want


def test_namespaces_and_excluded_namespaces() -> None:
    assert matches({"namespaces": ["team-*"]}, POD, None)
    assert not matches({"namespaces": ["prod"]}, POD, None)
    assert not matches({"excludedNamespaces": ["team-a"]}, POD, None)
    assert matches({"excludedNamespaces": ["kube-*"]}, POD, None)
    # cluster-scoped objects cannot be disqualified by namespace lists
    assert matches({"namespaces": ["prod"], "excludedNamespaces": ["*"]}, NODE, None)
    # a Namespace is matched by its own name
    assert not matches({"excludedNamespaces": ["team-a"]}, NS_A, None)


@pytest.mark.parametrize("selector, want", [
    ({"matchLabels": {"app": "web"}}, True),
    ({"matchLabels": {"app": "db"}}, False),
    ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "back"]}]}, True),
    ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}, False),
    ({"matchExpressions": [{"key": "absent", "operator": "NotIn", "values": ["x"]}]}, True),
    ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, True),
    ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, False),
    ({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "x", "operator": "Exists"}]}, False),
    ({}, True),
])
def test_label_selector(selector: dict, want: bool) -> None:
    assert selector_matches(selector, POD["metadata"]["labels"]) is want
    assert matches({"labelSelector": selector}, POD, None) is want


def test_namespace_selector_uses_known_namespace_labels() -> None:
    match = {"namespaceSelector": {"matchLabels": {"env": "prod"}}}
    assert matches(match, POD, NS_A)
    assert not matches(match, POD, obj("Namespace", "team-a", labels={"env": "dev"}))
    assert matches(match, NODE, None)  # cluster-scoped: matches every namespaceSelector
    assert matches(match, NS_A, None)  # a Namespace is selected by its own labels
    with pytest.raises(MatchError, match="team-a"):
        matches(match, POD, None)


def test_scope() -> None:
    assert matches({"scope": "Namespaced"}, POD, None) and not matches({"scope": "Namespaced"}, NODE, None)
    assert matches({"scope": "Cluster"}, NODE, None) and not matches({"scope": "Cluster"}, POD, None)
    assert matches({"scope": "Cluster"}, NS_A, None)  # Namespaces count as cluster-scoped
    assert matches({"scope": "*"}, POD, None)


def test_name_and_generate_name() -> None:
    assert matches({"name": "web-*"}, POD, None) and not matches({"name": "db-*"}, POD, None)
    generated = obj("Pod", "", "team-a")
    generated["metadata"] = {"generateName": "web-", "namespace": "team-a"}
    assert matches({"name": "web-*"}, generated, None)


def test_files_are_original_objects() -> None:
    assert not matches({"source": "Generated"}, POD, None)
    assert matches({"source": "Original"}, POD, None) and matches({"source": "All"}, POD, None)


def test_admission_request_matches_on_object_or_old_object() -> None:
    match = {"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}], "labelSelector": {"matchLabels": {"app": "web"}}}
    assert matches_any(match, [obj("Pod", "p", labels={}), POD], None)
    assert not matches_any(match, [obj("Pod", "p", labels={})], None)


def test_invalid_selectors_are_refused_up_front() -> None:
    assert match_problems({"labelSelector": {"matchExpressions": [{"key": "a", "operator": "Equals"}]}})
    assert match_problems({"namespaceSelector": {"matchExpressions": [{"key": "a", "operator": "In"}]}})
    assert match_problems({"labelSelector": {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}})
    assert match_problems({"source": "Everything"})
    assert not match_problems({"labelSelector": {"matchLabels": {"a": "b"}}, "scope": "*"})
