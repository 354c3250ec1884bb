"""The vendored CRD JSON schemas under schemas/crds compile and accept/reject what they should.

One minimal valid and one wrong-typed manifest per kind. Schemas are the
datreeio/CRDs-catalog layout: schemas/crds/<group>/<kind lowercased>_<version>.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import pytest
import yaml

CRDS = Path(__file__).parents[1] / "schemas" / "crds"


def schema_path(api_version: str, kind: str) -> Path:
    group, version = api_version.split("/")
    return CRDS / group / f"{kind.lower()}_{version}.json"


def validator(api_version: str, kind: str):
    return jsonschema_rs.validator_for(json.loads(schema_path(api_version, kind).read_text(encoding="utf-8")))


CASES = {
    "argo-application": (
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: guestbook, namespace: argocd}
        spec:
          project: default
          source:
            repoURL: https://github.com/argoproj/argocd-example-apps.git
            targetRevision: HEAD
            path: guestbook
          destination:
            server: https://kubernetes.default.svc
            namespace: guestbook
          syncPolicy:
            automated: {prune: true, selfHeal: true}
        """,
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: guestbook}
        spec:
          project: default
          source:
            repoURL: https://github.com/argoproj/argocd-example-apps.git
          destination:
            server: https://kubernetes.default.svc
          syncPolicy:
            automated: {prune: "yes please"}
        """,
    ),
    "argo-appproject": (
        """
        apiVersion: argoproj.io/v1alpha1
        kind: AppProject
        metadata: {name: team-a, namespace: argocd}
        spec:
          description: Team A
          sourceRepos: ["*"]
          destinations:
            - {namespace: team-a, server: https://kubernetes.default.svc}
          clusterResourceWhitelist:
            - {group: "", kind: Namespace}
        """,
        """
        apiVersion: argoproj.io/v1alpha1
        kind: AppProject
        metadata: {name: team-a}
        spec:
          sourceRepos: "*"
        """,
    ),
    "flux-kustomization": (
        """
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata: {name: apps, namespace: flux-system}
        spec:
          interval: 10m
          path: ./apps
          prune: true
          sourceRef: {kind: GitRepository, name: flux-system}
        """,
        """
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata: {name: apps}
        spec:
          interval: 5
          prune: true
          sourceRef: {kind: GitRepository, name: flux-system}
        """,
    ),
    "flux-helmrelease": (
        """
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: podinfo, namespace: default}
        spec:
          interval: 5m
          chart:
            spec:
              chart: podinfo
              version: "6.x"
              sourceRef: {kind: HelmRepository, name: podinfo}
          values:
            replicaCount: 2
        """,
        """
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: {name: podinfo}
        spec:
          interval: 5
          chart:
            spec:
              chart: podinfo
              sourceRef: {kind: HelmRepository, name: podinfo}
        """,
    ),
    "flux-gitrepository": (
        """
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata: {name: podinfo, namespace: flux-system}
        spec:
          interval: 1m
          url: https://github.com/stefanprodan/podinfo
          ref: {branch: master}
        """,
        """
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata: {name: podinfo}
        spec:
          interval: 5
          url: https://github.com/stefanprodan/podinfo
        """,
    ),
    "cert-manager-certificate": (
        """
        apiVersion: cert-manager.io/v1
        kind: Certificate
        metadata: {name: example-com, namespace: default}
        spec:
          secretName: example-com-tls
          dnsNames: [example.com, www.example.com]
          issuerRef: {name: letsencrypt, kind: ClusterIssuer}
        """,
        """
        apiVersion: cert-manager.io/v1
        kind: Certificate
        metadata: {name: example-com}
        spec:
          secretName: 1
          issuerRef: {name: letsencrypt}
        """,
    ),
    "cert-manager-issuer": (
        """
        apiVersion: cert-manager.io/v1
        kind: Issuer
        metadata: {name: ca-issuer, namespace: default}
        spec:
          ca: {secretName: ca-key-pair}
        """,
        """
        apiVersion: cert-manager.io/v1
        kind: Issuer
        metadata: {name: ca-issuer}
        spec:
          ca: {secretName: 1}
        """,
    ),
    "cert-manager-clusterissuer": (
        """
        apiVersion: cert-manager.io/v1
        kind: ClusterIssuer
        metadata: {name: letsencrypt}
        spec:
          acme:
            server: https://acme-v02.api.letsencrypt.org/directory
            email: ops@example.com
            privateKeySecretRef: {name: letsencrypt-account-key}
            solvers:
              - http01:
                  ingress: {ingressClassName: nginx}
        """,
        """
        apiVersion: cert-manager.io/v1
        kind: ClusterIssuer
        metadata: {name: letsencrypt}
        spec:
          acme:
            server: https://acme-v02.api.letsencrypt.org/directory
            privateKeySecretRef: {name: letsencrypt-account-key}
            solvers: not-a-list
        """,
    ),
    "bitnami-sealedsecret": (
        """
        apiVersion: bitnami.com/v1alpha1
        kind: SealedSecret
        metadata: {name: db-credentials, namespace: default}
        spec:
          encryptedData:
            password: AgBy3i4OJSWK+PiTySYZZA==
          template:
            metadata: {name: db-credentials, namespace: default}
            type: Opaque
        """,
        """
        apiVersion: bitnami.com/v1alpha1
        kind: SealedSecret
        metadata: {name: db-credentials}
        spec:
          encryptedData:
            password: 12345
        """,
    ),
    "external-secret-v1beta1": (
        """
        apiVersion: external-secrets.io/v1beta1
        kind: ExternalSecret
        metadata: {name: db-credentials, namespace: default}
        spec:
          refreshInterval: 1h
          secretStoreRef: {name: vault, kind: ClusterSecretStore}
          target: {name: db-credentials}
          data:
            - secretKey: password
              remoteRef: {key: secret/db, property: password}
        """,
        """
        apiVersion: external-secrets.io/v1beta1
        kind: ExternalSecret
        metadata: {name: db-credentials}
        spec:
          refreshInterval: 60
          secretStoreRef: {name: vault}
        """,
    ),
    "external-secret-v1": (
        """
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata: {name: db-credentials, namespace: default}
        spec:
          refreshInterval: 1h
          secretStoreRef: {name: vault, kind: ClusterSecretStore}
          target: {name: db-credentials, creationPolicy: Owner}
          data:
            - secretKey: password
              remoteRef: {key: secret/db, property: password}
        """,
        """
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata: {name: db-credentials}
        spec:
          secretStoreRef: {name: vault}
          data:
            secretKey: password
        """,
    ),
}


def load(doc: str) -> dict:
    return yaml.safe_load(doc)


def test_every_schema_file_is_valid_json_and_compiles() -> None:
    files = sorted(CRDS.glob("*/*.json"))
    assert len(files) >= len(CASES)
    for path in files:
        jsonschema_rs.validator_for(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", sorted(CASES))
def test_schema_file_exists_for_kind(name: str) -> None:
    obj = load(CASES[name][0])
    assert schema_path(obj["apiVersion"], obj["kind"]).is_file()


@pytest.mark.parametrize("name", sorted(CASES))
def test_valid_manifest_passes(name: str) -> None:
    obj = load(CASES[name][0])
    v = validator(obj["apiVersion"], obj["kind"])
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in v.iter_errors(obj)]
    assert not errors, errors


@pytest.mark.parametrize("name", sorted(CASES))
def test_wrong_type_fails(name: str) -> None:
    obj = load(CASES[name][1])
    v = validator(obj["apiVersion"], obj["kind"])
    assert not v.is_valid(obj)
