"""Changes the API server refuses: immutable fields of built-in kinds, as data.

Each entry names the kind, the field path and the validation code in
kubernetes/kubernetes that refuses the update. A finding means `kubectl
apply`, Argo CD or Flux will fail to sync the object: it has to be deleted
and recreated (or renamed). A field is compared only when both the base and
the head set it, so a manifest that leaves a defaulted field out (a
Service's `clusterIP`) is never flagged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from prcheck.model import Document, Finding

RULE_ID = "k8s/immutable-field-changed"
ENGINE = "cel"
_VALIDATION = "pkg/apis/{}/validation/validation.go"


@dataclass(frozen=True)
class Immutable:
    group: str
    kinds: tuple[str, ...]
    path: tuple[str, ...]
    source: str  # function in kubernetes/kubernetes that enforces it
    # "all": any change; "spec-except": every spec field but `allowed`; "no-shrink":
    # the quantities under `path` may only grow; "when-immutable": data of a ConfigMap/Secret marked immutable.
    mode: str = "all"
    allowed: tuple[str, ...] = ()


IMMUTABLE_FIELDS: tuple[Immutable, ...] = (
    Immutable("apps", ("Deployment",), ("spec", "selector"), _VALIDATION.format("apps") + " ValidateDeploymentUpdate"),
    Immutable("apps", ("ReplicaSet",), ("spec", "selector"), _VALIDATION.format("apps") + " ValidateReplicaSetUpdate"),
    Immutable("apps", ("DaemonSet",), ("spec", "selector"), _VALIDATION.format("apps") + " ValidateDaemonSetUpdate"),
    Immutable("apps", ("StatefulSet",), ("spec",), _VALIDATION.format("apps") + " ValidateStatefulSetUpdate",
              mode="spec-except", allowed=("replicas", "ordinals", "template", "updateStrategy",
                                           "persistentVolumeClaimRetentionPolicy", "minReadySeconds")),
    Immutable("batch", ("Job",), ("spec", "selector"), _VALIDATION.format("batch") + " ValidateJobUpdate"),
    Immutable("batch", ("Job",), ("spec", "template"), _VALIDATION.format("batch") + " ValidateJobSpecUpdate"),
    Immutable("", ("Service",), ("spec", "clusterIP"), _VALIDATION.format("core") + " ValidateServiceUpdate"),
    Immutable("", ("Service",), ("spec", "clusterIPs"), _VALIDATION.format("core") + " ValidateServiceUpdate"),
    Immutable("", ("PersistentVolumeClaim",), ("spec",), _VALIDATION.format("core")
              + " ValidatePersistentVolumeClaimUpdate", mode="spec-except",
              allowed=("resources", "volumeAttributesClassName")),
    Immutable("", ("PersistentVolumeClaim",), ("spec", "resources", "requests"), _VALIDATION.format("core")
              + " ValidatePersistentVolumeClaimUpdate", mode="no-shrink"),
    Immutable("", ("ConfigMap",), ("data", "binaryData"), _VALIDATION.format("core") + " ValidateConfigMapUpdate",
              mode="when-immutable"),
    Immutable("", ("Secret",), ("data", "stringData"), _VALIDATION.format("core") + " ValidateSecretUpdate",
              mode="when-immutable"),
)


def _get(obj: Any, path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(obj, Mapping) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _changes(entry: Immutable, new: Mapping[str, Any], old: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """(field path, what changed) for each refused change."""
    if entry.mode == "all":
        before, after = _get(old, entry.path), _get(new, entry.path)
        return [(entry.path, "")] if before is not None and after is not None and before != after else []
    if entry.mode == "spec-except":
        before, after = _get(old, entry.path) or {}, _get(new, entry.path) or {}
        if not isinstance(before, Mapping) or not isinstance(after, Mapping):
            return []
        keys = sorted(k for k in set(before) & set(after) if k not in entry.allowed and before[k] != after[k])
        return [((*entry.path, k), "") for k in keys]
    if entry.mode == "no-shrink":
        from prcheck.checks.policy.kyverno.units import parse_quantity
        before, after = _get(old, entry.path) or {}, _get(new, entry.path) or {}
        shrunk = []
        for name in sorted(set(before) & set(after)) if isinstance(before, Mapping) and isinstance(after, Mapping) else ():
            b, a = parse_quantity(str(before[name])), parse_quantity(str(after[name]))
            if b is not None and a is not None and a.compare(b) < 0:
                shrunk.append(((*entry.path, name), f"can not be less than the previous value {before[name]}"))
        return shrunk
    if old.get("immutable") is not True:
        return []
    if new.get("immutable") is not True:
        return [(("immutable",), "can not be unset once true")]
    return [((key,), "") for key in entry.path if _get(old, (key,)) != _get(new, (key,))
            and not (key == "stringData" and _get(new, (key,)) is None)]


def _named(doc: Document) -> tuple[str, str]:
    meta = doc.obj.get("metadata") if isinstance(doc.obj, dict) else None
    meta = meta if isinstance(meta, Mapping) else {}
    return str(meta.get("name") or ""), str(meta.get("namespace") or "")


def renamed(docs: Sequence[Document], base_docs: Sequence[Document]) -> list[tuple[Document, Document]]:
    """(head, base) pairs of one object whose name or namespace the change edited.

    The diff matches objects by identity, so a rename shows as a removal plus an
    addition. It is recognised by position: the removed and the added object are
    of the same group and kind and come from the same place, the n-th object of
    that kind in the same file (in the source file a render built them from),
    and that place lost exactly one object and gained exactly one. Names that differ
    only in a last segment of the same length that could be generated (a kustomize
    hash, Helm's `randAlphaNum`, even all letters) are taken for one object rendered
    again: a missed rename costs less than a recreate warning on every render."""
    from prcheck.diff import _generated_suffix_pair
    from prcheck.sources.base_tree import object_key

    head_keys = {object_key(d.obj) for d in docs}
    base_keys = {object_key(d.obj) for d in base_docs}

    def by_place(side: Sequence[Document], other: set) -> dict[tuple, list[Document]]:
        """Objects missing on the other side, by (file, group, kind, ordinal of that kind in
        the file): a render numbers its documents in output order, so `index` is not stable."""
        out: dict[tuple, list[Document]] = {}
        ordinals: dict[tuple, int] = {}
        for doc in side:
            key = object_key(doc.obj)
            if key is None:
                continue
            kind = (doc.path, key[0], key[1])
            ordinals[kind] = ordinal = ordinals.get(kind, -1) + 1
            if key not in other:
                out.setdefault((*kind, ordinal), []).append(doc)
        return out

    gone, came = by_place(base_docs, head_keys), by_place(docs, base_keys)
    pairs = []
    for place, added in came.items():
        removed = gone.get(place, [])
        if len(added) == 1 and len(removed) == 1 \
                and not _generated_suffix_pair(_named(removed[0])[0], _named(added[0])[0], random_source=True):
            pairs.append((added[0], removed[0]))
    return pairs


def _rename_findings(docs: Sequence[Document], base_docs: Sequence[Document]) -> list[Finding]:
    """`metadata.name` / `metadata.namespace` edits: the API server never renames (ObjectMeta
    update validation refuses both fields), so applying one creates a new object, and the old
    one is pruned or orphaned: a recreate, with whatever that loses (volumes, a Service's IP)."""
    findings = []
    for head, old in renamed(docs, base_docs):
        (new_name, new_ns), (old_name, old_ns) = _named(head), _named(old)
        changed = [("name", old_name, new_name)] if new_name != old_name else []
        if new_ns != old_ns and new_ns and old_ns:  # an unset namespace is the destination's: no telling
            changed.append(("namespace", old_ns, new_ns))
        for field_name, before, after in changed:
            findings.append(Finding(
                rule=RULE_ID, severity="error", path=head.path, line=head.line_of(["metadata", field_name]),
                resource=head.resource, engine=ENGINE,
                message=f"{head.kind} {old_name}: metadata.{field_name} changed from {before!r} to {after!r}; the "
                        f"API server cannot rename an object (k8s.io/apimachinery/pkg/api/validation/objectmeta.go ValidateObjectMetaUpdate),"
                        f" so the sync creates a new {head.kind} and the old one is pruned or left orphaned: "
                        "this is a delete and recreate"))
    return findings


def check(docs: Sequence[Document], base: Mapping[Any, Any], base_docs: Sequence[Document] = ()) -> list[Finding]:
    """Findings for every head object whose base version differs in an immutable field,
    and for every object the change renamed (`base_docs`: the base documents with their places)."""
    if not base:
        return []
    from prcheck.sources.base_tree import object_key

    by_kind: dict[tuple[str, str], list[Immutable]] = {}
    for entry in IMMUTABLE_FIELDS:
        for kind in entry.kinds:
            by_kind.setdefault((entry.group, kind), []).append(entry)
    findings = []
    for doc in docs:
        key = object_key(doc.obj)
        entries = by_kind.get((key[0], key[1])) if key else None
        old = base.get(key) if entries else None
        if not isinstance(old, Mapping):
            continue
        for entry in entries or ():
            for path, detail in _changes(entry, doc.obj, old):
                field_name = ".".join(path)
                findings.append(Finding(
                    rule=RULE_ID, severity="error", path=doc.path, line=doc.line_of(list(path)),
                    resource=doc.resource, engine=ENGINE,
                    message=f"{doc.kind} {doc.name}: {field_name} {detail or 'is immutable'}; the API server refuses "
                            f"this update ({entry.source}), so the sync will fail until the object is deleted and "
                            "recreated"))
    return findings + _rename_findings(docs, base_docs)
