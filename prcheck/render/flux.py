"""Follow Flux `Kustomization` objects to the repository folders they apply.

A Flux cluster folder (`clusters/staging`) holds a few Kustomization objects;
what the cluster runs is what each of them builds, with the Kustomization's
own `patches`, `targetNamespace`, `namePrefix`… applied on top. This module
turns such objects into (folder, overlay) targets; `runner` builds them.

Sources that resolve to this repository:
- `GitRepository`: `spec.path` is relative to the repository root, unless a
  GitRepository of that name is defined with a URL that is none of this
  repository's remotes, or at another ref: a pinned tag, semver range or
  commit, or a branch other than the one the `flux-system` GitRepository
  (the bootstrap source) follows.
- `ExternalArtifact` made by an `ArtifactGenerator` whose copy rules take
  from a GitRepository: the artifact path is mapped back through the rules
  (`@repo/apps/staging/**` → `@artifact/staging/` makes artifact `./staging`
  the repository folder `apps/staging`). The folder is then built in place,
  which matches the artifact whenever the copy keeps relative layout.
`OCIRepository`, `Bucket` and unknown sources are not followed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from prcheck.render.containment import inside
from prcheck.render.kustomize import Overlay
from prcheck.render.remotes import same_repository

KUSTOMIZATION_GROUP = "kustomize.toolkit.fluxcd.io"
SOURCE_GROUP = "source.toolkit.fluxcd.io"
GENERATOR_GROUP = "source.extensions.fluxcd.io"
MARKER = KUSTOMIZATION_GROUP  # cheap text test before parsing a file


@dataclass(frozen=True)
class Target:
    name: str  # the Flux Kustomization's name
    path: str  # repository-relative folder
    overlay: Overlay


def _group(obj: Mapping[str, Any]) -> str:
    api = str(obj.get("apiVersion") or "")
    return api.rsplit("/", 1)[0] if "/" in api else ""


def is_kustomization(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("kind") == "Kustomization" and _group(obj) == KUSTOMIZATION_GROUP


def _named(objs: Sequence[Mapping[str, Any]], group: str, kind: str, name: str) -> Mapping[str, Any] | None:
    for obj in objs:
        if obj.get("kind") == kind and _group(obj) == group and (obj.get("metadata") or {}).get("name") == name:
            return obj
    return None


def _clean(path: str) -> str:
    return os.path.normpath(path.strip().lstrip("/")).replace(os.sep, "/") if path.strip("./ ") else "."


def _artifact_path(artifact_path: str, rules: Iterable[Mapping[str, Any]], git_aliases: set[str],
                   repo_root: Path) -> str | None:
    """Map a path inside an ArtifactGenerator artifact back to the repository."""
    wanted = _clean(artifact_path)
    best: tuple[int, str] | None = None
    for rule in rules:
        src, dst = str(rule.get("from") or ""), str(rule.get("to") or "")
        alias, _, src_path = src.lstrip("@").partition("/")
        if alias not in git_aliases or not dst.startswith("@artifact"):
            continue
        src_dir = src_path
        for glob in ("/**", "/*", "**", "*"):
            if src_dir.endswith(glob):
                src_dir = src_dir[: -len(glob)]
                break
        dst_dir = _clean(dst[len("@artifact"):])
        if dst_dir == ".":
            rest = wanted
        elif wanted == dst_dir or wanted.startswith(dst_dir + "/"):
            rest = wanted[len(dst_dir):].lstrip("/") or "."
        else:
            continue
        candidate = _clean(f"{src_dir}/{rest}") if src_dir else rest
        if (repo_root / candidate).is_dir() and (best is None or len(dst_dir) > best[0]):
            best = (len(dst_dir), candidate)
    return best[1] if best else None


def _resolve_base(obj: Mapping[str, Any], objs: Sequence[Mapping[str, Any]], repo_root: Path,
                  remotes: Sequence[str]) -> tuple[str | None, str]:
    """(repository folder, "") or (None, why not)."""
    spec = obj.get("spec") or {}
    ref = spec.get("sourceRef") or {}
    kind, name = ref.get("kind", "GitRepository"), ref.get("name", "")
    path = str(spec.get("path") or ".")
    if kind == "GitRepository":
        source = _named(objs, SOURCE_GROUP, "GitRepository", name)
        url = str(((source or {}).get("spec") or {}).get("url") or "")
        if url and remotes and not same_repository(url, remotes):
            return None, f"GitRepository {name} points at another repository"
        other = _other_ref(source, objs) if source is not None else ""
        if other:
            return None, other
        return _clean(path), ""
    if kind == "ExternalArtifact":
        for generator in objs:
            if generator.get("kind") != "ArtifactGenerator" or _group(generator) != GENERATOR_GROUP:
                continue
            gspec = generator.get("spec") or {}
            aliases = {s.get("alias", "") for s in gspec.get("sources") or [] if isinstance(s, dict)
                       and s.get("kind") == "GitRepository"}
            for artifact in gspec.get("artifacts") or []:
                if isinstance(artifact, dict) and artifact.get("name") == name:
                    mapped = _artifact_path(path, artifact.get("copy") or [], aliases, repo_root)
                    if mapped:
                        return mapped, ""
        return None, f"ExternalArtifact {name} does not map to a folder of this repository"
    return None, f"{kind} {name} is not this repository"


BOOTSTRAP_SOURCE = "flux-system"  # the GitRepository `flux bootstrap` creates: the branch the cluster follows


def _ref(source: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = (source.get("spec") or {}).get("ref")
    return ref if isinstance(ref, dict) else {}


def _other_ref(source: Mapping[str, Any], objs: Sequence[Mapping[str, Any]]) -> str:
    """Why `source` is not this checkout ("" when it is): a pinned tag, semver range or
    commit is a release of the repository, not the tree under review, and a branch other
    than the one the bootstrap GitRepository follows is another line of work."""
    ref = _ref(source)
    name = (source.get("metadata") or {}).get("name", "")
    for pin in ("commit", "tag", "semver", "name"):
        if ref.get(pin):
            return f"GitRepository {name} follows {pin} {ref[pin]}, not the checked-out tree"
    bootstrap = _named(objs, SOURCE_GROUP, "GitRepository", BOOTSTRAP_SOURCE)
    branch, ours = ref.get("branch"), _ref(bootstrap).get("branch") if bootstrap is not None else None
    if branch and ours and branch != ours and bootstrap is not source:
        return f"GitRepository {name} follows branch {branch}, not {ours} (the branch {BOOTSTRAP_SOURCE} follows)"
    return ""


def overlay_of(obj: Mapping[str, Any], folder: str) -> Overlay:
    """The kustomization fields a Flux Kustomization adds when it builds `folder`."""
    spec = obj.get("spec") or {}
    fields: dict[str, Any] = {}
    if spec.get("targetNamespace"):
        fields["namespace"] = spec["targetNamespace"]
    for key in ("namePrefix", "nameSuffix", "images"):
        if spec.get(key):
            fields[key] = spec[key]
    patches = [p for p in spec.get("patches") or [] if isinstance(p, dict) and p.get("patch")]
    if patches:
        fields["patches"] = patches
    meta = spec.get("commonMetadata") or {}
    if meta.get("labels"):
        fields["labels"] = [{"pairs": meta["labels"], "includeSelectors": False}]
    if meta.get("annotations"):
        fields["commonAnnotations"] = meta["annotations"]
    components = tuple(_clean(f"{folder}/{c}") for c in spec.get("components") or [] if isinstance(c, str))
    substitute = (spec.get("postBuild") or {}).get("substitute") or {}
    return Overlay(fields=fields, components=components,
                   substitute={str(k): str(v) for k, v in substitute.items()})


def targets(objs: Sequence[Any], repo_root: Path, remotes: Sequence[str]) -> tuple[list[Target], list[str]]:
    """Every Flux Kustomization in `objs` that builds a folder of this repository,
    and one line per Kustomization that does not (for the environment's notes)."""
    dicts = [o for o in objs if isinstance(o, dict)]
    found: list[Target] = []
    skipped: list[str] = []
    for obj in dicts:
        if not is_kustomization(obj):
            continue
        name = str((obj.get("metadata") or {}).get("name") or "")
        folder, why = _resolve_base(obj, dicts, repo_root, remotes)
        if folder is None:
            skipped.append(f"{name}: {why}")
            continue
        if not inside(repo_root / folder, repo_root):
            skipped.append(f"{name}: path {folder} leaves the repository (or enters .git); not read")
            continue
        if not (repo_root / folder).is_dir():
            skipped.append(f"{name}: path {folder} does not exist")
            continue
        found.append(Target(name=name, path=folder, overlay=overlay_of(obj, folder)))
    return found, skipped
