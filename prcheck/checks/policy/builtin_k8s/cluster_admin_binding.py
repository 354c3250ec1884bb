"""k8s/cluster-admin-binding: every permission on every object, for one subject."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.subject import Subject
from prcheck.checks.policy.builtin_k8s.values import field


def check(s: Subject) -> Iterator[Hit]:
    if field(s.obj, "roleRef", "kind") == "ClusterRole" and field(s.obj, "roleRef", "name") == "cluster-admin":
        yield f"{s.kind} binds cluster-admin: bind a narrower role", ["roleRef", "name"]


RULE = K8sRule(info(
    __name__, "k8s/cluster-admin-binding", "cluster-admin bound", "error",
    "Binding cluster-admin gives the subject every permission on every object of the cluster: a compromise of "
    "that subject is a compromise of the cluster.",
    "Bind a Role or ClusterRole with only the permissions needed."),
    check, frozenset({"RoleBinding", "ClusterRoleBinding"}))
