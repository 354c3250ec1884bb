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


def _walk(folder: Path) -> Iterable[Path]:
    for current, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in names:
            yield Path(current) / name


def _flux_folders(folders: Sequence[Path], root: Path, remotes: Sequence[str]) -> list[Path]:
    """Folders that Flux Kustomizations found in `folders` build."""
    objs: list[Any] = []
    for folder in folders:
        for path in _walk(folder):
            if path.suffix not in YAML_SUFFIXES:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if flux.MARKER not in text and "ArtifactGenerator" not in text and "GitRepository" not in text:
                continue
            try:
                objs.extend(yaml.safe_load_all(text))
            except yaml.YAMLError:
                continue
    found, _ = flux.targets(objs, root, remotes)
    out = [root / t.path for t in found]
    out += [root / c for t in found for c in t.overlay.components]
    return out


def folders(spec: RenderSpec, root: Path, remotes: Sequence[str] = ()) -> tuple[list[Path], list[Path]]:
    """(folders read in full, single files read)."""
    env = spec.env
    if env.kind == "helm":
        chart = root / env.path
        return [chart] + _file_dependencies(chart), [root / v for v in env.values]
    return _kustomize_folders(spec, root, remotes), []


def _other_values(spec: RenderSpec, root: Path) -> set[Path]:
    """Values files of sibling environments in the chart folder. Helm loads
    them with the chart, but only `.Files` in a template could read them, so
    unless a template does, editing `values-prod.yaml` leaves staging alone."""
    chart = (root / spec.env.path).resolve()
    templates = chart / "templates"
    for path in _walk(templates) if templates.is_dir() else []:
        try:
            if ".Files" in path.read_text(encoding="utf-8", errors="replace"):
                return set()
        except OSError:
            return set()
    mine = {(root / v).resolve() for v in spec.env.values}
    return {p for p in chart.glob("values[-.]*.y*ml") if p.resolve() not in mine}


def _kustomize_folders(spec: RenderSpec, root: Path, remotes: Sequence[str]) -> list[Path]:
    env = spec.env
    start = [root / env.path] + [root / c for c in spec.overlay.components]
    seen: list[Path] = []
    pending = start
    for _ in range(MAX_FOLLOW_DEPTH):
        fresh: list[Path] = []
        for folder in pending:
            for found in scan(folder, root).dirs if folder.is_dir() else []:
                if found not in seen:
                    seen.append(found)
                    fresh.append(found)
        if not fresh:
            break
        pending = [f.resolve() for f in _flux_folders(fresh, root, remotes) if f.resolve() not in seen]
        if not pending:
            break
    return seen


def _file_dependencies(chart: Path) -> list[Path]:
    """`file://` dependencies of Chart.yaml: folders helm reads when they are not vendored."""
    try:
        meta = yaml.safe_load((chart / "Chart.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    out = []
    for dep in meta.get("dependencies") or [] if isinstance(meta, dict) else []:
        repo = str((dep or {}).get("repository") or "")
        if repo.startswith("file://"):
            out.append((chart / repo[len("file://"):]).resolve())
    return out


def digest(spec: RenderSpec, root: Path, remotes: Sequence[str] = ()) -> str:
    """Stable across checkouts: paths are relative to `root`, contents hashed."""
    root = root.resolve()
    definition = json.dumps({"env": spec.env.__dict__, "overlay": {
        "fields": spec.overlay.fields, "components": spec.overlay.components,
        "substitute": spec.overlay.substitute}, "values": spec.helm_values},
        sort_keys=True, default=str)
    h = hashlib.sha256(definition.encode())
    dirs, files = folders(spec, root, remotes)
    every: set[Path] = set(files)
    for folder in dirs:
        every.update(_walk(folder) if folder.is_dir() else [])
    if spec.env.kind == "helm" and "://" not in spec.env.path:
        every -= _other_values(spec, root) - set(files)
    for path in sorted(every):
        h.update(_rel(path, root).encode("utf-8", "surrogateescape") + b"\0")
        try:
            h.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            h.update(b"<missing>")
    return h.hexdigest()


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)
