"""Helm specifics: `-f` merge order, kube version, dropped templates, CRDs."""

from __future__ import annotations

from pathlib import Path

from prcheck.model import Environment
from prcheck.render import helm
from tests.conftest import write
from tests.render.conftest import needs_helm


def test_merge_values_like_repeated_f() -> None:
    merged = helm.merge_values({"a": {"x": 1, "y": [1, 2]}, "b": 1}, {"a": {"y": [3], "z": None}, "c": 2})
    assert merged == {"a": {"x": 1, "y": [3], "z": None}, "b": 1, "c": 2}


def test_split_sources_maps_templates_to_repository_paths(tmp_path: Path) -> None:
    write(tmp_path, {"charts/web/templates/a.yaml": "x\n"})
    stream = ("---\n# Source: web/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
              "---\n# Source: web/charts/sub/templates/b.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"
              "---\n# Source: web/templates/empty.yaml\n")
    chunks = helm.split_sources(stream, "charts/web", tmp_path)
    assert [c.source for c in chunks] == ["charts/web/templates/a.yaml", ""]


@needs_helm
def test_render_values_order_kube_version_notes_and_crds(tmp_path: Path) -> None:
    write(tmp_path, {
        "c/Chart.yaml": "apiVersion: v2\nname: chart-name-differs\nversion: 0.1.0\n",
        "c/values.yaml": "size: 1\nlabels: {a: one}\n",
        "c/crds/widget.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
                              "metadata: {name: widgets.example.com}\n",
        "c/templates/NOTES.txt": "hello\n",
        "c/templates/none.yaml": "{{- if false }}\nkind: X\n{{- end }}\n",
        "c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
                               "  namespace: {{ .Release.Namespace }}\ndata:\n  size: '{{ .Values.size }}'\n"
                               "  kube: '{{ .Capabilities.KubeVersion.Version }}'\n"
                               "  labels: '{{ .Values.labels | toJson }}'\n",
        "one.yaml": "size: 2\nlabels: {b: two}\n",
        "two.yaml": "size: 3\n",
    })
    env = Environment(name="e", kind="helm", path="c", values=("one.yaml", "two.yaml"), namespace="ns",
                      kube_version="1.29.4", release="rel")
    chunks = helm.render(env, tmp_path)
    assert [c.source for c in chunks] == ["c/crds/widget.yaml", "c/templates/cm.yaml"]
    text = chunks[1].text
    assert "name: rel\n  namespace: ns\n" in text
    assert "size: '3'" in text and "kube: 'v1.29.4'" in text
    assert """labels: '{"a":"one","b":"two"}'""" in text
