"""Validate Kubernetes manifests against JSON schemas (kubeconform's job).

Valid documents cost one `is_valid` call in Rust; only invalid ones pay for
collecting errors and lines, which is what keeps this stage far above the
20,000 resources/s the project aims for.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Iterator, Sequence

from prcheck import kube_api
from prcheck.checks.context import CheckContext
from prcheck.checks.policy.rego_input import sanitise
from prcheck.checks.schema_store import GVK, SchemaStore
from prcheck.model import Document, Finding

MAX_ERRORS_PER_DOCUMENT = 20
CATALOG_NOTE = " (bundled catalog schema; add the CRD to the repository or --schema-location for your controller's version)"
_UNEXPECTED = re.compile(r"\('([^']+)' was unexpected\)")


def dotted(path: Sequence[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def check(docs: Iterable[Document], ctx: CheckContext, store: SchemaStore) -> Iterator[Finding]:
    """`kind: List` is validated item by item, as kubectl and kubeconform do. The kinds met
    are handed to the store first, so the Kubernetes ones share one registry."""
    targets = list(_targets(docs, ctx.skip_kinds))
    store.prepare({(api_version, kind): None for _, _, _, api_version, kind in targets})
    for doc, prefix, obj, api_version, kind in targets:
        found = _check_one(doc, prefix, obj, api_version, kind, ctx, store)
        if found:
            yield from found


def _targets(docs: Iterable[Document], skip: frozenset[str]) -> Iterator[tuple[Document, list[Any], dict, str, str]]:
    """(document, path prefix, object, apiVersion, kind) for each object to validate."""
    object_class, client_config = kube_api.object_class, kube_api.CLIENT_CONFIG
    for doc in docs:
        obj = doc.obj
        if not isinstance(obj, dict):
            continue
        kind, api_version = _text(obj.get("kind")), _text(obj.get("apiVersion"))  # as Document reads them
        if not kind or not api_version or (skip and (kind in skip or f"{api_version}/{kind}" in skip)):
            continue
        items = obj.get("items") if kind == "List" else None
        if isinstance(items, list):
            objects = [(["items", index], item) for index, item in enumerate(items)
                       if isinstance(item, dict) and object_class(item) != client_config]
        elif object_class(obj) != client_config:  # kustomize configs, kubeconfig, ...
            objects = [([], obj)]
        else:
            continue
        for prefix, one in objects:
            one_api_version, one_kind = str(one.get("apiVersion", "")), str(one.get("kind", ""))
            if one_api_version and one_kind:
                yield doc, prefix, one, one_api_version, one_kind


def _text(value: Any) -> str:
    return value if value.__class__ is str else "" if value is None else str(value)


def _jsonable(obj: Any) -> Any:
    """YAML allows non-string keys (`!!binary` ones too) and sets; Kubernetes' decoder stringifies them."""
    try:
        return json.loads(json.dumps(obj, default=str))
    except (TypeError, ValueError, RecursionError):
        return json.loads(json.dumps(sanitise(obj, max_depth=10_000)))


def _resource(doc: Document, prefix: list[Any], obj: dict, kind: str) -> str:
    """Built only for an object with a finding: a valid object, the common case, costs one
    schema lookup and one `is_valid` call."""
    return doc.resource if not prefix else f"{kind}/{(obj.get('metadata') or {}).get('name', '')}"


def _check_one(doc: Document, prefix: list[Any], obj: dict, api_version: str, kind: str, ctx: CheckContext,
               store: SchemaStore) -> Sequence[Finding]:
    """() for a valid object (the common case: one schema lookup and one `is_valid` call)."""
    validator = store.validator(api_version, kind)
    if validator is None:
        missing = _missing(doc, prefix, api_version, kind, _resource(doc, prefix, obj, kind), ctx, store)
        return (missing,) if missing else ()
    try:
        if validator.is_valid(obj):
            return ()
        errors = list(validator.iter_errors(obj))
    except (ValueError, TypeError, OverflowError):
        obj = _jsonable(obj)
        if validator.is_valid(obj):
            return ()
        errors = list(validator.iter_errors(obj))
    return _invalid(doc, prefix, obj, kind, api_version, errors, store)


def _invalid(doc: Document, prefix: list[Any], obj: dict, kind: str, api_version: str, errors: list[Any],
             store: SchemaStore) -> list[Finding]:
    resource = _resource(doc, prefix, obj, kind)
    # A bundled catalog schema is a snapshot of one controller release, and the
    # repository may run a newer one: its verdicts warn. A schema the repository
    # carries (its CRDs), a --schema-location or Kubernetes' own is exact.
    catalog = store.origin(api_version, kind) == "catalog"
    severity = "warning" if catalog else "error"
    note = CATALOG_NOTE if catalog else ""
    found: list[Finding] = []
    for error in errors[:MAX_ERRORS_PER_DOCUMENT]:
        path = prefix + list(error.instance_path)
        unexpected = _UNEXPECTED.search(error.message)
        line_path = path + [unexpected.group(1)] if unexpected else path
        found.append(Finding(
            rule="schema/invalid", severity=severity,
            message=f"{dotted(path)}: {_message(obj, list(error.instance_path), error)}{note}",
            path=doc.path, line=doc.line_of(line_path), resource=resource, engine="schema",
        ))
    if len(errors) > MAX_ERRORS_PER_DOCUMENT:
        found.append(Finding(rule="schema/invalid", severity=severity,
                             message=f"{len(errors) - MAX_ERRORS_PER_DOCUMENT} more schema errors not shown",
                             path=doc.path, line=doc.line, resource=resource, engine="schema"))
    return found


_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (list, "array"),
               (dict, "object"), (type(None), "null"))
_SHOWN_LIMITS = ("limit", "multiple_of", "format")  # parameters that come from the schema, never the value


def _json_type(value: Any) -> str:
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), type(value).__name__)


def _short(values: Any, limit: int = 8) -> str:
    items = [json.dumps(v, default=str)[:40] for v in (values if isinstance(values, list) else [values])]
    return ", ".join(items[:limit]) + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def _message(obj: Any, path: list[Any], error: Any) -> str:
    """What the schema expected and what kind of value it got; never the value itself.

    jsonschema's own messages quote the instance, and any value can be a secret
    (an unquoted numeric password, `env:` written as a map, a URL with a
    password in an annotation), so messages are rebuilt from the error kind and
    the schema's side only: `expected string, got integer (value not shown)`.
    Unknown keys are named, as kubeconform does; the report's masking function
    hides key names that look like credentials.
    """
    kind = error.kind
    name = type(kind).__name__
    params = kind.as_dict() if hasattr(kind, "as_dict") else {}
    got = _json_type(error.instance)
    if name == "AdditionalProperties":
        return error.message if not _inside_secret(obj, path) or not path else "unknown fields (not shown: inside a Secret)"
    if _inside_secret(obj, path):
        return f"value does not match the schema ({name}; value not shown: inside a Secret)"
    if name == "Type":
        return f"expected {' or '.join(map(str, params.get('types') or []))}, got {got} (value not shown)"
    if name == "Required":
        return f"{json.dumps(params.get('property'), default=str)} is a required property"
    if name == "FalseSchema":
        return "field not allowed by the schema"
    if name == "Enum":
        return f"must be one of {_short(params.get('options'))}, got another {got} (value not shown)"
    if name == "Constant":
        return f"must be {_short(params.get('expected_value'))} (value not shown)"
    if name == "Pattern":
        return f"{got} does not match the pattern {json.dumps(params.get('pattern'))} (value not shown)"
    if name in ("AnyOf", "OneOfNotValid"):
        return f"{got} matches none of the allowed schemas (value not shown)"
    limits = ", ".join(f"{k} {params[k]}" for k in _SHOWN_LIMITS if k in params)
    return f"{got} fails the schema's {name} check{f' ({limits})' if limits else ''} (value not shown)"


def _inside_secret(obj: Any, path: Sequence[Any]) -> bool:
    """Does `path` lead below a Secret (or SecretList) somewhere on its way from `obj`?"""
    node = obj
    for part in path:
        if isinstance(node, dict) and node.get("kind") in ("Secret", "SecretList"):
            return True
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    return False


def _missing(doc: Document, prefix: list[Any], api_version: str, kind: str, resource: str, ctx: CheckContext,
             store: SchemaStore) -> Finding | None:
    """A built-in (or dot-less) group's kind without a schema is not served by this
    version; any other group is a custom resource: without a schema it is info, never an error."""
    line = doc.line_of(prefix + ["apiVersion"])
    group = GVK.parse(api_version, kind).group
    if store.is_builtin_group(group) or "." not in group:  # a custom resource group always has a dot
        return Finding(rule="schema/unknown-api", severity="error",
                       message=f"{kind} {api_version} is not served by Kubernetes {ctx.kube_version}",
                       path=doc.path, line=line, resource=resource, engine="schema")
    if ctx.skip_missing_schemas:
        return None
    return Finding(rule="schema/missing", severity="info",
                   message=f"no schema for {kind} {api_version}; add one with --schema-location",
                   path=doc.path, line=line, resource=resource, engine="schema")
