"""The base side of the files a change touched, loaded like the head's.

New-versus-pre-existing is decided by running the same checks on the base
tree: a finding the change introduced is one the base did not have,
wherever its line lands (inside a block scalar, on a line the change
deleted, on the anchor an alias now points at). Only files the change
touched can differ, so only their base versions are read, straight from git
(`git cat-file --batch`, no checkout); each is stored under its head path so
a rename compares with its old content.

The loaded base documents are also what `oldObject` means to admission
policies (CEL transition rules, immutable fields): `objects` indexes them by
(group, kind, namespace, name).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from prcheck import kube_api
from prcheck.model import GVK, Document
from prcheck.sources.collect import SourceEntry
from prcheck.sources.gitdiff import ChangeSet
from prcheck.sources.yaml_loader import Limits, LoadedFile, load_bytes, too_large

ObjectKey = tuple[str, str, str, str]  # (group, kind, namespace, name)
MANIFEST_CANDIDATES = frozenset({"yaml", "json"})


def object_key(obj: Any) -> ObjectKey | None:
    """The identity the API server gives an object; None for anything that is not one."""
    if not isinstance(obj, dict):
        return None
    gvk = GVK.of(obj)
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not gvk.kind or not isinstance(name, str) or not name:
        return None
    namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else ""
    return gvk.group, gvk.kind, namespace, name


def index_objects(docs: Iterable[Document]) -> dict[ObjectKey, Any]:
    """Objects by identity; the first one wins when a tree defines one twice."""
    out: dict[ObjectKey, Any] = {}
    for doc in docs:
        key = object_key(doc.obj)
        if key is not None and key not in out:
            out[key] = doc.obj
    return out


@dataclass
class BaseTree:
    """Base versions of the head's changed files, keyed by head path (None: new in the change)."""

    files: dict[str, LoadedFile | None] = field(default_factory=dict)

    @property
    def documents(self) -> tuple[Document, ...]:
        return tuple(d for f in self.files.values() if f is not None for d in f.docs)

    @property
    def objects(self) -> Mapping[ObjectKey, Any]:
        return index_objects(self.documents)


def read_blobs(repo: Path, commit: str, paths: Sequence[str], max_bytes: int) -> dict[str, bytes | None]:
    """Each path's content at `commit` (None: absent, or bigger than `max_bytes`, whose
    size the loader then reports on the head side anyway)."""
    wanted = [p for p in paths if "\n" not in p]
    out: dict[str, bytes | None] = dict.fromkeys(paths)
    if not wanted:
        return out
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_LFS_SKIP_SMUDGE="1", LC_ALL="C")
    proc = subprocess.Popen(["git", "-c", f"core.hooksPath={os.devnull}", "cat-file", "--batch"], cwd=repo, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write("".join(f"{commit}:{p}\n" for p in wanted).encode("utf-8", "surrogateescape"))
        proc.stdin.close()
        for path in wanted:
            header = proc.stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                continue  # `<spec> missing`, or a tree / submodule at that path
            size = int(header[2])
            data = _read_exactly(proc.stdout, size)
            proc.stdout.read(1)  # the newline after each object
            out[path] = data if size <= max_bytes else None
    finally:
        proc.stdout.close()
        proc.wait()
    return out


def _read_exactly(stream: Any, size: int) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left > 0:
        chunk = stream.read(min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def load(repo: Path, change: ChangeSet, head: Iterable[SourceEntry], limits: Limits) -> BaseTree:
    """Base versions of the head files the change modified, renamed or added."""
    sources: dict[str, str] = {}
    tree = BaseTree()
    kinds: dict[str, str] = {}
    for file in head:
        entry = change.get(file.path)
        if entry is None:
            continue  # unchanged: the base has the very same content
        kinds[file.path] = file.kind
        if entry.status == "A":
            tree.files[file.path] = None
        else:
            sources[file.path] = entry.old_path or file.path
    blobs = read_blobs(repo, change.base, sorted(set(sources.values())), limits.max_file_bytes)
    for head_path, base_path in sources.items():
        raw = blobs.get(base_path)
        if raw is None:
            tree.files[head_path] = None
            continue
        oversize = too_large(len(raw), head_path, limits)
        if oversize:
            tree.files[head_path] = LoadedFile(path=head_path, kind=kinds[head_path])
            continue
        loaded = load_bytes(raw, head_path, kinds[head_path], limits)
        if loaded.kind in MANIFEST_CANDIDATES:
            kube_api.mark_manifests(loaded)
        tree.files[head_path] = loaded
    return tree


