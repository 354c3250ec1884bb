"""Gatekeeper K8sNativeValidation templates: evaluated with CEL, engine chosen like Gatekeeper."""

from __future__ import annotations

from pathlib import Path

import pytest

from prcheck.checks.policy.base import PolicyError
from prcheck.checks.policy.gatekeeper import GatekeeperEngine
from prcheck.checks.policy.gatekeeper.verify import Verifier
from prcheck.sources.yaml_loader import load_text

from ..conftest import write

# The Rego half never finds anything, so a violation proves the CEL half ran.
TEMPLATE = """
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: k8sallowedrepos}
spec:
  crd:
    spec:
      names: {kind: K8sAllowedRepos}
  targets:
  - target: admission.k8s.gatekeeper.sh
    code:
    - engine: K8sNativeValidation
      source:
        variables:
        - name: containers
          expression: 'has(variables.anyObject.spec.containers) ? variables.anyObject.spec.containers : []'
        - name: isUpdate
          expression: 'has(request.operation) && request.operation == "UPDATE"'
        validations:
        - expression: 'variables.isUpdate || variables.containers.all(c, variables.params.repos.exists(r, c.image.startsWith(r)))'
          messageExpression: '"image not from " + variables.params.repos.join(", ")'
    - engine: Rego
      source:
        rego: |
          package k8sallowedrepos
          violation[{"msg": "never"}] { false }
"""

CONSTRAINT = """
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sAllowedRepos
metadata: {name: repos}
spec:
  parameters: {repos: ["corp.io/"]}
"""

SUITE = """
apiVersion: test.gatekeeper.sh/v1alpha1
kind: Suite
tests:
- name: repos
  template: template.yaml
  constraint: constraint.yaml
  cases:
  - {name: good, object: good.yaml, assertions: [{violations: no}]}
  - {name: bad, object: bad.yaml, assertions: [{violations: 1, message: "image not from corp.io/"}]}
  - {name: update-exempt, object: update.yaml, assertions: [{violations: no}]}
"""

POD = "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec: {{containers: [{{name: c, image: {image}}}]}}\n"
UPDATE = """
apiVersion: admission.k8s.io/v1
kind: AdmissionReview
request:
  operation: UPDATE
  object: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: evil.io/x}]}}
  oldObject: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: evil.io/x}]}}
"""


def _suite(tmp_path: Path, template: str = TEMPLATE) -> Path:
    write(tmp_path, {"template.yaml": template, "constraint.yaml": CONSTRAINT, "suite.yaml": SUITE,
                     "good.yaml": POD.format(image="corp.io/app:1"), "bad.yaml": POD.format(image="evil.io/x"),
                     "update.yaml": UPDATE})
    return tmp_path / "suite.yaml"


def _statuses(suite: Path, engine: str) -> dict[str, str]:
    return {o.case: o.status for o in Verifier(engine=engine).run_suite(suite)}


def test_auto_runs_the_cel_code_with_params_variables_and_request(tmp_path: Path):
    assert _statuses(_suite(tmp_path), "auto") == {"good": "pass", "bad": "pass", "update-exempt": "pass"}


def test_rego_engine_runs_the_rego_instead(tmp_path: Path):
    assert _statuses(_suite(tmp_path), "rego")["bad"] == "fail"  # the Rego finds nothing


def test_forced_cel_never_falls_back_to_rego(tmp_path: Path):
    rego_only = TEMPLATE.split("    - engine: K8sNativeValidation")[0] + """    - engine: Rego
      source:
        rego: |
          package k8sallowedrepos
          violation[{"msg": "never"}] { false }
"""
    [outcome] = Verifier(engine="cel").run_suite(_suite(tmp_path, rego_only))
    assert outcome.status == "error" and "no K8sNativeValidation code" in outcome.detail


def test_cel_compile_error_names_file_and_line(tmp_path: Path):
    broken = TEMPLATE.replace("c.image.startsWith(r)))", "c.image.startsWith(r))")
    [outcome] = Verifier().run_suite(_suite(tmp_path, broken))
    assert outcome.status == "error" and "template.yaml:19" in outcome.detail and "does not compile" in outcome.detail


def test_check_engine_reports_cel_violations(tmp_path: Path):
    write(tmp_path, {"policies/template.yaml": TEMPLATE, "policies/constraint.yaml": CONSTRAINT})
    engine = GatekeeperEngine.from_paths([tmp_path / "policies"])
    assert engine is not None
    docs = load_text(POD.format(image="evil.io/x") + "---\n" + POD.format(image="corp.io/a").replace("name: p", "name: q"),
                     "pods.yaml").docs
    findings = engine.evaluate(docs).findings
    assert [(f.rule, f.message, f.resource) for f in findings] == [
        ("K8sAllowedRepos/repos", "image not from corp.io/", "Pod/p")]


def test_unknown_engine_is_refused(tmp_path: Path):
    write(tmp_path, {"policies/template.yaml": TEMPLATE, "policies/constraint.yaml": CONSTRAINT})
    with pytest.raises(PolicyError):
        GatekeeperEngine.from_paths([tmp_path / "policies"], engine="wasm")
