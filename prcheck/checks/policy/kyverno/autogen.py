"""Pod-controller auto-generation: rules written for Pods also check workloads.

Kyverno rewrites a Pod rule into `autogen-<rule>` for DaemonSet, Deployment,
Job, StatefulSet, ReplicaSet and ReplicationController (pattern wrapped in
`spec.template`, `request.object.spec` → `request.object.spec.template.spec`)
and `autogen-cronjob-<rule>` for CronJob (`spec.jobTemplate.spec.template`).
The `pod-policies.kyverno.io/autogen-controllers` annotation narrows the
controllers or turns it off (`none`), and a policy that selects Pods by name,
selector or annotations, or mixes Pod with other kinds, gets no autogen at
all. This works on the raw rule dicts, like Kyverno's JSON rewrite.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from .match import kind_name

ANNOTATION = "pod-policies.kyverno.io/autogen-controllers"
POD_CONTROLLERS = ("DaemonSet", "Deployment", "Job", "StatefulSet", "ReplicaSet", "ReplicationController", "CronJob")
_GVK = {
    "DaemonSet": "apps/v1/DaemonSet", "Deployment": "apps/v1/Deployment", "Job": "batch/v1/Job",
    "StatefulSet": "apps/v1/StatefulSet", "ReplicaSet": "apps/v1/ReplicaSet",
    "ReplicationController": "v1/ReplicationController", "CronJob": "batch/v1/CronJob", "Pod": "v1/Pod",
}
_POD_REWRITE = (
    ("request.object.spec", "request.object.spec.template.spec"),
    ("request.oldObject.spec", "request.oldObject.spec.template.spec"),
    ("request.object.metadata", "request.object.spec.template.metadata"),
    ("request.oldObject.metadata", "request.oldObject.spec.template.metadata"),
)
_CRONJOB_REWRITE = (
    ("request.object.spec", "request.object.spec.jobTemplate.spec.template.spec"),
    ("request.oldObject.spec", "request.oldObject.spec.jobTemplate.spec.template.spec"),
    ("request.object.metadata", "request.object.spec.jobTemplate.spec.template.metadata"),
    ("request.oldObject.metadata", "request.oldObject.spec.jobTemplate.spec.template.metadata"),
)


def _filters(block: Any) -> list[dict]:
    """The resource descriptions of a match/exclude block (legacy, any, all)."""
    if not isinstance(block, dict):
        return []
    found = []
    if isinstance(block.get("resources"), dict):
        found.append(block["resources"])
    for key in ("any", "all"):
        for item in block.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get("resources"), dict):
                found.append(item["resources"])
    return found


def _kinds(block: Any) -> list[str]:
    return [str(k) for f in _filters(block) for k in f.get("kinds") or []]


def _contains_kind(kinds: list[str], kind: str) -> bool:
    return any(kind_name(k) == kind for k in kinds)


def _supported(resources: dict) -> "tuple[bool, bool]":
    """(autogen possible for this description, does it select pods or controllers)."""
    kinds = [str(k) for k in resources.get("kinds") or []]
    if resources.get("name") or resources.get("names") or resources.get("selector") is not None \
            or resources.get("annotations") is not None or (len(kinds) > 1 and _contains_kind(kinds, "Pod")):
        return False, False
    wanted = {"Pod", *POD_CONTROLLERS}
    return True, any(kind_name(k) in wanted for k in kinds)


def can_autogen(rules: list[dict]) -> bool:
    needed = False
    for rule in rules:
        if "generate" in rule:
            return False
        mutate = rule.get("mutate") or {}
        if isinstance(mutate, dict) and (mutate.get("patchesJson6902") or any(
                isinstance(f, dict) and f.get("patchesJson6902") for f in mutate.get("foreach") or [])):
            return False
        for block in (rule.get("match"), rule.get("exclude")):
            for resources in _filters(block):
                supported, selects = _supported(resources)
                if not supported:
                    return False
                needed = needed or selects
    return needed


def controllers_for(policy: dict) -> list[str]:
    """Controllers the policy's Pod rules extend to (empty: no autogen)."""
    spec = policy.get("spec") if isinstance(policy.get("spec"), dict) else {}
    rules = [r for r in spec.get("rules") or [] if isinstance(r, dict)]
    if not can_autogen(rules):
        return []
    annotations = ((policy.get("metadata") or {}).get("annotations") or {})
    requested = annotations.get(ANNOTATION) if isinstance(annotations, dict) else None
    if requested is None:
        return list(POD_CONTROLLERS)
    requested = str(requested)
    if requested == "none":
        return []
    if requested == "all":
        return list(POD_CONTROLLERS)
    return [c for c in sorted(requested.split(",")) if c in POD_CONTROLLERS]


def _replace_kinds(block: dict, kinds: list[str], only_with_pod: bool, exclude: bool = False) -> dict:
    block = copy.deepcopy(block)
    converted = [_GVK.get(k, k) for k in kinds]
    if block.get("any") or block.get("all"):
        key = "any" if block.get("any") else "all"
        for item in block[key]:
            resources = item.get("resources") if isinstance(item, dict) else None
            if isinstance(resources, dict) and (not only_with_pod or _contains_kind(
                    [str(k) for k in resources.get("kinds") or []], "Pod")):
                resources["kinds"] = list(converted)
    elif not exclude:
        resources = block.get("resources") if isinstance(block.get("resources"), dict) else {}
        block["resources"] = {**resources, "kinds": list(converted)}
    elif isinstance(block.get("resources"), dict) and block["resources"].get("kinds"):
        block["resources"]["kinds"] = list(converted)
    return block


def _wrap_validation(validate: dict, template_key: str) -> "dict | None":
    """The validate section of a generated rule, or None when Kyverno would not generate one."""
    kept = {k: validate[k] for k in ("message", "failureAction", "failureActionOverrides",
                                      "allowExistingViolations") if k in validate}
    if "pattern" in validate:
        return {**kept, "pattern": {"spec": {template_key: validate["pattern"]}}}
    if "deny" in validate:
        return {**kept, "deny": validate["deny"]}
    if "anyPattern" in validate and isinstance(validate["anyPattern"], list):
        return {**kept, "anyPattern": [{"spec": {template_key: p}} for p in validate["anyPattern"]]}
    if "foreach" in validate:
        return {**kept, "foreach": validate["foreach"]}
    if "podSecurity" in validate or "cel" in validate or "assert" in validate:
        return dict(validate)
    return None


def _generate(rule: dict, name: str, template_key: str, kinds: list[str], cronjob: bool) -> "dict | None":
    validate = rule.get("validate")
    if not isinstance(validate, dict):
        return None
    wrapped = _wrap_validation(validate, template_key)
    if wrapped is None:
        return None
    generated = {k: copy.deepcopy(v) for k, v in rule.items() if k not in ("validate", "name")}
    generated["name"] = name[:63]
    if "cel" in wrapped:  # CEL is rewritten in its expressions, not by wrapping a pattern
        from prcheck.checks.policy.cel.autogen import rewrite_tree_once
        wrapped = {**wrapped, "cel": rewrite_tree_once(wrapped["cel"], template_key)}
        if "celPreconditions" in generated:
            generated["celPreconditions"] = rewrite_tree_once(generated["celPreconditions"], template_key)
    generated["validate"] = wrapped
    generated["match"] = _replace_kinds(rule.get("match") or {}, kinds, only_with_pod=not cronjob)
    if isinstance(rule.get("exclude"), dict):
        generated["exclude"] = _replace_kinds(rule["exclude"], kinds, only_with_pod=not cronjob, exclude=True)
    return generated


def _rewrite(rule: dict, replacements: tuple) -> dict:
    text = json.dumps(rule)
    for old, new in replacements:
        text = text.replace(old, new)
    return json.loads(text)


def _for_controllers(rule: dict, controllers: list[str]) -> "dict | None":
    """`autogen-<rule>` for the non-CronJob controllers, before the field rewrite."""
    name = str(rule.get("name", ""))
    if name.startswith("autogen-"):
        return None
    kinds = [c for c in controllers if c != "CronJob"]
    if not kinds:
        return None
    match_kinds = _kinds(rule.get("match"))
    exclude_kinds = _kinds(rule.get("exclude"))
    if not _contains_kind(match_kinds, "Pod") or (exclude_kinds and not _contains_kind(exclude_kinds, "Pod")):
        return None
    return _generate(rule, f"autogen-{name}", "template", sorted(kinds), cronjob=False)


def generate_rules(policy: dict) -> list[dict]:
    """The extra rules Kyverno would add to this policy (possibly none)."""
    controllers = controllers_for(policy)
    if not controllers:
        return []
    spec = policy.get("spec") or {}
    generated: list[dict] = []
    for rule in spec.get("rules") or []:
        if not isinstance(rule, dict):
            continue
        base = _for_controllers(rule, controllers)
        if base is not None:
            generated.append(_rewrite(base, _POD_REWRITE))
        if "CronJob" in controllers:
            intermediate = _for_controllers(rule, list(POD_CONTROLLERS))
            if intermediate is not None:
                cron = _generate(intermediate, f"autogen-cronjob-{rule.get('name', '')}", "jobTemplate",
                                 ["CronJob"], cronjob=True)
                if cron is not None:
                    generated.append(_rewrite(cron, _CRONJOB_REWRITE))
    return generated
