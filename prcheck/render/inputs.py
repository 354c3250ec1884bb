"""A digest of everything a render of one environment can read.

When the digest is the same at base and head, both renders are skipped: the
output cannot differ. The file set is a safe superset rather than an exact
trace: kustomize's default load restrictor only lets a kustomization read
files beneath its own folder, so the folders of the kustomization graph
(plus the folders Flux Kustomizations in them point at) cover every file a
build can open. For a chart: its folder (templates, subcharts, default
values) and the values files. The environment's own definition is part of
the digest, so editing `.prcheck.yaml` re-renders what it touches.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any, Iterable, Sequence

from prcheck.render import flux
from prcheck.render.containment import inside
from prcheck.render.kustomize import scan
from prcheck.render.output import YAML_SUFFIXES
from prcheck.render.spec import RenderSpec
from prcheck.sources.yaml_loader import Limits, load_bytes

MAX_FOLLOW_DEPTH = 5
MAX_HASHED_BYTES = 64 * 1024 * 1024  # larger files are identified by size and mtime, not read
_FLUX_HINTS = (flux.MARKER.encode(), b"ArtifactGenerator", b"GitRepository")


def _walk(folder: Path | str, root: Path | str | None = None) -> Iterable[str]:
    """Every file under `folder`, links to folders inside `root` followed once
    (renderers follow them too, so a change behind one must show)."""
    seen: set[str] = set()
    pending = [str(folder)]
    while pending:
        top = pending.pop()
        real = os.path.realpath(top)
        if real in seen:
            continue
        seen.add(real)
        for current, dirs, names in os.walk(top):
            seen.add(os.path.realpath(current))
            dirs[:] = [d for d in dirs if d != ".git"]
            for d in dirs:
                link = os.path.join(current, d)
                if os.path.islink(link):
                    if root is not None and inside(link, root):
                        pending.append(link)
                    else:
                        yield link  # hashed by its target's name; the render refuses it
            for name in names:
                yield os.path.join(current, name)


def _read_regular(path: str, size_cap: int) -> bytes | None:
    """Content of a regular file, opened without following a link and without
    blocking (a FIFO swapped in after the check is not read); None otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        if info.st_size > size_cap:
            return f"<large file {info.st_size} {info.st_mtime_ns}>".encode()
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(size_cap + 1)
    finally:
        os.close(fd)


class Hasher:
    """Digests for the environments of one checkout. Each file is read once
    however many environments share it (a common base is in all of them)."""

    def __init__(self, root: Path, remotes: Sequence[str] = ()) -> None:
        self.root = root.resolve()
        self.remotes = tuple(remotes)
        self._files: dict[str, tuple[bytes, list[Any]]] = {}

    def _read(self, path: str) -> tuple[bytes, list[Any]]:
        """(content digest, Flux-related objects in the file). Only regular files
        are read: a link is hashed by its target's name (and by the target's
        content when that is a file of the repository); FIFOs, devices and
        links out of the repository (`/proc/self/fd/1`, `/dev/zero`) never are."""
        cached = self._files.get(path)
        if cached is None:
            raw = None
            prefix = b""
            if os.path.islink(path):
                try:
                    prefix = b"<link " + os.fsencode(os.readlink(path)) + b">"
                except OSError:
                    prefix = b"<link>"
                if inside(path, self.root):
                    raw = _read_regular(os.path.realpath(path), MAX_HASHED_BYTES)
            else:
                raw = _read_regular(path, MAX_HASHED_BYTES)
            if raw is None:
                cached = (hashlib.sha256(prefix or b"<missing or not a regular file>").digest(), [])
            else:
                objs: list[Any] = []
                if path.endswith(YAML_SUFFIXES) and any(h in raw for h in _FLUX_HINTS):
                    objs = [d.obj for d in load_bytes(raw, path, limits=Limits()).docs]
                cached = (hashlib.sha256(prefix + raw).digest(), objs)
            self._files[path] = cached
        return cached

    def _flux_folders(self, folders: Sequence[Path]) -> list[Path]:
        """Folders that Flux Kustomizations found in `folders` build."""
        objs = [o for folder in folders for path in _walk(folder, self.root) for o in self._read(path)[1]]
        if not objs:
            return []
        found, _ = flux.targets(objs, self.root, self.remotes)
        return [self.root / t.path for t in found] + [self.root / c for t in found for c in t.overlay.components]

    def _kustomize_folders(self, spec: RenderSpec) -> list[Path]:
        start = [self.root / spec.env.path] + [self.root / c for c in spec.overlay.components]
        seen: list[Path] = []
        pending = start
        for _ in range(MAX_FOLLOW_DEPTH):
            fresh: list[Path] = []
            for folder in pending:
                for found in scan(folder, self.root).dirs if folder.is_dir() else []:
                    if found not in seen:
                        seen.append(found)
                        fresh.append(found)
            if not fresh:
                break
            pending = [Path(os.path.realpath(f)) for f in self._flux_folders(fresh)
                       if Path(os.path.realpath(f)) not in seen]
            if not pending:
                break
        return seen

    def files(self, spec: RenderSpec) -> list[str]:
        """Every file a render of `spec` may read (a superset), as absolute paths."""
        env = spec.env
        if env.kind == "helm":
            if "://" in env.path:
                return []
            chart = self.root / env.path
            values = {os.path.normpath(self.root / v) for v in env.values}
            chart_files = set(values)
            for folder in [chart] + _file_dependencies(chart):
                chart_files.update(_walk(folder, self.root) if folder.is_dir() and inside(folder, self.root) else [])
            return sorted(chart_files - (_other_values(spec, self.root) - values))
        every: set[str] = set()
        for folder in self._kustomize_folders(spec):
            every.update(_walk(folder, self.root))
        return sorted(every)

    def digest(self, spec: RenderSpec) -> str:
        """Stable across checkouts: paths are relative to the root, contents hashed."""
        definition = json.dumps({"env": spec.env.__dict__, "overlay": {
            "fields": spec.overlay.fields, "components": spec.overlay.components,
            "substitute": spec.overlay.substitute}, "values": spec.helm_values},
            sort_keys=True, default=str)
        h = hashlib.sha256(definition.encode())
        prefix = len(str(self.root)) + 1
        for path in self.files(spec):
            rel = path[prefix:] if path.startswith(str(self.root) + os.sep) else path
            h.update(rel.encode("utf-8", "surrogateescape") + b"\0")
            h.update(self._read(path)[0])
        return h.hexdigest()


def _other_values(spec: RenderSpec, root: Path) -> set[str]:
    """Values files of sibling environments in the chart folder. Helm loads
    them with the chart, but only `.Files` in a template could read them, so
    unless a template does, editing `values-prod.yaml` leaves staging alone."""
    chart = root / spec.env.path
    templates = chart / "templates"
    for path in _walk(templates, root) if templates.is_dir() else []:
        raw = _read_regular(path, MAX_HASHED_BYTES)
        if raw is None or b".Files" in raw:
            return set()
    return {os.path.normpath(p) for p in chart.glob("values[-.]*.y*ml")}


def _file_dependencies(chart: Path) -> list[Path]:
    """`file://` dependencies of Chart.yaml: folders helm reads when they are not vendored."""
    raw = _read_regular(str(chart / "Chart.yaml"), Limits().max_file_bytes)
    docs = load_bytes(raw, "Chart.yaml").docs if raw else []
    meta = docs[0].obj if docs and isinstance(docs[0].obj, dict) else {}
    out = []
    for dep in meta.get("dependencies") or [] if isinstance(meta.get("dependencies"), list) else []:
        repo = str(dep.get("repository") or "") if isinstance(dep, dict) else ""
        if repo.startswith("file://"):
            out.append(Path(os.path.realpath(chart / repo[len("file://"):])))
    return out


def digest(spec: RenderSpec, root: Path, remotes: Sequence[str] = ()) -> str:
    """One environment's digest; use a `Hasher` for several of the same checkout."""
    return Hasher(root, remotes).digest(spec)
