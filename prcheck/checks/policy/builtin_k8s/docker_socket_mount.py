"""k8s/docker-socket-mount: whoever reaches the container runtime's socket is root on the node."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.subject import POD_KINDS, Subject
from prcheck.checks.policy.builtin_k8s.volumes import host_paths, runtime_socket


def check(s: Subject) -> Iterator[Hit]:
    if s.pod is None:
        return
    for index, name, path in host_paths(s.pod):
        if runtime_socket(path):
            yield (f"volume '{name}' mounts the container runtime socket {path}: remove it, it gives root on the node",
                   s.pod.path + ["volumes", index, "hostPath", "path"])


RULE = K8sRule(info(
    __name__, "k8s/docker-socket-mount", "Container runtime socket mounted", "error",
    "The Docker, containerd or CRI-O socket controls every container on the node: whoever can talk to it is root "
    "on the node.",
    "Remove the hostPath volume of the runtime socket; build images with a rootless builder (kaniko, buildkit "
    "rootless) instead."),
    check, POD_KINDS)
