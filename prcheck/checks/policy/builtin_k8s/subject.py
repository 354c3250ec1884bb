"""What the Kubernetes rules look at: one object, its pod spec, its containers and images.

Computed once per document, so twenty pod rules walk the containers once
between them (in Rego every rule family rebuilt this view for itself, which
was most of the pack's cost). The shapes are the ones the Rego pack's
library computed, key paths included, so findings point at the same lines.

Annotations here are evaluated (no `from __future__ import annotations`): `NamedTuple`
compiles a `ForwardRef` for every field annotated by a string, a cost on every run.
"""

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from prcheck.checks.policy.builtin_k8s.values import get, get_path, mapping, text

KeyPath = list[Any]

# Kinds that carry a pod template, and where it sits.
POD_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "PodTemplate": ("template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
POD_KINDS = frozenset(POD_PATHS)

# Long-running kinds: the ones probes matter for.
SERVICE_KINDS = frozenset({"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"})

CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")


class Container(NamedTuple):  # tuples: a frozen dataclass's field-by-field init was most of a Subject's cost
    """One container of a pod spec, with the key path findings on it point at."""

    container: dict
    field: str  # initContainers, containers or ephemeralContainers
    index: int
    name: str  # as messages print it: the name, else `containers[0]`
    path: KeyPath
    sc: dict  # its securityContext, {} when unset or not a mapping


class Image(NamedTuple):
    """An image reference split once: "registry:5000/repo:tag@sha256:…" → tag and digest ("" when absent)."""

    container: Container
    image: str
    tag: str
    digest: str
    path: KeyPath
    templated: bool  # assembled from variables or templates: cannot be judged

    @property
    def mutable(self) -> bool:
        """Names no fixed content: latest or no tag, and no digest."""
        return not self.templated and self.digest == "" and self.tag in ("", "latest")


class Pod(NamedTuple):
    """The pod spec of a workload, found once per document for every pod rule."""

    spec: dict
    path: KeyPath
    meta_path: KeyPath  # key path of the pod's metadata
    sc: dict  # the pod securityContext, {} when unset or not a mapping
    windows: bool  # Windows pods have no Linux security settings to judge (four rules ask)


class Subject:
    """One Kubernetes object as the rules see it; the pod view is computed once, when the kind has one."""

    __slots__ = ("obj", "kube_version", "data", "kind", "pod", "containers", "images")

    def __init__(self, obj: dict, kube_version: str, data: Mapping[str, Any]) -> None:
        self.obj = obj
        self.kube_version = kube_version
        self.data = data  # the pack's data files (the deprecated-API table)
        self.kind: Any = obj.get("kind")
        self.pod = _pod(obj, self.kind)
        self.containers: Sequence[Container] = _containers(self.pod) if self.pod is not None else ()
        self.images: Sequence[Image] = _images(self.containers) if self.containers else ()


def _pod(obj: dict, kind: Any) -> Pod | None:
    path = POD_PATHS.get(kind) if isinstance(kind, str) else None
    spec = get_path(obj, path) if path else None
    if not isinstance(spec, dict):
        return None
    keypath = list(path)
    return Pod(spec, keypath, keypath[:-1] + ["metadata"], mapping(spec.get("securityContext")),
               get(spec.get("os"), "name", None) == "windows")


def _containers(pod: Pod) -> list[Container]:
    """Every container of the pod, init and ephemeral ones included."""
    found: list[Container] = []
    for name in CONTAINER_FIELDS:
        items = pod.spec.get(name)
        if not isinstance(items, list):
            continue
        for index, container in enumerate(items):
            if isinstance(container, dict):
                label = text(container["name"]) if "name" in container else f"{name}[{index}]"
                found.append(Container(container, name, index, label, pod.path + [name, index],
                                       mapping(container.get("securityContext"))))
    return found


def _images(containers: Sequence[Container]) -> list[Image]:
    found: list[Image] = []
    for c in containers:
        image = c.container.get("image")
        if not isinstance(image, str):
            continue
        at = image.split("@")
        colon = at[0].split("/")[-1].split(":")
        found.append(Image(c, image, ":".join(colon[1:]), "@".join(at[1:]), c.path + ["image"],
                           "$" in image or "{{" in image))
    return found
