"""hostPath volumes, for the two rules about them: which ones mount a container runtime's socket."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from prcheck.checks.policy.builtin_k8s.subject import Pod
from prcheck.checks.policy.builtin_k8s.values import field, members, text

_SOCKET_DIRS = frozenset({"/var/run", "/run", "/var/run/docker", "/run/docker", "/var/run/containerd",
                          "/run/containerd", "/var/run/crio", "/run/crio"})
# \Z, not $: Rego's regex (RE2 / Rust) `$` does not match before a final newline
_SOCKET = re.compile(r"^(/var)?/run/(docker|containerd/containerd|crio/crio|cri-dockerd|podman/podman|k3s/containerd/containerd)\.sock\Z")


def host_paths(pod: Pod) -> Iterator[tuple[Any, str, str]]:
    """(index, volume name as printed, host path) of every hostPath volume with a string path."""
    for index, volume in members(pod.spec.get("volumes")):
        path = field(volume, "hostPath", "path")
        if isinstance(path, str):
            yield index, text(volume.get("name", "")), path


def runtime_socket(path: str) -> bool:
    return path.rstrip("/") in _SOCKET_DIRS or _SOCKET.match(path) is not None
