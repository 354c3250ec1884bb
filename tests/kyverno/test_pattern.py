"""Pattern semantics: anchors, wildcards, operators, ranges, quantities, durations, null."""

from __future__ import annotations

import pytest

from prcheck.checks.policy.kyverno.pattern import compile_pattern, match
from prcheck.checks.policy.kyverno.values import compile_scalar

from .conftest import resource


def outcome(pattern: str, res: str):
    return match(resource(res), compile_pattern(resource(pattern)))


@pytest.mark.parametrize(("pattern", "value", "ok"), [
    ("*", "anything", True),
    ("nginx:*", "nginx:1.25", True),
    ("nginx:*", "redis:1", False),
    ("?*", "", False),
    ("?*", "x", True),
    ("a?c", "abc", True),
    ("a?c", "abbc", False),
    ("!*:latest", "nginx:latest", False),
    ("!*:latest", "nginx:1.2", True),
    ("a | b", "b", True),
    ("a | b", "c", False),
    ("*:* & !*:latest", "nginx", False),
    ("*:* & !*:latest", "nginx:1", True),
    (">1", 2, True),
    (">1", 1, False),
    (">=1", 1, True),
    ("<3", 2, True),
    ("<=3", 4, False),
    ("1-10", 5, True),
    ("1-10", 11, False),
    ("1!-10", 11, True),
    ("1!-10", 5, False),
    ("<= 2Gi", "1500Mi", True),
    ("<= 2Gi", "3Gi", False),
    ("> 100m", "0.2", True),
    ("1Gi", "1024Mi", True),
    ("> 1h", "90m", True),
    ("<= 30s", "1m", False),
    (">0", None, False),  # a missing value is 0 for numeric operators
    ("<5", None, True),
    (1, 1.0, True),
    (1, "1", True),
    (1, "x", False),
    (True, True, True),
    (True, "true", False),
    (None, None, True),
    (None, "", True),
    (None, 0, True),
    (None, "x", False),
    (None, {}, False),
    ("1", 1, True),  # numbers are compared as Kyverno prints them
    ("*.5", 1.5, False),  # floats print as 1.5E+00 for wildcard matches
])
def test_scalar_values(pattern, value, ok):
    assert compile_scalar(pattern)(value) is ok


def test_plain_failure_reports_the_path():
    result = outcome("spec: {containers: [{image: '!*:latest'}]}", "spec: {containers: [{image: a:1}, {image: b:latest}]}")
    assert (result.status, result.path) == ("fail", "/spec/containers/1/image/")


def test_missing_field_fails_and_star_requires_presence():
    assert outcome("spec: {x: '?*'}", "spec: {}").status == "fail"
    assert outcome("spec: {x: '*'}", "spec: {x: 1}").status == "pass"
    assert outcome("spec: {x: '*'}", "spec: {}").status == "fail"


def test_structure_mismatch_fails():
    assert outcome("spec: {containers: [{name: a}]}", "spec: {containers: {name: a}}").status == "fail"
    assert outcome("spec: {a: {b: 1}}", "spec: {a: 1}").status == "fail"


def test_scalar_pattern_applies_to_every_list_element():
    assert outcome("spec: {args: '!--privileged'}", "spec: {args: [a, b]}").status == "pass"
    assert outcome("spec: {args: '!--privileged'}", "spec: {args: [a, --privileged]}").status == "fail"


def test_conditional_anchor_skips_when_condition_fails():
    pattern = "spec: {containers: [{(name): 'nginx*', image: '!*:latest'}]}"
    assert outcome(pattern, "spec: {containers: [{name: redis, image: r:latest}]}").status == "skip"
    assert outcome(pattern, "spec: {containers: [{name: nginx, image: n:latest}]}").status == "fail"
    assert outcome(pattern, "spec: {containers: [{name: nginx, image: n:1}, {name: redis, image: r:latest}]}").status == "pass"
    assert outcome(pattern, "spec: {containers: [{image: r:latest}]}").status == "skip"


def test_conditional_anchor_on_a_map_is_an_if_then():
    pattern = "metadata: {(labels): {tier: db}}\nspec: {replicas: '>1'}"
    assert outcome(pattern, "metadata: {labels: {tier: web}}\nspec: {replicas: 1}").status == "skip"
    assert outcome(pattern, "metadata: {labels: {tier: db}}\nspec: {replicas: 1}").status == "fail"


def test_equality_anchor_checks_only_when_present():
    pattern = "spec: {=(hostNetwork): false}"
    assert outcome(pattern, "spec: {}").status == "pass"
    assert outcome(pattern, "spec: {hostNetwork: false}").status == "pass"
    assert outcome(pattern, "spec: {hostNetwork: true}").status == "fail"


def test_existence_anchor_needs_one_matching_element():
    pattern = "spec: {^(containers): [{image: 'trusted/*'}]}"
    assert outcome(pattern, "spec: {containers: [{image: x/a}, {image: trusted/b}]}").status == "pass"
    assert outcome(pattern, "spec: {containers: [{image: x/a}]}").status == "fail"
    assert outcome(pattern, "spec: {}").status == "pass"


def test_negation_anchor_forbids_the_key():
    pattern = "spec: {volumes: [{X(hostPath): 'null'}]}"
    assert outcome(pattern, "spec: {volumes: [{name: a, emptyDir: {}}]}").status == "pass"
    result = outcome(pattern, "spec: {volumes: [{name: a, hostPath: {path: /}}]}")
    assert (result.status, result.path) == ("fail", "/spec/volumes/0/hostPath/")


def test_global_anchor_skips_the_rule():
    pattern = "spec: {containers: [{<(image): 'corp/*'}], imagePullSecrets: [{name: '?*'}]}"
    assert outcome(pattern, "spec: {containers: [{image: docker/x}]}").status == "skip"
    assert outcome(pattern, "spec: {containers: [{image: corp/x}]}").status == "fail"
    assert outcome(pattern, "spec: {containers: [{image: corp/x}], imagePullSecrets: [{name: s}]}").status == "pass"


def test_add_if_not_present_is_ignored_by_validation():
    assert outcome("spec: {+(dnsPolicy): Default, x: 1}", "spec: {x: 1}").status == "pass"


def test_wildcard_label_keys_match_resource_keys():
    pattern = "metadata: {labels: {app.kubernetes.io/*: '?*'}}"
    assert outcome(pattern, "metadata: {labels: {app.kubernetes.io/name: web}}").status == "pass"
    assert outcome(pattern, "metadata: {labels: {team: a}}").status == "fail"
    anchored = "metadata: {=(annotations): {=(apparmor/*): 'runtime/default'}}"
    assert outcome(anchored, "metadata: {annotations: {apparmor/c: unconfined}}").status == "fail"
    assert outcome(anchored, "metadata: {annotations: {other: x}}").status == "pass"


def test_failure_with_an_unseen_anchor_key_is_an_error():
    """Kyverno's IsAnchorError branch: a plain failure while a condition, existence
    or negation anchor key was never found in the resource is a rule error."""
    pattern = "spec: {containers: [{X(securityContext): null, name: 'x'}]}"
    assert outcome(pattern, "spec: {containers: [{name: y}]}").status == "error"
    assert outcome(pattern, "spec: {containers: [{name: y, securityContext: {}}]}").status == "fail"
    assert outcome(pattern, "spec: {containers: [{name: x}]}").status == "pass"


def test_empty_list_pattern_fails_and_positional_lists():
    assert outcome("spec: {x: []}", "spec: {x: [1]}").status == "fail"
    assert outcome("spec: {x: [[1], [2]]}", "spec: {x: [[1], [2]]}").status == "pass"
    assert outcome("spec: {x: [[1], [2]]}", "spec: {x: [[1]]}").status == "error"
