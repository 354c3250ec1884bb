"""The JSON context a rule's variables are evaluated against.

Kyverno answers `{{ request.object... }}`, `{{ request.operation }}`,
`{{ serviceAccountName }}`, `{{ images... }}` from an admission request. Here
the request is built from the file: the operation is CREATE unless a values
file says otherwise (UPDATE and DELETE also expose the file as
`request.oldObject`, as `kyverno test` does). Contexts are plain dicts that
are never mutated: every addition returns a new dict sharing the rest.
"""

from __future__ import annotations

from typing import Any

from .images import image_infos


def base_context(resource: dict, operation: str = "CREATE", user_info: "dict | None" = None) -> dict:
    """The context every rule starts from for one resource."""
    user_info = user_info or {}
    request: dict[str, Any] = {
        "operation": operation,
        "namespace": _namespace(resource),
        "roles": user_info.get("roles"),
        "clusterRoles": user_info.get("clusterRoles"),
        "userInfo": user_info.get("userInfo") or {},
    }
    if operation == "DELETE":
        request["oldObject"] = resource
    else:
        request["object"] = resource
        if operation == "UPDATE":
            request["oldObject"] = resource
    username = str((user_info.get("userInfo") or {}).get("username", ""))
    sa_namespace, sa_name = _service_account(username)
    context: dict[str, Any] = {
        "request": request,
        "serviceAccountName": sa_name,
        "serviceAccountNamespace": sa_namespace,
    }
    images = image_infos(resource)
    if images:
        context["images"] = images
    return context


def _namespace(resource: dict) -> str:
    metadata = resource.get("metadata") if isinstance(resource, dict) else None
    value = metadata.get("namespace") if isinstance(metadata, dict) else None
    return value if isinstance(value, str) else ""


def _service_account(username: str) -> "tuple[str, str]":
    prefix = "system:serviceaccount:"
    if not username.startswith(prefix):
        return "", ""
    parts = username[len(prefix):].split(":")
    return (parts[0], parts[1]) if len(parts) >= 2 else ("", "")


def _merge(base: Any, addition: Any) -> Any:
    """JSON merge of `addition` into `base` (objects merge, everything else replaces)."""
    if isinstance(base, dict) and isinstance(addition, dict):
        merged = dict(base)
        for key, value in addition.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return addition


def add_variable(context: dict, name: str, value: Any) -> dict:
    """Kyverno's `AddVariable`: a dotted name nests (`a.b: 1` → `{a: {b: 1}}`) and merges."""
    nested: Any = value
    for part in reversed(name.split(".")):
        nested = {part: nested}
    return _merge(context, nested)


def add_variables(context: dict, variables: "dict[str, Any] | None") -> dict:
    for name, value in (variables or {}).items():
        context = add_variable(context, str(name), value)
    return context


def with_element(context: dict, element: Any, index: int, nesting: int) -> dict:
    """`element`, `elementIndex` and their per-depth twins `element0`, `elementIndex0`..."""
    updated = dict(context)
    updated["element"] = element
    updated[f"element{nesting}"] = element
    updated["elementIndex"] = index
    updated[f"elementIndex{nesting}"] = index
    return updated


def resource_of(context: dict) -> Any:
    """The object patterns are matched against, after values may have changed it."""
    request = context.get("request") or {}
    if request.get("operation") == "DELETE":
        return request.get("oldObject")
    return request.get("object")
