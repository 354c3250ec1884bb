"""k8s/capabilities-not-dropped: the runtime's default capabilities (NET_RAW among them) kept."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.capabilities import capability, listed
from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info, sc_path
from prcheck.checks.policy.builtin_k8s.subject import POD_KINDS, Subject


def check(s: Subject) -> Iterator[Hit]:
    if s.pod is None or s.pod.windows:
        return
    for c in s.containers:
        if c.field != "ephemeralContainers" and not any(capability(cap) == "ALL" for _, cap in listed(c.sc, "drop")):
            yield (f"container '{c.name}' keeps the default capabilities: add ALL to securityContext.capabilities.drop",
                   sc_path(c.path, "capabilities", "drop"))


RULE = K8sRule(info(
    __name__, "k8s/capabilities-not-dropped", "Capabilities not dropped", "warning",
    "Containers start with a default set of capabilities (NET_RAW among them) most programs never use; dropping "
    "ALL and adding back what is needed removes that attack surface.",
    "Set `securityContext.capabilities.drop: [\"ALL\"]`, then add back only what the process needs."),
    check, POD_KINDS)
