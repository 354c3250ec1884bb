"""k8s/run-as-root: UID 0 in a container is UID 0 on the node's kernel.

Two findings: an explicit runAsUser of 0 (the container's own, else the
pod's), and a container nothing stops from running as root (neither
runAsNonRoot: true nor a numeric runAsUser, container over pod).
"""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info, sc_path
from prcheck.checks.policy.builtin_k8s.subject import POD_KINDS, Subject
from prcheck.checks.policy.builtin_k8s.values import is_number


def check(s: Subject) -> Iterator[Hit]:
    pod = s.pod
    if pod is None:
        return
    for c in s.containers:
        own = c.sc.get("runAsUser")
        if is_number(own) and own == 0:
            yield _uid_zero(c.name), sc_path(c.path, "runAsUser")
        elif not is_number(own) and is_number(pod.sc.get("runAsUser")) and pod.sc["runAsUser"] == 0:
            yield _uid_zero(c.name), sc_path(pod.path, "runAsUser")
        if pod.windows:
            continue
        # object.get semantics: a key the container sets (even to null) hides the pod's
        non_root = c.sc["runAsNonRoot"] if "runAsNonRoot" in c.sc else pod.sc.get("runAsNonRoot")
        user = c.sc["runAsUser"] if "runAsUser" in c.sc else pod.sc.get("runAsUser")
        if non_root is not True and not is_number(user):
            yield (f"container '{c.name}' may run as root: set securityContext.runAsNonRoot to true",
                   sc_path(c.path, "runAsNonRoot"))


def _uid_zero(name: str) -> str:
    return f"container '{name}' runs as UID 0: set runAsUser to a non-zero UID and runAsNonRoot to true"


RULE = K8sRule(info(
    __name__, "k8s/run-as-root", "Container may run as root", "warning",
    "A container that runs as UID 0 is root on the node's kernel; a runtime escape then starts with root. "
    "runAsNonRoot makes the kubelet refuse to start a container whose image would run as root.",
    "Set `securityContext.runAsNonRoot: true` (pod or container) and a non-zero `runAsUser`."),
    check, POD_KINDS)
