"""A run split over worker processes must report exactly what one process reports."""

import dataclasses
from pathlib import Path

import pytest

from prcheck import parallel
from prcheck.pipeline import CheckOptions, run_check
from tests.conftest import write
from tests.core.test_rego import V1_POLICY

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: p{i}
spec:
  containers:
    - name: c
      image: nginx:latest
      ports: [{{containerPort: {port}}}]
"""


def outcome(report):
    return (sorted((f.rule, f.severity, f.message, f.path, f.line, f.resource, f.engine) for f in report.findings),
            sorted((s.source, s.finding.rule, s.finding.path) for s in report.suppressed),
            report.stats["files"], report.stats["documents"])


def test_parallel_run_matches_sequential_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    files = {f"apps/p{i}.yaml": POD.format(i=i, port='"80"' if i % 3 == 0 else 80) for i in range(12)}
    files["apps/dup.yaml"] = POD.format(i=1, port=80)  # duplicates apps/p1.yaml: a whole-run check
    files["apps/kustomization.yaml"] = "resources: [p1.yaml, dup.yaml]\n"  # ... when applied together
    files["apps/broken.yaml"] = "a: [\n"
    files["apps/ignored.yaml"] = POD.format(i=99, port=80).replace(
        "image: nginx:latest\n", "image: nginx:latest  # prcheck:ignore[k8s/image-latest-tag] demo only\n")
    write(tmp_path, files)
    write(tmp_path / "policy", {"p.rego": V1_POLICY})
    opts = CheckOptions(paths=["apps"], root=tmp_path, policies=[str(tmp_path / "policy")], jobs=1)
    sequential = run_check(opts, cwd=tmp_path)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    opts = dataclasses.replace(opts, jobs=2)
    split = run_check(opts, cwd=tmp_path)
    assert "parallel" in split.stats["timings"] and "parallel" not in sequential.stats["timings"]
    assert outcome(split) == outcome(sequential)
    rules = {f.rule for f in split.findings}
    assert {"schema/invalid", "k8s/duplicate-resource", "yaml/syntax", "main/deny", "corp/pinned"} <= rules
    assert [(s.source, s.finding.path) for s in split.suppressed] == [("inline", "apps/ignored.yaml")]
