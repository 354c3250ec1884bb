"""k8s/privileged-container: a privileged container is root on the node in all but name."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info, sc_path
from prcheck.checks.policy.builtin_k8s.subject import POD_KINDS, Subject


def check(s: Subject) -> Iterator[Hit]:
    for c in s.containers:
        if c.sc.get("privileged") is True:
            yield (f"container '{c.name}' runs privileged: set securityContext.privileged to false",
                   sc_path(c.path, "privileged"))


RULE = K8sRule(info(
    __name__, "k8s/privileged-container", "Privileged container", "error",
    "A privileged container has every capability and full access to the node's devices: escaping to the node "
    "is one command away.",
    "Remove `securityContext.privileged: true` (or set it to false); grant only the capabilities the process needs."),
    check, POD_KINDS)
