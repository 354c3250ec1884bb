"""Environments found from repository layouts, and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from prcheck.render.environments import EnvironmentConfigError, declared, discover
from tests.conftest import write
from tests.render.conftest import BASE_FILES

REMOTE = "https://github.com/acme/gitops.git"


def _envs(root: Path, remotes: tuple[str, ...] = ()) -> dict[str, tuple]:
    return {s.name: (s.env.kind, s.env.path, s.env.values, s.env.source) for s in discover(root, remotes)}


def test_overlays_and_charts(gitops: Path) -> None:
    write(gitops, {"charts/api/charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 1.0.0\n",
                   "charts/api/charts/sub/values-extra.yaml": "a: 1\n",
                   "charts/api/values.schema.json": "{}\n"})
    assert _envs(gitops) == {
        "production": ("kustomize", "overlays/production", (),
                       "kustomization folder overlays/production (under overlays/)"),
        "staging": ("kustomize", "overlays/staging", (), "kustomization folder overlays/staging (under overlays/)"),
        "api-production": ("helm", "charts/api", ("charts/api/values.yaml", "charts/api/values-production.yaml"),
                           "Helm chart charts/api with values-production.yaml"),
        "api-staging": ("helm", "charts/api", ("charts/api/values.yaml", "charts/api/values-staging.yaml"),
                        "Helm chart charts/api with values-staging.yaml"),
    }


def test_env_parents_and_name_collisions(repo: Path) -> None:
    write(repo, {
        "apps/web/envs/prod/kustomization.yaml": "resources: []\n",
        "apps/db/environments/prod/kustomization.yaml": "resources: []\n",
        "clusters/east/kustomization.yml": "resources: []\n",
        "clusters/east/nested/kustomization.yaml": "resources: []\n",
        "charts/x/Chart.yaml": "apiVersion: v2\nname: x\nversion: 1.0.0\n",
        "charts/x/values.dev.yaml": "a: 1\n",
    })
    assert set(_envs(repo)) == {"apps/web/envs/prod", "apps/db/environments/prod", "east", "x-dev"}
    assert _envs(repo)["x-dev"][2] == ("charts/x/values.dev.yaml",)


def test_argo_application_and_application_set(repo: Path) -> None:
    write(repo, {k: v for k, v in BASE_FILES.items()})
    write(repo, {
        "argocd/api.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: api-prod}
            spec:
              source:
                repoURL: git@github.com:acme/gitops
                path: charts/api
                helm:
                  releaseName: api
                  valueFiles: [values-production.yaml]
                  valuesObject: {replicas: 9}
              destination: {namespace: prod}
            ---
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: elsewhere}
            spec:
              source: {repoURL: https://github.com/other/repo, path: overlays/staging}
        """,
        "argocd/set.yaml": """
            apiVersion: argoproj.io/v1alpha1
            kind: ApplicationSet
            metadata: {name: web}
            spec:
              goTemplate: true
              generators:
                - list:
                    elements:
                      - cluster: staging
                      - cluster: production
                        prefix: prod-
              template:
                metadata: {name: 'web-{{.cluster}}'}
                spec:
                  source:
                    repoURL: https://github.com/acme/gitops
                    path: 'overlays/{{.cluster}}'
                    kustomize:
                      namePrefix: '{{.prefix}}'
                      images: ['nginx=registry.local/nginx:1.27']
        """,
    })
    specs = {s.name: s for s in discover(repo, (REMOTE,))}
    assert {"api-prod", "web-staging", "web-production"} <= set(specs)
    assert "elsewhere" not in specs
    api = specs["api-prod"]
    assert (api.env.kind, api.env.path, api.env.values, api.env.release, api.env.namespace) == (
        "helm", "charts/api", ("charts/api/values-production.yaml",), "api", "prod")
    assert api.helm_values == {"replicas": 9}
    assert api.env.source == "Argo CD Application api-prod in argocd/api.yaml (source.path charts/api)"
    web = specs["web-production"]
    assert web.env.kind == "kustomize" and web.env.path == "overlays/production"
    assert web.overlay.fields == {"namePrefix": "prod-",
                                  "images": [{"name": "nginx", "newName": "registry.local/nginx", "newTag": "1.27"}]}
    assert "namePrefix" not in specs["web-staging"].overlay.fields  # no `prefix` in that element


def test_flux_cluster_folders(repo: Path) -> None:
    flux = """
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata: {{name: apps, namespace: flux-system}}
        spec:
          sourceRef: {{kind: GitRepository, name: flux-system}}
          path: ./apps/{env}
    """
    write(repo, {"clusters/staging/apps.yaml": flux.format(env="staging"),
                 "clusters/production/flux-system/sync.yaml": flux.format(env="production"),
                 "apps/staging/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"})
    envs = _envs(repo)
    assert envs["staging"] == ("plain", "clusters/staging", (), "Flux Kustomizations apps in clusters/staging/apps.yaml")
    assert envs["production"][:2] == ("plain", "clusters/production")


def test_declared_environments() -> None:
    specs = declared({"environments": [
        {"name": "staging", "kustomize": "clusters/staging/"},
        {"name": "production", "helm": {"chart": "charts/api", "values": ["charts/api/values.yaml"],
                                        "release": "api", "namespace": "prod"}, "kube_version": "1.30"},
        {"name": "legacy", "path": "manifests/legacy", "namespace": "legacy"},
    ]}, kube_version="1.32")
    assert [(s.name, s.env.kind, s.env.path, s.env.namespace, s.env.kube_version, s.env.source) for s in specs] == [
        ("staging", "kustomize", "clusters/staging", "", "1.32", "config"),
        ("production", "helm", "charts/api", "prod", "1.30", "config"),
        ("legacy", "plain", "manifests/legacy", "legacy", "1.32", "config"),
    ]
    assert declared({}) is None
    with pytest.raises(EnvironmentConfigError, match="declared twice: a"):
        declared({"environments": [{"name": "a", "path": "x"}, {"name": "a", "path": "y"}]})


def test_envs_command(gitops: Path, run_cli) -> None:
    result = run_cli(["envs"], gitops)
    assert result.exit_code == 0
    assert result.output.splitlines()[:2] == [
        "api-production  helm      charts/api  values: charts/api/values.yaml, charts/api/values-production.yaml",
        "                found: Helm chart charts/api with values-production.yaml",
    ]
