"""The same object twice in what is applied together: the second silently replaces the first.

"Applied together" is one unit: a rendered environment (one kustomize build,
one Helm release, one plain environment, one Argo CD or Flux application),
the files one kustomization lists, or one file (`kubectl apply -f`). Objects
that merely share a folder are not: a repository keeps alternatives side by
side (`install.yaml` and `namespace-install.yaml`, one StorageClass per
cloud), and only one of them is ever applied.
"""

from __future__ import annotations

import posixpath
from typing import Callable, Iterator, Sequence

from prcheck.checks.context import CheckContext
from prcheck.checks.lint.rule import MANIFEST_KINDS, LintRule, finding
from prcheck.model import Document, Finding
from prcheck.sources.yaml_loader import LoadedFile


def _listed_by(files: Sequence[LoadedFile]) -> dict[str, set[str]]:
    """file → the kustomizations whose `resources:` name it (a directory entry is its own unit)."""
    units: dict[str, set[str]] = {}
    for file in files:
        if file.kind != "kustomization" or not file.docs or not isinstance(file.docs[0].obj, dict):
            continue
        resources = file.docs[0].obj.get("resources")
        folder = posixpath.dirname(file.path)
        for entry in resources if isinstance(resources, list) else []:
            if isinstance(entry, str) and "://" not in entry:
                units.setdefault(posixpath.normpath(posixpath.join(folder, entry)), set()).add(file.path)
    return units


def related(kustomizations: Sequence[LoadedFile]) -> Callable[[str], set[str]]:
    """The keys pull-request runs and shards follow: a file shares one with each
    kustomization listing it (the files listed beside it, in any folder, and the
    kustomization itself); a file no kustomization lists is compared with itself only."""
    listed = _listed_by(kustomizations)
    own = {f.path for f in kustomizations}

    def keys(path: str) -> set[str]:
        units = listed.get(path, set())
        return {*units, path} if path in own else set(units)

    return keys


def check(files: Sequence[LoadedFile], ctx: CheckContext) -> Iterator[Finding]:
    listed = {} if ctx.env else _listed_by(files)
    seen: dict[tuple[str, str, str, str, str], Document] = {}  # the first document of each identity
    groups: dict[str, str] = {}  # apiVersion → API group: one string per group, not one per document
    for file in files:
        if file.kind not in MANIFEST_KINDS:
            continue
        # a rendered environment is one unit; a repository file belongs to the kustomizations listing it, or to itself
        units = sorted({f"env:{ctx.env}"} if ctx.env else listed.get(file.path) or {file.path})
        for doc in file.docs:
            obj = doc.obj
            if not isinstance(obj, dict) or doc.file_kind == "client-config":
                continue
            api_version, kind, name, namespace = _identity(obj, doc)
            if not name or not kind:
                continue
            group = groups.get(api_version)
            if group is None:
                group = groups[api_version] = api_version.rpartition("/")[0]
            first = None
            for unit in units:
                key = (unit, group, kind, namespace, name)
                first = first or seen.get(key)
                seen.setdefault(key, doc)
            if first is not None:
                yield finding(RULE, f"{doc.resource} is already defined at {first.path}:{first.line}",
                              doc.path, doc.line, doc.resource)


def _identity(obj: dict, doc: Document) -> tuple[str, str, str, str]:
    """apiVersion, kind, name and namespace as `Document` reads them, straight from the object
    when they are the strings they nearly always are: the parent runs this over every document
    of the repository alone, after the workers."""
    meta = obj.get("metadata")
    if meta.__class__ is not dict:
        meta = {}
    api_version, kind, name, namespace = obj.get("apiVersion"), obj.get("kind"), meta.get("name"), meta.get("namespace")
    if api_version.__class__ is not str:
        api_version = doc.api_version
    if kind.__class__ is not str:
        kind = doc.kind
    if name.__class__ is not str:
        name = doc.name
    if namespace.__class__ is not str:
        namespace = doc.namespace
    return api_version, kind, name, namespace


RULE = LintRule(
    id="k8s/duplicate-resource", severity="error", title="The same resource defined twice",
    description="Two documents applied together (one environment, one kustomization, one file) share "
                "API group, kind, namespace and name.",
    check=check,
    scope="run",
    related=related,
)
