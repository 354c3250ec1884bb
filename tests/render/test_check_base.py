"""`prcheck check --base`: checks on rendered environments, and only new findings fail."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import write
from tests.render.conftest import needs_helm, needs_kustomize

pytestmark = [needs_kustomize, needs_helm]

POLICY = """
package main

deny[msg] {
  input.kind == "Deployment"
  input.spec.replicas > 2
  msg := sprintf("%s runs %d replicas", [input.metadata.name, input.spec.replicas])
}
"""


def test_rendered_findings_filtered_against_the_base_render(gitops: Path, tmp_path: Path, run_cli) -> None:
    write(tmp_path / "policy", {"replicas.rego": POLICY})
    write(gitops, {
        "overlays/staging/kustomization.yaml": "namespace: staging\nresources: [../../base]\npatches: [{path: more.yaml}]\n",
        "overlays/staging/more.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 4}\n",
    })
    image = gitops / "base/deployment.yaml"
    image.write_text(image.read_text().replace("nginx:1.25", "nginx:1.27"))
    result = run_cli(["check", "--base", "HEAD", "--no-builtin", "--policy", str(tmp_path / "policy"),
                      "--format", "json"], gitops)
    report = json.loads(result.output)
    rendered = [(f["env"], f["message"], f["path"]) for f in report["findings"] if f["env"]]
    assert rendered == [("staging", "web runs 4 replicas", "base/deployment.yaml")]
    pre = [(f["env"], f["message"]) for f in report["stats"]["pre_existing"] if f["env"]]
    assert pre == [("production", "web runs 3 replicas")]
    assert {d["env"]: d["skipped"] for d in report["diffs"]} == {
        "api-production": True, "api-staging": True, "production": False, "staging": False}
    assert result.exit_code == 1

    nofilter = json.loads(run_cli(["check", "--base", "HEAD", "--no-builtin", "--policy", str(tmp_path / "policy"),
                                   "--filter-mode", "nofilter", "--format", "json"], gitops).output)
    assert sorted(f["env"] for f in nofilter["findings"] if f["env"]) == ["production", "staging"]


def test_markdown_summary_of_a_check(gitops: Path, run_cli) -> None:
    image = gitops / "base/deployment.yaml"
    image.write_text(image.read_text().replace("nginx:1.25", "nginx:1.27"))
    result = run_cli(["check", "--base", "HEAD", "--no-builtin", "--format", "markdown"], gitops)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("## prcheck\n\n✅ **prcheck passed**")
    assert "| `staging` | 0 | 1 | 0 | 0 | 1 | — |" in result.output
    assert "-      - image: nginx:1.25\n+      - image: nginx:1.27" in result.output
