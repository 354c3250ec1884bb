"""Pod rules extended to pod controllers, as Kyverno's autogen does."""

from __future__ import annotations

from prcheck.checks.policy.kyverno.autogen import controllers_for, generate_rules

from .conftest import engine, resource, results

POLICY = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: no-latest
  {annotations}
spec:
  validationFailureAction: Enforce
  rules:
  - name: tag
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      message: "{{{{ request.object.metadata.name }}}} uses latest"
      pattern:
        spec:
          containers:
          - image: "!*:latest"
  - name: replicas
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      message: no host network
      deny:
        conditions:
          any:
          - key: "{{{{ request.object.spec.hostNetwork || `false` }}}}"
            operator: Equals
            value: true
"""

BAD_TEMPLATE = {"metadata": {"labels": {"app": "x"}},
                "spec": {"hostNetwork": True, "containers": [{"name": "c", "image": "nginx:latest"}]}}


def workload(kind: str) -> dict:
    api = {"CronJob": "batch/v1", "Job": "batch/v1", "ReplicationController": "v1"}.get(kind, "apps/v1")
    spec = {"jobTemplate": {"spec": {"template": BAD_TEMPLATE}}} if kind == "CronJob" else {"template": BAD_TEMPLATE}
    return {"apiVersion": api, "kind": kind, "metadata": {"name": f"my-{kind.lower()}"}, "spec": spec}


def policy(annotations: str = "") -> dict:
    return resource(POLICY.format(annotations=annotations))


def test_rules_are_generated_for_every_controller_and_cronjob():
    names = [r["name"] for r in generate_rules(policy())]
    assert names == ["autogen-tag", "autogen-cronjob-tag", "autogen-replicas", "autogen-cronjob-replicas"]
    generated = generate_rules(policy())
    assert generated[0]["validate"]["pattern"] == {"spec": {"template": {"spec": {"containers": [{"image": "!*:latest"}]}}}}
    assert generated[1]["validate"]["pattern"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    deny_key = generated[3]["validate"]["deny"]["conditions"]["any"][0]["key"]
    assert "request.object.spec.jobTemplate.spec.template.spec.hostNetwork" in deny_key
    assert generated[0]["match"]["any"][0]["resources"]["kinds"] == [
        "apps/v1/DaemonSet", "apps/v1/Deployment", "batch/v1/Job", "apps/v1/ReplicaSet",
        "v1/ReplicationController", "apps/v1/StatefulSet"]


def test_annotation_narrows_or_disables_controllers():
    assert controllers_for(policy("annotations: {pod-policies.kyverno.io/autogen-controllers: none}")) == []
    chosen = controllers_for(policy("annotations: {pod-policies.kyverno.io/autogen-controllers: 'Deployment,StatefulSet'}"))
    assert chosen == ["Deployment", "StatefulSet"]


def test_no_autogen_when_pods_are_selected_by_name():
    selected = policy()
    selected["spec"]["rules"][0]["match"]["any"][0]["resources"]["names"] = ["web-*"]
    assert controllers_for(selected) == []


def test_controllers_are_evaluated_under_autogen_rule_names():
    eng = engine(POLICY.format(annotations=""))
    for kind in ("Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet", "ReplicationController"):
        assert results(eng, workload(kind)) == {"autogen-tag": "fail", "autogen-replicas": "fail"}, kind
    assert results(eng, workload("CronJob")) == {"autogen-cronjob-tag": "fail", "autogen-cronjob-replicas": "fail"}
    message = eng.apply(workload("Deployment"))[0].result.message
    # the message's request.object.metadata was shifted to the (unnamed) pod template, as in Kyverno
    assert message.startswith("validation error: variables substitution error in rule autogen-tag")
    assert "at path /spec/template/spec/containers/0/image/" in message


def test_annotation_limits_evaluation():
    eng = engine(POLICY.format(annotations="annotations: {pod-policies.kyverno.io/autogen-controllers: Deployment}"))
    assert results(eng, workload("Deployment")) == {"autogen-tag": "fail", "autogen-replicas": "fail"}
    assert results(eng, workload("StatefulSet")) == {}
    assert results(eng, workload("CronJob")) == {}
