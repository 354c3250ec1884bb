"""The Python Kubernetes rules' building blocks (what the Rego pack's unit tests checked
when these rules were Rego), and their Rego value semantics checked against regorus itself."""

from __future__ import annotations

import json

import pytest
import regorus

from prcheck.checks.policy.builtin_k8s import RULES, hits, rules_for
from prcheck.checks.policy.builtin_k8s.apis import minor
from prcheck.checks.policy.builtin_k8s.subject import POD_KINDS, Subject
from prcheck.checks.policy.builtin_k8s.values import contains, same, text
from prcheck.checks.policy.builtin import pack_data
from prcheck.checks.policy.builtin_catalog import pack_dir

CRONJOB = {
    "apiVersion": "batch/v1", "kind": "CronJob",
    "spec": {"jobTemplate": {"spec": {"template": {"spec": {
        "initContainers": [{"name": "init", "image": "busybox"}],
        "containers": [{"image": "registry:5000/team/app:v1.2@sha256:abc"}],
    }}}}},
}
PREFIX = ["spec", "jobTemplate", "spec", "template", "spec"]


@pytest.fixture(scope="module")
def data() -> dict:
    return pack_data(pack_dir())


def test_pod_of_a_cronjob():
    assert Subject(CRONJOB, "1.32", {}).pod.path == PREFIX


def test_containers_carry_paths_and_names():
    paths = {c.name: c.path for c in Subject(CRONJOB, "1.32", {}).containers}
    assert paths == {"init": PREFIX + ["initContainers", 0], "containers[0]": PREFIX + ["containers", 0]}


def test_image_references_are_split():
    parsed = {i.image: (i.tag, i.digest) for i in Subject(CRONJOB, "1.32", {}).images}
    assert parsed == {"busybox": ("", ""), "registry:5000/team/app:v1.2@sha256:abc": ("v1.2", "sha256:abc")}


def test_no_pod_for_other_kinds():
    assert Subject({"kind": "ConfigMap", "data": {}}, "1.32", {}).pod is None


def test_minor_versions():
    assert (minor("1.32"), minor("v1.25.3"), minor("latest"), minor("1.032"), minor(1.32)) == (32, 25, None, None, None)


def _messages(obj: dict, kube_version: str, data: dict, rule: str) -> list[str]:
    return [message for r, (message, _) in hits(obj, kube_version, data) if r.id == rule]


def test_removed_api_names_the_newest_served_replacement(data):
    obj = {"apiVersion": "flowcontrol.apiserver.k8s.io/v1beta2", "kind": "FlowSchema"}
    [message] = _messages(obj, "1.30", data, "k8s/removed-api")
    assert message.endswith("use apiVersion flowcontrol.apiserver.k8s.io/v1")


def test_psp_has_no_replacement(data):
    [message] = _messages({"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy"}, "1.25", data, "k8s/removed-api")
    assert "Pod Security Admission" in message


def test_malformed_kube_version_reports_nothing(data):
    obj = {"apiVersion": "batch/v1beta1", "kind": "CronJob", "spec": {"startingDeadlineSeconds": 5}}
    assert not [r for r, _ in hits(obj, "next", data) if r.id in ("k8s/removed-api", "k8s/deprecated-api")]


def test_rules_run_only_on_their_kinds():
    assert {r.id for r in rules_for("ConfigMap")} == {"k8s/default-namespace", "k8s/removed-api", "k8s/deprecated-api"}
    assert all(rule in rules_for("Deployment") for rule in RULES if rule.kinds and "Deployment" in rule.kinds)
    assert rules_for(["not", "a", "kind"]) == rules_for("ConfigMap")
    assert POD_KINDS == {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController",
                         "Job", "PodTemplate", "CronJob"}


# Values users can write where a rule expects something else; Rego's answers are the reference.
ODD_VALUES = [None, True, False, 0, 1, -0.0, 1.5, 1e-7, 1e21, 2.5e30, 12345678901234567, "str", "ü \"q\"",
              [], [1, "a", None, True], {}, {"b": [2], "a": 1.5}, {"x": {"y": [False]}}]


def _rego(policy: str, value: object) -> object:
    engine = regorus.Engine()
    engine.add_policy("p.rego", "package p\nimport rego.v1\n" + policy)
    engine.set_input_json(json.dumps(value))
    return json.loads(engine.eval_rule_as_json("data.p.r"))


def test_text_prints_what_rego_sprintf_prints():
    assert [text(v) for v in ODD_VALUES] == _rego('r := [sprintf("%s", [x]) | some x in input]', ODD_VALUES)


def test_same_and_contains_follow_rego_equality_and_membership():
    pairs = [[a, b] for a in ODD_VALUES for b in ODD_VALUES]
    assert [same(a, b) for a, b in pairs] == _rego(
        "eq(p) := true if p[0] == p[1]\neq(p) := false if not p[0] == p[1]\nr := [eq(p) | some p in input]", pairs)
    collections = [[c, x] for c in ODD_VALUES for x in (None, True, 1, "a", "str", 1.5, [2])]
    expected = _rego(
        "has(p) := true if p[1] in p[0]\nhas(p) := false if not p[1] in p[0]\nr := [has(p) | some p in input]",
        collections)
    assert [contains(c, x) for c, x in collections] == expected
