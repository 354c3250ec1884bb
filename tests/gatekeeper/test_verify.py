"""`prcheck gatekeeper verify`: gator Suite files, run and printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from prcheck.checks.policy.gatekeeper.verify import CaseError, check_assertion
from tests.conftest import write
from tests.gatekeeper.helpers import (
    REQUIRED_LABELS,
    UNIQUE_HOST,
    constraint,
    dump,
    ingress,
    obj,
    template,
)

NO_SA_CHANGE = template("K8sNoSaChange", """
    package k8snosachange

    violation[{"msg": "serviceAccountName is immutable here"}] {
      input.review.operation == "UPDATE"
      input.review.object.spec.serviceAccountName != input.review.oldObject.spec.serviceAccountName
    }
""")

SUITE = """\
kind: Suite
apiVersion: test.gatekeeper.sh/v1alpha1
metadata:
  name: labels
tests:
- name: required-labels
  template: template.yaml
  constraint: samples/constraint.yaml
  cases:
  - name: allowed
    object: samples/allowed.yaml
    assertions:
    - violations: no
  - name: disallowed
    object: samples/disallowed.yaml
    assertions:
    - violations: yes
    - violations: 1
      message: "missing labels: .*owner"
    - violations: 0
      message: nothing-like-this
  - name: not-matched
    object: samples/secret.yaml
    assertions:
    - violations: no
  - name: skipped
    skip: true
    object: samples/missing.yaml
    assertions:
    - violations: yes
- name: bad-parameters
  template: template.yaml
  constraint: samples/bad_constraint.yaml
  invalid: true
"""

LABEL_FILES = {
    "labels/template.yaml": REQUIRED_LABELS,
    "labels/suite.yaml": SUITE,
    "labels/samples/constraint.yaml": constraint("K8sRequiredLabels", "owner",
                                                 {"kinds": [{"apiGroups": [""], "kinds": ["ConfigMap"]}]},
                                                 {"labels": ["owner", "team"]}),
    "labels/samples/bad_constraint.yaml": constraint("K8sRequiredLabels", "bad", None, {"labels": [1, 2]}),
    "labels/samples/allowed.yaml": dump(obj("ConfigMap", "a", labels={"owner": "o", "team": "t"})),
    "labels/samples/disallowed.yaml": dump(obj("ConfigMap", "d", labels={"team": "t"})),
    "labels/samples/secret.yaml": dump(obj("Secret", "s")),
}

REVIEW_SUITE = """\
kind: Suite
apiVersion: test.gatekeeper.sh/v1alpha1
tests:
- name: sa
  template: sa/template.yaml
  constraint: sa/constraint.yaml
  cases:
  - name: create-is-fine
    object: sa/pod.yaml
    assertions:
    - violations: no
  - name: update-changes-sa
    object: sa/update.yaml
    assertions:
    - violations: 1
- name: hosts
  template: hosts/template.yaml
  constraint: hosts/constraint.yaml
  cases:
  - name: unique
    object: hosts/new.yaml
    assertions:
    - violations: no
  - name: taken
    object: hosts/new.yaml
    inventory: [hosts/existing.yaml]
    assertions:
    - violations: yes
      message: shop.example.com
"""


def _pod(sa: str) -> dict:
    return obj("Pod", "p", "shop", spec={"serviceAccountName": sa, "containers": []})


REVIEW_FILES = {
    "review/suite.yaml": REVIEW_SUITE,
    "review/sa/template.yaml": NO_SA_CHANGE,
    "review/sa/constraint.yaml": constraint("K8sNoSaChange", "no-sa-change"),
    "review/sa/pod.yaml": dump(_pod("a")),
    "review/sa/update.yaml": dump({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"operation": "UPDATE", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                    "name": "p", "namespace": "shop", "object": _pod("b"), "oldObject": _pod("a")},
    }),
    "review/hosts/template.yaml": UNIQUE_HOST,
    "review/hosts/constraint.yaml": constraint("K8sUniqueIngressHost", "unique"),
    "review/hosts/new.yaml": dump(ingress("new", "blog", "shop.example.com")),
    "review/hosts/existing.yaml": dump(ingress("old", "shop", "shop.example.com"), obj("Namespace", "shop")),
}


def test_passing_suites_exit_zero_and_print_a_table(tmp_path: Path, run_cli) -> None:
    write(tmp_path, {**LABEL_FILES, **REVIEW_FILES})
    result = run_cli(["gatekeeper", "verify", "."], tmp_path)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["RESULT", "SUITE", "TEST", "CASE", "DETAIL"]
    assert any(line.split()[:4] == ["PASS", "labels/suite.yaml", "required-labels", "disallowed"] for line in lines)
    assert any(line.split()[:3] == ["PASS", "labels/suite.yaml", "bad-parameters"] for line in lines)
    assert any(line.split()[:4] == ["SKIP", "labels/suite.yaml", "required-labels", "skipped"] for line in lines)
    assert any(line.split()[:4] == ["PASS", "review/suite.yaml", "hosts", "taken"] for line in lines)
    assert lines[-1] == "8 passed, 0 failed, 0 errors, 1 skipped"


def test_mismatch_exits_one_with_the_reason(tmp_path: Path, run_cli) -> None:
    write(tmp_path, {**LABEL_FILES, "labels/samples/allowed.yaml": dump(obj("ConfigMap", "a"))})
    result = run_cli(["gatekeeper", "verify", "-v", "labels"], tmp_path)
    assert result.exit_code == 1
    (fail,) = [line for line in result.output.splitlines() if line.startswith("FAIL")]
    assert "allowed" in fail and "got 1 violations but want none" in fail
    assert "    violation: missing labels: owner, team" in result.output


def test_broken_case_is_an_error_and_run_filters(tmp_path: Path, run_cli) -> None:
    files = dict(LABEL_FILES)
    del files["labels/samples/secret.yaml"]
    write(tmp_path, files)
    result = run_cli(["gatekeeper", "verify", "labels"], tmp_path)
    assert result.exit_code == 1
    assert any(line.startswith("ERROR") and "not-matched" in line and "secret.yaml" in line
               for line in result.output.splitlines())
    result = run_cli(["gatekeeper", "verify", "--run", "required-labels/dis", "labels"], tmp_path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "1 passed, 0 failed, 0 errors, 4 skipped"


def test_template_that_does_not_compile_fails_its_cases(tmp_path: Path, run_cli) -> None:
    write(tmp_path, {**LABEL_FILES, "labels/template.yaml": template("K8sRequiredLabels", "package x\nviolation[{")})
    result = run_cli(["gatekeeper", "verify", "labels"], tmp_path)
    assert result.exit_code == 1 and "template does not compile" in result.output


def test_no_suite_is_a_usage_error(tmp_path: Path, run_cli) -> None:
    write(tmp_path, {"x.yaml": dump(obj("ConfigMap", "a"))})
    assert run_cli(["gatekeeper", "verify", "."], tmp_path).exit_code == 2
    assert run_cli(["gatekeeper", "verify", "missing"], tmp_path).exit_code == 2


@pytest.mark.parametrize("assertion, messages, problem", [
    ({}, ["a"], None), ({}, [], "want at least 1"),
    ({"violations": False}, [], None), ({"violations": "no"}, ["a"], "want none"),
    ({"violations": 2}, ["a", "b"], None), ({"violations": 2, "message": "^a"}, ["a", "ab", "b"], None),
    ({"violations": 1, "message": "x"}, ["a"], "got 0 violations containing 'x' but want exactly 1"),
])
def test_assertions_count_like_gator(assertion: dict, messages: list[str], problem: str | None) -> None:
    got = check_assertion(assertion, messages)
    assert got == problem if problem is None else problem in got


@pytest.mark.parametrize("assertion", [{"violations": -1}, {"violations": "some"}, {"message": "("}])
def test_malformed_assertions_are_errors(assertion: dict) -> None:
    with pytest.raises(CaseError):
        check_assertion(assertion, ["a"])


def test_suite_file_that_does_not_parse_is_an_error(tmp_path: Path, run_cli) -> None:
    write(tmp_path, {"s/suite.yaml": "kind: Suite\napiVersion: test.gatekeeper.sh/v1alpha1\ntests: [\n"})
    result = run_cli(["gatekeeper", "verify", "s"], tmp_path)
    assert result.exit_code == 1 and result.output.startswith("RESULT") and "ERROR" in result.output
