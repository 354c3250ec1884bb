"""Per environment: which resources a change adds, removes, changes or moves.

Resources are matched by (API group, kind, namespace, name): the identity the
API server uses, so an `apps/v1beta1` → `apps/v1` bump of a Deployment is a
change of one object, not a removal plus an addition.

Secrets are masked before anything is compared or printed: every value under
`data` / `stringData` becomes a keyed digest, and so does every secret the
secret rules would find in any other object (env literals, tokens, URL
passwords). The key is random per run, so a value change still shows as a
changed digest, while the digest cannot be looked up in a table of common
passwords the way a bare hash of a short secret could.
"""

from __future__ import annotations

import base64
import binascii
import copy
import difflib
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import yaml

from prcheck.checks.secrets import mask_values
from prcheck.model import Document, EnvDiff, ResourceChange

DEFAULT_NOISY_LABELS: tuple[str, ...] = ("helm.sh/chart", "app.kubernetes.io/version", "chart")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class DiffOptions:
    ignore_labels: tuple[str, ...] = ()
    context: int = 3
    mask_key: bytes = b""  # empty: a fresh random key per call of `diff_env`
    # templates whose chart calls a random function (render/changes.py): names from them
    # pair on shape alone, since `randAlphaNum 5 | lower` may draw a word-like suffix
    random_sources: frozenset[str] = frozenset()


def new_mask_key() -> bytes:
    import secrets  # hmac and OpenSSL: only runs that diff load them

    return secrets.token_bytes(32)


def api_group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def resource_key(obj: Any) -> str:
    """`Kind.group/namespace/name` (`Kind/name` when core or cluster-scoped), like kubectl's `deployment.apps/web`."""
    if not isinstance(obj, dict):
        return ""
    meta = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    kind = str(obj.get("kind") or "")
    group = api_group(str(obj.get("apiVersion") or ""))
    head = f"{kind}.{group}" if group else kind
    parts = [head, str(meta.get("namespace") or ""), str(meta.get("name") or meta.get("generateName") or "")]
    return "/".join(p for p in parts if p)


def key_resource(key: str) -> str:
    """A diff key as a finding names its object: `Kind/namespace/name`, without the group."""
    head, _, rest = key.partition("/")
    kind = head.split(".", 1)[0]
    return f"{kind}/{rest}" if rest else kind


def key_matches_resource(key: str, resource: str) -> bool:
    """Does a diff key name the same object as a finding's `Kind/namespace/name`?"""
    return bool(key) and bool(resource) and key_resource(key) == resource


def _is_secret(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("kind") == "Secret" and api_group(str(obj.get("apiVersion") or "")) == ""


def _digest(raw: bytes, key: bytes) -> str:
    import hashlib
    import hmac

    return f"<masked sha256:{hmac.new(key, raw, hashlib.sha256).hexdigest()[:12]}>"


def _data_bytes(value: Any) -> bytes:
    """`data` values are base64; hash the decoded bytes so that moving a value
    between `data` and `stringData` does not look like a change."""
    text = value if isinstance(value, str) else yaml.dump(value, Dumper=_Dumper)
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return text.encode("utf-8", "surrogateescape")


def mask_secrets(obj: Any, key: bytes) -> Any:
    """A copy of `obj` in which no Secret value survives, nor a secret written into another
    kind (a password in a container's env, a token in a ConfigMap, a URL with a password).
    Lists (`kind: List`) are masked item by item."""
    if isinstance(obj, dict) and isinstance(obj.get("items"), list) and str(obj.get("kind", "")).endswith("List"):
        masked = dict(obj)
        masked["items"] = [mask_secrets(item, key) for item in obj["items"]]
        return masked
    if not _is_secret(obj):  # any other object: the values the secret rules would report
        return mask_values(obj, lambda value: _digest(value.encode("utf-8", "surrogateescape"), key))
    masked = copy.deepcopy(obj)
    for field, to_bytes in (("data", _data_bytes), ("stringData", _string_bytes)):
        values = masked.get(field)
        if isinstance(values, dict):
            masked[field] = {k: _digest(to_bytes(v), key) for k, v in values.items()}
        elif values is not None:
            masked[field] = _digest(to_bytes(values), key)
    annotations = (masked.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict) and LAST_APPLIED in annotations:
        annotations[LAST_APPLIED] = _digest(str(annotations[LAST_APPLIED]).encode(), key)
    return masked


def _string_bytes(value: Any) -> bytes:
    text = value if isinstance(value, str) else yaml.dump(value, Dumper=_Dumper)
    return text.encode("utf-8", "surrogateescape")


def drop_labels(obj: Any, labels: Iterable[str]) -> Any:
    """A copy without the given label keys in any `metadata.labels` (pod templates included)."""
    names = frozenset(labels)
    if not names:
        return obj
    return _drop(obj, names)


def _drop(node: Any, names: frozenset[str]) -> Any:
    if isinstance(node, list):
        return [_drop(v, names) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _drop(v, names) for k, v in node.items()}
    meta = out.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("labels"), dict):
        meta["labels"] = {k: v for k, v in meta["labels"].items() if k not in names}
        if not meta["labels"]:
            del meta["labels"]
    return out


def to_yaml(obj: Any) -> str:
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=True, default_flow_style=False,
                     allow_unicode=True, width=10_000)


def unified(key: str, before: Any, after: Any, context: int = 3) -> str:
    """A unified diff of two objects as sorted-key YAML; `None` stands for a missing side."""
    old = to_yaml(before).splitlines(keepends=True) if before is not None else []
    new = to_yaml(after).splitlines(keepends=True) if after is not None else []
    lines = difflib.unified_diff(old, new, f"base/{key}" if before is not None else "/dev/null",
                                 f"head/{key}" if after is not None else "/dev/null", n=context)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _index(docs: Sequence[Document], key: bytes, ignore_labels: Sequence[str]) -> dict[str, tuple[Any, str]]:
    """key → (normalised object, source path); a repeated key gets `#2`, `#3`… so neither copy is lost."""
    out: dict[str, tuple[Any, str]] = {}
    for doc in docs:
        name = resource_key(doc.obj)
        if not name:
            continue
        unique, n = name, 1
        while unique in out:
            n += 1
            unique = f"{name}#{n}"
        out[unique] = (drop_labels(mask_secrets(doc.obj, key), ignore_labels), doc.path)
    return out


def diff_env(env: str, base: Sequence[Document], head: Sequence[Document],
             options: DiffOptions = DiffOptions()) -> EnvDiff:
    """Compare one environment's rendered documents at base and head."""
    key = options.mask_key or new_mask_key()
    before = _index(base, key, options.ignore_labels)
    after = _index(head, key, options.ignore_labels)
    result = EnvDiff(env=env)
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old is None and new is not None:
            result.added.append(ResourceChange(name, None, new[0], unified(name, None, new[0], options.context)))
        elif new is None and old is not None:
            result.removed.append(ResourceChange(name, old[0], None, unified(name, old[0], None, options.context)))
        elif old is not None and new is not None:
            if old[0] != new[0]:
                text = unified(name, old[0], new[0], options.context)
                if old[1] != new[1]:
                    text = f"# moved: {old[1]} -> {new[1]}\n{text}"
                result.changed.append(ResourceChange(name, old[0], new[0], text))
            elif old[1] != new[1]:
                result.moved.append(ResourceChange(name, old[0], new[0], f"# moved: {old[1]} -> {new[1]}\n"))
            else:
                result.unchanged += 1
    _pair_generated_names(result, before, after, options)
    return result


# Generated name suffixes: Kubernetes' `generateName`, kustomize's content hash and a
# pod-template-hash use 5+ lower-case letters and digits without vowels; Helm's
# `randAlphaNum 5 | lower` any lower-case letters and digits.
_SUFFIX = re.compile(r"[a-z0-9]{5,}")
_NO_VOWEL = re.compile(r"[^aeiou]+")


def _looks_generated(tail: str) -> bool:
    """`mjdg2`, `8dxw7`, `5f6g7h8k9m`, `bcdfg`: not a word such as `prod` or `canary`."""
    return bool(_SUFFIX.fullmatch(tail)) and (any(c.isdigit() for c in tail) or bool(_NO_VOWEL.fullmatch(tail)))


def _generated_suffix_pair(old: str, new: str, random_source: bool = False) -> bool:
    """`web-test-mjdg2` vs `web-test-8dxw7`: one name whose generated suffix changed. A rename
    between words (`web-stage` → `web-alpha`, `web-old` → `web-new`) stays a removal plus an
    addition, unless the template that made both calls a random function (`random_source`)."""
    old_head, _, old_tail = old.rpartition("-")
    new_head, _, new_tail = new.rpartition("-")
    return bool(old_head) and old_head == new_head and len(old_tail) == len(new_tail) \
        and bool(_SUFFIX.fullmatch(old_tail)) and bool(_SUFFIX.fullmatch(new_tail)) \
        and (random_source or _looks_generated(old_tail) or _looks_generated(new_tail))


def _without_name(obj: Any, name: str) -> Any:
    """The object with every occurrence of its own generated name blanked (labels repeat it)."""
    return yaml.safe_load(to_yaml(obj).replace(name, "<generated>")) if name else obj


def _pair_generated_names(result: EnvDiff, before: Mapping[str, tuple[Any, str]],
                          after: Mapping[str, tuple[Any, str]], options: DiffOptions) -> None:
    """A removed and an added object from the same template whose names differ only in a
    generated suffix are one object renamed on every render: unchanged when nothing else
    differs, else one change; never an addition plus a removal on every run. An identical
    partner is preferred, so a template that renders several such objects pairs them right.
    The pairs are kept in `result.renamed`, for the findings on them (filter/changed_lines.py)."""
    for gone in list(result.removed):
        old_key, _, old_name = gone.key.rpartition("/")
        candidates = []
        for came in result.added:
            new_key, _, new_name = came.key.rpartition("/")
            source = before[gone.key][1]
            if old_key == new_key and source == after[came.key][1] \
                    and _generated_suffix_pair(old_name, new_name, source in options.random_sources):
                old, new = _without_name(gone.before, old_name), _without_name(came.after, new_name)
                candidates.append((old != new, came, old, new))
        if not candidates:
            continue
        differs, came, old, new = min(candidates, key=lambda c: c[0])
        result.removed.remove(gone)
        result.added.remove(came)
        result.renamed[came.key] = gone.key
        if differs:
            result.changed.append(ResourceChange(came.key, old, new, unified(came.key, old, new, options.context)))
        else:
            result.unchanged += 1


def skipped_env(env: str, resources: int = 0) -> EnvDiff:
    """An environment whose inputs did not change: nothing rendered, nothing differs."""
    return EnvDiff(env=env, unchanged=resources, skipped=True)


def as_dict(diff: EnvDiff) -> dict[str, Any]:
    """JSON-ready form; objects are already masked."""
    def change(c: ResourceChange) -> dict[str, Any]:
        return {"key": c.key, "before": c.before, "after": c.after, "diff": c.text}

    return {
        "env": diff.env,
        "skipped": diff.skipped,
        "counts": counts(diff),
        "added": [change(c) for c in diff.added],
        "removed": [change(c) for c in diff.removed],
        "changed": [change(c) for c in diff.changed],
        "moved": [change(c) for c in diff.moved],
    }


def counts(diff: EnvDiff) -> Mapping[str, int]:
    return {"added": len(diff.added), "changed": len(diff.changed), "removed": len(diff.removed),
            "moved": len(diff.moved), "unchanged": diff.unchanged}
