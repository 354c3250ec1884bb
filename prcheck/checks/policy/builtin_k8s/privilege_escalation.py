"""k8s/privilege-escalation: only an explicit `false` stops setuid binaries from gaining privileges."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info, sc_path
from prcheck.checks.policy.builtin_k8s.subject import POD_KINDS, Subject


def check(s: Subject) -> Iterator[Hit]:
    if s.pod is None or s.pod.windows:
        return
    for c in s.containers:
        if c.sc.get("allowPrivilegeEscalation") is not False:
            yield (f"container '{c.name}' allows privilege escalation: set securityContext.allowPrivilegeEscalation "
                   "to false", sc_path(c.path, "allowPrivilegeEscalation"))


RULE = K8sRule(info(
    __name__, "k8s/privilege-escalation", "Privilege escalation allowed", "warning",
    "Unless allowPrivilegeEscalation is false, a process can gain more privileges than its parent (setuid "
    "binaries, file capabilities).",
    "Set `securityContext.allowPrivilegeEscalation: false` on the container."),
    check, POD_KINDS)
