"""k8s/host-path-volume: a folder of the node mounted into the pod (runtime sockets have their own rule)."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.subject import POD_KINDS, Subject
from prcheck.checks.policy.builtin_k8s.volumes import host_paths, runtime_socket


def check(s: Subject) -> Iterator[Hit]:
    if s.pod is None:
        return
    for index, name, path in host_paths(s.pod):
        if not runtime_socket(path):
            yield (f"volume '{name}' mounts host path {path}: use a PersistentVolumeClaim or emptyDir instead",
                   s.pod.path + ["volumes", index, "hostPath"])


RULE = K8sRule(info(
    __name__, "k8s/host-path-volume", "hostPath volume", "warning",
    "A hostPath volume mounts a folder of the node into the pod: it can read other pods' data and node "
    "credentials, and write where the node trusts it.",
    "Use a PersistentVolumeClaim, emptyDir, configMap or secret volume instead of `hostPath`."),
    check, POD_KINDS)
