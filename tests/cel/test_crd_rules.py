"""CRD x-kubernetes-validations, with fixtures from the Kubernetes documentation
(tasks/extend-kubernetes/custom-resources/custom-resource-definitions#validation-rules)."""

from __future__ import annotations

import textwrap

from prcheck.checks.context import CheckContext
from prcheck.checks.policy.cel.engine import CelEngine
from prcheck.sources.base_tree import index_objects
from prcheck.sources.yaml_loader import load_text

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: crontabs.stable.example.com}
spec:
  group: stable.example.com
  names: {kind: CronTab, plural: crontabs}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-validations:
            - rule: "self.minReplicas <= self.replicas"
              message: "replicas should be greater than or equal to minReplicas."
            - rule: "self.replicas <= self.maxReplicas"
              messageExpression: "'replicas should be smaller than or equal to ' + string(self.maxReplicas)"
              fieldPath: .replicas
              reason: FieldValueForbidden
            properties:
              minReplicas: {type: integer}
              replicas: {type: integer}
              maxReplicas: {type: integer}
              name:
                type: string
                x-kubernetes-validations:
                - rule: "self == oldSelf"
                  message: Value is immutable
              mode:
                type: string
                x-kubernetes-validations:
                - rule: "!oldSelf.hasValue() || oldSelf.value() != 'locked' || self == 'locked'"
                  message: a locked mode stays locked
                  optionalOldSelf: true
                - rule: "oldSelf.hasValue() || self != 'locked'"
                  message: cannot be created locked
                  optionalOldSelf: true
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  properties:
                    name: {type: string}
                    port:
                      type: integer
                      x-kubernetes-validations:
                      - rule: "self >= oldSelf"
                        message: ports only grow
"""


def cron(name: str, spec: str) -> str:
    return f"apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata: {{name: {name}, namespace: ns}}\nspec: {spec}\n"


def run(*texts: str, base: "tuple[str, ...]" = ()):
    def docs(items):
        joined = "\n---\n".join(textwrap.dedent(t).strip("\n") for t in items)
        return [d for d in load_text(joined, "crs.yaml").docs if d.obj is not None]
    ctx = CheckContext(base_objects=index_objects(docs(base)) if base else {})
    return CelEngine().for_context(ctx).evaluate(docs(texts)).findings


def test_rules_run_at_their_schema_node_with_messages_and_field_path():
    found = run(CRD, cron("ok", "{minReplicas: 1, replicas: 2, maxReplicas: 3}"),
                cron("bad", "{minReplicas: 6, replicas: 5, maxReplicas: 4}"))
    assert [f.message for f in found] == [
        'spec: Invalid value: "object": replicas should be greater than or equal to minReplicas.',
        'spec.replicas: Invalid value: "object": replicas should be smaller than or equal to 4 '
        '(reason: FieldValueForbidden)']
    assert {f.rule for f in found} == {"crd/validation-rule"} and found[0].resource == "CronTab/ns/bad"
    text = CRD.strip("\n") + "\n---\n" + cron("ok", "{}") + "---\n" + cron("bad", "{}")
    bad_spec = text.splitlines().index("spec: {}", text.count("\n", 0, text.index("name: bad")))
    assert [f.line for f in found] == [bad_spec + 1, bad_spec + 1]  # the `spec:` line (replicas is on it)


def test_transition_rules_need_the_base_version():
    head = cron("c", "{minReplicas: 1, replicas: 1, maxReplicas: 1, name: new-name}")
    assert run(CRD, head) == []  # a create: no oldSelf, the rule does not run
    old = cron("c", "{minReplicas: 1, replicas: 1, maxReplicas: 1, name: old-name}")
    [finding] = run(CRD, head, base=(old,))
    assert finding.message == 'spec.name: Invalid value: "string": Value is immutable'


def test_optional_old_self_runs_on_create_too():
    created = cron("c", "{minReplicas: 1, replicas: 1, maxReplicas: 1, mode: locked}")
    assert [f.message.rsplit(": ", 1)[1] for f in run(CRD, created)] == ["cannot be created locked"]
    unlocked = cron("c", "{minReplicas: 1, replicas: 1, maxReplicas: 1, mode: open}")
    assert [f.message.rsplit(": ", 1)[1] for f in run(CRD, unlocked, base=(created,))] == ["a locked mode stays locked"]


def test_list_map_items_correlate_by_key():
    old = cron("c", "{minReplicas: 1, replicas: 1, maxReplicas: 1, ports: [{name: a, port: 80}, {name: b, port: 90}]}")
    new = cron("c", "{minReplicas: 1, replicas: 1, maxReplicas: 1, ports: [{name: b, port: 91}, {name: a, port: 70}, {name: z, port: 1}]}")
    [finding] = run(CRD, new, base=(old,))
    assert finding.message.startswith("spec.ports[1].port:") and "ports only grow" in finding.message


def test_broken_rule_is_policy_invalid_at_the_crd_line():
    broken = CRD.replace('"self.minReplicas <= self.replicas"', '"self.minReplicas <="')
    found = run(broken, cron("c", "{minReplicas: 1, replicas: 1, maxReplicas: 1}"))
    assert [(f.rule, f.line) for f in found] == [("policy/invalid", 19)]
