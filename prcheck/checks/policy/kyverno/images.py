"""Container image references and the `images` context variable.

Kyverno puts every container image of a Pod (or a pod template) into the
context as `images.<containers|initContainers|ephemeralContainers>.<name>`
with registry, path, name, tag and digest, defaulting the registry to
`docker.io` and the tag to `latest`; policies test `{{ images.containers.*.tag }}`.
"""

from __future__ import annotations

import re
from typing import Any

DEFAULT_REGISTRY = "docker.io"
_REFERENCE = re.compile(
    r"^(?P<name>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?::[0-9]+)?(?:/[a-zA-Z0-9]+(?:(?:[._]|__|-+)[a-zA-Z0-9]+)*)*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$"
)
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def _with_registry(image: str) -> str:
    """Kyverno's `addDefaultRegistry`: a first segment without `.`/`:` that is not
    `localhost` is a path, not a registry."""
    slash = image.find("/")
    if slash == -1:
        return f"{DEFAULT_REGISTRY}/{image}"
    first = image[:slash]
    if not any(ch in first for ch in ".:") and first != "localhost" and first.lower() == first:
        return f"{DEFAULT_REGISTRY}/{image}"
    return image


def parse_image(image: str) -> "dict[str, str] | None":
    if not isinstance(image, str) or not image:
        return None
    full = _with_registry(image)
    found = _REFERENCE.match(full)
    if not found:
        return None
    name_part = found.group("name")
    registry, _, path = name_part.partition("/")
    tag = found.group("tag") or ""
    digest = found.group("digest") or ""
    if not tag and not digest:
        tag = "latest"
    info = {"registry": registry, "path": path, "name": path.rsplit("/", 1)[-1]}
    if tag:
        info["tag"] = tag
    if digest:
        info["digest"] = digest
    base = f"{registry}/{path}"
    info["reference"] = f"{base}@{digest}" if digest else f"{base}:{tag}"
    info["referenceWithTag"] = f"{base}:{tag}" if tag else base
    return info


def _pod_spec(resource: dict) -> "dict | None":
    kind = resource.get("kind")
    spec = resource.get("spec")
    if not isinstance(spec, dict):
        return None
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec")
        return spec if isinstance(spec, dict) else None
    template = spec.get("template")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        return template["spec"]
    return None


def image_infos(resource: Any) -> "dict[str, dict[str, dict[str, str]]]":
    """The `images` variable for one resource (empty when it has no pod spec)."""
    if not isinstance(resource, dict):
        return {}
    spec = _pod_spec(resource)
    if spec is None:
        return {}
    result: dict[str, dict[str, dict[str, str]]] = {}
    for list_name in _CONTAINER_LISTS:
        containers = spec.get(list_name)
        if not isinstance(containers, list):
            continue
        for container in containers:
            if not isinstance(container, dict):
                continue
            info = parse_image(container.get("image", ""))
            if info is not None:
                result.setdefault(list_name, {})[str(container.get("name", ""))] = info
    return result
