"""CustomResourceDefinition → JSON schema, one per served version.

A repository that carries its CRDs (Flux's `gotk-components.yaml`, Gateway
API's CRDs, an operator chart's `crds/`) says exactly which version of each
custom resource it runs, so its custom resources are validated against those
rather than against a catalog snapshot. The conversion follows kubeconform's
`openapi2jsonschema` (objects that declare `properties` refuse unknown keys,
int-or-string becomes either type) and adds what the API server does beyond
it, so a manifest the server accepts is never rejected here:

- `x-kubernetes-preserve-unknown-fields: true` keeps unknown keys;
- `x-kubernetes-int-or-string: true` accepts an integer or a string;
- `x-kubernetes-embedded-resource: true` is an object with `apiVersion`,
  `kind` and `metadata` even when its schema does not list them;
- a field set to null is accepted: the server keeps it when `nullable`,
  and prunes it before validation otherwise.

`x-kubernetes-validations` (CEL rules) stay in the converted schema: JSON
schema validators ignore unknown keywords, and the CEL engine reads them
from there. `python -m prcheck.checks.crd_schema CRD.yaml... --out DIR`
writes the catalog layout (`<group>/<kind>_<version>.json`) the bundled
schemas/crds/ uses, with this same conversion.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

CRD_KIND = "CustomResourceDefinition"
_EMBEDDED = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}}


def served_versions(crd: Any) -> Iterator[tuple[str, str, dict]]:
    """(apiVersion, kind, openAPIV3Schema) for each served version of a CRD object.

    apiextensions.k8s.io/v1 has a schema per version; v1beta1 may instead have
    one top-level `spec.validation` shared by every version.
    """
    if not isinstance(crd, Mapping) or crd.get("kind") != CRD_KIND:
        return
    spec = crd.get("spec")
    if not isinstance(spec, Mapping):
        return
    group, names = spec.get("group"), spec.get("names")
    kind = names.get("kind") if isinstance(names, Mapping) else None
    if not isinstance(group, str) or not isinstance(kind, str) or not group or not kind:
        return
    shared = _openapi(spec.get("validation"))
    versions = spec.get("versions")
    if not isinstance(versions, list) or not versions:
        versions = [{"name": spec.get("version"), "served": True}]
    for version in versions:
        if not isinstance(version, Mapping) or not isinstance(version.get("name"), str):
            continue
        if version.get("served", True) is False:
            continue
        schema = _openapi(version.get("schema")) or shared
        if schema is not None:
            yield f"{group}/{version['name']}", kind, schema


def _openapi(holder: Any) -> dict | None:
    schema = holder.get("openAPIV3Schema") if isinstance(holder, Mapping) else None
    return schema if isinstance(schema, dict) else None


def to_json_schema(openapi: Mapping[str, Any]) -> dict:
    """One version's openAPIV3Schema as a JSON schema (see the module docstring)."""
    return _convert(copy.deepcopy(dict(openapi)), root=True)


def _convert(node: Any, root: bool = False) -> Any:
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties", "definitions") and isinstance(value, dict):
            out[key] = {name: _field(_convert(sub)) for name, sub in value.items()}
        elif key in ("default", "example", "enum", "const", "x-kubernetes-validations"):
            out[key] = value  # data, not schemas
        else:
            out[key] = _convert(value)
    if out.get("x-kubernetes-int-or-string") is True or out.get("format") == "int-or-string":
        out.pop("type", None)
        out.pop("format", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.get("x-kubernetes-embedded-resource") is True:
        properties = out.setdefault("properties", {})
        for name, schema in _EMBEDDED.items():
            properties.setdefault(name, dict(schema))
    preserve = out.get("x-kubernetes-preserve-unknown-fields") is True
    if "properties" in out and "additionalProperties" not in out and not preserve and not root:
        out["additionalProperties"] = False
    if out.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def _field(schema: Any) -> Any:
    """A field set to null is pruned by the API server before validation (unless
    `nullable`, when it is kept), so null is never an error for a field."""
    if isinstance(schema, dict) and isinstance(schema.get("type"), str):
        schema["type"] = [schema["type"], "null"]
        if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
    return schema


def schemas_from(objs: Iterable[Any]) -> dict[tuple[str, str], dict]:
    """{(apiVersion, kind): JSON schema} for every served version of every CRD in `objs`."""
    found: dict[tuple[str, str], dict] = {}
    for obj in objs:
        items = obj.get("items") if isinstance(obj, Mapping) and obj.get("kind") == "List" else None
        for crd in items if isinstance(items, list) else [obj]:
            for api_version, kind, openapi in served_versions(crd):
                found[(api_version, kind)] = to_json_schema(openapi)
    return found


def main(argv: list[str]) -> int:
    """Write the catalog layout for the CRDs in the files given: `... CRD.yaml... --out DIR`."""
    import yaml

    if "--out" not in argv or argv.index("--out") == len(argv) - 1:
        print("usage: python -m prcheck.checks.crd_schema CRD.yaml... --out DIR", file=sys.stderr)
        return 2
    at = argv.index("--out")
    out_dir, sources = Path(argv[at + 1]), argv[:at] + argv[at + 2:]
    for source in sources:
        with open(source, encoding="utf-8") as fh:
            docs = [d for d in yaml.safe_load_all(fh) if d is not None]
        for (api_version, kind), schema in sorted(schemas_from(docs).items()):
            group, _, version = api_version.rpartition("/")
            target = out_dir / group / f"{kind.lower()}_{version}.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
            print(f"{source}: {api_version} {kind} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
