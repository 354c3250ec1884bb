"""Rendered YAML → `Document`s that point back at the files they came from.

A finding on a rendered object is only useful in a review if it names a file
the pull request can change. kustomize's origin annotation names the source
file of each object (and the kustomization for generated ones); helm names
the template. The annotation is removed from the object afterwards: it is
prcheck's addition, not part of what will be applied.

For the head side, each object is matched with its document in the source
file, and that document's YAML node is kept, so `Document.line_of(...)`
gives lines in the source file for every key the source spells out (a key
only a patch adds falls back to its nearest parent). Helm templates are not
YAML, so objects from them carry the template path without a line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from prcheck.model import Document, Finding
from prcheck.render.helm import Chunk
from prcheck.render.kustomize import ORIGIN_ANNOTATION, Output
from prcheck.render.sourceindex import SourceIndex
from prcheck.sources.yaml_loader import LoadedFile, load_bytes, load_text

_GENERATOR_KEYS = {"ConfigMapGenerator": "configMapGenerator", "SecretGenerator": "secretGenerator"}
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class Converted:
    docs: list[Document] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@dataclass
class SourceFiles:
    """Source files loaded once per render, for matching objects to documents."""

    root: Path
    cache: dict[str, LoadedFile | None] = field(default_factory=dict)

    def get(self, rel: str) -> LoadedFile | None:
        if rel not in self.cache:
            try:
                raw = (self.root / rel).read_bytes()
            except OSError:
                self.cache[rel] = None
            else:
                self.cache[rel] = load_bytes(raw, rel)
        return self.cache[rel]


def origin_tag(env: str, side: str) -> str:
    return f"env:{env}@{side}"


def _relative(abspath: str, root: Path) -> str:
    try:
        return Path(abspath).relative_to(root.resolve()).as_posix()
    except ValueError:
        return ""


def _take_origin(obj: dict[str, Any]) -> dict[str, Any] | None:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return None
    annotations = meta.get("annotations")
    if not isinstance(annotations, dict) or ORIGIN_ANNOTATION not in annotations:
        return None
    raw = annotations.pop(ORIGIN_ANNOTATION)
    if not annotations:
        del meta["annotations"]
    return parse_origin(raw) if isinstance(raw, str) else None


def parse_origin(raw: str) -> dict[str, Any]:
    """kustomize writes the annotation as `key: value` lines, with `configuredBy`
    one level deeper; reading it by hand is ten times cheaper than a YAML
    parser, which matters at one annotation per object."""
    out: dict[str, Any] = {}
    nested: dict[str, str] | None = None
    for line in raw.splitlines():
        if not line.strip():
            continue
        key, _, value = line.strip().partition(":")
        value = value.strip().strip("'\"")
        if line.startswith((" ", "\t")) and nested is not None:
            nested[key] = value
        elif value:
            out[key], nested = value, None
        else:
            nested = out.setdefault(key, {})
    return out


def _source_of(origin: dict[str, Any] | None, output: Output, root: Path) -> tuple[str, str]:
    """(repository path of the source file, generator key or "")."""
    if not origin or origin.get("repo"):
        return "", ""
    generator = ""
    rel = origin.get("path")
    if not isinstance(rel, str):
        rel = origin.get("configuredIn")
        by = origin.get("configuredBy")
        generator = _GENERATOR_KEYS.get(by.get("kind", ""), "") if isinstance(by, dict) else ""
    if not isinstance(rel, str):
        return "", ""
    absolute = os.path.normpath(os.path.join(output.origin_base, rel))
    for copied, original in output.path_map:
        if absolute == copied or absolute.startswith(copied + os.sep):
            absolute = original + absolute[len(copied):]
    return _relative(absolute, root), generator


def _match(obj: dict[str, Any], source: LoadedFile) -> Document | None:
    """The document of `source` that `obj` was built from (names may have gained a prefix or suffix)."""
    kind = obj.get("kind")
    name = str((obj.get("metadata") or {}).get("name") or "")
    same_kind = [d for d in source.docs if isinstance(d.obj, dict) and d.kind == kind]
    for doc in same_kind:
        if doc.name == name:
            return doc
    partial = [d for d in same_kind if d.name and d.name in name]
    if partial:
        return max(partial, key=lambda d: len(d.name))
    if len(same_kind) == 1:
        return same_kind[0]
    return None


def from_kustomize(output: Output, *, env: str, side: str, root: Path, fallback: str,
                   with_nodes: bool) -> Converted:
    loaded = load_text(output.text, f"env:{env}", origin=origin_tag(env, side))
    result = Converted(findings=list(loaded.findings))
    sources = SourceFiles(root)
    index = SourceIndex.build(output.resource_files, root) if output.resource_files else None
    for doc in loaded.docs:
        if not isinstance(doc.obj, dict):
            continue
        if index is not None:  # built without origin annotations: the file, but no lines
            result.docs.append(Document(path=index.locate(doc.obj) or fallback, index=doc.index, line=0,
                                        obj=doc.obj, origin=origin_tag(env, side)))
            continue
        path, generator = _source_of(_take_origin(doc.obj), output, root)
        result.docs.append(_place(doc, path or fallback, generator, sources, with_nodes and bool(path), env, side))
    return result


def _place(doc: Document, path: str, generator: str, sources: SourceFiles, with_nodes: bool,
           env: str, side: str) -> Document:
    tag = origin_tag(env, side)
    if not with_nodes:
        return Document(path=path, index=doc.index, line=0, obj=doc.obj, origin=tag)
    source = sources.get(path)
    if source is None:
        return Document(path=path, index=doc.index, line=0, obj=doc.obj, origin=tag)
    if generator:
        for candidate in source.docs:
            if isinstance(candidate.obj, dict) and generator in candidate.obj:
                return Document(path=path, index=candidate.index, line=candidate.line_of([generator]),
                                obj=doc.obj, origin=tag)
        return Document(path=path, index=doc.index, line=0, obj=doc.obj, origin=tag)
    match = _match(doc.obj, source)
    if match is None:
        return Document(path=path, index=doc.index, line=0, obj=doc.obj, origin=tag)
    return Document(path=path, index=match.index, line=match.line, obj=doc.obj, origin=tag, node=match.node)


def helm_test_hook(obj: dict[str, Any]) -> bool:
    """`helm.sh/hook: test` (or Helm 2's test-success/test-failure): run by `helm test` only.
    Argo CD and Flux never apply them on sync, so neither are they checked or diffed."""
    meta = obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    hooks = annotations.get("helm.sh/hook") if isinstance(annotations, dict) else None
    return isinstance(hooks, str) and any(h.strip().startswith("test") for h in hooks.split(","))


def from_chunks(chunks: Iterable[Chunk], *, env: str, side: str, fallback: str) -> Converted:
    """Helm output: each chunk is one template's output; lines in a template are not known."""
    result = Converted()
    tag = origin_tag(env, side)
    for chunk in chunks:
        path = chunk.source or fallback
        loaded = load_text(chunk.text, path, origin=tag)
        result.findings.extend(loaded.findings)
        for doc in loaded.docs:
            if isinstance(doc.obj, dict) and not helm_test_hook(doc.obj):
                result.docs.append(Document(path=path, index=doc.index, line=0, obj=doc.obj, origin=tag))
    return result


def yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file() and ".git" not in p.parts)


def from_folder(folder: Path, *, env: str, side: str, root: Path, with_nodes: bool) -> Converted:
    """A plain folder: every YAML document with a kind, with its own lines."""
    result = Converted()
    tag = origin_tag(env, side)
    unreadable: list[str] = []
    for path in yaml_files(folder):
        rel = path.relative_to(root).as_posix()
        try:
            raw = path.read_bytes()
        except OSError:
            unreadable.append(rel)
            continue
        loaded = load_bytes(raw, rel, origin=tag)
        if loaded.findings:
            unreadable.append(rel)
        for doc in loaded.docs:
            if isinstance(doc.obj, dict) and doc.obj.get("kind"):
                result.docs.append(doc if with_nodes else Document(
                    path=doc.path, index=doc.index, line=doc.line, obj=doc.obj, origin=tag))
    if unreadable:
        result.findings.append(Finding(
            rule="render/invalid-yaml", severity="warning", engine="render", env=env,
            path=unreadable[0], message=f"{len(unreadable)} file(s) of the environment could not be read in full "
                                        f"({', '.join(unreadable[:5])}); their objects are missing from the diff"))
    return result
