"""How much the built-in policy pack adds to a run: `prcheck check` vs `prcheck check --no-builtin`.

Writes 2,000 synthetic resources shaped like a GitOps repository (workloads
with and without hardening, Services, ConfigMaps, RBAC, Ingresses, HPAs,
SealedSecrets, GitHub workflows, a GitLab pipeline, Helm values files) into
a temporary folder, then times both runs of the real command, best of N.
The budget this measures: the pack run stays under 2x the core run.

    python benchmarks/pack_bench.py [--resources 2000] [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

Resource = dict[str, Any]


def _container(rng: random.Random, name: str, hardened: bool) -> Resource:
    image = rng.choice(["nginx:1.27.3", "ghcr.io/acme/api:v2.4.1", "redis:7.2", "busybox",
                        "ghcr.io/acme/worker:v1.9.0@sha256:" + "ab" * 32])
    container: Resource = {"name": name, "image": image, "ports": [{"containerPort": rng.choice([80, 8080, 9090])}],
                           "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "PORT", "value": "8080"},
                                   {"name": "DB_HOST", "value": "postgres.db.svc"}]}
    if rng.random() < 0.1:
        container["env"].append({"name": "DB_PASSWORD", "value": "s3cr3t-" + "".join(rng.choices("abcdef0123456789", k=12))})
    else:
        container["env"].append({"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}})
    if hardened:
        container["securityContext"] = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                         "runAsNonRoot": True, "runAsUser": 10001,
                                         "capabilities": {"drop": ["ALL"]}}
        container["resources"] = {"requests": {"cpu": "100m", "memory": "128Mi"},
                                  "limits": {"cpu": "500m", "memory": "256Mi"}}
        container["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": 8080}}
        container["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080}}
    else:
        container["resources"] = {"requests": {"cpu": "100m", "memory": "128Mi"}}
    return container


def _pod_spec(rng: random.Random, app: str) -> Resource:
    hardened = rng.random() < 0.5
    spec: Resource = {"containers": [_container(rng, app, hardened)]}
    if rng.random() < 0.3:
        spec["initContainers"] = [_container(rng, "migrate", hardened)]
    if rng.random() < 0.2:
        spec["volumes"] = [{"name": "cache", "emptyDir": {}}]
    if hardened:
        spec["securityContext"] = {"seccompProfile": {"type": "RuntimeDefault"}}
        spec["automountServiceAccountToken"] = False
    return spec


def _meta(app: str, ns: str) -> Resource:
    return {"name": app, "namespace": ns, "labels": {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": "shop"}}


def workload(rng: random.Random, kind: str, app: str, ns: str) -> Resource:
    template = {"metadata": {"labels": {"app": app}}, "spec": _pod_spec(rng, app)}
    if kind == "CronJob":
        template["spec"]["restartPolicy"] = "OnFailure"
        return {"apiVersion": "batch/v1", "kind": kind, "metadata": _meta(app, ns),
                "spec": {"schedule": "*/15 * * * *", "jobTemplate": {"spec": {"template": template}}}}
    if kind == "Job":
        template["spec"]["restartPolicy"] = "Never"
        return {"apiVersion": "batch/v1", "kind": kind, "metadata": _meta(app, ns), "spec": {"template": template}}
    spec: Resource = {"selector": {"matchLabels": {"app": app}}, "template": template}
    if kind in ("Deployment", "StatefulSet"):
        spec["replicas"] = rng.choice([2, 3])
    if kind == "StatefulSet":
        spec["serviceName"] = app
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": _meta(app, ns), "spec": spec}


def service(rng: random.Random, app: str, ns: str) -> Resource:
    kind = rng.choices(["ClusterIP", "NodePort", "LoadBalancer"], [8, 1, 1])[0]
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(app, ns),
            "spec": {"type": kind, "selector": {"app": app}, "ports": [{"port": 80, "targetPort": 8080}]}}


def config_map(rng: random.Random, app: str, ns: str) -> Resource:
    data = {"LOG_FORMAT": "json", "FEATURE_FLAGS": "checkout,search", "config.yaml": "server:\n  port: 8080\n"}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(f"{app}-config", ns), "data": data}


def rbac(rng: random.Random, app: str, ns: str) -> list[Resource]:
    rules = [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]
    if rng.random() < 0.2:
        rules.append({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]})
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(app, ns)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": _meta(app, ns), "rules": rules},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": _meta(app, ns),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": app},
         "subjects": [{"kind": "ServiceAccount", "name": app, "namespace": ns}]},
    ]


def extras(rng: random.Random, app: str, ns: str) -> list[Resource]:
    return [
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": _meta(app, ns),
         "spec": {"rules": [{"host": f"{app}.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                  "backend": {"service": {"name": app, "port": {"number": 80}}}}]}}]}},
        {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": _meta(app, ns),
         "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app},
                  "minReplicas": 2, "maxReplicas": 10}},
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": _meta(app, ns),
         "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": app}}}},
        {"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret", "metadata": _meta(app, ns),
         "spec": {"encryptedData": {"password": "AgB" + "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789+/", k=300))}}},
    ]


def workflow(rng: random.Random, index: int) -> Resource:
    pinned = rng.random() < 0.5
    checkout = "actions/checkout@" + ("11bd71901bbe5b1630ceea73d27597364c9af683" if pinned else "v4")
    return {
        "name": f"ci-{index}", "on": {"push": {"branches": ["main"]}, "pull_request": {}},
        **({"permissions": {"contents": "read"}} if pinned else {}),
        "env": {"GO_VERSION": "1.23", "REGISTRY": "ghcr.io"},
        "jobs": {
            "test": {"runs-on": "ubuntu-latest", "steps": [
                {"uses": checkout}, {"uses": "actions/setup-go@v5", "with": {"go-version": "${{ env.GO_VERSION }}"}},
                {"run": "go test ./...", "env": {"GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}},
            ]},
            "build": {"runs-on": "ubuntu-latest", "needs": "test", "steps": [
                {"uses": checkout}, {"uses": "docker/build-push-action@v6", "with": {"push": False}},
                {"name": "Title", "run": "echo building ${{ github.sha }}"},
            ]},
        },
    }


def values(rng: random.Random, app: str) -> Resource:
    return {"replicaCount": 2, "image": {"repository": f"ghcr.io/acme/{app}", "tag": "v1.2.3"},
            "service": {"type": "ClusterIP", "port": 80}, "ingress": {"enabled": True, "host": f"{app}.example.com"},
            "auth": {"existingSecret": f"{app}-auth", "apiKeyRef": "api-key"},
            "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}}}


def write_repo(root: Path, count: int, seed: int = 7) -> int:
    """Write about `count` resources; returns how many documents were written."""
    rng = random.Random(seed)
    written = 0
    app_index = 0
    while written < count:
        app = f"svc{app_index:04d}"
        ns = rng.choice(["shop", "payments", "search", "platform"])
        kind = rng.choices(["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"], [10, 2, 1, 1, 1])[0]
        docs: list[Resource] = [workload(rng, kind, app, ns), service(rng, app, ns), config_map(rng, app, ns)]
        docs += rbac(rng, app, ns)
        if rng.random() < 0.5:
            docs += extras(rng, app, ns)
        folder = root / "apps" / ns / app
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "manifests.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
        written += len(docs)
        if app_index % 4 == 0:
            (folder / "values.yaml").write_text(yaml.safe_dump(values(rng, app), sort_keys=False), encoding="utf-8")
            written += 1
        if app_index % 5 == 0:
            wf = root / ".github" / "workflows" / f"ci-{app_index}.yml"
            wf.parent.mkdir(parents=True, exist_ok=True)
            wf.write_text(yaml.safe_dump(workflow(rng, app_index), sort_keys=False), encoding="utf-8")
            written += 1
        app_index += 1
    (root / ".gitlab-ci.yml").write_text(yaml.safe_dump({
        "include": [{"project": "acme/ci-templates", "ref": "main", "file": "/build.yml"}],
        "image": "python:3.12", "stages": ["test"],
        "test": {"stage": "test", "script": ["pytest -q"], "variables": {"PIP_CACHE_DIR": ".cache/pip"}},
    }), encoding="utf-8")
    return written + 1


def best_of(repeat: int, run: Callable[[], dict]) -> tuple[float, dict]:
    best, stats = float("inf"), {}
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        elapsed = time.perf_counter() - start
        if elapsed < best:
            best, stats = elapsed, result
    return best, stats


def prcheck(root: Path, *flags: str) -> Callable[[], dict]:
    def run() -> dict:
        done = subprocess.run([sys.executable, "-m", "prcheck", "check", ".", "--format", "json", "--fail-on", "never", *flags],
                              cwd=root, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"prcheck failed ({done.returncode}): {done.stderr.strip()}")
        return json.loads(done.stdout)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the synthetic repository here and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="prcheck-pack-bench-"))
    try:
        documents = write_repo(root, args.resources)
        core_time, core = best_of(args.repeat, prcheck(root, "--no-builtin"))
        pack_time, pack = best_of(args.repeat, prcheck(root))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    summary = pack["summary"]
    timings = pack["stats"]["timings"]
    print(f"documents: {documents} written, {core['stats']['documents']} checked in {core['stats']['files']} files")
    print(f"core run (--no-builtin): {core_time:.2f} s")
    print(f"pack run (default):      {pack_time:.2f} s  ({pack_time / core_time:.2f}x the core run; budget 2x)")
    print(f"pack stages: compile {timings.get('policy-compile', 0):.2f} s, evaluate {timings.get('builtin', 0):.2f} s, "
          f"suppress {timings.get('suppress', 0):.2f} s")
    print(f"pack findings: {summary['errors']} errors, {summary['warnings']} warnings, {summary['info']} info")


if __name__ == "__main__":
    main()
