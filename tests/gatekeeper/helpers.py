"""Small ConstraintTemplates, constraints and objects, written as YAML the way users write them."""

from __future__ import annotations

import textwrap
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as `|` blocks, the way templates carry their Rego."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def template(kind: str, rego: str, libs: tuple[str, ...] = (), schema: dict | None = None,
             api_version: str = "templates.gatekeeper.sh/v1", code: bool = False) -> str:
    target: dict[str, Any] = {"target": "admission.k8s.gatekeeper.sh"}
    source: dict[str, Any] = {"rego": textwrap.dedent(rego).lstrip("\n")}
    if libs:
        source["libs"] = [textwrap.dedent(lib).lstrip("\n") for lib in libs]
    if code:
        target["code"] = [{"engine": "K8sNativeValidation", "source": {"validations": []}},
                          {"engine": "Rego", "source": source}]
    else:
        target.update(source)
    crd: dict[str, Any] = {"names": {"kind": kind}}
    if schema is not None:
        crd["validation"] = {"openAPIV3Schema": schema}
    doc = {"apiVersion": api_version, "kind": "ConstraintTemplate", "metadata": {"name": kind.lower()},
           "spec": {"crd": {"spec": crd}, "targets": [target]}}
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, width=1000)


def constraint(kind: str, name: str, match: dict | None = None, parameters: Any = None, **spec: Any) -> str:
    body: dict[str, Any] = dict(spec)
    if match is not None:
        body["match"] = match
    if parameters is not None:
        body["parameters"] = parameters
    doc = {"apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": kind, "metadata": {"name": name}, "spec": body}
    return yaml.safe_dump(doc, sort_keys=False)


def obj(kind: str, name: str, namespace: str | None = None, labels: dict | None = None,
        api_version: str = "v1", **fields: Any) -> dict:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels is not None:
        meta["labels"] = labels
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **fields}


def dump(*objects: dict) -> str:
    return yaml.safe_dump_all(objects, sort_keys=False)


REQUIRED_LABELS = template("K8sRequiredLabels", """
    package k8srequiredlabels

    violation[{"msg": msg, "details": {"missing": missing}}] {
      provided := {l | input.review.object.metadata.labels[l]}
      required := {l | l := input.parameters.labels[_]}
      missing := required - provided
      count(missing) > 0
      msg := sprintf("missing labels: %v", [concat(", ", sort(missing))])
    }
""", schema={"type": "object", "properties": {"labels": {"type": "array", "items": {"type": "string"}}}})

UNIQUE_HOST = template("K8sUniqueIngressHost", """
    package k8suniqueingresshost

    identical(obj, review) {
      obj.metadata.namespace == review.object.metadata.namespace
      obj.metadata.name == review.object.metadata.name
    }

    violation[{"msg": msg}] {
      input.review.kind.kind == "Ingress"
      host := input.review.object.spec.rules[_].host
      other := data.inventory.namespace[_][_]["Ingress"][_]
      other.spec.rules[_].host == host
      not identical(other, input.review)
      msg := sprintf("ingress host conflicts with an existing ingress <%v>", [host])
    }
""")


def ingress(name: str, namespace: str, host: str) -> dict:
    return obj("Ingress", name, namespace, api_version="networking.k8s.io/v1",
               spec={"rules": [{"host": host}]})
