"""Which environments a repository deploys, and why prcheck thinks so.

Declared environments (`.prcheck.yaml` `environments:`) are used as written.
With none declared, they are discovered from the layouts GitOps repositories
use, each with a `source` line saying what was seen:

- a kustomization folder directly under a folder named `overlays`,
  `clusters`, `environments` or `envs` (anywhere in the tree);
- a Helm chart with `values-<env>.yaml` / `values.<env>.yaml` beside its
  `Chart.yaml` (values files merge over `values.yaml`); a chart with none is
  one environment with its default values (library charts excepted);
- an Argo CD `Application`, or an `ApplicationSet` with a list generator,
  whose source path is in this repository;
- Flux `Kustomization` objects: the folder holding them (the `clusters/<name>`
  folder when they live under one) is an environment, and rendering it
  follows each Kustomization to the folder it builds.

Names are short (`staging`, `api-production`) unless two environments would
share one; then both get a name built from their path.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping, Sequence


from prcheck.model import Environment
from prcheck.render import argo, flux
from prcheck.render.kustomize import KUSTOMIZATION_FILES, kustomization_file
from prcheck.render.spec import RenderSpec

ENV_PARENTS = ("overlays", "clusters", "environments", "envs")
_VALUES = re.compile(r"^values[-.](?P<env>[A-Za-z0-9][A-Za-z0-9_.-]*?)\.ya?ml$")
_SKIP_DIRS = {".git", "node_modules", ".terraform", "vendor"}


class EnvironmentConfigError(ValueError):
    """An `environments:` entry that cannot be used; the message names it."""


@dataclass(frozen=True)
class _Candidate:
    spec: RenderSpec
    preferred: str
    unique: str


def declared(config: Mapping[str, Any] | None, kube_version: str = "") -> list[RenderSpec] | None:
    """Environments from a loaded config mapping; None when it declares none."""
    entries = (config or {}).get("environments")
    if not entries:
        return None
    specs: list[RenderSpec] = []
    for entry in entries:
        name = str(entry.get("name") or "")
        namespace = str(entry.get("namespace") or "")
        kube = str(entry.get("kube_version") or kube_version)
        if "helm" in entry:
            helm = entry["helm"] or {}
            env = Environment(name=name, kind="helm", path=_norm(str(helm.get("chart") or "")),
                              values=tuple(_norm(str(v)) for v in helm.get("values") or []),
                              namespace=str(helm.get("namespace") or namespace), kube_version=kube,
                              release=str(helm.get("release") or ""), source="config")
        elif "kustomize" in entry:
            env = Environment(name=name, kind="kustomize", path=_norm(str(entry["kustomize"])),
                              namespace=namespace, kube_version=kube, source="config")
        elif "path" in entry:
            env = Environment(name=name, kind="plain", path=_norm(str(entry["path"])),
                              namespace=namespace, kube_version=kube, source="config")
        else:
            raise EnvironmentConfigError(f"environment {name!r}: needs one of kustomize, helm, path")
        specs.append(RenderSpec(env))
    names = [s.name for s in specs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise EnvironmentConfigError(f"environment name declared twice: {', '.join(duplicates)}")
    return specs


def _norm(path: str) -> str:
    if "://" in path:
        return path
    return os.path.normpath(path.strip()).replace(os.sep, "/") if path.strip() else "."


def repo_files(root: Path) -> list[str]:
    """Files of the repository, ignoring what git ignores; every file when not a git checkout."""
    try:
        proc = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                              cwd=root, capture_output=True, check=True)
        files = [f for f in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if f]
        return sorted(f for f in set(files) if (root / f).is_file())
    except (OSError, subprocess.CalledProcessError):
        out: list[str] = []
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
            rel = Path(folder).relative_to(root)
            out.extend((rel / n).as_posix() for n in names)
        return sorted(out)


def discover(root: Path, remotes: Sequence[str] = (), kube_version: str = "",
             files: Sequence[str] | None = None) -> list[RenderSpec]:
    files = list(files) if files is not None else repo_files(root)
    candidates: list[_Candidate] = []
    candidates += _overlay_dirs(root, files)
    candidates += _helm_charts(root, files)
    manifests = _marked_objects(root, files)
    candidates += _argo(root, manifests, remotes)
    candidates = _merge_flux(root, candidates, _flux_groups(manifests))
    # a chart an Argo CD application already deploys is rendered as that application, not twice
    deployed = {c.spec.env.path for c in candidates if not c.spec.env.source.endswith(DEFAULT_VALUES)}
    candidates = [c for c in candidates if not (c.spec.env.source.endswith(DEFAULT_VALUES) and c.spec.env.path in deployed)]
    return _name(candidates, kube_version)


def _basename(rel: str) -> str:
    return rel.rpartition("/")[2]


def _overlay_dirs(root: Path, files: Iterable[str]) -> list[_Candidate]:
    found: list[_Candidate] = []
    for rel in files:
        if _basename(rel) not in KUSTOMIZATION_FILES:  # a string test first: most files are not
            continue
        path = Path(rel)
        if path.name not in KUSTOMIZATION_FILES or len(path.parts) < 3 or path.parts[-3] not in ENV_PARENTS:
            continue
        folder = path.parent.as_posix()
        if any(c.spec.env.path == folder for c in found):
            continue
        env = Environment(name=path.parent.name, kind="kustomize", path=folder,
                          source=f"kustomization folder {folder} (under {path.parts[-3]}/)")
        found.append(_Candidate(RenderSpec(env), path.parent.name, folder))
    return found


def _helm_charts(root: Path, files: Sequence[str]) -> list[_Candidate]:
    all_charts = {Path(f).parent for f in files if _basename(f) == "Chart.yaml"}
    # a chart in another chart's charts/ folder is a subchart, not something deployed on its own
    charts = sorted(c for c in all_charts if not (c.parent.name == "charts" and c.parent.parent in all_charts))
    by_folder: dict[Path, list[str]] = defaultdict(list)
    chart_folders = {c.as_posix() for c in charts}
    for rel in files:
        folder, _, name = rel.rpartition("/")
        if (folder or ".") in chart_folders:
            by_folder[Path(rel).parent].append(name)
    found: list[_Candidate] = []
    for chart in charts:
        chart_name = chart.name or "chart"
        defaults = [n for n in ("values.yaml", "values.yml") if n in by_folder[chart]]
        for filename in sorted(by_folder[chart]):
            match = _VALUES.match(filename)
            if not match or filename in defaults or filename.startswith("values.schema"):
                continue
            env_name = match.group("env")
            values = tuple((chart / v).as_posix() for v in defaults[:1] + [filename])
            env = Environment(name=f"{chart_name}-{env_name}", kind="helm", path=chart.as_posix(), values=values,
                              release=chart_name,
                              source=f"Helm chart {chart.as_posix()} with {filename}")
            found.append(_Candidate(RenderSpec(env), env.name, f"{chart.as_posix()}-{env_name}"))
        if not any(c.spec.env.path == chart.as_posix() for c in found) and not _library_chart(root / chart):
            # no per-environment values: the chart as it installs, with its default values
            env = Environment(name=chart_name, kind="helm", path=chart.as_posix(),
                              values=tuple((chart / v).as_posix() for v in defaults[:1]), release=chart_name,
                              source=f"Helm chart {chart.as_posix()}{DEFAULT_VALUES}")
            found.append(_Candidate(RenderSpec(env), chart_name, chart.as_posix().replace("/", "-") or chart_name))
    return found


DEFAULT_VALUES = " with its default values"
_LIBRARY = re.compile(r"^type:[^\S\n]*[\"']?library\b", re.MULTILINE)


def _library_chart(chart: Path) -> bool:
    """`type: library` charts render nothing on their own."""
    try:
        return bool(_LIBRARY.search((chart / "Chart.yaml").read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return False


# A top-level `apiVersion:` of an Argo CD or Flux group (not indented: nested mentions are
# a CRD's or a chart's, not an object).
_TOP_LEVEL_API = re.compile(r"^apiVersion:[^\S\n]*[\"']?(?:[\w-]+\.)*(?:argoproj\.io|toolkit\.fluxcd\.io)/", re.MULTILINE)
# A document whose first line is indented or in flow style (its top-level keys may be anywhere),
# or a top-level apiVersion whose value is not on its line.
_UNUSUAL_DOCUMENT = re.compile(r"(?:\A|^---[^\S\n]*\n)(?:[^\S\n]*(?:#[^\n]*)?\n)*(?:[^\S\n]+\S|[{\[\"'])|^---[^\S\n]+[^\s#]"
                               r"|^apiVersion:[^\S\n]*(?:[&!*|>#]|$)", re.MULTILINE)


def may_hold_gitops_objects(text: str) -> bool:
    """Cheap text test: can a top-level document of this file be an Argo CD or
    Flux object? It needs a top-level `apiVersion` of their groups (a CRD or a
    chart's values mention them nested, which is not an object), unless some
    document is indented or in flow style, where only parsing tells."""
    if argo.MARKER not in text and flux.MARKER not in text:
        return False
    return _TOP_LEVEL_API.search(text) is not None or _UNUSUAL_DOCUMENT.search(text) is not None


def _marked_objects(root: Path, files: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
    """(file, object) for YAML files that may hold Argo CD or Flux objects; a
    text test first, so a large repository is not parsed in full to find a few."""
    from prcheck.sources.yaml_loader import load_text

    out: list[tuple[str, dict[str, Any]]] = []
    for rel in files:
        if not rel.endswith((".yaml", ".yml")):
            continue
        try:
            text = (root / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if not may_hold_gitops_objects(text):
            continue
        loaded = load_text(text, rel)
        if any(f.rule in ("yaml/syntax", "yaml/tab-indentation") for f in loaded.findings):
            continue  # as before: a file that does not parse defines nothing
        out.extend((rel, d.obj) for d in loaded.docs if isinstance(d.obj, dict))
    return out


def _argo(root: Path, manifests: Sequence[tuple[str, dict[str, Any]]], remotes: Sequence[str]) -> list[_Candidate]:
    found: list[_Candidate] = []
    for rel, obj in manifests:
        for app in argo.applications(obj, rel, root, remotes):
            found.append(_Candidate(app.spec, app.preferred, app.unique))
    return found


def _flux_groups(manifests: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, list[tuple[str, str]]]:
    """Folder → [(Kustomization name, file)]: the `clusters/<x>` folder when under one, else the file's folder."""
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for rel, obj in manifests:
        if not flux.is_kustomization(obj):
            continue
        parts = Path(rel).parts
        folder = Path(rel).parent
        for i in range(len(parts) - 2):
            if parts[i] == "clusters":
                folder = Path(*parts[: i + 2])
                break
        groups[folder.as_posix()].append((str((obj.get("metadata") or {}).get("name") or ""), rel))
    return groups


def _merge_flux(root: Path, candidates: list[_Candidate], groups: Mapping[str, list[tuple[str, str]]]) -> list[_Candidate]:
    out = list(candidates)
    for folder, entries in sorted(groups.items()):
        names = ", ".join(sorted({n for n, _ in entries}))
        where = ", ".join(sorted({f for _, f in entries}))
        why = f"Flux Kustomizations {names} in {where}"
        existing = next((i for i, c in enumerate(out) if c.spec.env.path == folder and c.spec.env.kind != "helm"), None)
        if existing is not None:
            old = out[existing]
            env = replace(old.spec.env, source=f"{old.spec.env.source}; {why}")
            out[existing] = _Candidate(replace(old.spec, env=env), old.preferred, old.unique)
            continue
        kind: Literal["kustomize", "plain"] = "kustomize" if kustomization_file(root / folder) is not None else "plain"
        env = Environment(name=Path(folder).name or "root", kind=kind, path=folder, source=why)
        out.append(_Candidate(RenderSpec(env), env.name, folder))
    return out


def _name(candidates: Sequence[_Candidate], kube_version: str) -> list[RenderSpec]:
    counts: dict[str, int] = defaultdict(int)
    for c in candidates:
        counts[c.preferred] += 1
    specs: list[RenderSpec] = []
    taken: set[str] = set()
    for c in candidates:
        name = c.preferred if counts[c.preferred] == 1 else c.unique
        base, n = name, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        env = replace(c.spec.env, name=name, kube_version=c.spec.env.kube_version or kube_version)
        specs.append(replace(c.spec, env=env))
    return sorted(specs, key=lambda s: s.name)


def resolve(root: Path, config: Mapping[str, Any] | None = None, *, remotes: Sequence[str] = (),
            kube_version: str = "") -> list[RenderSpec]:
    """Declared environments when the config has any, else discovered ones."""
    found = declared(config or {}, kube_version)
    if found is not None:
        return found
    return discover(root, remotes, kube_version)


def environments(root: Path, config: Mapping[str, Any] | None = None, *, remotes: Sequence[str] = (),
                 kube_version: str = "") -> list[Environment]:
    return [s.env for s in resolve(root, config, remotes=remotes, kube_version=kube_version)]


__all__ = ["EnvironmentConfigError", "declared", "discover", "environments", "resolve"]
