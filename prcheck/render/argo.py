"""Argo CD `Application`s and list-generator `ApplicationSet`s as environments.

Each application source with a `path` in this repository is one environment:
a Helm chart when the folder has a `Chart.yaml` (with `helm.valueFiles`,
`releaseName`, inline `values`/`valuesObject`), a kustomization otherwise
(with the `kustomize` options Argo CD applies through its own overlay), or a
plain folder. Sources that name a chart repository are not in this
repository and are skipped.

An ApplicationSet's list generator is expanded element by element into its
template, with fasttemplate (`{{key}}`) or Go template (`{{.key}}`)
placeholders filled in; placeholders that use template functions stay as
written, and an application whose path still holds one is skipped.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Literal, Mapping, Sequence

from prcheck.model import Environment
from prcheck.render.kustomize import Overlay, kustomization_file
from prcheck.render.remotes import same_repository
from prcheck.render.spec import RenderSpec
from prcheck.sources.yaml_loader import load_text

MARKER = "argoproj.io"
_FAST = re.compile(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}")
_GO = re.compile(r"\{\{\s*\.([A-Za-z0-9_.\-]+)\s*\}\}")
_KUSTOMIZE_FIELDS = ("namePrefix", "nameSuffix", "namespace", "commonLabels", "commonAnnotations",
                     "patches", "replicas")


@dataclass(frozen=True)
class Found:
    spec: RenderSpec
    preferred: str  # the short name, used when no other environment claims it
    unique: str  # the fallback name


def is_argo(obj: Any, kind: str) -> bool:
    return (isinstance(obj, dict) and obj.get("kind") == kind
            and str(obj.get("apiVersion") or "").startswith("argoproj.io/"))


def _lookup(params: Mapping[str, Any], dotted: str) -> Any:
    node: Any = params
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def fill(template: Any, params: Mapping[str, Any], go_template: bool) -> Any:
    """Substitute list-generator parameters into every string of `template`."""
    pattern = _GO if go_template else _FAST
    if isinstance(template, str):
        def one(match: re.Match[str]) -> str:
            value = _lookup(params, match.group(1))
            return match.group(0) if value is None or isinstance(value, (dict, list)) else str(value)
        return pattern.sub(one, template)
    if isinstance(template, list):
        return [fill(v, params, go_template) for v in template]
    if isinstance(template, dict):
        return {k: fill(v, params, go_template) for k, v in template.items()}
    return template


def expand_set(appset: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The Applications a list-generator ApplicationSet produces."""
    spec = appset.get("spec") or {}
    template = spec.get("template") or {}
    go = bool(spec.get("goTemplate"))
    for generator in spec.get("generators") or []:
        elements = ((generator or {}).get("list") or {}).get("elements") or []
        for element in elements:
            if isinstance(element, dict):
                app = fill(copy.deepcopy(template), element, go)
                yield {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", **app}


def _image(entry: str) -> dict[str, str]:
    """Argo CD's `name=newName:tag` / `name:tag` / `name@digest` image overrides in kustomize form."""
    name, _, new = entry.partition("=")
    image: dict[str, str] = {"name": name.split("@")[0].rsplit(":", 1)[0] if not new else name}
    ref = new or entry
    if "@" in ref:
        ref, digest = ref.split("@", 1)
        image["digest"] = digest
    base, sep, tag = ref.rpartition(":")
    if sep and "/" not in tag:
        ref = base
        image["newTag"] = tag
    if new:
        image["newName"] = ref
    return image


def _kustomize_overlay(options: Mapping[str, Any], folder: str) -> Overlay:
    # an option whose placeholder had no parameter is left out rather than passed on verbatim
    fields = {k: options[k] for k in _KUSTOMIZE_FIELDS if options.get(k) and "{{" not in str(options[k])}
    images = [_image(i) for i in options.get("images") or [] if isinstance(i, str)]
    if images:
        fields["images"] = images
    components = tuple(os.path.normpath(f"{folder}/{c}") for c in options.get("components") or []
                       if isinstance(c, str))
    return Overlay(fields=fields, components=components)


def _helm_values(helm: Mapping[str, Any]) -> dict[str, Any]:
    inline = helm.get("valuesObject")
    if isinstance(inline, dict):
        return inline
    text = helm.get("values")
    if isinstance(text, str):  # the guarded loader: an alias bomb here expands in every consumer
        docs = load_text(text, "helm.values").docs
        parsed = docs[0].obj if docs else None
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _value_file(entry: str, folder: str, refs: Mapping[str, str]) -> str | None:
    """`values-prod.yaml` is relative to the chart; `$values/x.yaml` to the ref source's repository."""
    if entry.startswith("$"):
        ref, _, rest = entry[1:].partition("/")
        return os.path.normpath(rest) if ref in refs else None
    if "://" in entry:
        return None
    return os.path.normpath(f"{folder}/{entry}")


def applications(obj: Mapping[str, Any], file: str, repo_root: Path, remotes: Sequence[str]) -> list[Found]:
    """Environments of one Application (or of every Application an ApplicationSet makes)."""
    if is_argo(obj, "ApplicationSet"):
        return [f for app in expand_set(obj) for f in applications(app, file, repo_root, remotes)]
    if not is_argo(obj, "Application"):
        return []
    spec = obj.get("spec") or {}
    app_name = str((obj.get("metadata") or {}).get("name") or "")
    sources = [spec["source"]] if isinstance(spec.get("source"), dict) else [
        s for s in spec.get("sources") or [] if isinstance(s, dict)]
    ours = [s for s in sources if _in_repo(str(s.get("repoURL") or ""), remotes, repo_root, s.get("path"))]
    refs = {str(s["ref"]): "" for s in ours if s.get("ref")}
    namespace = str((spec.get("destination") or {}).get("namespace") or "")
    found: list[Found] = []
    with_path = [s for s in ours if isinstance(s.get("path"), str) and not s.get("chart")]
    for index, source in enumerate(with_path):
        folder = os.path.normpath(str(source["path"]).lstrip("/"))
        if "{{" in folder or not (repo_root / folder).is_dir():
            continue
        name = app_name if len(with_path) == 1 else f"{app_name}-{index + 1}"
        why = f"Argo CD {obj.get('kind')} {app_name} in {file} (source.path {folder})"
        found.append(_one(name, folder, source, namespace, refs, why, repo_root, file))
    return found


def _in_repo(url: str, remotes: Sequence[str], repo_root: Path, path: Any) -> bool:
    if remotes:
        return same_repository(url, remotes)
    return isinstance(path, str) and (repo_root / path.lstrip("/")).is_dir()


def _one(name: str, folder: str, source: Mapping[str, Any], namespace: str, refs: Mapping[str, str],
         why: str, repo_root: Path, file: str) -> Found:
    unique = f"{file}#{name}"
    helm = source.get("helm") if isinstance(source.get("helm"), dict) else None
    if helm is not None or (repo_root / folder / "Chart.yaml").is_file():
        helm = helm or {}
        values = tuple(v for v in (_value_file(e, folder, refs) for e in helm.get("valueFiles") or []
                                   if isinstance(e, str)) if v)
        env = Environment(name=name, kind="helm", path=folder, values=values, namespace=namespace,
                          release=str(helm.get("releaseName") or name), source=why)
        return Found(RenderSpec(env, helm_values=_helm_values(helm)), name, unique)
    options = source["kustomize"] if isinstance(source.get("kustomize"), dict) else {}
    kind: Literal["kustomize", "plain"] = "kustomize" if kustomization_file(repo_root / folder) is not None else "plain"
    # destination.namespace only fills in objects without one when Argo CD applies them;
    # it is not kustomize's `namespace:` override, so it is not passed on here
    env = Environment(name=name, kind=kind, path=folder, source=why)
    return Found(RenderSpec(env, overlay=_kustomize_overlay(options, folder)), name, unique)
