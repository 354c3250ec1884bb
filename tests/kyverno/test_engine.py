"""KyvernoEngine: loading, findings, deny, foreach, context entries, values, unsupported rules."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from prcheck.checks.policy.base import PolicyError
from prcheck.checks.policy.kyverno import KyvernoEngine
from prcheck.sources.yaml_loader import load_text

from .conftest import engine, messages, pattern_policy, results

HEADER = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: p
  annotations:
    pod-policies.kyverno.io/autogen-controllers: none
spec:
  validationFailureAction: {action}
  rules:
"""

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: prod
  labels: {app: web}
spec:
  containers:
  - name: app
    image: nginx:latest
    ports: [{containerPort: 80, hostPort: 8080}]
  - name: side
    image: corp/side:1.0
    securityContext:
      capabilities: {add: [NET_ADMIN]}
"""


def policy(rules: str, action: str = "Enforce") -> str:
    return HEADER.format(action=action) + rules


def docs(text: str, path: str = "app.yaml"):
    return load_text(text.lstrip("\n"), path).docs


def test_from_paths_finds_policies_and_returns_none_without(tmp_path: Path):
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "p.yaml").write_text(pattern_policy("spec: {containers: [{image: '!*:latest'}]}"))
    (tmp_path / "policies" / "other.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    eng = KyvernoEngine.from_paths([tmp_path / "policies"])
    assert eng is not None and [p.name for p in eng.policies] == ["p"]
    assert KyvernoEngine.from_paths([tmp_path / "policies" / "other.yaml"]) is None


def test_broken_policy_yaml_is_a_policy_error_with_its_line(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: [oops\n")
    with pytest.raises(PolicyError) as err:
        KyvernoEngine.from_paths([bad])
    assert err.value.path == str(bad) and err.value.line >= 4


def test_invalid_policy_structure_points_at_the_line(tmp_path: Path):
    text = policy("""
  - name: r
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      deny:
        conditions:
          any:
          - key: a
            operator: Contains
            value: a
""")
    path = tmp_path / "p.yaml"
    path.write_text(text.lstrip("\n"))
    with pytest.raises(PolicyError, match="unknown condition operator") as err:
        KyvernoEngine.from_paths([path])
    assert err.value.line == 18  # the operator line


def test_findings_carry_rule_severity_message_and_location():
    eng = engine(pattern_policy("spec: {containers: [{image: '!*:latest'}]}",
                                message="{{ request.object.metadata.name }} must not use latest"))
    evaluation = eng.evaluate(docs("---\n" + POD))
    [finding] = evaluation.findings
    assert finding.rule == "p/r" and finding.severity == "error" and finding.engine == "kyverno"
    assert finding.path == "app.yaml" and finding.line == 3 and finding.resource == "Pod/prod/web"
    assert finding.message == ("validation error: web must not use latest. "
                               "rule r failed at path /spec/containers/0/image/")
    assert evaluation.passed == 0


def test_audit_is_a_warning_and_passes_are_counted():
    eng = engine(policy("""
  - name: labels
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      pattern: {metadata: {labels: {app: '?*'}}}
  - name: team
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      pattern: {metadata: {labels: {team: '?*'}}}
""", action="Audit"))
    evaluation = eng.evaluate(docs(POD))
    assert [(f.rule, f.severity) for f in evaluation.findings] == [("p/team", "warning")]
    assert evaluation.passed == 1


def test_deny_with_preconditions_and_message_substitution():
    eng = engine(policy("""
  - name: caps
    match: {any: [{resources: {kinds: [Pod]}}]}
    preconditions:
      all:
      - key: "{{ request.operation || 'BACKGROUND' }}"
        operator: AnyIn
        value: [CREATE, UPDATE]
    validate:
      message: "{{ request.object.metadata.name }} adds {{ request.object.spec.containers[].securityContext.capabilities.add[] }}"
      deny:
        conditions:
          any:
          - key: "{{ request.object.spec.containers[].securityContext.capabilities.add[] || `[]` }}"
            operator: AnyNotIn
            value: [NET_BIND_SERVICE]
  - name: skipped
    match: {any: [{resources: {kinds: [Pod]}}]}
    preconditions:
    - key: "{{ request.object.metadata.labels.missing }}"
      operator: Equals
      value: yes
    validate:
      deny: {}
"""))
    assert results(eng, POD) == {"caps": "fail", "skipped": "skip"}
    assert messages(eng, POD)["caps"] == 'web adds ["NET_ADMIN"]'


def test_foreach_with_element_index_nesting_and_scope():
    eng = engine(policy("""
  - name: images
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: "container {{ elementIndex }} ({{ element.name }}) uses latest"
      foreach:
      - list: "request.object.spec.containers"
        pattern:
          image: "!*:latest"
  - name: host-ports
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: "{{ element0.name }} port {{ element1.hostPort }}"
      foreach:
      - list: "request.object.spec.containers"
        foreach:
        - list: "element.ports || `[]`"
          deny:
            conditions:
              any:
              - key: "{{ element.hostPort || `0` }}"
                operator: GreaterThan
                value: 0
  - name: unscoped
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      foreach:
      - list: "request.object.spec.containers"
        elementScope: false
        pattern:
          metadata: {name: web}
  - name: empty
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      foreach:
      - list: "request.object.spec.initContainers"
        pattern: {image: "*"}
"""))
    assert results(eng, POD) == {"images": "fail", "host-ports": "fail", "unscoped": "pass", "empty": "skip"}
    found = messages(eng, POD)
    assert found["images"] == ("validation failure: validation error: container 0 (app) uses latest. "
                               "rule images failed at path /image/")
    assert found["host-ports"] == "validation failure: validation failure: app port 8080"


def test_context_variables_and_values_for_cluster_data():
    rules = """
  - name: registry
    match: {any: [{resources: {kinds: [Pod]}}]}
    context:
    - name: allowed
      variable:
        value: ["corp/*"]
    - name: first
      variable:
        jmesPath: request.object.spec.containers[0].name
    - name: fallback
      variable:
        jmesPath: request.object.metadata.labels.team
        default: none
    validate:
      message: "{{ first }}/{{ fallback }}"
      deny:
        conditions:
          any:
          - key: "{{ request.object.spec.containers[].image }}"
            operator: AnyNotIn
            value: "{{ allowed }}"
  - name: from-configmap
    match: {any: [{resources: {kinds: [Pod]}}]}
    context:
    - name: settings
      configMap: {name: registries, namespace: kyverno}
    validate:
      deny:
        conditions:
          any:
          - key: "{{ request.object.metadata.namespace }}"
            operator: AnyIn
            value: "{{ settings.data.blocked }}"
"""
    offline = engine(policy(rules))
    assert results(offline, POD) == {"registry": "fail", "from-configmap": "skip"}
    assert messages(offline, POD)["registry"] == "app/none"
    evaluation = offline.evaluate(docs(POD))
    notes = [f for f in evaluation.findings if f.severity == "info"]
    assert len(notes) == 1 and "needs cluster data (configMap)" in notes[0].message
    values = {"policies": [{"name": "p", "rules": [{"name": "from-configmap",
                                                    "values": {"settings": {"data": {"blocked": '["prod"]'}}}}]}]}
    assert results(engine(policy(rules), values=values), POD)["from-configmap"] == "fail"


def test_values_file_sets_operation_and_namespace_labels():
    rules = """
  - name: updates-only
    match: {any: [{resources: {kinds: [Pod], operations: [UPDATE]}}]}
    validate:
      pattern: {metadata: {labels: {app: nope}}}
  - name: prod-only
    match: {any: [{resources: {kinds: [Pod], namespaceSelector: {matchLabels: {env: prod}}}}]}
    validate:
      pattern: {metadata: {labels: {app: nope}}}
"""
    assert results(engine(policy(rules)), POD) == {}
    values = {"policies": [{"name": "p", "resources": [{"name": "web", "values": {"request.operation": "UPDATE"}}]}],
              "namespaceSelector": [{"name": "prod", "labels": {"env": "prod"}}]}
    # On UPDATE an Enforce rule the old object fails too is skipped (allowExistingViolations); the
    # UPDATE-only rule does not match the old object "as created", so it still fails.
    assert results(engine(policy(rules), values=values), POD) == {"updates-only": "fail", "prod-only": "skip"}
    assert results(engine(policy(rules, action="Audit"), values=values), POD) == {
        "updates-only": "fail", "prod-only": "fail"}


def test_namespace_labels_come_from_namespace_documents():
    eng = engine(policy("""
  - name: prod-only
    match: {any: [{resources: {kinds: [Pod], namespaceSelector: {matchLabels: {env: prod}}}}]}
    validate:
      pattern: {metadata: {labels: {app: nope}}}
"""))
    namespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod, labels: {env: prod}}\n---\n"
    assert [f.rule for f in eng.evaluate(docs(namespace + POD)).findings] == ["p/prod-only"]


def test_unsupported_rules_are_reported_once_per_policy():
    eng = engine(policy("""
  - name: add-label
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate:
      patchStrategicMerge: {metadata: {labels: {x: y}}}
  - name: cel
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      cel:
        expressions: [{expression: "true"}]
  - name: real
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      pattern: {metadata: {name: '?*'}}
"""))
    evaluation = eng.evaluate(docs(POD))
    [note] = evaluation.findings
    assert note.severity == "info" and note.rule == "p/*"
    assert "add-label (mutate)" in note.message and "validate.cel" not in note.message  # CEL rules run
    assert evaluation.passed == 2


def test_namespaced_policy_only_sees_its_namespace():
    text = pattern_policy("metadata: {labels: {app: nope}}").replace("kind: ClusterPolicy", "kind: Policy").replace(
        "  name: p\n", "  name: p\n  namespace: prod\n", 1)
    eng = engine(text)
    assert results(eng, POD) == {"r": "fail"}
    assert results(eng, POD.replace("namespace: prod", "namespace: dev")) == {}


def test_engine_survives_pickling(tmp_path: Path):
    (tmp_path / "p.yaml").write_text(pattern_policy("spec: {containers: [{image: '!*:latest'}]}"))
    eng = KyvernoEngine.from_paths([tmp_path])
    clone = pickle.loads(pickle.dumps(eng))
    assert [f.rule for f in clone.evaluate(docs(POD)).findings] == ["p/r"]


def test_apply_rules_one_stops_after_the_first_applied_rule():
    rules = """
  - name: first
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      pattern: {metadata: {labels: {app: '?*'}}}
  - name: second
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      pattern: {metadata: {labels: {team: '?*'}}}
"""
    assert results(engine(policy(rules)), POD) == {"first": "pass", "second": "fail"}
    one = policy(rules).replace("  rules:\n", "  applyRules: One\n  rules:\n")
    assert results(engine(one), POD) == {"first": "pass"}


def test_other_kyverno_documents_are_reported_not_ignored(tmp_path: Path):
    (tmp_path / "mpol.yaml").write_text(
        "apiVersion: policies.kyverno.io/v1alpha1\nkind: MutatingPolicy\nmetadata: {name: cel-only}\nspec: {}\n")
    (tmp_path / "vpol.yaml").write_text(  # ValidatingPolicies belong to the CEL engine
        "apiVersion: policies.kyverno.io/v1alpha1\nkind: ValidatingPolicy\nmetadata: {name: vp}\nspec: {}\n")
    eng = KyvernoEngine.from_paths([tmp_path])
    assert eng is not None and eng.policies == []
    [note] = eng.evaluate(docs(POD)).findings
    assert note.severity == "info" and "MutatingPolicy cel-only: not evaluated offline" in note.message
