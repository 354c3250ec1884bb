"""Time `prcheck diff --base HEAD~1` as a whole process on a synthetic GitOps repository.

Prints figures, asserts nothing: `python benchmarks/render_bench.py [--resources N] [--repeat R]`.
The repository has one shared kustomize base of N resources (default 300)
used by three overlays (dev, staging, production), and one Helm chart with
two environments (values-staging.yaml, values-production.yaml). Two pull
requests are timed, each as a commit on top of the same base commit:

- one overlay changed: only that environment is rendered, twice (base and head);
- the shared base changed: all three kustomize environments render at both sides.

The target for the second case is under 3 s on a two-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  labels: {{app: app-{i}}}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}}}
    spec:
      containers:
        - name: app
          image: registry.example.com/app-{i}:1.0.{i}
          ports: [{{containerPort: 8080}}]
          resources:
            requests: {{cpu: 10m, memory: 32Mi}}
            limits: {{memory: 64Mi}}
"""
SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: app-{i}
spec:
  selector: {{app: app-{i}}}
  ports: [{{port: 80, targetPort: 8080}}]
"""
CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: app-{i}
data:
  LOG_LEVEL: info
  FEATURE_{i}: "on"
"""
OVERLAY = """namespace: {env}
resources: [../../base]
commonLabels: {{env: {env}}}
patches:
  - target: {{kind: Deployment}}
    patch: |
      - op: replace
        path: /spec/replicas
        value: {replicas}
"""
CHART_TEMPLATE = """{{{{- range $i, $e := until (int .Values.count) }}}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ $.Release.Name }}}}-{{{{ $i }}}}
  labels:
    helm.sh/chart: {{{{ $.Chart.Name }}}}-{{{{ $.Chart.Version }}}}
spec:
  replicas: {{{{ $.Values.replicas }}}}
  template:
    spec:
      containers:
        - name: app
          image: "{{{{ $.Values.image }}}}"
{{{{- end }}}}
"""


def git(root: Path, *args: str) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@example.com",
               GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@example.com")
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def build(root: Path, resources: int) -> None:
    """The base commit: base + three overlays + one chart with two environments."""
    names = []
    for i in range(resources):
        kind, template = [("deployment", DEPLOYMENT), ("service", SERVICE), ("configmap", CONFIGMAP)][i % 3]
        name = f"{kind}-{i}.yaml"
        write(root / "base" / name, template.format(i=i))
        names.append(name)
    write(root / "base/kustomization.yaml", "resources:\n" + "".join(f"  - {n}\n" for n in names))
    for env, replicas in (("dev", 1), ("staging", 2), ("production", 3)):
        write(root / f"overlays/{env}/kustomization.yaml", OVERLAY.format(env=env, replicas=replicas))
    write(root / "charts/api/Chart.yaml", "apiVersion: v2\nname: api\nversion: 1.0.0\n")
    write(root / "charts/api/values.yaml", "count: 20\nreplicas: 1\nimage: api:1.0\n")
    write(root / "charts/api/values-staging.yaml", "replicas: 2\n")
    write(root / "charts/api/values-production.yaml", "replicas: 3\n")
    write(root / "charts/api/templates/deployments.yaml", CHART_TEMPLATE.format())
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")


def change(root: Path, case: str) -> None:
    """Reset to the base commit, then commit one pull request's change."""
    git(root, "reset", "-q", "--hard", "main")
    git(root, "checkout", "-q", "-B", f"pr-{case}", "main")
    if case == "overlay":
        path = root / "overlays/staging/kustomization.yaml"
        path.write_text(path.read_text().replace("value: 2", "value: 4"), encoding="utf-8")
    else:
        path = root / "base/deployment-0.yaml"
        path.write_text(path.read_text().replace("LOG_LEVEL", "LOG").replace("memory: 64Mi", "memory: 96Mi"),
                        encoding="utf-8")
        path = root / "base/configmap-2.yaml"
        path.write_text(path.read_text().replace("info", "debug"), encoding="utf-8")
    git(root, "commit", "-q", "-am", case)


def run(root: Path, jobs: int | None) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "prcheck", "diff", "--base", "HEAD~1", "--format", "json"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"prcheck failed ({proc.returncode}): {proc.stderr.strip()}")
    return wall, json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=300, help="resources in the shared base")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best is reported")
    parser.add_argument("--jobs", type=int, help="passed to --jobs (default: prcheck's, the number of cores)")
    args = parser.parse_args()
    tool = shutil.which("kustomize") and "kustomize build" or shutil.which("kubectl") and "kubectl kustomize"
    print(f"renderer: {tool or 'none found'}; helm: {'binary' if shutil.which('helm') else 'embedded SDK'}; "
          f"cores: {os.cpu_count()}; base resources: {args.resources}")
    with tempfile.TemporaryDirectory(prefix="prcheck-render-bench-") as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        build(root, args.resources)
        for case, label in (("overlay", "one overlay changed"), ("base", "shared base changed")):
            change(root, case)
            best: tuple[float, dict] | None = None
            for _ in range(args.repeat):
                wall, report = run(root, args.jobs)
                if best is None or wall < best[0]:
                    best = (wall, report)
            assert best is not None
            wall, report = best
            rendered = [d["env"] for d in report["diffs"] if not d["skipped"]]
            changed = sum(len(d["changed"]) for d in report["diffs"])
            timings = report["stats"]["timings"]
            stages = ", ".join(f"{k} {v:.2f}" for k, v in timings.items() if k != "total")
            print(f"{label:<22} wall {wall:5.2f} s  (in-process {timings['total']:.2f} s: {stages})  "
                  f"rendered: {', '.join(rendered) or 'none'}; {changed} resources changed; "
                  f"findings: {len(report['findings'])}")


if __name__ == "__main__":
    main()
