"""The rules of a Role or ClusterRole, for the RBAC rules of the pack."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.subject import Subject

ROLE_KINDS = frozenset({"Role", "ClusterRole"})


def role_rules(s: Subject) -> Iterator[tuple[int, dict]]:
    """(index, rule) of each mapping in `rules`."""
    rules = s.obj.get("rules")
    if isinstance(rules, list):
        for index, rule in enumerate(rules):
            if isinstance(rule, dict):
                yield index, rule
