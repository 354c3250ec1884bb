"""k8s/rbac-secrets-access: reading Secrets reads every credential (service account tokens too)."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rbac import ROLE_KINDS, role_rules
from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.subject import Subject
from prcheck.checks.policy.builtin_k8s.values import contains, members

READS = ("get", "list", "watch", "*")


def check(s: Subject) -> Iterator[Hit]:
    for index, rule in role_rules(s):
        if not contains(rule.get("resources", []), "secrets") or not _core_group(rule):
            continue
        verbs = [verb for _, verb in members(rule.get("verbs")) if isinstance(verb, str) and verb in READS]
        # resourceNames narrows the rule to named objects (Rego: any entry that is not false)
        named = any(name is not False for _, name in members(rule.get("resourceNames")))
        if verbs and not named:
            yield (f"{s.kind} rule {index} can {'/'.join(verbs)} secrets: restrict it with resourceNames or remove it",
                   ["rules", index, "resources"])


def _core_group(rule: dict) -> bool:
    """The core API group ("", also when apiGroups is left out) or every group."""
    return contains(rule.get("apiGroups", [""]), "") or contains(rule.get("apiGroups", []), "*")


RULE = K8sRule(info(
    __name__, "k8s/rbac-secrets-access", "Role reads Secrets", "warning",
    "get, list or watch on secrets reads every credential in the namespace (or the cluster, for a ClusterRole), "
    "service account tokens included.",
    "Drop secrets from the rule, or restrict it with `resourceNames` to the Secrets the subject needs."),
    check, ROLE_KINDS)
