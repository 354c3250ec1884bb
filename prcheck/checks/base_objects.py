"""The base version of the objects a change touches, for checks that compare
before and after (CEL `oldObject` / `oldSelf`, immutable fields).

An object is found by (group, kind, namespace, name), the identity the API
server updates by. The render stage fills it from an environment's base
render; plain files are filled from the base tree's documents when the run
has them. No entry means the change creates the object (CREATE).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Key = tuple[str, str, str, str]


def object_key(obj: Mapping[str, Any]) -> "Key | None":
    """(group, kind, namespace, name), None for something that is not a named object."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
    name = metadata.get("name")
    if not isinstance(api_version, str) or not isinstance(kind, str) or not isinstance(name, str) or not name:
        return None
    namespace = metadata.get("namespace")
    return api_version.rpartition("/")[0], kind, namespace if isinstance(namespace, str) else "", name


@dataclass(frozen=True)
class BaseObjects:
    objects: Mapping[Key, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, objects: Iterable[Any]) -> "BaseObjects":
        found: dict[Key, Any] = {}
        for obj in objects:
            key = object_key(obj) if isinstance(obj, Mapping) else None
            if key is not None:
                found.setdefault(key, obj)
        return cls(found)

    def old(self, obj: Mapping[str, Any]) -> Any:
        """The base version of `obj`, or None when the change creates it."""
        key = object_key(obj)
        return self.objects.get(key) if key is not None else None

    def __bool__(self) -> bool:
        return bool(self.objects)
