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
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

from prcheck.render import flux
from prcheck.render.kustomize import scan
from prcheck.render.output import YAML_SUFFIXES
from prcheck.render.spec import RenderSpec

MAX_FOLLOW_DEPTH = 5
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FLUX_HINTS = (flux.MARKER.encode(), b"ArtifactGenerator", b"GitRepository")


def _walk(folder: Path | str) -> Iterable[str]:
    for current, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in names:
            yield os.path.join(current, name)


class Hasher:
    """Digests for the environments of one checkout. Each file is read once
    however many environments share it (a common base is in all of them)."""

    def __init__(self, root: Path, remotes: Sequence[str] = ()) -> None:
        self.root = root.resolve()
        self.remotes = tuple(remotes)
        self._files: dict[str, tuple[bytes, list[Any]]] = {}

    def _read(self, path: str) -> tuple[bytes, list[Any]]:
        """(content digest, Flux-related objects in the file)."""
        cached = self._files.get(path)
        if cached is None:
            try:
                with open(path, "rb") as fh:
                    raw = fh.read()
            except OSError:
                cached = (b"<missing>", [])
            else:
                objs: list[Any] = []
                if path.endswith(YAML_SUFFIXES) and any(h in raw for h in _FLUX_HINTS):
                    try:
                        objs = list(yaml.load_all(raw.decode("utf-8"), Loader=_SafeLoader))
                    except (UnicodeDecodeError, yaml.YAMLError):
                        objs = []
                cached = (hashlib.sha256(raw).digest(), objs)
            self._files[path] = cached
        return cached

    def _flux_folders(self, folders: Sequence[Path]) -> list[Path]:
        """Folders that Flux Kustomizations found in `folders` build."""
        objs = [o for folder in folders for path in _walk(folder) for o in self._read(path)[1]]
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
            pending = [f.resolve() for f in self._flux_folders(fresh) if f.resolve() not in seen]
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
                chart_files.update(_walk(folder) if folder.is_dir() else [])
            return sorted(chart_files - (_other_values(spec, self.root) - values))
        every: set[str] = set()
        for folder in self._kustomize_folders(spec):
            every.update(_walk(folder))
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
    for path in _walk(templates) if templates.is_dir() else []:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                if ".Files" in fh.read():
                    return set()
        except OSError:
            return set()
    return {os.path.normpath(p) for p in chart.glob("values[-.]*.y*ml")}


def _file_dependencies(chart: Path) -> list[Path]:
    """`file://` dependencies of Chart.yaml: folders helm reads when they are not vendored."""
    try:
        meta = yaml.load((chart / "Chart.yaml").read_text(encoding="utf-8"), Loader=_SafeLoader) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    out = []
    for dep in meta.get("dependencies") or [] if isinstance(meta, dict) else []:
        repo = str((dep or {}).get("repository") or "")
        if repo.startswith("file://"):
            out.append((chart / repo[len("file://"):]).resolve())
    return out


def digest(spec: RenderSpec, root: Path, remotes: Sequence[str] = ()) -> str:
    """One environment's digest; use a `Hasher` for several of the same checkout."""
    return Hasher(root, remotes).digest(spec)
