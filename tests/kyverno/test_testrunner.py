"""`kyverno-test.yaml` runs and the `prcheck kyverno test` command."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from prcheck.checks.policy.kyverno.testrunner import run_test_file
from prcheck.commands.kyverno_cmd import kyverno

from ..conftest import write

POLICY = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: disallow-latest-tag
spec:
  validationFailureAction: Audit
  rules:
  - name: validate-image-tag
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      message: "Using a mutable image tag e.g. 'latest' is not allowed."
      pattern:
        spec:
          containers:
          - image: "!*:latest"
  - name: check-registry
    match:
      any:
      - resources:
          kinds: [Pod]
    context:
    - name: allowed
      configMap: {name: registries, namespace: kyverno}
    validate:
      message: "registry not allowed"
      deny:
        conditions:
          all:
          - key: "{{ request.object.spec.containers[].image }}"
            operator: AnyNotIn
            value: "{{ allowed.data.list }}"
"""

RESOURCES = """
apiVersion: v1
kind: Pod
metadata:
  name: good
spec:
  containers:
  - name: c
    image: corp/app:1.0
---
apiVersion: v1
kind: Pod
metadata:
  name: bad
  namespace: team
spec:
  containers:
  - name: c
    image: nginx:latest
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: bad-deploy
spec:
  template:
    spec:
      containers:
      - name: c
        image: nginx:latest
"""

VALUES = """
apiVersion: cli.kyverno.io/v1alpha1
kind: Values
policies:
- name: disallow-latest-tag
  rules:
  - name: check-registry
    values:
      allowed.data.list: '["corp/*"]'
"""

TEST = """
apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata:
  name: disallow-latest-tag
policies:
- ../policy.yaml
resources:
- resources.yaml
variables: values.yaml
results:
- policy: disallow-latest-tag
  rule: validate-image-tag
  kind: Pod
  resources: [good]
  result: pass
- policy: disallow-latest-tag
  rule: validate-image-tag
  kind: Pod
  resources: [team/bad]
  result: {bad_result}
- policy: disallow-latest-tag
  rule: validate-image-tag
  kind: Deployment
  resources: [bad-deploy]
  result: fail
- policy: disallow-latest-tag
  rule: autogen-validate-image-tag
  kind: Deployment
  resources: [bad-deploy]
  result: fail
- policy: disallow-latest-tag
  rule: check-registry
  kind: Pod
  resources: [good]
  result: pass
- policy: disallow-latest-tag
  rule: check-registry
  kind: Pod
  resources: [bad]
  result: fail
- policy: disallow-latest-tag
  rule: validate-image-tag
  kind: Service
  resources: [not-a-match]
  result: skip
"""


def suite(root: Path, bad_result: str = "fail") -> Path:
    write(root, {
        "policy.yaml": POLICY,
        ".kyverno-test/kyverno-test.yaml": TEST.format(bad_result=bad_result),
        ".kyverno-test/resources.yaml": RESOURCES,
        ".kyverno-test/values.yaml": VALUES,
    })
    return root / ".kyverno-test" / "kyverno-test.yaml"


def test_passing_suite(tmp_path: Path):
    report = run_test_file(suite(tmp_path))
    assert report.error == ""
    assert [(r.resource, r.expected, r.actual, r.ok) for r in report.rows] == [
        ("good", "pass", "pass", True),
        ("team/bad", "fail", "fail", True),
        ("bad-deploy", "fail", "fail", True),
        ("bad-deploy", "fail", "fail", True),
        ("good", "pass", "pass", True),
        ("bad", "fail", "fail", True),
        ("not-a-match", "skip", "", True),
    ]


def test_mismatching_suite_reports_want_and_got(tmp_path: Path):
    report = run_test_file(suite(tmp_path, bad_result="pass"))
    failed = [r for r in report.rows if not r.ok]
    assert [(r.resource, r.reason) for r in failed] == [("team/bad", "Want pass, got fail")]


def test_cli_prints_a_table_and_sets_the_exit_code(tmp_path: Path):
    suite(tmp_path / "ok")
    suite(tmp_path / "broken", bad_result="pass")
    runner = CliRunner()
    ok = runner.invoke(kyverno, ["test", str(tmp_path / "ok")])
    assert ok.exit_code == 0, ok.output
    assert "│ ID │ POLICY" in ok.output and "Test Summary: 7 tests passed and 0 tests failed" in ok.output
    broken = runner.invoke(kyverno, ["test", str(tmp_path), "--detailed-results"])
    assert broken.exit_code == 1
    assert "Want pass, got fail" in broken.output
    assert "Test Summary: 13 tests passed and 1 tests failed" in broken.output


def test_unloadable_test_fails(tmp_path: Path):
    write(tmp_path, {"kyverno-test.yaml": "policies: [missing.yaml]\nresources: []\nresults: []\n"})
    report = run_test_file(tmp_path / "kyverno-test.yaml")
    assert report.error and report.failed == 1
