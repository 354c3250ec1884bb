"""Kyverno engine speed: 50 policies over 2,000 resources.

Usage: python benchmarks/kyverno_bench.py [--policies N] [--resources N] [--repeat N]

Policies are generated from the rule shapes real policy libraries use
(patterns with anchors and wildcards, anyPattern, deny with JMESPath and
preconditions, foreach over containers, quantity comparisons), most of them
written for Pods so autogen applies them to controllers too. Resources are a
mix of Deployments, StatefulSets, CronJobs, Pods, Services, Ingresses and
ConfigMaps, some compliant and some not. Prints the compile time, the
evaluation wall and CPU time and the number of findings; it asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prcheck.checks.policy.kyverno.engine import KyvernoEngine
from prcheck.checks.policy.kyverno.rules import compile_policy
from prcheck.model import Document
from prcheck.sources.yaml_loader import load_text

POD_RULES = [
    """
    validate:
      message: "An image tag is required and must not be latest for {{ request.object.metadata.name }}."
      pattern:
        spec:
          containers:
          - image: "!*:latest & *:*"
    """,
    """
    validate:
      message: "CPU and memory requests and limits are required."
      pattern:
        spec:
          containers:
          - resources:
              requests:
                memory: "?*"
                cpu: "?*"
              limits:
                memory: "<= 4Gi"
    """,
    """
    validate:
      message: "Privileged mode is not allowed."
      pattern:
        spec:
          =(securityContext):
            =(privileged): "false"
          containers:
          - =(securityContext):
              =(privileged): "false"
    """,
    """
    validate:
      message: "Host namespaces are not allowed."
      pattern:
        spec:
          =(hostPID): "false"
          =(hostIPC): "false"
          =(hostNetwork): "false"
    """,
    """
    validate:
      message: "Either runAsNonRoot or a non-zero runAsUser is required."
      anyPattern:
      - spec:
          securityContext:
            runAsNonRoot: true
      - spec:
          containers:
          - securityContext:
              runAsUser: ">0"
    """,
    """
    preconditions:
      all:
      - key: "{{ request.operation || 'BACKGROUND' }}"
        operator: AnyIn
        value: [CREATE, UPDATE]
    validate:
      message: "Adding capabilities other than NET_BIND_SERVICE is not allowed."
      deny:
        conditions:
          all:
          - key: "{{ request.object.spec.containers[].securityContext.capabilities.add[] || `[]` }}"
            operator: AnyNotIn
            value: [NET_BIND_SERVICE, ""]
    """,
    """
    validate:
      message: "Images must come from an approved registry."
      foreach:
      - list: "request.object.spec.containers"
        deny:
          conditions:
            any:
            - key: "{{ element.image }}"
              operator: AnyNotIn
              value: ["registry.corp/*", "ghcr.io/org/*"]
    """,
    """
    validate:
      message: "hostPath volumes are not allowed."
      pattern:
        spec:
          =(volumes):
          - X(hostPath): "null"
    """,
    """
    validate:
      message: "Liveness and readiness probes are required."
      pattern:
        spec:
          containers:
          - livenessProbe:
              periodSeconds: ">0"
            readinessProbe:
              periodSeconds: ">0"
    """,
    """
    validate:
      message: "Pods must not use more than {{ `4` }} containers."
      deny:
        conditions:
          any:
          - key: "{{ request.object.spec.containers[] | length(@) }}"
            operator: GreaterThan
            value: 4
    """,
]

OTHER_RULES = [
    ("Service", """
    validate:
      message: "NodePort services are not allowed."
      pattern:
        spec:
          =(type): "!NodePort"
    """),
    ("Ingress", """
    validate:
      message: "Ingress hosts must not be empty or wildcards."
      foreach:
      - list: "request.object.spec.rules"
        pattern:
          host: "?* & !*\\\\**"
    """),
    ("*", """
    validate:
      message: "The label app.kubernetes.io/name is required."
      pattern:
        metadata:
          labels:
            app.kubernetes.io/name: "?*"
    """),
]


def policy_text(index: int) -> str:
    """Mostly Pod policies (autogen applies them to controllers), some on other kinds."""
    if index % 5 == 4:
        kind, body = OTHER_RULES[(index // 5) % len(OTHER_RULES)]
    else:
        kind, body = "Pod", POD_RULES[index % len(POD_RULES)]
    body = textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
    action = "Enforce" if index % 2 else "Audit"
    return f"""apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: bench-{index:02d}
spec:
  validationFailureAction: {action}
  rules:
  - name: rule-{index:02d}
    match:
      any:
      - resources:
          kinds: ["{kind}"]
    exclude:
      any:
      - resources:
          namespaces: [kube-system]
{body}
"""


def pod_spec(i: int) -> dict:
    good = i % 3 != 0
    container = {
        "name": "app",
        "image": f"registry.corp/app{i % 7}:1.{i % 5}" if good else "nginx:latest",
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi" if good else "8Gi"}},
        "securityContext": {"privileged": not good, "runAsUser": 1000 if good else 0,
                            "capabilities": {"add": [] if good else ["SYS_ADMIN"]}},
        "livenessProbe": {"periodSeconds": 10}, "readinessProbe": {"periodSeconds": 5},
    }
    spec: dict = {"containers": [container, dict(container, name="sidecar")]}
    if not good:
        spec["volumes"] = [{"name": "host", "hostPath": {"path": "/var"}}]
        spec["hostNetwork"] = True
    return spec


def resource(i: int) -> dict:
    meta = {"name": f"res-{i}", "namespace": "kube-system" if i % 17 == 0 else f"team-{i % 9}",
            "labels": {"app.kubernetes.io/name": f"app{i}"} if i % 4 else {"app": f"app{i}"}}
    shape = i % 8
    template = {"metadata": {"labels": meta["labels"]}, "spec": pod_spec(i)}
    if shape in (0, 1, 2):
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
                "spec": {"replicas": 2, "selector": {"matchLabels": meta["labels"]}, "template": template}}
    if shape == 3:
        return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta, "spec": {"template": template}}
    if shape == 4:
        return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta,
                "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}}}
    if shape == 5:
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec(i)}
    if shape == 6:
        return {"apiVersion": "v1", "kind": "Service", "metadata": meta,
                "spec": {"type": "NodePort" if i % 3 == 0 else "ClusterIP", "ports": [{"port": 80}]}}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta,
            "spec": {"rules": [{"host": f"app{i}.example.com" if i % 3 else "*.example.com"}]}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=50)
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    policy_docs = [load_text(policy_text(i), f"bench-{i:02d}.yaml").docs[0] for i in range(args.policies)]
    engine = KyvernoEngine([compile_policy(doc) for doc in policy_docs])
    compiled = time.perf_counter() - started
    rules = sum(len(p.rules) for p in engine.policies)

    docs = [Document(path=f"manifests/res-{i}.yaml", index=0, line=1, obj=resource(i)) for i in range(args.resources)]
    yaml_text = yaml.safe_dump_all([d.obj for d in docs])
    timings, cpu = [], []
    evaluation = None
    for _ in range(args.repeat):
        fresh = KyvernoEngine([compile_policy(doc) for doc in policy_docs])
        started, started_cpu = time.perf_counter(), time.process_time()
        evaluation = fresh.evaluate(docs)
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    started = time.perf_counter()
    loaded = load_text(yaml_text, "bench.yaml").docs
    parse = time.perf_counter() - started

    assert evaluation is not None
    print(f"kyverno bench: {args.policies} policies ({rules} rules after autogen), {args.resources} resources")
    print(f"  compile policies      {compiled * 1000:8.1f} ms")
    print(f"  evaluate, wall (best of {args.repeat})  {min(timings):6.3f} s   (runs: {', '.join(f'{t:.3f}' for t in timings)})")
    print(f"  evaluate, CPU  (best of {args.repeat})  {min(cpu):6.3f} s   (a busy machine inflates wall time, not this)")
    print(f"  findings {len(evaluation.findings)}, passed rule evaluations {evaluation.passed}")
    print(f"  (parsing the same {len(loaded)} resources from YAML: {parse:.3f} s, not included above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
