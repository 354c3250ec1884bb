"""Render what users expect: default-values charts, chart dependencies, test hooks,
generated names, Flux sources at another ref, and a summary that says what was rendered."""

from __future__ import annotations

from pathlib import Path

import pytest

from prcheck.diff import diff_env
from prcheck.model import Document, Environment
from prcheck.render import environments, helm
from prcheck.render.changes import compare
from prcheck.render.kustomize import RenderError
from tests.conftest import write
from tests.render.conftest import commit, needs_helm, needs_kustomize

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata: {size: '{{ .Values.size }}'}\n"


def test_a_chart_with_only_values_yaml_is_an_environment(tmp_path: Path):
    write(tmp_path, {"helm-chart/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 1.0.0\n",
                     "helm-chart/values.yaml": "size: 1\n", "helm-chart/templates/cm.yaml": CM,
                     "lib/Chart.yaml": "apiVersion: v2\nname: lib\ntype: library\nversion: 1.0.0\n",
                     "web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
                     "web/values.yaml": "size: 1\n", "web/values-prod.yaml": "size: 2\n"})
    found = {s.env.name: s.env for s in environments.discover(tmp_path)}
    assert set(found) == {"helm-chart", "web-prod"}  # the library chart renders nothing on its own
    shop = found["helm-chart"]
    assert shop.path == "helm-chart" and shop.values == ("helm-chart/values.yaml",) and "default values" in shop.source


@needs_helm
def test_missing_chart_dependency_is_one_finding_with_the_fix(tmp_path: Path):
    write(tmp_path, {"app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n"
                                       "  - {name: common, version: 2.x.x, repository: oci://registry.example/charts}\n",
                     "app/templates/cm.yaml": CM})
    with pytest.raises(RenderError) as caught:
        helm.render(Environment(name="app", kind="helm", path="app"), tmp_path)
    assert caught.value.rule == "render/missing-dependency"
    assert "common 2.x.x" in caught.value.message and "helm dependency build app" in caught.value.message


@needs_helm
def test_local_file_dependencies_are_built_automatically(tmp_path: Path):
    write(tmp_path, {"app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n"
                                       "  - {name: common, version: 1.0.0, repository: file://../common}\n",
                     "app/values.yaml": "size: 3\n",
                     "app/templates/cm.yaml": "{{ include \"common.cm\" . }}\n",
                     "common/Chart.yaml": "apiVersion: v2\nname: common\nversion: 1.0.0\n",
                     "common/templates/_cm.tpl": '{{- define "common.cm" -}}\n' + CM + "{{- end -}}\n"})
    chunks = helm.render(Environment(name="app", kind="helm", path="app", values=("app/values.yaml",)), tmp_path)
    assert any("size: '3'" in c.text for c in chunks)
    assert not (tmp_path / "app/charts").exists()  # vendored into a scratch copy, never the repository


@pytest.mark.parametrize("chart_yaml", [
    "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies: " + "[" * 30_000 + "\n",  # nests past any parser's stack
    "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies: &a [*a]\n",  # an alias to itself
    "\x00\x01 not yaml",
])
def test_a_hostile_chart_yaml_is_read_within_the_loaders_limits(tmp_path: Path, chart_yaml: str):
    """The repository writes Chart.yaml: reading its dependencies goes through the project's loader
    (no RecursionError, no unbounded walk); what does not load declares nothing, and the render is
    left to say what is wrong with it."""
    from prcheck.render import chart_deps

    write(tmp_path, {"app/Chart.yaml": chart_yaml, "app/templates/cm.yaml": CM})
    assert chart_deps.ready(tmp_path / "app", "app", tmp_path, tmp_path / "scratch") == tmp_path / "app"


def _doc(obj: dict, path: str = "c/templates/t.yaml") -> Document:
    return Document(path=path, index=0, line=0, obj=obj)


def _pod(name: str, image: str = "busybox") -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"job": name}},
            "spec": {"containers": [{"name": "t", "image": image}]}}


def test_generated_names_do_not_churn_the_diff():
    same = diff_env("e", [_doc(_pod("web-test-mjdg2"))], [_doc(_pod("web-test-8dxw7"))])
    assert (same.added, same.removed, same.changed, same.unchanged) == ([], [], [], 1)
    changed = diff_env("e", [_doc(_pod("web-test-mjdg2"))], [_doc(_pod("web-test-8dxw7", "busybox:2"))])
    assert (len(changed.added), len(changed.removed), len(changed.changed)) == (0, 0, 1)
    renamed = diff_env("e", [_doc(_pod("web-old"))], [_doc(_pod("web-new"))])  # a real rename stays visible
    assert (len(renamed.added), len(renamed.removed)) == (1, 1)


@needs_helm
def test_helm_test_hooks_are_not_rendered(repo: Path):
    hook = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-test-{{ randAlphaNum 5 | lower }}\n"
            "  annotations: {helm.sh/hook: test}\nspec: {containers: [{name: t, image: busybox}]}\n")
    write(repo, {"chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n", "chart/values.yaml": "size: 1\n",
                 "chart/templates/cm.yaml": CM, "chart/templates/tests/hook.yaml": hook})
    commit(repo, "base")
    (repo / "chart/values.yaml").write_text("size: 2\n")
    found = compare(repo, "HEAD")
    [diff] = found.diffs
    assert [c.key for c in diff.changed] == ["ConfigMap/chart-cm"] and not diff.added and not diff.removed
    assert not [d for d in found.head_docs["chart"] if d.kind == "Pod"]


FLUX_KS = """
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {{name: {name}, namespace: flux-system}}
spec: {{sourceRef: {{kind: GitRepository, name: {source}}}, path: {path}, interval: 1m}}
"""
GIT = """
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {{name: {name}, namespace: flux-system}}
spec: {{url: https://example.invalid/org/fleet, ref: {ref}, interval: 1m}}
"""


@needs_kustomize
def test_flux_follows_only_this_repository_at_this_ref(repo: Path):
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{v: '1'}}\n"
    write(repo, {
        "clusters/prod/flux-system/gotk-sync.yaml": GIT.format(name="flux-system", ref="{branch: main}")
        + "---" + FLUX_KS.format(name="flux-system", source="flux-system", path="./clusters/prod"),
        "clusters/prod/apps.yaml": FLUX_KS.format(name="apps", source="flux-system", path="./apps"),
        "clusters/prod/tenant.yaml": GIT.format(name="tenant", ref="{branch: tenant-work}")
        + "---" + FLUX_KS.format(name="tenant", source="tenant", path="./tenant"),
        "clusters/prod/release.yaml": GIT.format(name="release", ref="{tag: v1.2.0}")
        + "---" + FLUX_KS.format(name="release", source="release", path="./release"),
        "apps/cm.yaml": cm.format(name="app"), "tenant/cm.yaml": cm.format(name="tenant"),
        "release/cm.yaml": cm.format(name="release"),
    })
    commit(repo, "base")
    for folder in ("apps", "tenant", "release"):
        (repo / folder / "cm.yaml").write_text((repo / folder / "cm.yaml").read_text().replace("'1'", "'2'"))
    found = compare(repo, "HEAD")
    [diff] = [d for d in found.diffs if d.env == "prod"]
    assert [c.key for c in diff.changed] == ["ConfigMap/app"]
    notes = " ".join(found.notes["prod"])
    assert "follows branch tenant-work, not main" in notes and "follows tag v1.2.0" in notes


def test_plain_check_says_environments_were_not_rendered(run_cli, repo: Path):
    write(repo, {"overlays/dev/kustomization.yaml": "resources: [cm.yaml]\n",
                 "overlays/dev/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"})
    lines = run_cli(["check"], repo).output.splitlines()
    assert lines[-2].startswith("environments not rendered (no --base)") and "check --base" in lines[-2]
    write(repo, {"only.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"})
    assert "not rendered" not in run_cli(["check", "only.yaml"], repo).output  # nothing there to render
