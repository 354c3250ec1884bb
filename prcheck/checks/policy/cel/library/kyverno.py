"""Kyverno's CEL libraries, offline where the data is known.

`resource.Get` / `resource.List` answer from objects prcheck has (the test's
`context:` file, or the repository's objects in a check run);
`image.GetMetadata` from the `context:` file's images; `time.now()` is the
run's clock; `parseServiceAccount` needs no data. Everything that would reach
the network (`http`, registries without mocked data, `globalContext`) is an
evaluation error saying so, and the engine reports it once per policy.

The variable a function is called on (`resource`, `image`, ...) is a small
tagged map naming an entry of the runtime's data store, where the objects
and images live: binding thousands of objects into every evaluation would
cost more than the evaluation.
"""

from __future__ import annotations

import datetime
from typing import Any

from .common import OBJ, STRING, TIMESTAMP, Fn, expect, fn, tagged

OFFLINE = "needs network or cluster access, not available offline"


def _put(store: dict, kind: str, data: Any) -> dict:
    ref = f"{kind}#{len(store)}"
    store[ref] = data
    return tagged(kind, ref=ref)


def resource_context(store: dict, objects: "list[dict]", plural_of: "dict[tuple[str, str], str]") -> dict:
    """`plural_of`: (apiVersion, kind) → resource name, for matching `resource.Get` arguments."""
    indexed = []
    for obj in objects:
        api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
        metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        indexed.append({"apiVersion": api_version, "resource": plural_of.get((api_version, kind), ""),
                        "namespace": str(metadata.get("namespace") or ""), "name": str(metadata.get("name") or ""),
                        "object": obj})
    return _put(store, "kyverno.resource", indexed)


def _matching(store: dict, context: dict, api_version: str, resource: str, namespace: str) -> list:
    entries = store[expect(context, "kyverno.resource")["ref"]]
    return [e for e in entries if e["apiVersion"] == api_version and e["resource"] == resource
            and (not namespace or e["namespace"] == namespace)]


def resource_get(store: dict, context: dict, api_version: str, resource: str, namespace: str, name: str) -> dict:
    for entry in _matching(store, context, api_version, resource, namespace):
        if entry["name"] == name:
            return entry["object"]
    raise ValueError(f'{resource} "{name}" not found')


def resource_list(store: dict, context: dict, api_version: str, resource: str, namespace: str) -> dict:
    return {"apiVersion": api_version, "kind": "List",
            "items": [e["object"] for e in _matching(store, context, api_version, resource, namespace)]}


def normalize_image(ref: str) -> str:
    """Docker's reference normalisation: `nginx` → `docker.io/library/nginx:latest`."""
    name, at, digest = ref.partition("@")
    first, slash, _ = name.partition("/")
    if not slash or ("." not in first and ":" not in first and first != "localhost"):
        name = "docker.io/" + (name if slash else "library/" + name)
    elif first == "docker.io" and name.count("/") == 1:
        name = "docker.io/library/" + name.split("/", 1)[1]
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and not at:
        name += ":latest"
    return name + (at + digest if at else "")


def image_context(store: dict, images: "list[dict]") -> dict:
    indexed = {normalize_image(str(i.get("image"))): i for i in images if isinstance(i, dict) and i.get("image")}
    return _put(store, "kyverno.image", indexed)


def image_metadata(store: dict, context: dict, ref: str) -> dict:
    found = store[expect(context, "kyverno.image")["ref"]].get(normalize_image(ref))
    if found is None:
        raise ValueError(f"image metadata for {ref}: {OFFLINE}")
    return found


def time_context(now: "datetime.datetime | None" = None) -> dict:
    return tagged("kyverno.time", now=(now or datetime.datetime.now(datetime.timezone.utc)).isoformat())


def time_now(context: dict) -> datetime.datetime:
    return datetime.datetime.fromisoformat(str(expect(context, "kyverno.time")["now"]))


def parse_service_account(username: str) -> dict:
    parts = username.split(":")
    if len(parts) == 4 and parts[:2] == ["system", "serviceaccount"]:
        return {"Namespace": parts[2], "Name": parts[3]}
    return {"Namespace": "", "Name": ""}


def offline(*_: Any) -> Any:
    raise ValueError(OFFLINE)


def functions(store: dict) -> list[Fn]:
    """The declarations, bound to one runtime's data store."""
    def bound(impl: Any) -> Any:
        return lambda *args: impl(store, *args)
    return [
        Fn("Get", [fn("Get", OBJ, [OBJ, STRING, STRING, STRING, STRING], bound(resource_get), member=True),
                   fn("Get", OBJ, [OBJ, STRING], offline, member=True),
                   fn("Get", OBJ, [OBJ, STRING, STRING], offline, member=True)]),
        Fn("List", [fn("List", OBJ, [OBJ, STRING, STRING, STRING], bound(resource_list), member=True)]),
        Fn("GetMetadata", [fn("GetMetadata", OBJ, [OBJ, STRING], bound(image_metadata), member=True)]),
        Fn("Post", [fn("Post", OBJ, [OBJ, STRING, OBJ], offline, member=True),
                    fn("Post", OBJ, [OBJ, STRING, OBJ, OBJ], offline, member=True)]),
        Fn("now", [fn("now", TIMESTAMP, [OBJ], time_now, member=True)]),
        Fn("parseServiceAccount", [fn("parseServiceAccount", OBJ, [STRING], parse_service_account)]),
    ]
