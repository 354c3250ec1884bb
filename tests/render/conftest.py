"""Builders for the GitOps repositories the render tests run against.

Every repository is real: `git init`, a base commit, then a head commit or
uncommitted edits, so worktrees, merge bases and `git diff` behave as they
do in CI.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import git, write

needs_kustomize = pytest.mark.skipif(
    shutil.which("kustomize") is None and shutil.which("kubectl") is None,
    reason="neither kustomize nor kubectl is installed")


def _helm_available() -> bool:
    if shutil.which("helm"):
        return True
    try:
        import helm_python  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


needs_helm = pytest.mark.skipif(not _helm_available(), reason="no helm binary and no helm-python-sdk (prcheck[helm])")


def commit(root: Path, message: str = "change") -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


BASE_FILES: dict[str, str] = {
    "base/kustomization.yaml": """
        resources: [deployment.yaml, service.yaml]
    """,
    "base/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels: {app: web}
        spec:
          replicas: 1
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
                - name: web
                  image: nginx:1.25
    """,
    "base/service.yaml": """
        apiVersion: v1
        kind: Service
        metadata:
          name: web
        spec:
          selector: {app: web}
          ports:
            - port: 80
    """,
    "overlays/staging/kustomization.yaml": """
        namespace: staging
        resources: [../../base]
    """,
    "overlays/production/kustomization.yaml": """
        namespace: production
        resources: [../../base, pdb.yaml, secret.yaml]
        patches:
          - path: replicas.yaml
    """,
    "overlays/production/replicas.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          replicas: 3
    """,
    "overlays/production/pdb.yaml": """
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata:
          name: web
        spec:
          minAvailable: 1
          selector:
            matchLabels: {app: web}
    """,
    "overlays/production/secret.yaml": """
        apiVersion: v1
        kind: Secret
        metadata:
          name: db
        stringData:
          password: correct-horse-battery-staple
        data:
          token: c2VjcmV0LXRva2VuLW9uZQ==
    """,
    "charts/api/Chart.yaml": """
        apiVersion: v2
        name: api
        version: 1.0.0
    """,
    "charts/api/values.yaml": """
        replicas: 1
        image: api:1.0
        env: {LOG_LEVEL: info}
    """,
    "charts/api/values-staging.yaml": """
        env: {LOG_LEVEL: debug}
    """,
    "charts/api/values-production.yaml": """
        replicas: 2
    """,
    "charts/api/templates/_helpers.tpl": """
        {{- define "api.labels" -}}
        app: {{ .Release.Name }}
        {{- end -}}
    """,
    "charts/api/templates/NOTES.txt": """
        Installed {{ .Release.Name }}.
    """,
    "charts/api/templates/unused.yaml": """
        {{- if .Values.never }}
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: never}
        {{- end }}
    """,
    "charts/api/templates/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ .Release.Name }}
          namespace: {{ .Release.Namespace }}
          labels:
            {{- include "api.labels" . | nindent 4 }}
        spec:
          replicas: {{ .Values.replicas }}
          template:
            spec:
              containers:
                - name: api
                  image: {{ .Values.image }}
                  env:
                  {{- range $k, $v := .Values.env }}
                    - name: {{ $k }}
                      value: {{ $v | quote }}
                  {{- end }}
    """,
}


@pytest.fixture
def gitops(repo: Path) -> Path:
    """Two overlays over one base, and one chart with two values files: committed as the base."""
    write(repo, BASE_FILES)
    commit(repo, "base")
    return repo
