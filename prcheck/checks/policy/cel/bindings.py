"""The variables an admission expression sees, built from files instead of a request.

`object` is the file's object; `oldObject` is the base version of the same
object when the change updates it (then the operation is UPDATE), else null
and CREATE; `request` carries what the API server would put in the
AdmissionRequest (kind, resource, name, namespace, operation, userInfo from
the configuration or the test's user file); `namespaceObject` is the
repository's Namespace object of that name, or null.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .kinds import KindTable
from .match import Request
from .runtime import plain


def metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def labels_of(obj: "Mapping[str, Any] | None") -> dict[str, str]:
    raw = metadata(obj).get("labels") if isinstance(obj, Mapping) else None
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def match_request(obj: Mapping[str, Any], operation: str, kinds: KindTable,
                  namespace_obj: "Mapping[str, Any] | None") -> Request:
    api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
    group, _, version = api_version.rpartition("/")
    meta = metadata(obj)
    namespace = str(meta.get("namespace") or "")
    if namespace_obj is not None:
        namespace_labels: "dict[str, str] | None" = labels_of(namespace_obj)
    else:  # the label the API server puts on every namespace is known without the object
        namespace_labels = {"kubernetes.io/metadata.name": namespace} if namespace else None
    return Request(group=group, version=version, kind=kind, resource=kinds.resource(group, kind),
                   namespace=namespace, name=str(meta.get("name") or ""),
                   operation=operation, labels=labels_of(obj), namespace_labels=namespace_labels,
                   namespaced=kinds.namespaced(group, kind))


def admission_request(req: Request, obj: Any, old: Any, user: "Mapping[str, Any] | None") -> dict:
    user = dict(user or {})
    return {
        "uid": "", "kind": {"group": req.group, "version": req.version, "kind": req.kind},
        "resource": {"group": req.group, "version": req.version, "resource": req.resource},
        "requestKind": {"group": req.group, "version": req.version, "kind": req.kind},
        "requestResource": {"group": req.group, "version": req.version, "resource": req.resource},
        "name": req.name, "namespace": req.namespace, "operation": req.operation,
        "userInfo": {"username": str(user.get("username") or ""), "uid": str(user.get("uid") or ""),
                     "groups": [str(g) for g in user.get("groups") or []], "extra": user.get("extra") or {}},
        "object": obj, "oldObject": old, "dryRun": False, "options": None,
    }


def bindings_for(obj: Any, old: Any, req: Request, user: "Mapping[str, Any] | None",
                 namespace_obj: Any, extra: "Mapping[str, Any] | None" = None) -> dict[str, Any]:
    obj, old, namespace_obj = plain(obj), plain(old), plain(namespace_obj)
    bound = {"object": obj, "oldObject": old, "request": admission_request(req, obj, old, user),
             "namespaceObject": namespace_obj, "params": None}
    if extra:
        bound.update(extra)
    return bound
