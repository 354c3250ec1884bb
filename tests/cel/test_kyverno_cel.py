"""Kyverno CEL policies through `kyverno-test.yaml`: `validate.cel` rules and ValidatingPolicies."""

from __future__ import annotations

from pathlib import Path

from prcheck.checks.policy.kyverno.testrunner import run_test_file

from ..conftest import write

CEL_RULE = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-team
spec:
  validationFailureAction: Enforce
  rules:
  - name: team-label
    match:
      any:
      - resources: {kinds: [Pod]}
    celPreconditions:
    - name: not-system
      expression: "object.metadata.?namespace.orValue('') != 'kube-system'"
    validate:
      cel:
        variables:
        - name: team
          expression: "object.metadata.?labels.?team.orValue('')"
        expressions:
        - expression: "variables.team != ''"
          messageExpression: "'pod ' + object.metadata.name + ' has no team'"
"""

VPOL = """
apiVersion: policies.kyverno.io/v1alpha1
kind: ValidatingPolicy
metadata:
  name: no-latest
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [pods]
  matchConditions:
  - name: not-exempt
    expression: "!has(object.metadata.annotations) || !('exempt' in object.metadata.annotations)"
  validations:
  - expression: "object.spec.containers.all(c, !c.image.endsWith(':latest'))"
    message: "latest tag"
"""

RESOURCES = """
apiVersion: v1
kind: Pod
metadata: {name: good, labels: {team: a}}
spec: {containers: [{name: c, image: nginx:1.25}]}
---
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec: {containers: [{name: c, image: nginx:latest}]}
---
apiVersion: v1
kind: Pod
metadata: {name: sys, namespace: kube-system}
spec: {containers: [{name: c, image: nginx:1.25}]}
---
apiVersion: v1
kind: Pod
metadata: {name: exempt, annotations: {exempt: "yes"}}
spec: {containers: [{name: c, image: nginx:latest}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bad-deploy}
spec:
  template:
    metadata: {labels: {team: a}}
    spec: {containers: [{name: c, image: nginx:latest}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: good-cron}
spec:
  jobTemplate:
    spec:
      template:
        metadata: {labels: {team: a}}
        spec: {containers: [{name: c, image: nginx:1}]}
"""

TEST = """
apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata: {name: t}
policies: [../cel-rule.yaml, ../vpol.yaml]
resources: [resources.yaml]
results:
- {policy: require-team, rule: team-label, kind: Pod, resources: [good], result: pass}
- {policy: require-team, rule: team-label, kind: Pod, resources: [bad], result: fail}
- {policy: require-team, rule: team-label, kind: Pod, resources: [kube-system/sys], result: skip}
- {policy: require-team, rule: team-label, kind: Deployment, resources: [bad-deploy], result: pass}
- {policy: require-team, rule: autogen-cronjob-team-label, kind: CronJob, resources: [good-cron], result: pass}
- {policy: no-latest, isValidatingPolicy: true, kind: Pod, resources: [good], result: pass}
- {policy: no-latest, isValidatingPolicy: true, kind: Pod, resources: [bad], result: fail}
- {policy: no-latest, isValidatingPolicy: true, kind: Pod, resources: [exempt], result: skip}
- {policy: no-latest, isValidatingPolicy: true, kind: Deployment, resources: [bad-deploy], result: fail}
- {policy: no-latest, isValidatingPolicy: true, kind: CronJob, resources: [good-cron], result: pass}
"""


def _suite(tmp_path: Path, **overrides: str) -> Path:
    files = {"cel-rule.yaml": CEL_RULE, "vpol.yaml": VPOL, ".kyverno-test/resources.yaml": RESOURCES,
             ".kyverno-test/kyverno-test.yaml": TEST}
    files.update(overrides)
    write(tmp_path, files)
    return tmp_path / ".kyverno-test" / "kyverno-test.yaml"


def test_cel_rules_and_validating_policies_give_kyverno_results(tmp_path: Path):
    report = run_test_file(_suite(tmp_path))
    assert not report.error
    assert [(r.policy, r.kind, r.resource, r.actual) for r in report.rows if not r.ok] == []
    assert len(report.rows) == 10


def test_autogen_rewrites_the_expressions_for_controllers(tmp_path: Path):
    """Without the rewrite, `object.spec.containers` does not exist on a Deployment."""
    report = run_test_file(_suite(tmp_path))
    deploy = [r for r in report.rows if r.kind in ("Deployment", "CronJob")]
    assert [r.actual for r in deploy] == ["pass", "pass", "fail", "pass"]


def test_autogen_can_be_turned_off_for_a_validating_policy(tmp_path: Path):
    vpol = VPOL.replace("spec:\n", "spec:\n  autogen: {podControllers: {controllers: []}}\n", 1)
    report = run_test_file(_suite(tmp_path, **{"vpol.yaml": vpol}))
    row = next(r for r in report.rows if r.policy == "no-latest" and r.kind == "Deployment")
    assert row.actual == "" and not row.ok  # not evaluated: the expected fail is "Not found"


def test_a_compile_error_fails_the_test_with_file_and_line(tmp_path: Path):
    broken = VPOL.replace("c.image.endsWith(':latest'))", "c.image.endsWith(':latest')")
    report = run_test_file(_suite(tmp_path, **{"vpol.yaml": broken}))
    assert "vpol.yaml:17" in report.error and "does not compile" in report.error


def test_evaluation_errors_are_errors_not_passes(tmp_path: Path):
    vpol = VPOL.replace("object.spec.containers.all", "object.spec.nothing.all")
    report = run_test_file(_suite(tmp_path, **{"vpol.yaml": vpol}))
    row = next(r for r in report.rows if r.policy == "no-latest" and r.resource == "good")
    assert row.actual == "error" and "nothing" in row.message


CONTEXT_POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: registries}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  variables:
  - name: cm
    expression: resource.Get("v1", "configmaps", "default", "registries")
  - name: allowed
    expression: variables.cm.data.registries.split(",")
  validations:
  - expression: "object.spec.containers.all(c, variables.allowed.exists(r, c.image.startsWith(r)))"
  - expression: "namespaceObject == null || namespaceObject.metadata.labels.env != 'frozen'"
  - expression: "parseServiceAccount(request.userInfo.username).Name == 'deployer'"
"""


def test_context_file_user_and_namespaces_feed_the_libraries(tmp_path: Path):
    files = {
        "policy.yaml": CONTEXT_POLICY,
        ".kyverno-test/resources.yaml": """
            apiVersion: v1
            kind: Pod
            metadata: {name: ok, namespace: apps}
            spec: {containers: [{name: c, image: corp.io/app:1}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: frozen, namespace: ice}
            spec: {containers: [{name: c, image: corp.io/app:1}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: elsewhere, namespace: apps}
            spec: {containers: [{name: c, image: docker.io/app:1}]}
        """,
        ".kyverno-test/context.yaml": """
            apiVersion: cli.kyverno.io/v1alpha1
            kind: Context
            spec:
              resources:
              - apiVersion: v1
                kind: ConfigMap
                metadata: {name: registries, namespace: default}
                data: {registries: "corp.io/,mirror.io/"}
        """,
        ".kyverno-test/user.yaml": "apiVersion: cli.kyverno.io/v1alpha1\nkind: UserInfo\n"
                                   "userInfo: {username: 'system:serviceaccount:ci:deployer'}\n",
        ".kyverno-test/values.yaml": """
            apiVersion: cli.kyverno.io/v1alpha1
            kind: Values
            namespaces:
            - apiVersion: v1
              kind: Namespace
              metadata: {name: ice, labels: {env: frozen}}
        """,
        ".kyverno-test/kyverno-test.yaml": """
            apiVersion: cli.kyverno.io/v1alpha1
            kind: Test
            policies: [../policy.yaml]
            resources: [resources.yaml]
            context: context.yaml
            userinfo: user.yaml
            variables: values.yaml
            results:
            - {policy: registries, isValidatingPolicy: true, kind: Pod, resources: [apps/ok], result: pass}
            - {policy: registries, isValidatingPolicy: true, kind: Pod, resources: [ice/frozen], result: fail}
            - {policy: registries, isValidatingPolicy: true, kind: Pod, resources: [apps/elsewhere], result: fail}
        """,
    }
    write(tmp_path, files)
    report = run_test_file(tmp_path / ".kyverno-test" / "kyverno-test.yaml")
    assert not report.error, report.error
    assert [(r.resource, r.actual) for r in report.rows] == [
        ("apps/ok", "pass"), ("ice/frozen", "fail"), ("apps/elsewhere", "fail")]
