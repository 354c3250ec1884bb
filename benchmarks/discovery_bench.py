"""Time `prcheck envs` on a repository holding several MB-sized manifests.

    python benchmarks/discovery_bench.py [--runs 5] [--reference SRC] [--size-mb 2] [--big 6]

The repository looks like an Argo CD install: `--big` manifests of about
`--size-mb` each (CRDs whose schemas mention argoproj.io, as install.yaml
does), a few Argo CD Applications and kustomize overlays. With
`--reference` (another prcheck source tree) both run alternately and must
list the same environments. Prints figures; asserts only the environments.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: thing{n}s.argoproj.io
  labels: {{app.kubernetes.io/part-of: argocd}}
spec:
  group: argoproj.io
  names: {{kind: Thing{n}, plural: thing{n}s}}
  scope: Namespaced
  versions:
    - name: v1alpha1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
{props}
"""
PROP = """            field{i}:
              description: Field {i} of the argoproj.io Thing; see https://argo-cd.readthedocs.io for details.
              type: string
"""
APP = """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: app-{n}, namespace: argocd}}
spec:
  project: default
  source: {{repoURL: https://github.com/example/repo.git, path: apps/app-{n}, targetRevision: HEAD}}
  destination: {{server: https://kubernetes.default.svc, namespace: app-{n}}}
"""


def make_repo(root: Path, big: int, size_mb: float) -> None:
    props = "".join(PROP.format(i=i) for i in range(200))
    per_doc = len(CRD.format(n=0, props=props))
    docs = max(1, int(size_mb * 1024 * 1024 / per_doc))
    for b in range(big):
        (root / "manifests").mkdir(exist_ok=True)
        (root / "manifests" / f"install-{b}.yaml").write_text(
            "---\n".join(CRD.format(n=f"{b}x{d}", props=props) for d in range(docs)))
    for n in range(5):
        folder = root / "apps" / f"app-{n}"
        folder.mkdir(parents=True)
        (folder / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
        (folder / "cm.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{n}}}\n")
    (root / "argocd").mkdir()
    (root / "argocd" / "apps.yaml").write_text("---\n".join(APP.format(n=n) for n in range(5)))
    for args in (["init", "-q"], ["remote", "add", "origin", "https://github.com/example/repo.git"], ["add", "-A"],
                 ["-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qm", "repo"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def timed(src: Path, root: Path) -> tuple[float, float, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "prcheck", "envs", "--format", "json"], cwd=root, env=env,
                          capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"prcheck envs failed: {proc.stderr.decode()[-500:]}")
    names = sorted(e.get("name", "") for e in json.loads(proc.stdout))
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reference", type=Path)
    parser.add_argument("--big", type=int, default=6)
    parser.add_argument("--size-mb", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_repo(root, args.big, args.size_mb)
        total = sum(p.stat().st_size for p in root.rglob("*.yaml"))
        print(f"repository: {args.big} manifests of ~{args.size_mb} MB, {total / 1e6:.1f} MB of YAML in all")
        sides = [("prcheck", REPO)] + ([("reference", args.reference.resolve())] if args.reference else [])
        walls: dict[str, list[float]] = {name: [] for name, _ in sides}
        cpus: dict[str, list[float]] = {name: [] for name, _ in sides}
        found: dict[str, list[str]] = {}
        for _ in range(args.runs):
            for name, src in sides:
                wall, cpu, names = timed(src, root)
                walls[name].append(wall)
                cpus[name].append(cpu)
                found[name] = names
        for name, values in walls.items():
            print(f"{name:10s} wall median {statistics.median(values):.2f} s [{min(values):.2f}-{max(values):.2f}]  "
                  f"CPU median {statistics.median(cpus[name]):.2f} s  environments: {len(found[name])}")
        if args.reference:
            assert found["prcheck"] == found["reference"], (found["prcheck"], found["reference"])
            ratios = [a / b for a, b in zip(walls["prcheck"], walls["reference"])]
            print(f"prcheck/reference wall: median {statistics.median(ratios):.2f} [{min(ratios):.2f}-{max(ratios):.2f}];"
                  " same environments")


if __name__ == "__main__":
    main()
