"""k8s/seccomp-unconfined: every system call allowed, the pod's, a container's or the old annotation's way."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info, sc_path
from prcheck.checks.policy.builtin_k8s.subject import POD_KINDS, Subject
from prcheck.checks.policy.builtin_k8s.values import field, get_path, members

ANNOTATION = "seccomp.security.alpha.kubernetes.io/"


def check(s: Subject) -> Iterator[Hit]:
    pod = s.pod
    if pod is None:
        return
    if field(pod.sc, "seccompProfile", "type") == "Unconfined":
        yield "pod sets seccomp profile Unconfined: use RuntimeDefault", sc_path(pod.path, "seccompProfile", "type")
    for c in s.containers:
        if field(c.sc, "seccompProfile", "type") == "Unconfined":
            yield (f"container '{c.name}' sets seccomp profile Unconfined: use RuntimeDefault",
                   sc_path(c.path, "seccompProfile", "type"))
    for key, value in members(get_path(s.obj, pod.meta_path + ["annotations"], {})):
        if isinstance(key, str) and key.startswith(ANNOTATION) and value == "unconfined":
            yield (f"annotation {key} is unconfined: set securityContext.seccompProfile.type to RuntimeDefault",
                   pod.meta_path + ["annotations", key])


RULE = K8sRule(info(
    __name__, "k8s/seccomp-unconfined", "Seccomp profile Unconfined", "error",
    "An Unconfined seccomp profile lets the container make every system call, including the rare ones most kernel "
    "exploits need.",
    "Set `securityContext.seccompProfile.type` to `RuntimeDefault` (or `Localhost` with a profile)."),
    check, POD_KINDS)
