"""k8s/host-namespaces: the node's network, process or IPC namespace shared with the pod."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.subject import POD_KINDS, Subject

NAMESPACES = {"hostNetwork": "network", "hostPID": "process", "hostIPC": "IPC"}


def check(s: Subject) -> Iterator[Hit]:
    if s.pod is None:
        return
    for key, namespace in NAMESPACES.items():
        if s.pod.spec.get(key) is True:
            yield f"pod shares the node's {namespace} namespace: remove {key}: true", s.pod.path + [key]


RULE = K8sRule(info(
    __name__, "k8s/host-namespaces", "Host namespaces shared", "error",
    "hostNetwork, hostPID and hostIPC put the pod in the node's network, process or IPC namespace: it can sniff "
    "node traffic, see and signal every process, or read shared memory of other pods.",
    "Remove `hostNetwork`, `hostPID` and `hostIPC` (or set them to false)."),
    check, POD_KINDS)
