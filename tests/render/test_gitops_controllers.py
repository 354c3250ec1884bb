"""Rendering through what Flux and Argo CD add on top of a folder."""

from __future__ import annotations

from pathlib import Path

from prcheck.render.changes import compare
from tests.conftest import write
from tests.render.conftest import commit, needs_helm, needs_kustomize

pytestmark = [needs_kustomize]

FLUX = """
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata: {{name: apps, namespace: flux-system}}
    spec:
      sourceRef: {{kind: GitRepository, name: flux-system}}
      path: ./apps
      targetNamespace: {env}
      postBuild:
        substitute: {{tier: {env}-tier}}
      patches:
        - patch: |
            - op: replace
              path: /data/size
              value: "{size}"
          target: {{kind: ConfigMap, name: settings}}
"""


def test_flux_kustomizations_are_followed_with_their_overlay(repo: Path) -> None:
    write(repo, {
        "clusters/staging/apps.yaml": FLUX.format(env="staging", size="small"),
        "clusters/production/apps.yaml": FLUX.format(env="production", size="large"),
        "apps/settings.yaml": """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
            data: {size: medium, tier: "${tier}", colour: blue}
        """,
    })
    commit(repo, "base")
    settings = repo / "apps/settings.yaml"
    settings.write_text(settings.read_text().replace("blue", "green"))
    found = compare(repo, "HEAD", jobs=2)
    assert found.findings == []
    for env, size in (("staging", "small"), ("production", "large")):
        [change] = next(d for d in found.diffs if d.env == env).changed
        assert change.key == f"ConfigMap/{env}/settings"
        assert f"  size: {size}\n" in change.text and f"  tier: {env}-tier\n" in change.text
        assert "-  colour: blue\n+  colour: green\n" in change.text
    [doc] = [d for d in found.head_docs["staging"] if d.kind == "ConfigMap"]
    assert doc.path == "apps/settings.yaml" and doc.line_of(["data", "colour"]) == 4


@needs_helm
def test_argo_application_set_renders_per_element(repo: Path) -> None:
    write(repo, {
        "base/kustomization.yaml": "resources: [cm.yaml]\n",
        "base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: '1'}\n",
        "overlays/dev/kustomization.yaml": "resources: [../../base]\n",
        "charts/api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 1.0.0\n",
        "charts/api/values.yaml": "replicas: 1\n",
        "charts/api/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: api}\n"
                                        "data: {replicas: '{{ .Values.replicas }}'}\n",
        "argocd.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: ApplicationSet
            metadata: {name: dev}
            spec:
              generators:
                - list: {elements: [{env: dev, prefix: dev-}]}
              template:
                metadata: {name: 'web-{{env}}'}
                spec:
                  source:
                    repoURL: https://example.com/acme/gitops.git
                    path: 'overlays/{{env}}'
                    kustomize: {namePrefix: '{{prefix}}'}
            ---
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: api}
            spec:
              source:
                repoURL: https://example.com/acme/gitops.git
                path: charts/api
                helm: {values: "replicas: 7"}
              destination: {namespace: apps}
        """,
    })
    commit(repo, "base")
    write(repo, {"base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: '2'}\n",
                 "charts/api/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: api}\n"
                                                 "data: {replicas: 'x{{ .Values.replicas }}'}\n"})
    found = compare(repo, "HEAD", jobs=2)
    assert found.findings == []
    diffs = {d.env: d for d in found.diffs}
    assert set(diffs) == {"api", "dev", "web-dev"}  # the overlay folder is an environment of its own too
    assert [c.key for c in diffs["web-dev"].changed] == ["ConfigMap/dev-cm"]
    assert [c.key for c in diffs["dev"].changed] == ["ConfigMap/cm"]
    [api] = diffs["api"].changed
    assert api.key == "ConfigMap/api" and "-  replicas: '7'\n+  replicas: x7\n" in api.text
