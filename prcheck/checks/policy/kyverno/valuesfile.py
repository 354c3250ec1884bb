"""The `kyverno test` values file (`kind: Values`).

It stands in for the cluster: per-rule values replace `configMap`, `apiCall`
and `imageRegistry` context lookups, per-resource values set things such as
`request.operation`, `namespaceSelector` gives namespace labels. The engine
accepts the same file so that `prcheck` runs policies that need cluster data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prcheck.sources.yaml_loader import load_bytes

from ..base import PolicyError


@dataclass
class Values:
    global_values: dict[str, Any] = field(default_factory=dict)
    rule_values: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    foreach_values: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    resource_values: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    namespace_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    namespaces: dict[str, dict] = field(default_factory=dict)  # `namespaces:` Namespace objects (namespaceObject)

    def for_resource(self, policy: str, name: str) -> dict[str, Any]:
        if not self.global_values and not self.resource_values:
            return {}
        merged = dict(self.global_values)
        merged.update(self.resource_values.get((policy, name), {}))
        return merged

    def for_rule(self, policy: str, rule: str) -> "dict[str, Any] | None":
        return self.rule_values.get((policy, rule))

    def rule_names(self, policy: str, rule: str) -> set[str]:
        """Names the values file provides for a rule (its context entries are then not loaded)."""
        names = set(self.rule_values.get((policy, rule), {}))
        names.update(self.foreach_values.get((policy, rule), {}))
        return {n.split(".")[0] for n in names}


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def parse_values(obj: Any) -> Values:
    values = Values()
    if not isinstance(obj, dict):
        return values
    values.global_values = dict(_dict(obj.get("globalValues")))
    for policy in obj.get("policies") or []:
        if not isinstance(policy, dict):
            continue
        name = str(policy.get("name", ""))
        for rule in policy.get("rules") or []:
            if isinstance(rule, dict):
                key = (name, str(rule.get("name", "")))
                values.rule_values[key] = dict(_dict(rule.get("values")))
                values.foreach_values[key] = dict(_dict(rule.get("foreachValues")))
        for resource in policy.get("resources") or []:
            if isinstance(resource, dict):
                values.resource_values[(name, str(resource.get("name", "")))] = dict(_dict(resource.get("values")))
    for namespace in obj.get("namespaces") or []:
        name = (_dict(namespace).get("metadata") or {}).get("name") if isinstance(namespace, dict) else None
        if name:
            values.namespaces[str(name)] = namespace
            labels = _dict(_dict(namespace.get("metadata")).get("labels"))
            values.namespace_labels.setdefault(str(name), {str(k): str(v) for k, v in labels.items()})
    for namespace in obj.get("namespaceSelector") or []:
        if isinstance(namespace, dict):
            values.namespace_labels[str(namespace.get("name", ""))] = {
                str(k): str(v) for k, v in _dict(namespace.get("labels")).items()}
    return values


def load_values(path: "str | Path") -> Values:
    raw = Path(path).read_bytes()
    loaded = load_bytes(raw, str(path))
    if loaded.findings:
        first = loaded.findings[0]
        raise PolicyError(str(path), first.line, first.column, first.message)
    merged = Values()
    for doc in loaded.docs:
        part = parse_values(doc.obj)
        merged.global_values.update(part.global_values)
        merged.rule_values.update(part.rule_values)
        merged.foreach_values.update(part.foreach_values)
        merged.resource_values.update(part.resource_values)
        merged.namespace_labels.update(part.namespace_labels)
        merged.namespaces.update(part.namespaces)
    return merged
