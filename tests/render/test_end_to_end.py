"""`prcheck diff` on real git repositories: exact per-environment results."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import yaml

from prcheck.render.changes import compare
from tests.conftest import git, write
from tests.render.conftest import commit, needs_helm, needs_kustomize

pytestmark = [needs_kustomize, needs_helm]

SECRETS = ("correct-horse-battery-staple", "tr0ub4dor&3", "c2VjcmV0LXRva2VuLW9uZQ==", "secret-token-one")


def _change(repo: Path) -> None:
    """The pull request: a base image bump, a new staging object, a removed
    production object, a rotated secret, a production values change."""
    path = repo / "base/deployment.yaml"
    path.write_text(path.read_text().replace("nginx:1.25", "nginx:1.27"))
    write(repo, {
        "overlays/staging/kustomization.yaml": """
            namespace: staging
            resources: [../../base, settings.yaml]
        """,
        "overlays/staging/settings.yaml": """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
            data:
              mode: canary
        """,
        "overlays/production/kustomization.yaml": """
            namespace: production
            resources: [../../base, secret.yaml]
            patches:
              - path: replicas.yaml
        """,
        "charts/api/values-production.yaml": """
            replicas: 4
        """,
    })
    (repo / "overlays/production/pdb.yaml").unlink()
    secret = repo / "overlays/production/secret.yaml"
    secret.write_text(secret.read_text().replace("correct-horse-battery-staple", "tr0ub4dor&3"))


def _summary(found) -> dict[str, dict[str, object]]:
    return {d.env: {"skipped": d.skipped, "added": [c.key for c in d.added], "changed": [c.key for c in d.changed],
                    "removed": [c.key for c in d.removed], "unchanged": d.unchanged} for d in found.diffs}


EXPECTED = {
    "api-production": {"skipped": False, "added": [], "changed": ["Deployment.apps/default/api"], "removed": [],
                       "unchanged": 0},
    "api-staging": {"skipped": True, "added": [], "changed": [], "removed": [], "unchanged": 0},
    "production": {"skipped": False, "added": [],
                   "changed": ["Deployment.apps/production/web", "Secret/production/db"],
                   "removed": ["PodDisruptionBudget.policy/production/web"], "unchanged": 1},
    "staging": {"skipped": False, "added": ["ConfigMap/staging/settings"],
                "changed": ["Deployment.apps/staging/web"], "removed": [], "unchanged": 1},
}

STAGING_DEPLOYMENT_DIFF = """\
--- base/Deployment.apps/staging/web
+++ head/Deployment.apps/staging/web
@@ -16,5 +16,5 @@
         app: web
     spec:
       containers:
-      - image: nginx:1.25
+      - image: nginx:1.27
         name: web
"""

API_PRODUCTION_DIFF = """\
--- base/Deployment.apps/default/api
+++ head/Deployment.apps/default/api
@@ -6,7 +6,7 @@
   name: api
   namespace: default
 spec:
-  replicas: 2
+  replicas: 4
   template:
     spec:
       containers:
"""


@pytest.mark.parametrize("with_nodes", [True, False])
def test_work_tree_against_base_commit(gitops: Path, with_nodes: bool) -> None:
    _change(gitops)
    found = compare(gitops, "HEAD", jobs=2, with_nodes=with_nodes)
    assert found.findings == []
    assert _summary(found) == EXPECTED
    diffs = {d.env: d for d in found.diffs}
    assert diffs["staging"].changed[0].text == STAGING_DEPLOYMENT_DIFF
    assert diffs["api-production"].changed[0].text == API_PRODUCTION_DIFF
    assert set(found.head_docs) == {"api-production", "production", "staging"}


def test_head_ref_and_merge_base(gitops: Path) -> None:
    """`--head` is a commit; the base is the branch point, so a later commit on main is not part of the change."""
    git(gitops, "checkout", "-q", "-b", "feature")
    _change(gitops)
    commit(gitops, "feature")
    git(gitops, "checkout", "-q", "main")
    write(gitops, {"overlays/staging/unrelated.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: later}\n"})
    write(gitops, {"overlays/staging/kustomization.yaml": "namespace: staging\nresources: [../../base, unrelated.yaml]\n"})
    commit(gitops, "main moves on")
    found = compare(gitops, "main", "feature", jobs=1)
    assert _summary(found) == EXPECTED
    assert git(gitops, "worktree", "list").count("\n") == 1


def test_secret_values_never_appear(gitops: Path, run_cli) -> None:
    _change(gitops)
    for fmt in ("text", "json", "markdown"):
        result = run_cli(["diff", "--base", "HEAD", "--format", fmt], gitops)
        assert result.exit_code == 0, result.output
        assert "Secret/production/db" in result.output
        for value in SECRETS:
            assert value not in result.output, (fmt, value)
    text = run_cli(["diff", "--base", "HEAD"], gitops).output
    changed_lines = [line for line in text.splitlines() if line.startswith(("-  password", "+  password"))]
    assert len(changed_lines) == 2 and all("<masked sha256:" in line for line in changed_lines)
    assert changed_lines[0].split(":", 1)[1] != changed_lines[1].split(":", 1)[1]


def test_findings_point_at_source_files(gitops: Path) -> None:
    _change(gitops)
    found = compare(gitops, "HEAD", jobs=1)
    docs = {d.resource: d for d in found.head_docs["production"]}
    deployment = docs["Deployment/production/web"]
    assert deployment.path == "base/deployment.yaml"
    assert deployment.line_of(["spec", "template", "spec", "containers", 0, "image"]) == 16
    assert docs["Secret/production/db"].path == "overlays/production/secret.yaml"
    assert "config.kubernetes.io/origin" not in json.dumps([d.obj for d in found.head_docs["production"]])
    helm_docs = found.head_docs["api-production"]
    assert [(d.path, d.line) for d in helm_docs] == [("charts/api/templates/deployment.yaml", 0)]


def test_unchanged_inputs_render_nothing(gitops: Path) -> None:
    write(gitops, {"README.md": "docs only\n"})
    found = compare(gitops, "HEAD", jobs=1)
    assert all(d.skipped for d in found.diffs)
    assert found.head_docs == {}


@pytest.mark.parametrize("origins", [True, False], ids=["origin-annotations", "source-index"])
def test_moved_resource(gitops: Path, origins: bool) -> None:
    (gitops / "base/service.yaml").rename(gitops / "base/svc.yaml")
    write(gitops, {"base/kustomization.yaml": "resources: [deployment.yaml, svc.yaml]\n"})
    found = compare(gitops, "HEAD", jobs=1, with_nodes=origins)
    staging = next(d for d in found.diffs if d.env == "staging")
    assert [c.key for c in staging.moved] == ["Service/staging/web"]
    assert staging.moved[0].text == "# moved: base/service.yaml -> base/svc.yaml\n"
    assert staging.changed == [] and staging.unchanged == 1


def test_render_failure_is_a_finding(gitops: Path, run_cli) -> None:
    write(gitops, {"overlays/staging/kustomization.yaml": "resources: [../../base, missing.yaml]\n"})
    found = compare(gitops, "HEAD", jobs=1)
    [finding] = found.findings
    assert finding.rule == "render/remote-refused"  # kustomize would try a non-local path as a URL
    assert finding.env == "staging" and finding.severity == "error"
    assert "missing.yaml" in finding.message
    assert next(d for d in found.diffs if d.env == "staging").changed == []
    result = run_cli(["diff", "--base", "HEAD"], gitops)
    assert result.exit_code == 1


def test_broken_kustomization_and_chart(gitops: Path) -> None:
    write(gitops, {"overlays/staging/kustomization.yaml": "resources: [../../base]\npatches: [{path: nope.yaml}]\n",
                   "charts/api/values-staging.yaml": "env: [unclosed\n"})
    found = compare(gitops, "HEAD", jobs=2)
    by_env = {f.env: f for f in found.findings}
    assert by_env["staging"].rule == "render/failed" and "nope.yaml" in by_env["staging"].message
    assert by_env["api-staging"].rule == "render/failed"


def _fake_tool(folder: Path, name: str, script: str) -> None:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_timeout(gitops: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_tool(tmp_path / "bin", "kustomize", "sleep 5")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    write(gitops, {"overlays/staging/extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"})
    found = compare(gitops, "HEAD", jobs=1, timeout=0.5)
    rules = {(f.env, f.rule, f.severity) for f in found.findings}
    assert rules == {("staging", "render/timeout", "error"), ("staging", "render/timeout", "info")}


def test_tool_missing(gitops: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    git_dir = Path(os.popen("command -v git").read().strip()).parent
    _fake_tool(tmp_path / "empty", "git", f'exec "{git_dir}/git" "$@"')
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    write(gitops, {"overlays/staging/extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"})
    found = compare(gitops, "HEAD", jobs=1)
    assert {(f.env, f.rule) for f in found.findings if f.severity == "error"} == {("staging", "render/tool-missing")}


def test_remote_resource_refused_unless_allowed(gitops: Path) -> None:
    write(gitops, {"overlays/staging/kustomization.yaml":
                   "resources:\n- ../../base\n- https://github.com/example/repo//deploy?ref=v1\n"})
    found = compare(gitops, "HEAD", jobs=1)
    [finding] = found.findings
    assert finding.rule == "render/remote-refused"
    assert "https://github.com/example/repo//deploy?ref=v1" in finding.message


def test_remote_refusal_hides_url_credentials(gitops: Path) -> None:
    token, password = "ghp_R8kq2VmX7tLp4Nw9ZcB3yHj6Fd1Gs5Ae0QuZ", "Sx4Dc7Fv1Gb8Hn5Jm2Kl"
    write(gitops, {"overlays/staging/kustomization.yaml": f"""
        resources:
          - ../../base
          - https://oauth2:{token}@github.com/example/repo//deploy?ref=v1
          - git::https://deploy:{password}@gitlab.example.com/example/repo.git//base?ref=main
    """})
    [finding] = compare(gitops, "HEAD", jobs=1).findings
    assert finding.rule == "render/remote-refused"
    assert "https://github.com/example/repo//deploy?ref=v1" in finding.message
    assert "git::https://gitlab.example.com/example/repo.git//base?ref=main" in finding.message
    assert token not in finding.message and password not in finding.message


def test_folder_outside_repository_refused(gitops: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    write(outside, {"kustomization.yaml": "resources: []\n"})
    rel = os.path.relpath(outside, gitops / "overlays/staging")
    write(gitops, {"overlays/staging/kustomization.yaml": f"resources: [../../base, {rel}]\n"})
    found = compare(gitops, "HEAD", jobs=1, allow_remote=True)
    assert [f.rule for f in found.findings] == ["render/path-outside-repo"]


def test_ignore_labels(gitops: Path) -> None:
    write(gitops, {"base/deployment.yaml": (gitops / "base/deployment.yaml").read_text().replace(
        "labels: {app: web}\nspec:", "labels: {app: web, helm.sh/chart: web-1.0.1}\nspec:")})
    noisy = compare(gitops, "HEAD", jobs=1)
    quiet = compare(gitops, "HEAD", jobs=1, ignore_labels=["helm.sh/chart"])
    assert [len(d.changed) for d in noisy.diffs if d.env == "staging"] == [1]
    assert [len(d.changed) for d in quiet.diffs if d.env == "staging"] == [0]


def test_declared_environments_and_added_environment(gitops: Path) -> None:
    write(gitops, {
        ".prcheck.yaml": """
            environments:
              - name: stage
                kustomize: overlays/staging
              - name: preview
                kustomize: overlays/preview
              - name: api-prod
                helm: {chart: charts/api, values: [charts/api/values-production.yaml], release: api, namespace: prod}
        """,
        "overlays/preview/kustomization.yaml": "namespace: preview\nresources: [../../base]\n",
    })
    config = yaml.safe_load((gitops / ".prcheck.yaml").read_text())
    found = compare(gitops, "HEAD", jobs=2, config=config)  # the caller's config: compare never reads one
    summary = _summary(found)
    assert summary["stage"]["skipped"] is True
    assert summary["api-prod"]["skipped"] is True  # declarations apply to both sides
    assert summary["preview"]["added"] == ["Deployment.apps/preview/web", "Service/preview/web"]
    assert found.findings == []


def test_generator_errors_never_quote_literal_values(gitops: Path, run_cli) -> None:
    """kustomize quotes every literal of a generator when one is malformed; none of them may be shown."""
    values = ("Pw9xLm2Qr7Vt4Kz8Nb3", "MIIEpAIBAAKCAQEA7vQx9Lm2Qr", "Bd7Vc2Xn9Mk4Lj6Hg")
    write(gitops, {"overlays/staging/kustomization.yaml": f"""
        namespace: staging
        resources: [../../base]
        secretGenerator:
          - name: app
            literals:
              - "password={values[0]}"
              - "key=-----BEGIN RSA PRIVATE KEY-----\\n{values[1]}\\n-----END RSA PRIVATE KEY-----"
              - "{values[2]}"
    """})
    found = compare(gitops, "HEAD", jobs=1)
    [finding] = [f for f in found.findings if f.env == "staging"]
    assert finding.rule == "render/failed"
    assert "literal sources [values not shown]: invalid literal source (value not shown)" in finding.message
    outputs = [finding.message] + [run_cli(["diff", "--base", "HEAD", "--format", fmt], gitops).output
                                   for fmt in ("text", "json", "markdown")]
    for output in outputs:
        for value in values:
            assert value not in output, output


def test_clean_error_hides_values_in_klog_framing(tmp_path: Path) -> None:
    from prcheck.render.kustomize import clean_error

    stderr = ('E0101 00:00:00.000000 1 run.go:72] "command failed" err="accumulating resources: loading KV pairs: '
              'env source files: [app.env]: line [104 117] has invalid utf8 bytes : Ev8Qm3Zx7Lp2Wk9"\n')
    assert clean_error(stderr, tmp_path / "w", tmp_path) == (
        "accumulating resources: loading KV pairs: env source files: [app.env]: "
        "env file line has invalid UTF-8 bytes (line not shown)")
