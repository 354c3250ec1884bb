"""Time `prcheck check` as a whole process on a synthetic GitOps repository.

Prints figures, asserts nothing: `python benchmarks/check_bench.py [N ...]`
(default 2000 resources; try 20000). About 3% of the resources are invalid,
and ten Rego rules run, as the core issue's target describes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KINDS = ["deployment", "service", "configmap", "ingress", "serviceaccount", "statefulset", "cronjob", "role"]

TEMPLATES = {
    "deployment": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: team-{team}
  labels: {{app: app-{i}, team: team-{team}}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}}}
    spec:
      serviceAccountName: app-{i}
      containers:
        - name: app
          image: ghcr.io/example/app-{i}:1.{i}.0
          ports: [{{containerPort: 8080, name: http}}]
          env:
            - {{name: LOG_LEVEL, value: info}}
            - {{name: PORT, value: "8080"}}
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{cpu: 500m, memory: 256Mi}}
          readinessProbe: {{httpGet: {{path: /ready, port: http}}}}
          securityContext: {{runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}}
""",
    "service": """apiVersion: v1
kind: Service
metadata:
  name: app-{i}
  namespace: team-{team}
spec:
  selector: {{app: app-{i}}}
  ports: [{{port: {port}, targetPort: http}}]
""",
    "configmap": """apiVersion: v1
kind: ConfigMap
metadata:
  name: app-{i}-config
  namespace: team-{team}
immutable: {flag}
data:
  config.yaml: |
    feature: {i}
    region: eu-west-1
""",
    "ingress": """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: app-{i}
  namespace: team-{team}
spec:
  rules:
    - host: app-{i}.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {{service: {{name: app-{i}, port: {{number: {port}}}}}}}
""",
    "serviceaccount": """apiVersion: v1
kind: ServiceAccount
metadata:
  name: app-{i}
  namespace: team-{team}
automountServiceAccountToken: {flag}
""",
    "statefulset": """apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db-{i}
  namespace: team-{team}
spec:
  serviceName: db-{i}
  replicas: {replicas}
  selector: {{matchLabels: {{app: db-{i}}}}}
  template:
    metadata: {{labels: {{app: db-{i}}}}}
    spec:
      containers:
        - name: db
          image: postgres:16.{i}
          volumeMounts: [{{name: data, mountPath: /var/lib/postgresql}}]
  volumeClaimTemplates:
    - metadata: {{name: data}}
      spec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Gi}}}}}}
""",
    "cronjob": """apiVersion: batch/v1
kind: CronJob
metadata:
  name: job-{i}
  namespace: team-{team}
spec:
  schedule: "*/5 * * * *"
  suspend: {flag}
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{{name: job, image: "busybox:1.36", command: [sh, -c, "date"]}}]
""",
    "role": """apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader-{i}
  namespace: team-{team}
rules:
  - apiGroups: [""]
    resources: [pods, services]
    verbs: {verbs}
""",
}

POLICY = """package main
import rego.v1

workload if input.kind in {"Deployment", "StatefulSet", "DaemonSet"}

deny contains msg if {
  workload
  some c in input.spec.template.spec.containers
  endswith(c.image, ":latest")
  msg := sprintf("%s uses a latest image", [c.name])
}
deny contains msg if {
  workload
  some c in input.spec.template.spec.containers
  not c.resources.limits.memory
  msg := sprintf("%s has no memory limit", [c.name])
}
deny contains msg if {
  workload
  some c in input.spec.template.spec.containers
  c.securityContext.privileged
  msg := "privileged container"
}
warn contains msg if {
  workload
  some c in input.spec.template.spec.containers
  not c.readinessProbe
  msg := sprintf("%s has no readiness probe", [c.name])
}
warn contains msg if {
  not input.metadata.namespace
  msg := "no namespace"
}
deny contains msg if {
  input.metadata.namespace == "default"
  msg := "default namespace"
}
warn contains msg if {
  input.kind == "Service"
  input.spec.type == "LoadBalancer"
  msg := "public load balancer"
}
deny contains msg if {
  input.kind == "Role"
  some r in input.rules
  "*" in r.verbs
  msg := "wildcard verbs"
}
warn contains msg if {
  workload
  input.spec.replicas < 2
  msg := "single replica"
}
deny contains msg if {
  input.kind == "Ingress"
  some rule in input.spec.rules
  not rule.host
  msg := "ingress without host"
}
"""


def render_resource(kind: str, i: int) -> str:
    """One resource; every 33rd breaks its schema (~3%), whatever its kind,
    with a wrong type the way real mistakes look (a quoted number, a string
    where a list or boolean belongs), so the error paths are exercised."""
    invalid = i % 33 == 7
    return TEMPLATES[kind].format(
        i=i, team=i % 20,
        replicas='"2"' if invalid else 2 + i % 2,
        port='"80"' if invalid else 80,
        flag='"no"' if invalid else "false",
        verbs="get" if invalid else "[get, list, watch]",
    )


def make_repo(root: Path, count: int) -> None:
    (root / "policy").mkdir(parents=True)
    (root / "policy" / "rules.rego").write_text(POLICY)
    per_file = 10
    for start in range(0, count, per_file):
        docs = []
        for i in range(start, min(start + per_file, count)):
            kind = KINDS[i % len(KINDS)]
            docs.append(render_resource(kind, i))
        folder = root / "apps" / f"team-{start // per_file % 20}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"bundle-{start // per_file}.yaml").write_text("---\n".join(docs))


def run(root: Path, count: int, builtin: bool) -> None:
    cmd = [sys.executable, "-m", "prcheck", "check", ".", "--policy", "policy", "--format", "json", "--fail-on", "never",
           "--builtin" if builtin else "--no-builtin"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"prcheck failed ({proc.returncode}): {proc.stderr.strip()}")
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    report = json.loads(proc.stdout)
    stats, summary = report["stats"], report["summary"]
    timings = stats["timings"]
    schema_seconds = timings.get("schema") or timings.get("workers:schema")  # workers: summed CPU-side time
    schema_rate = stats["resources"] / schema_seconds if schema_seconds else float("inf")
    print(f"resources          {stats['resources']:>10,}  in {stats['files']:,} files")
    print(f"wall (process)     {wall:>10.2f} s   {count / wall:,.0f} resources/s")
    print(f"peak RSS           {peak_mib:>10.0f} MiB")
    print(f"findings           {summary['errors']:>10} errors, {summary['warnings']} warnings")
    for stage, seconds in timings.items():
        print(f"  {stage:<16} {seconds:>10.3f} s")
    print(f"schema throughput  {schema_rate:>10,.0f} resources/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("counts", nargs="*", type=int, default=[2000])
    parser.add_argument("--builtin", action="store_true", help="also run the built-in policy pack")
    args = parser.parse_args()
    for count in args.counts:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            make_repo(root, count)
            print(f"== {count:,} resources, 10 Rego rules{' + built-in pack' if args.builtin else ''} ==")
            run(root, count, args.builtin)


if __name__ == "__main__":
    os.environ.setdefault("NO_COLOR", "1")
    main()
