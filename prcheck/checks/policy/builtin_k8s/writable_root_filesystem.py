"""k8s/writable-root-filesystem: a read-only root makes every writable path an explicit volume."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info, sc_path
from prcheck.checks.policy.builtin_k8s.subject import POD_KINDS, Subject


def check(s: Subject) -> Iterator[Hit]:
    if s.pod is None or s.pod.windows:
        return
    for c in s.containers:
        # ephemeral (debug) containers cannot set it
        if c.field != "ephemeralContainers" and c.sc.get("readOnlyRootFilesystem") is not True:
            yield (f"container '{c.name}' has a writable root filesystem: set securityContext.readOnlyRootFilesystem "
                   "to true", sc_path(c.path, "readOnlyRootFilesystem"))


RULE = K8sRule(info(
    __name__, "k8s/writable-root-filesystem", "Writable root filesystem", "warning",
    "A read-only root filesystem stops an intruder from dropping tools or changing binaries in the container; "
    "writable paths become explicit volumes.",
    "Set `securityContext.readOnlyRootFilesystem: true` and mount an emptyDir where the app must write."),
    check, POD_KINDS)
