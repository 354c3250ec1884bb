"""The shape every Kubernetes rule of the pack has: data (RuleInfo, the kinds it is about) and one function."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prcheck.checks.policy.builtin_catalog import RuleInfo
from prcheck.checks.policy.builtin_k8s.subject import KeyPath, Subject
from prcheck.records import dataclass

Hit = tuple[str, KeyPath]  # (message, key path of the line it points at)


@dataclass(frozen=True)
class K8sRule:
    """A built-in Kubernetes rule: catalog entry, check function and the kinds it applies to."""

    info: RuleInfo
    check: Callable[[Subject], Iterator[Hit]]
    kinds: frozenset[str] | None = None  # None: every kind of object

    @property
    def id(self) -> str:
        return self.info.id


def info(module: str, rule_id: str, title: str, severity: str, description: str, remediation: str) -> RuleInfo:
    """A RuleInfo whose source is the rule's module (what `prcheck rules` and docs/rules.md name)."""
    return RuleInfo(rule_id, title, severity, "python", " ".join(description.split()), " ".join(remediation.split()),
                    "prcheck/" + module.split(".", 1)[1].replace(".", "/") + ".py")


def sc_path(path: KeyPath, *keys: Any) -> KeyPath:
    """A key path inside a securityContext."""
    return [*path, "securityContext", *keys]
