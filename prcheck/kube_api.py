"""What the Kubernetes API serves, and which documents are Kubernetes objects.

Two questions every stage must answer the same way. *Is this document an
object an API server would accept?* decides whether it is validated as a
resource at all: a kustomize `LabelTransformer` (`apiVersion: builtin`), a
Skaffold config or a Grafana provisioning file (`apiVersion: 1`) is YAML a
client-side tool reads, and calling it "not served by Kubernetes" or
"missing apiVersion" is a false error. *Is this group built in?* decides
whether a kind with no schema is an API Kubernetes stopped serving (an error)
or a custom resource nobody gave a schema for (info): the answer comes from
the groups the bundled schema set of the target version defines, never from
a name suffix (Gateway API is `gateway.networking.k8s.io` and is a CRD).

Both are shared by load (which marks documents) and check (which validates
them), so the module sits outside the stages and imports none of them.
"""

from __future__ import annotations

import fnmatch
import json
import re
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from prcheck import shipped_yaml, starglob
from prcheck.pyyaml_import import safe_load
from prcheck.resources import data_dir

if TYPE_CHECKING:
    from prcheck.sources.yaml_loader import LoadedFile

OBJECT, CLIENT_CONFIG, NOT_KUBERNETES = "object", "client-config", "other"
# `v1`, `v2beta1`; `group/v1alpha2`. What `schema.ParseGroupVersion` accepts and a served version looks like.
_VERSION = r"v\d+(?:(?:alpha|beta)\d+)?"
_API_VERSION = re.compile(rf"^(?:([a-z0-9]([a-z0-9.-]*[a-z0-9])?)/)?{_VERSION}$")


def _shipped_data(name: str) -> Any:
    with open(data_dir("policies") / "data" / name, encoding="utf-8") as fh:
        text = fh.read()
    return shipped_yaml.parsed(text, safe_load) or {}


@lru_cache(maxsize=1)
def _client_side() -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    data = _shipped_data("client_side_kinds.yaml")
    kinds = tuple((str(e["api_version"]), str(e.get("kind", "*"))) for e in data.get("client_side_kinds") or ())
    files = tuple(str(e["name"]) for e in data.get("client_side_files") or ())
    return kinds, files


@lru_cache(maxsize=1)
def _client_side_matchers() -> tuple[tuple[tuple[Callable[[str], bool], Callable[[str], bool]], ...],
                                     tuple[Callable[[str], bool], ...]]:
    """The data file's globs as predicates (fnmatchcase, without a regex compile per glob)."""
    kinds, files = _client_side()
    return (tuple((starglob.matcher(a), starglob.matcher(k)) for a, k in kinds),
            tuple(starglob.matcher(name) for name in files))


def client_side_file(path: str) -> bool:
    """A file that is tool configuration by its name (Chart.yaml, skaffold.yaml, hidden files)."""
    name = PurePosixPath(path).name
    return any(match(name) for match in _client_side_matchers()[1])


def client_side_kind(api: str, kind: str) -> bool:
    """(apiVersion, kind) matches one glob pair of the data file. A NUL in either is matched
    by the one regex over `api\\0kind` this always was, so such a pair decides as before."""
    if "\x00" in api or "\x00" in kind:
        return _client_side_pattern().match(f"{api}\x00{kind}") is not None
    return any(api_match(api) and kind_match(kind) for api_match, kind_match in _client_side_matchers()[0])


def _schema_root() -> Path:
    from prcheck.resources import package_dir

    return package_dir("kubernetes_validate") / "kubernetes-json-schema"


# a definition's `"x-kubernetes-group-version-kind": [{"group": ..., "kind": ..., "version": ...}, ...]`
_GVK_KEY = b'"x-kubernetes-group-version-kind":'


def _gvk_lists(text: bytes) -> list[bytes]:
    """The `[...]` after each `_GVK_KEY` and optional whitespace, found by `find`: half the
    cost of a regex scan (`"x-kubernetes-group-version-kind":\\s*(\\[[^\\]]*\\])`)."""
    found: list[bytes] = []
    at = text.find(_GVK_KEY)
    while at >= 0:
        start = at + len(_GVK_KEY)
        while start < len(text) and text[start:start + 1] in b" \t\n\r\f\v":
            start += 1
        end = text.find(b"]", start) if text[start:start + 1] == b"[" else -1
        if end >= 0:
            found.append(text[start:end + 1])
        at = text.find(_GVK_KEY, end + 1 if end >= 0 else at + 1)
    return found


@lru_cache(maxsize=16)
def _gvks_in(definitions: Path) -> frozenset[tuple[str, str]]:
    """Every (group, kind) a bundled `_definitions.json` declares ("" is the core group).
    Only the group-version-kind lists are parsed: the whole 1-2 MB file through `json`
    would cost a one-file run 20 ms (tests/speed compares both readings for every bundled version)."""
    with open(definitions, "rb") as fh:  # as bytes: decoding the whole file would cost more than the scan
        text = fh.read()
    lists = json.loads(b"[" + b",".join(_gvk_lists(text)) + b"]")
    return frozenset((gvk.get("group", ""), gvk.get("kind", "")) for listed in lists for gvk in listed
                     if isinstance(gvk, dict))


def groups_in(definitions: Path) -> frozenset[str]:
    return frozenset(group for group, _ in _gvks_in(definitions))


@lru_cache(maxsize=1)
def _removed_groups() -> frozenset[str]:
    """Groups of APIs Kubernetes stopped serving (policies/data/deprecated_apis.yaml) are still built in."""
    data = _shipped_data("deprecated_apis.yaml")
    return frozenset(str(api).rpartition("/")[0] for api in (data.get("deprecated_apis") or {}))


@lru_cache(maxsize=1)
def _newest_builtins() -> tuple[frozenset[str], frozenset[str]]:
    """(built-in groups without a dot: apps, batch, ...; built-in kind names) of the newest bundled schema set."""
    newest = max((p for p in _schema_root().iterdir() if p.name.endswith("-local")),
                 key=lambda p: tuple(int(x) for x in re.findall(r"\d+", p.name)[:3]))
    gvks = _gvks_in(newest / "_definitions.json")
    legacy = frozenset(g for g in {g for g, _ in gvks} | _removed_groups() if "." not in g)
    return legacy, frozenset(k for _, k in gvks if k and not k.endswith(("List", "Options")))


def builtin_groups(definitions: Path) -> frozenset[str]:
    """The groups a Kubernetes version serves or once served, read from its bundled schemas."""
    return groups_in(definitions) | _removed_groups()


def object_class(obj: Any) -> str:
    """OBJECT, CLIENT_CONFIG or NOT_KUBERNETES for one parsed document.

    A document claims to be an object when it has a string `kind` or an
    `apiVersion` shaped like one; a claim with a missing half is still an
    object (so the missing half is reported). Client-side kinds come from
    policies/data/client_side_kinds.yaml.
    """
    if not isinstance(obj, Mapping):
        return NOT_KUBERNETES
    api, kind = obj.get("apiVersion"), obj.get("kind")
    if "apiVersion" not in obj and "kind" not in obj:
        return NOT_KUBERNETES  # a key written with no value (`kind:`) is still a claim, with its half missing
    if api is not None and not isinstance(api, str):
        return NOT_KUBERNETES  # Grafana provisioning (`apiVersion: 1`) and the like
    if kind is not None and not isinstance(kind, str):
        return NOT_KUBERNETES
    if api is None:
        return OBJECT
    return _classify(api, kind)


@lru_cache(maxsize=4096)
def _classify(api: str, kind: str | None) -> str:
    """object_class for a string apiVersion: a pure function of (apiVersion, kind), cached
    because a repository repeats a handful of pairs over thousands of documents."""
    kind_text = kind or ""
    if client_side_kind(api, kind_text):
        return CLIENT_CONFIG
    match = _API_VERSION.match(api)
    group = match.group(1) or "" if match else ""
    if match is None or (group and "." not in group and group not in _newest_builtins()[0]):
        # Not an API group an API server could serve (a CRD group must contain a
        # dot: `skaffold/v4`, `mytool/v1`) -- unless the kind is a built-in one,
        # where it is far likelier a typo (`app/v1` Deployment) worth reporting.
        if kind_text in _newest_builtins()[1]:
            return OBJECT
        return NOT_KUBERNETES if kind is None else CLIENT_CONFIG
    return OBJECT


@lru_cache(maxsize=1)
def _client_side_pattern() -> "re.Pattern[str]":
    """Every (apiVersion, kind) glob pair of the data file as one regex over `api\\0kind`."""
    alternatives = [f"{fnmatch.translate(a)[4:-3]}\\x00{fnmatch.translate(k)[4:-3]}" for a, k in _client_side()[0]]
    return re.compile("(?s:" + "|".join(f"(?:{alt})" for alt in alternatives) + r")\Z")


def objects_in(path: str, objs: Iterable[Any]) -> list[str]:
    """object_class of each document of a file; a client-side file name makes all of them CLIENT_CONFIG."""
    if client_side_file(path):
        return [CLIENT_CONFIG if object_class(o) != NOT_KUBERNETES else NOT_KUBERNETES for o in objs]
    return [object_class(o) for o in objs]


def mark_manifests(loaded: "LoadedFile") -> None:
    """Make a YAML/JSON file a Kubernetes manifest when one of its documents is an object.

    In such a file, client-side documents are marked `client-config` (checked
    as YAML only); documents with neither apiVersion nor kind stay part of the
    manifest, so a stray document in it is still reported.
    """
    classes = objects_in(loaded.path, (d.obj for d in loaded.docs))
    if OBJECT not in classes:
        return
    loaded.kind = "kubernetes"
    for doc, cls in zip(loaded.docs, classes):
        doc.file_kind = "client-config" if cls == CLIENT_CONFIG else "kubernetes"
