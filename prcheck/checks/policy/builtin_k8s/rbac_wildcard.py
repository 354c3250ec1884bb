"""k8s/rbac-wildcard: `*` grants what exists today and everything added later, CRDs included."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rbac import ROLE_KINDS, role_rules
from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.subject import Subject
from prcheck.checks.policy.builtin_k8s.values import contains

FIELDS = ("verbs", "resources", "apiGroups")


def check(s: Subject) -> Iterator[Hit]:
    for index, rule in role_rules(s):
        for name in FIELDS:
            if contains(rule.get(name), "*"):
                yield (f"{s.kind} rule {index} grants * in {name}: list the exact {name} instead",
                       ["rules", index, name])


RULE = K8sRule(info(
    __name__, "k8s/rbac-wildcard", "RBAC wildcard", "warning",
    "A `*` in verbs, resources or apiGroups grants everything that exists now and everything added later (new "
    "CRDs included).",
    "List the exact verbs, resources and apiGroups the subject needs."),
    check, ROLE_KINDS)
