"""CRDs a repository carries become the schemas of its custom resources."""

from __future__ import annotations

from pathlib import Path

import jsonschema_rs

from prcheck.checks.crd_schema import schemas_from, to_json_schema
from prcheck.pipeline import CheckOptions, run_check
from tests.conftest import git, write

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer}
                port: {x-kubernetes-int-or-string: true}
                mode: {type: string, enum: [fast, slow]}
                extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
                template: {type: object, x-kubernetes-embedded-resource: true, properties: {spec: {type: object}}}
                note: {type: string, nullable: true}
              x-kubernetes-validations:
                - rule: "self.size >= 0"
    - name: v0
      served: false
      storage: false
      schema:
        openAPIV3Schema: {type: object}
"""


def _ok(schema: dict, instance: dict) -> bool:
    return jsonschema_rs.validator_for(schema).is_valid(instance)


def test_conversion_follows_api_server_semantics():
    schemas = schemas_from([__import__("yaml").safe_load(CRD)])
    assert list(schemas) == [("example.com/v1", "Widget")]  # v0 is not served
    schema = schemas[("example.com/v1", "Widget")]
    base = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert _ok(schema, {**base, "spec": {"size": 1, "port": 80}})
    assert _ok(schema, {**base, "spec": {"size": 1, "port": "http"}})  # int-or-string
    assert not _ok(schema, {**base, "spec": {"size": 1, "port": 1.5}})
    assert not _ok(schema, {**base, "spec": {"size": 1, "bogus": True}})  # unknown field
    assert _ok(schema, {**base, "spec": {"size": 1, "extra": {"anything": {"goes": 1}}}})  # preserve-unknown-fields
    assert _ok(schema, {**base, "spec": {"size": 1, "template": {"apiVersion": "v1", "kind": "Pod",
                                                                  "metadata": {"name": "p"}, "spec": {}}}})
    assert not _ok(schema, {**base, "spec": {"size": 1, "template": {"other": 1}}})
    assert _ok(schema, {**base, "spec": {"size": 1, "note": None, "mode": None}})  # null is kept or pruned
    assert not _ok(schema, {**base, "spec": {"size": 1, "mode": "medium"}})
    assert not _ok(schema, {**base, "spec": {}})  # required
    rules = schema["properties"]["spec"]["x-kubernetes-validations"]
    assert rules == [{"rule": "self.size >= 0"}]  # kept for the CEL engine


def test_v1beta1_shared_validation():
    crd = {"apiVersion": "apiextensions.k8s.io/v1beta1", "kind": "CustomResourceDefinition",
           "spec": {"group": "example.com", "names": {"kind": "Old"}, "version": "v1alpha1",
                    "validation": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object"}}}}}}
    assert list(schemas_from([crd])) == [("example.com/v1alpha1", "Old")]
    assert to_json_schema({"type": "object", "properties": {"a": {"format": "int-or-string"}}})["properties"]["a"] == {
        "anyOf": [{"type": "integer"}, {"type": "string"}]}


def _findings(root: Path, **opts):
    return run_check(CheckOptions(paths=[str(root)], root=root, builtin=False, **opts)).findings


def test_custom_resources_validate_against_the_repositorys_crds(repo: Path):
    write(repo, {"crds/widget.yaml": CRD,
                 "apps/good.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: a}\nspec: {size: 2}\n",
                 "apps/bad.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: b}\nspec: {size: big}\n",
                 "apps/other.yaml": "apiVersion: other.example.com/v1\nkind: Gadget\nmetadata: {name: c}\n"})
    found = {(f.path, f.rule, f.severity) for f in _findings(repo)}
    assert ("apps/bad.yaml", "schema/invalid", "error") in found
    assert not any(path == "apps/good.yaml" for path, _, _ in found)
    assert ("apps/other.yaml", "schema/missing", "info") in found  # no schema: info, never an error


def test_the_repositorys_crd_wins_over_the_bundled_catalog(repo: Path):
    # a newer controller than the catalog's snapshot: a field the catalog lacks
    crd = CRD.replace("example.com", "cert-manager.io").replace("Widget", "Certificate").replace("widgets", "certificates")
    write(repo, {"crds.yaml": crd,
                 "cert.yaml": "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: a}\nspec: {size: 2}\n"})
    assert [f for f in _findings(repo) if f.path == "cert.yaml"] == []


def test_bundled_catalog_verdicts_warn(repo: Path):
    write(repo, {"cert.yaml": "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: a}\n"
                              "spec: {secretName: s, issuerRef: {name: i}, brandNewField: true}\n"})
    found = [f for f in _findings(repo) if f.rule == "schema/invalid"]
    assert found and all(f.severity == "warning" and "bundled catalog" in f.message for f in found)


def test_crds_in_a_rendered_environment(repo: Path):
    write(repo, {"env/kustomization.yaml": "resources: [crd.yaml, widget.yaml]\n",
                 "env/crd.yaml": CRD,
                 "env/widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: a}\nspec: {size: 1}\n",
                 ".prcheck.yaml": "environments:\n  - {name: env, kind: kustomize, path: env}\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    write(repo, {"env/widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: a}\nspec: {size: one}\n"})
    from prcheck.render.stage import RenderRequest

    # the CRD file itself is excluded from the file checks: only the render carries it
    opts = dict(exclude=["env/crd.yaml"], render=RenderRequest(
        base="HEAD", filter_mode="nofilter", environments=({"name": "env", "kind": "kustomize", "path": "env"},)))
    found = [f for f in _findings(repo, **opts) if f.rule == "schema/invalid"]
    assert found and all(f.severity == "error" and f.env == "env" for f in found)
