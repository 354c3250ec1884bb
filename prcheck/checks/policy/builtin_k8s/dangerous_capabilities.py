"""k8s/dangerous-capabilities: capabilities that are root, or close to it, on the node."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.capabilities import capability, listed
from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info, sc_path
from prcheck.checks.policy.builtin_k8s.subject import POD_KINDS, Subject

DANGEROUS = frozenset({"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "BPF", "DAC_READ_SEARCH"})


def check(s: Subject) -> Iterator[Hit]:
    for c in s.containers:
        for index, cap in listed(c.sc, "add"):
            if capability(cap) in DANGEROUS:
                yield (f"container '{c.name}' adds capability {cap}: remove it from securityContext.capabilities.add",
                       sc_path(c.path, "capabilities", "add", index))


RULE = K8sRule(info(
    __name__, "k8s/dangerous-capabilities", "Dangerous capability added", "error",
    "SYS_ADMIN is nearly root, NET_ADMIN rewrites the node's network as seen by the pod, SYS_MODULE loads kernel "
    "modules, SYS_PTRACE reads other processes' memory, and ALL is all of them.",
    "Remove the capability from `securityContext.capabilities.add`; add only narrow ones such as NET_BIND_SERVICE."),
    check, POD_KINDS)
