"""ValidatingAdmissionPolicy + binding semantics, with fixtures from the Kubernetes
documentation (concepts/cluster-administration/validating-admission-policy)."""

from __future__ import annotations

import textwrap

import pytest

from prcheck.sources.base_tree import index_objects
from prcheck.checks.context import CheckContext
from prcheck.checks.policy.cel.engine import CelEngine
from prcheck.sources.yaml_loader import load_text

POLICY = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: demo-policy.example.com}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  validations:
  - expression: "object.spec.replicas <= 5"
"""

BINDING = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: demo-binding-test.example.com}
spec:
  policyName: demo-policy.example.com
  validationActions: [Deny]
  matchResources:
    namespaceSelector:
      matchLabels: {environment: test}
"""

NAMESPACES = """
apiVersion: v1
kind: Namespace
metadata: {name: test, labels: {environment: test}}
---
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {environment: prod}}
"""


def deployment(name: str, replicas: int, namespace: str = "test") -> str:
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {namespace}}}\n"
            f"spec: {{replicas: {replicas}, template: {{spec: {{containers: [{{name: c, image: nginx}}]}}}}}}\n")


def docs(*texts: str):
    joined = "\n---\n".join(textwrap.dedent(t).strip("\n") for t in texts)
    loaded = load_text(joined, "manifests.yaml")
    return [d for d in loaded.docs if d.obj is not None]


def findings(*texts: str, ctx: "CheckContext | None" = None):
    engine = CelEngine()
    if ctx is not None:
        engine = engine.for_context(ctx)
    return engine.evaluate(docs(*texts)).findings


def test_binding_namespace_selector_and_deny_action():
    found = findings(POLICY, BINDING, NAMESPACES, deployment("big", 6), deployment("small", 2),
                     deployment("big-prod", 6, "prod"))
    assert [(f.resource, f.severity) for f in found] == [("Deployment/test/big", "error")]
    assert found[0].rule == "ValidatingAdmissionPolicy/demo-policy.example.com"
    assert "denied request: failed expression: object.spec.replicas <= 5" in found[0].message
    assert found[0].path == "manifests.yaml" and found[0].line == 33  # the object's first line


def test_namespace_name_label_is_known_without_the_namespace_object():
    binding = BINDING.replace("matchLabels: {environment: test}", "matchLabels: {kubernetes.io/metadata.name: team}")
    found = findings(POLICY, binding, deployment("big", 6, "team"))
    assert [f.resource for f in found] == ["Deployment/team/big"]


@pytest.mark.parametrize("action,severity", [("Deny", "error"), ("Warn", "warning"), ("Audit", "info")])
def test_validation_actions_set_the_severity(action: str, severity: str):
    found = findings(POLICY, BINDING.replace("[Deny]", f"[{action}]"), NAMESPACES, deployment("big", 6))
    assert [f.severity for f in found] == [severity]


def test_a_policy_without_binding_is_not_enforced():
    [note] = findings(POLICY, NAMESPACES, deployment("big", 6))
    assert note.severity == "info" and "has no binding" in note.message


PARAM_POLICY = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replicalimit-policy.example.com}
spec:
  failurePolicy: Fail
  paramKind: {apiVersion: rules.example.com/v1, kind: ReplicaLimit}
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  validations:
  - expression: "object.spec.replicas <= params.maxReplicas"
    messageExpression: "'object.spec.replicas must be no greater than ' + string(params.maxReplicas)"
    reason: Invalid
"""

PARAM_BINDING = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replicalimit-binding-test.example.com}
spec:
  policyName: replicalimit-policy.example.com
  validationActions: [Deny]
  paramRef:
    name: replica-limit-test.example.com
    namespace: default
    parameterNotFoundAction: Deny
"""

PARAMS = """
apiVersion: rules.example.com/v1
kind: ReplicaLimit
metadata: {name: replica-limit-test.example.com, namespace: default}
maxReplicas: 3
"""


def test_params_come_from_the_repository_objects():
    found = findings(PARAM_POLICY, PARAM_BINDING, PARAMS, deployment("four", 4), deployment("three", 3))
    assert [(f.resource, f.message.rsplit(": ", 1)[1]) for f in found] == [
        ("Deployment/test/four", "object.spec.replicas must be no greater than 3")]


def test_missing_params_follow_parameter_not_found_action():
    [denied] = findings(PARAM_POLICY, PARAM_BINDING, deployment("three", 3))
    assert denied.severity == "error" and "no params found" in denied.message
    allow = PARAM_BINDING.replace("parameterNotFoundAction: Deny", "parameterNotFoundAction: Allow")
    assert findings(PARAM_POLICY, allow, deployment("three", 3)) == []


def test_param_selector_evaluates_every_matching_param():
    binding = PARAM_BINDING.replace("    name: replica-limit-test.example.com\n", "    selector: {matchLabels: {tier: x}}\n")
    params = PARAMS.replace("namespace: default}", "namespace: default, labels: {tier: x}}")
    other = params.replace("replica-limit-test.example.com", "other").replace("maxReplicas: 3", "maxReplicas: 1")
    found = findings(PARAM_POLICY, binding, params, other, deployment("two", 2))
    assert [f.message.rsplit(" ", 1)[1] for f in found] == ["1"]


MATCH_CONDITIONS = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: demo-policy.example.com}
spec:
  failurePolicy: {failure}
  matchConstraints:
    resourceRules:
    - apiGroups: ['*']
      apiVersions: ['*']
      operations: [CREATE, UPDATE]
      resources: ['*']
  matchConditions:
  - name: exclude-leases
    expression: '!(request.resource.group == "coordination.k8s.io" && request.resource.resource == "leases")'
  - name: exclude-kubelet-requests
    expression: '!("system:nodes" in request.userInfo.groups)'
  - name: rbac
    expression: 'request.resource.group != "rbac.authorization.k8s.io"'
  - name: broken
    expression: 'object.metadata.labels.team != ""'
  validations:
  - expression: "!object.metadata.name.contains('demo') || object.metadata.namespace == 'demo'"
"""

ALL_BINDING = BINDING.replace("  matchResources:\n    namespaceSelector:\n      matchLabels: {environment: test}\n", "")


def _obj(kind: str, api: str, name: str, labels: str = "") -> str:
    return f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: {name}, namespace: test{labels}}}\n"


def test_match_conditions_skip_and_their_errors_follow_failure_policy():
    lease = _obj("Lease", "coordination.k8s.io/v1", "demo-lease", ", labels: {team: a}")
    role = _obj("Role", "rbac.authorization.k8s.io/v1", "demo-role", ", labels: {team: a}")
    labelled = _obj("ConfigMap", "v1", "demo-cm", ", labels: {team: a}")
    unlabelled = _obj("ConfigMap", "v1", "demo-nolabels")
    found = findings(MATCH_CONDITIONS.replace("{failure}", "Fail"), ALL_BINDING, lease, role, labelled, unlabelled)
    assert [(f.resource, "' failed: " in f.message) for f in found] == [
        ("ConfigMap/test/demo-cm", False), ("ConfigMap/test/demo-nolabels", True)]
    assert "matchCondition 'broken'" in found[1].message
    ignored = findings(MATCH_CONDITIONS.replace("{failure}", "Ignore"), ALL_BINDING, labelled, unlabelled)
    assert [f.resource for f in ignored] == ["ConfigMap/test/demo-cm"]


def test_message_expression_falls_back_to_message():
    policy = POLICY.replace('  - expression: "object.spec.replicas <= 5"\n', """  - expression: "object.spec.replicas <= 5"
    message: static message
    messageExpression: "object.metadata.name == 'empty' ? '' : object.spec.nope"
""")
    found = findings(policy, ALL_BINDING, deployment("empty", 6), deployment("error", 6))
    assert [f.message.rsplit(": ", 1)[1] for f in found] == ["static message", "static message"]


def test_variables_and_validation_errors():
    policy = POLICY.replace('  validations:\n  - expression: "object.spec.replicas <= 5"\n', """  variables:
  - name: limit
    expression: "'limit' in object.metadata.labels ? int(object.metadata.labels['limit']) : 5"
  validations:
  - expression: "object.spec.replicas <= variables.limit"
""")
    labelled = deployment("x", 8).replace("namespace: test}", "namespace: test, labels: {limit: '10'}}")
    # (not `y`: unquoted, go-yaml reads it as a boolean, as Kubernetes does)
    bad_label = deployment("w", 1).replace("namespace: test}", "namespace: test, labels: {limit: ten}}")
    found = findings(policy, ALL_BINDING, labelled, bad_label, deployment("z", 6).replace(
        "namespace: test}", "namespace: test, labels: {}}"))
    assert [(f.resource, "failed:" in f.message) for f in found] == [
        ("Deployment/test/w", True), ("Deployment/test/z", False)]


def test_old_object_comes_from_the_base_and_makes_an_update():
    policy = POLICY.replace('"object.spec.replicas <= 5"', '"oldObject == null || object.spec.replicas >= oldObject.spec.replicas"')
    policy = policy.replace("  validations:", "  validations:\n  - expression: \"request.operation == (oldObject == null ? 'CREATE' : 'UPDATE')\"")
    ctx = CheckContext(base_objects=index_objects(docs(deployment("shrunk", 5), deployment("grown", 1))))
    found = findings(policy, ALL_BINDING, deployment("shrunk", 2), deployment("grown", 3), deployment("new", 1), ctx=ctx)
    assert [f.resource for f in found] == ["Deployment/test/shrunk"]


def test_compile_errors_are_policy_invalid_findings_at_the_line():
    broken = POLICY.replace('"object.spec.replicas <= 5"', '"object.spec.replicas <="')
    [finding] = findings(broken, BINDING, deployment("x", 1))
    assert finding.rule == "policy/invalid" and finding.line == 13 and "does not compile" in finding.message


UNBOUND_BINDING = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: demo-binding}
spec: {policyName: demo-policy.example.com, validationActions: [Deny]}
"""


def _old_deployment(api_version: str) -> str:
    return deployment("legacy", 9).replace("apiVersion: apps/v1", f"apiVersion: {api_version}")


@pytest.mark.parametrize("api_version", ["extensions/v1beta1", "apps/v1beta2"])
def test_match_policy_equivalent_matches_the_resource_at_other_groups_and_versions(api_version: str):
    """The default, Equivalent: the API server converts the request to apps/v1 and runs the policy."""
    [found] = findings(POLICY, UNBOUND_BINDING, _old_deployment(api_version))
    assert found.resource == "Deployment/test/legacy" and "object.spec.replicas <= 5" in found.message


def test_match_policy_exact_matches_only_the_named_group_and_version():
    exact = POLICY.replace("  failurePolicy: Fail\n", "  failurePolicy: Fail\n").replace(
        "  matchConstraints:\n", "  matchConstraints:\n    matchPolicy: Exact\n")
    assert findings(exact, UNBOUND_BINDING, _old_deployment("extensions/v1beta1")) == []
    assert len(findings(exact, UNBOUND_BINDING, deployment("new", 9))) == 1
    # a resource that is not the same storage is never equivalent
    statefulset = _old_deployment("apps/v1").replace("kind: Deployment", "kind: StatefulSet")
    assert findings(POLICY, UNBOUND_BINDING, statefulset) == []


AUDITED = POLICY + """
  auditAnnotations:
  - key: high-replica-count
    valueExpression: "object.spec.replicas > 3 ? 'Deployment spec.replicas set to ' + string(object.spec.replicas) : ''"
  - key: empty
    valueExpression: "null"
"""


def test_audit_annotations_are_reported_as_the_api_server_records_them():
    """`<policy>/<key>: value` as info, for allowed and denied requests; null and '' record nothing."""
    found = findings(AUDITED, UNBOUND_BINDING, deployment("four", 4), deployment("six", 6), deployment("two", 2))
    notes = sorted((f.resource, f.severity, f.message.split(" audit annotation ")[1]) for f in found
                   if " audit annotation " in f.message)
    assert notes == [
        ("Deployment/test/four", "info", "demo-policy.example.com/high-replica-count: Deployment spec.replicas set to 4"),
        ("Deployment/test/six", "info", "demo-policy.example.com/high-replica-count: Deployment spec.replicas set to 6")]
    assert [f.resource for f in found if f.severity == "error"] == ["Deployment/test/six"]


def test_an_audit_annotation_that_is_not_a_string_is_an_error():
    bad = AUDITED.replace('valueExpression: "null"', 'valueExpression: "1"')
    [error] = [f for f in findings(bad, UNBOUND_BINDING, deployment("two", 2)) if f.severity == "error"]
    assert "auditAnnotation 'empty': valueExpression must evaluate to a string or null" in error.message
