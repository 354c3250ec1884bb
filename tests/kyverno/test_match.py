"""match / exclude: kinds, names, namespaces, selectors, annotations, operations, any/all."""

from __future__ import annotations

import pytest

from prcheck.checks.policy.kyverno.match import (
    compile_block,
    matches,
    parse_kind,
    request_for,
)

from .conftest import resource

POD = resource("""
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: prod
  labels: {app: web, tier: front}
  annotations: {team: payments}
""")
DEPLOY = resource("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: dev}
""")


def applies(match: str, obj: dict = POD, exclude: str = "", **kwargs) -> bool:
    return matches(compile_block(resource(match)), compile_block(resource(exclude) if exclude else None),
                   request_for(obj, **kwargs))


@pytest.mark.parametrize(("selector", "expected"), [
    ("Pod", ("*", "*", "Pod", "")),
    ("v1/Pod", ("*", "v1", "Pod", "")),
    ("apps/v1/Deployment", ("apps", "v1", "Deployment", "")),
    ("Pod/exec", ("*", "*", "Pod", "exec")),
    ("*/*", ("*", "*", "*", "*")),
    ("networking.k8s.io/v1/Ingress", ("networking.k8s.io", "v1", "Ingress", "")),
])
def test_parse_kind(selector, expected):
    assert parse_kind(selector) == expected


@pytest.mark.parametrize(("kinds", "obj", "expected"), [
    ("[Pod]", POD, True),
    ("[Deployment]", POD, False),
    ("[v1/Pod]", POD, True),
    ("[apps/v1/Deployment]", DEPLOY, True),
    ("[apps/v1beta1/Deployment]", DEPLOY, False),
    ("[apps/*/Deployment]", DEPLOY, True),
    ("['*']", DEPLOY, True),
    ("[Dep*]", DEPLOY, True),
    ("[Pod/exec]", POD, False),
])
def test_kinds(kinds, obj, expected):
    assert applies(f"resources: {{kinds: {kinds}}}", obj) is expected


def test_names_namespaces_selector_annotations():
    assert applies("resources: {kinds: [Pod], names: ['web-*']}")
    assert not applies("resources: {kinds: [Pod], name: api}")
    assert applies("resources: {kinds: [Pod], namespaces: [prod, staging]}")
    assert not applies("resources: {kinds: [Pod], namespaces: ['dev*']}")
    assert applies("resources: {kinds: [Pod], selector: {matchLabels: {app: web}}}")
    assert applies("resources: {kinds: [Pod], selector: {matchLabels: {'ti*': 'fr*'}}}")
    assert not applies("resources: {kinds: [Pod], selector: {matchExpressions: [{key: tier, operator: NotIn, values: [front]}]}}")
    assert applies("resources: {kinds: [Pod], selector: {matchExpressions: [{key: x, operator: DoesNotExist}]}}")
    assert applies("resources: {kinds: [Pod], annotations: {team: 'pay*'}}")
    assert not applies("resources: {kinds: [Pod], annotations: {team: ops}}")


def test_namespace_selector_uses_known_namespace_labels():
    rule = "resources: {kinds: [Pod], namespaceSelector: {matchLabels: {env: production}}}"
    assert applies(rule, namespace_labels={"env": "production"})
    assert not applies(rule, namespace_labels={"env": "dev"})
    assert not applies(rule)


def test_operations_default_to_create():
    assert applies("resources: {kinds: [Pod], operations: [CREATE, UPDATE]}")
    assert not applies("resources: {kinds: [Pod], operations: [DELETE]}")
    assert applies("resources: {kinds: [Pod], operations: [DELETE]}", operation="DELETE")


def test_any_and_all():
    assert applies("any: [{resources: {kinds: [Deployment]}}, {resources: {kinds: [Pod]}}]")
    assert not applies("all: [{resources: {kinds: [Pod]}}, {resources: {namespaces: [dev]}}]")
    assert applies("all: [{resources: {kinds: [Pod]}}, {resources: {namespaces: [prod]}}]")


def test_exclude():
    assert not applies("any: [{resources: {kinds: [Pod]}}]", exclude="any: [{resources: {namespaces: [prod]}}]")
    assert applies("any: [{resources: {kinds: [Pod]}}]", exclude="any: [{resources: {namespaces: [kube-system]}}]")
    assert applies("any: [{resources: {kinds: [Pod]}}]",
                   exclude="all: [{resources: {namespaces: [prod]}}, {resources: {names: [other]}}]")
    assert not applies("resources: {kinds: [Pod]}", exclude="resources: {selector: {matchLabels: {app: web}}}")


def test_user_info_is_ignored_offline_and_never_excludes():
    assert applies("any: [{resources: {kinds: [Pod]}, clusterRoles: [cluster-admin]}]")
    assert applies("any: [{resources: {kinds: [Pod]}}]", exclude="any: [{clusterRoles: [cluster-admin]}]")
    assert not applies("any: [{subjects: [{kind: User, name: bob}]}]")
    user = {"userInfo": {"username": "bob"}}
    assert not applies("any: [{resources: {kinds: [Pod]}}]", exclude="any: [{subjects: [{kind: User, name: bob}]}]",
                       user=user)
