"""The text test that lets discovery skip files that cannot hold Argo CD or Flux objects."""

from __future__ import annotations

import pytest

from prcheck.render.environments import may_hold_gitops_objects

APP = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\n"
CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: applications.argoproj.io}
spec:
  group: argoproj.io
  names: {kind: Application}
"""


@pytest.mark.parametrize("text", [
    APP,
    "---\n" + APP,
    "# comment\n\n" + APP,
    CRD + "---\n" + APP,
    'apiVersion: "kustomize.toolkit.fluxcd.io/v1"\nkind: Kustomization\n',
    "---\n  apiVersion: argoproj.io/v1alpha1\n  kind: Application\n",  # an indented document
    '{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application"}\n',  # flow style
    "--- {apiVersion: argoproj.io/v1alpha1, kind: Application}\n",
    "kind: Application\napiVersion:\n  argoproj.io/v1alpha1\n",  # value on the next line: parse to be sure
])
def test_files_that_may_hold_objects_are_parsed(text: str) -> None:
    assert may_hold_gitops_objects(text)


@pytest.mark.parametrize("text", [
    "apiVersion: v1\nkind: ConfigMap\n",
    CRD,
    CRD + "---\n" + CRD,
    "image:\n  repository: quay.io/argoproj.io/argocd\n",
])
def test_files_that_cannot_are_skipped(text: str) -> None:
    assert not may_hold_gitops_objects(text)
