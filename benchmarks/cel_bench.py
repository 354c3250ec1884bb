"""CEL engine speed: ValidatingAdmissionPolicies and CRD rules over generated objects.

Usage: python benchmarks/cel_bench.py [--resources N] [--policies N]

Prints compile and evaluation time for
- 50 ValidatingAdmissionPolicies (3 validations each, with bindings) over
  2,000 resources, twice: a realistic mix (each policy matches one of five
  resource kinds, the resources are spread over them) and the worst case
  (every policy matches every resource);
- CRD `x-kubernetes-validations` (rules at the root, a nested object and
  list items, one transition rule) over 2,000 custom resources with a base
  version each.
Targets (issue 14): VAPs under 1.5 s, CRD rules under 1 s. Measures, never asserts.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from prcheck.checks.context import CheckContext  # noqa: E402
from prcheck.checks.policy.cel.engine import CelEngine  # noqa: E402
from prcheck.sources.base_tree import index_objects  # noqa: E402
from prcheck.sources.yaml_loader import load_text  # noqa: E402

KINDS = [("apps", "v1", "deployments", "Deployment"), ("", "v1", "pods", "Pod"), ("", "v1", "services", "Service"),
         ("", "v1", "configmaps", "ConfigMap"), ("batch", "v1", "jobs", "Job")]


def _arg(name: str, default: int) -> int:
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def vap_text(index: int, kind: "tuple[str, str, str, str] | None") -> str:
    group, version, resource, _ = kind or ("*", "*", "*", "")
    return f"""apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {{name: policy-{index}}}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: ["{group}"]
      apiVersions: ["{version}"]
      operations: [CREATE, UPDATE]
      resources: ["{resource}"]
  variables:
  - name: labels
    expression: "has(object.metadata.labels) ? object.metadata.labels : {{}}"
  validations:
  - expression: "'team' in variables.labels && variables.labels['team'].matches('^[a-z]+$')"
    message: team label required
  - expression: "object.metadata.name.size() <= {40 + index % 10}"
    messageExpression: "'name too long: ' + object.metadata.name"
  - expression: "!has(object.spec) || !has(object.spec.replicas) || object.spec.replicas <= {5 + index % 5}"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {{name: binding-{index}}}
spec:
  policyName: policy-{index}
  validationActions: [Deny]
"""


def resource_text(index: int) -> str:
    group, version, _, kind = KINDS[index % len(KINDS)]
    api = f"{group}/{version}" if group else version
    spec = "spec: {replicas: %d, template: {spec: {containers: [{name: c, image: nginx}]}}}" % (index % 9) \
        if kind in ("Deployment", "Job") else "spec: {containers: [{name: c, image: nginx}]}" if kind == "Pod" else "data: {a: b}"
    return f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: obj-{index}, namespace: ns, labels: {{team: {'a' if index % 3 else 'B'}}}}}\n{spec}\n"


CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-validations:
        - rule: "self.metadata.name.size() < 60"
        properties:
          spec:
            type: object
            x-kubernetes-validations:
            - rule: "self.minReplicas <= self.replicas"
              message: replicas below minReplicas
            - rule: "self.replicas <= self.maxReplicas"
              messageExpression: "'replicas above ' + string(self.maxReplicas)"
            properties:
              minReplicas: {type: integer}
              replicas: {type: integer}
              maxReplicas: {type: integer}
              owner:
                type: string
                x-kubernetes-validations:
                - rule: "self == oldSelf"
                  message: owner is immutable
              ports:
                type: array
                items:
                  type: object
                  x-kubernetes-validations:
                  - rule: "self.port > 0 && self.port < 65536"
                  properties:
                    port: {type: integer}
"""


def widget(index: int, owner: str) -> str:
    return (f"apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w-{index}, namespace: ns}}\n"
            f"spec: {{minReplicas: 1, replicas: {index % 7}, maxReplicas: 5, owner: {owner},"
            f" ports: [{{port: 80}}, {{port: {index % 70000}}}]}}\n")


def docs(text: str, path: str):
    return [d for d in load_text(text, path).docs if d.obj is not None]


def timed_vaps(policies: int, resources: list, matching: str) -> None:
    kinds = [KINDS[i % len(KINDS)] if matching == "mix" else None for i in range(policies)]
    policy_docs = docs("---\n".join(vap_text(i, kinds[i]) for i in range(policies)), "policies.yaml")
    start = time.perf_counter()
    engine = CelEngine(policy_docs)
    engine.evaluate([])  # compiles every expression once
    compiled = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    evaluation = engine.evaluate(resources)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"  {matching:<10} {policies} VAPs x 3 validations over {len(resources)} resources: "
          f"compile {compiled:.3f} s, evaluate {elapsed:.3f} s (CPU {cpu:.3f} s), "
          f"{len(evaluation.findings)} findings, {evaluation.passed} passed  [target < 1.5 s]")


def main() -> int:
    count, policies = _arg("--resources", 2000), _arg("--policies", 50)
    resources = docs("---\n".join(resource_text(i) for i in range(count)), "resources.yaml")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"load average {load:.1f} on {os.cpu_count()} cores (wall timings scale with it; CPU times less so)")
    print("ValidatingAdmissionPolicy:")
    timed_vaps(policies, resources, "mix")
    timed_vaps(policies, resources, "worst")
    crd = docs(CRD, "crd.yaml")
    widgets = docs("---\n".join(widget(i, "team-a") for i in range(count)), "widgets.yaml")
    base = index_objects(docs("---\n".join(widget(i, "team-a" if i % 10 else "team-b") for i in range(count)), "base.yaml"))
    engine = CelEngine().for_context(CheckContext(base_objects=base))
    start, cpu = time.perf_counter(), time.process_time()
    evaluation = engine.evaluate(crd + widgets)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print("CRD x-kubernetes-validations:")
    print(f"  5 rules (1 transition) over {count} custom resources with base versions: {elapsed:.3f} s "
          f"(CPU {cpu:.3f} s), "
          f"{len(evaluation.findings)} findings, "
          f"{evaluation.passed} rules held  [target < 1 s]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
