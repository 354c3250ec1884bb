"""Build a kustomization with `kustomize build`, or `kubectl kustomize` when
only kubectl is installed.

The target is never built directly: a throw-away wrapper kustomization in a
temporary folder lists it as its only resource and adds
`buildMetadata: [originAnnotations]`, so every output object says which file
it came from without the repository being written to. The same wrapper
carries the fields a GitOps controller adds on top of the folder (a Flux
Kustomization's `patches` and `targetNamespace`, an Argo CD Application's
`namePrefix`, …).

Before anything runs, the kustomization graph is read statically, every
list kustomize loads from (resources, components, generators, transformers,
validators, crds, configurations, patches, replacements, generator files,
openapi, and the file references inside generator and transformer configs):
anything that is not an existing local path would make kustomize fetch it
(kustomize tries a non-path as a git URL, which is how `user@host:repo`
reaches ssh), so it is refused unless remote resources were allowed; a path
that resolves outside the repository or into `.git` is refused always.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from prcheck.render.containment import inside, shown, tree_problems
from prcheck.sources.yaml_loader import load_text

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|git::|ssh:|github\.com/|gitlab\.com/|bitbucket\.org/)", re.I)
_PATH_LISTS = ("resources", "bases", "components")
# lists whose entries may be a folder: kustomize builds it as a kustomization
_PLUGIN_LISTS = ("generators", "transformers", "validators")
_FILE_LISTS = ("crds", "configurations", "patchesStrategicMerge")
# keys of builtin generator/transformer configs that name files to load
_PLUGIN_FILE_KEYS = frozenset({"files", "envs", "env", "path", "paths", "valuesFile", "additionalValuesFiles",
                               "chartHome"})


class RenderError(Exception):
    """A render that produced no output; `rule` is the finding's rule id."""

    def __init__(self, rule: str, message: str, path: str = "") -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.path = path  # the repository file at fault, when one is known


@dataclass(frozen=True)
class Overlay:
    """Kustomization fields applied on top of a folder through the wrapper.

    `fields` is kustomization syntax as is (`namespace`, `namePrefix`,
    `patches`, `images`, `labels`, `commonAnnotations`, …); `components` are
    repository-relative folders; `substitute` holds Flux post-build variables.
    """

    fields: Mapping[str, Any] = field(default_factory=dict)
    components: tuple[str, ...] = ()
    substitute: Mapping[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.fields or self.components or self.substitute)


@dataclass(frozen=True)
class Output:
    """Rendered YAML; origin paths in it are relative to `origin_base`.
    `path_map` maps temporary copies back to the folders they were copied from."""

    text: str
    origin_base: str
    path_map: tuple[tuple[str, str], ...] = ()
    resource_files: tuple[str, ...] = ()  # set when built without origin annotations


@dataclass
class Scan:
    """What a kustomization reads: the folders it builds (all files any of
    them may load lie beneath them), and references that cannot be used."""

    dirs: list[Path] = field(default_factory=list)
    resource_files: list[str] = field(default_factory=list)  # files listed under `resources`, absolute
    remote: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


def kustomization_file(folder: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def command() -> list[str] | None:
    """The build command available here, standalone kustomize first."""
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                yield item
            elif isinstance(item, dict) and isinstance(item.get("path"), str):
                yield item["path"]


def _generator_files(kustomization: Mapping[str, Any]) -> Iterable[str]:
    for key in ("configMapGenerator", "secretGenerator"):
        for gen in kustomization.get(key) or []:
            if not isinstance(gen, dict):
                continue
            for entry in list(gen.get("files") or []) + list(gen.get("envs") or []) + [gen.get("env")]:
                if isinstance(entry, str):
                    yield entry.split("=", 1)[-1]


def _parse(path: Path) -> list[Any]:
    """Objects of a kustomization or plugin config, through the guarded loader
    (a 900-deep or alias-bomb kustomization is kustomize's error to report)."""
    try:
        loaded = load_text(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError):
        return []
    return [d.obj for d in loaded.docs if isinstance(d.obj, dict)]


def scan(start: Path, repo_root: Path) -> Scan:
    """Walk the kustomization graph from `start` without running anything."""
    result = Scan()
    seen: set[str] = set()
    if not inside(start, repo_root):
        result.outside.append(f"{shown(start, repo_root)} (outside the repository or in .git)")
        return result
    stack = [Path(os.path.realpath(start))]
    while stack:
        folder = stack.pop()
        if str(folder) in seen:
            continue
        seen.add(str(folder))
        result.dirs.append(folder)
        kfile = kustomization_file(folder)
        if kfile is None:
            continue
        where = _rel(kfile, repo_root)
        if not inside(kfile, repo_root):
            result.outside.append(f"{where} (a symlink out of the repository)")
            continue
        docs = _parse(kfile)
        if not docs:
            continue  # kustomize reports the syntax error itself
        data = docs[0]
        if data.get("helmCharts") or data.get("helmChartInflationGenerator"):
            result.remote.append(f"{where}: helmCharts (inflating charts can download them)")
        for key in _PATH_LISTS:
            for entry in _strings(data.get(key)):
                _follow(entry, folder, where, repo_root, result, stack)
        for key in _PLUGIN_LISTS:
            for entry in _strings(data.get(key)):
                if "\n" in entry:  # an inline config
                    _plugin_config(_inline(entry), folder, where, repo_root, result)
                elif os.path.isdir(os.path.join(folder, entry.strip())):
                    _follow(entry, folder, where, repo_root, result, stack)
                elif _local_file(entry, folder, where, repo_root, result):
                    _plugin_config(_parse(folder / entry.strip()), folder, where, repo_root, result)
        for entry in (e for key in _FILE_LISTS for e in _strings(data.get(key)) if "\n" not in e):
            _local_file(entry, folder, where, repo_root, result)
        # files kustomize only ever reads from disk (or over http(s), which `_URL` knows):
        # a missing one is kustomize's own error to report
        files = [e for key in ("patches", "patchesJson6902", "replacements") for e in _strings(data.get(key))]
        files += list(_generator_files(data))
        openapi = data.get("openapi")
        if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
            files.append(openapi["path"])
        for entry in files:
            _local_file(entry, folder, where, repo_root, result, missing_is_remote=False)
    return result


def _inline(text: str) -> list[Any]:
    return [d.obj for d in load_text(text, "<inline>").docs if isinstance(d.obj, dict)]


def _plugin_config(docs: list[Any], folder: Path, where: str, repo_root: Path, result: Scan) -> None:
    """Files a builtin generator/transformer config loads (relative to the kustomization)."""
    for doc in docs:
        if doc.get("kind") in ("HelmChartInflationGenerator", "HelmChartInflation") or doc.get("helmCharts"):
            result.remote.append(f"{where}: {doc.get('kind') or 'helmCharts'} (inflating charts can download them)")
        for entry in _file_values(doc):
            _local_file(entry, folder, where, repo_root, result, missing_is_remote=False)


def _file_values(node: Any, depth: int = 0) -> Iterable[str]:
    if depth > 20:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _PLUGIN_FILE_KEYS:
                for text in ([value] if isinstance(value, str) else value if isinstance(value, list) else []):
                    if isinstance(text, str) and "\n" not in text:
                        yield text.split("=", 1)[-1] if key in ("files", "envs") else text
            elif isinstance(value, (dict, list)):
                yield from _file_values(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _file_values(item, depth + 1)


def _local_file(entry: str, folder: Path, where: str, repo_root: Path, result: Scan,
                missing_is_remote: bool = True) -> bool:
    """True for an existing local path inside the repository; otherwise the reference
    is recorded as remote (kustomize would fetch it) or outside."""
    entry = entry.strip()
    if not entry:
        return False
    if _URL.match(entry):
        result.remote.append(f"{where}: {entry}")
        return False
    target = os.path.normpath(os.path.join(folder, entry))
    if not os.path.lexists(target):
        if missing_is_remote:
            result.remote.append(f"{where}: {entry} (not a local file or folder)")
        return False
    if not inside(target, repo_root):
        result.outside.append(f"{where}: {entry}")
        return False
    return True


def _follow(entry: str, folder: Path, where: str, repo_root: Path, result: Scan, stack: list[Path]) -> None:
    entry = entry.strip()
    if _URL.match(entry):
        result.remote.append(f"{where}: {entry}")
        return
    target = os.path.normpath(os.path.join(folder, entry))
    if os.path.lexists(target) and not inside(target, repo_root):
        result.outside.append(f"{where}: {entry}")
        return
    if os.path.isfile(target):
        # kustomize's load restrictor keeps files inside the kustomization's own folder
        result.resource_files.append(target)
        return
    if not os.path.isdir(target):
        # kustomize tries anything that is not a local path as a git URL
        result.remote.append(f"{where}: {entry} (not a local file or folder)")
        return
    stack.append(Path(os.path.realpath(target)))


def _rel(path: Path, root: Path) -> str:
    """The repository path of `path` as written (links not followed, so a message names the link)."""
    real_root = os.path.realpath(root)
    for base in (os.path.normpath(root), real_root):
        try:
            return Path(os.path.normpath(path)).relative_to(base).as_posix()
        except ValueError:
            continue
    try:
        return Path(os.path.realpath(path)).relative_to(real_root).as_posix()
    except ValueError:
        return str(path)


def refuse_tree(folder: Path, repo_root: Path) -> None:
    """A folder read file by file (plain folders, Flux folders without a
    kustomization, charts) renders only if nothing under it leads out."""
    problems = tree_problems(folder, repo_root)
    if problems:
        raise RenderError("render/path-outside-repo", "; ".join(problems), path=problems[0].split(" ", 1)[0].rstrip(":"))


def check_scan(found: Scan, allow_remote: bool) -> None:
    if found.outside:
        raise RenderError("render/path-outside-repo",
                          "kustomization refers to a path outside the repository (or into .git): "
                          + "; ".join(found.outside[:3]))
    if found.remote and not allow_remote:
        raise RenderError("render/remote-refused",
                          "remote kustomize resource refused (use --allow-remote to fetch it): " + "; ".join(found.remote[:3]))


def build(target: Path, repo_root: Path, *, overlay: Overlay = Overlay(), timeout: float = 60.0,
          allow_remote: bool = False, origins: bool = True) -> Output:
    """Render `target` (a folder, with or without a kustomization file). Without
    `origins` the build is about a third cheaper, and `Output.sources` instead
    locates each object's file by kind and name among the listed resource files."""
    cmd = command()
    if cmd is None:
        raise RenderError("render/tool-missing", "neither `kustomize` nor `kubectl` is on PATH; cannot build kustomizations")
    if not inside(target, repo_root):
        raise RenderError("render/path-outside-repo", f"{shown(target, repo_root)} is outside the repository (or in .git)")
    if not target.is_dir():
        raise RenderError("render/failed", f"{_rel(target, repo_root)}: no such folder")
    found = scan(target, repo_root)
    check_scan(found, allow_remote)
    for component in overlay.components:
        check_scan(scan(repo_root / component, repo_root), allow_remote)
    with tempfile.TemporaryDirectory(prefix="prcheck-kustomize-") as tmp:
        wrapper = Path(tmp).resolve()
        path_map: tuple[tuple[str, str], ...] = ()
        source = Path(os.path.realpath(target))
        if kustomization_file(source) is None:
            refuse_tree(source, repo_root)
            copied = wrapper / "src"
            _generate(source, copied, repo_root)
            path_map = ((str(copied), str(source)),)
            source = copied
        _write_wrapper(wrapper, source, repo_root, overlay, origins)
        text = _run([*cmd, "--load-restrictor=LoadRestrictionsRootOnly", str(wrapper)], wrapper, timeout, repo_root)
    if overlay.substitute:
        text = substitute(text, overlay.substitute)
    resource_files = tuple(found.resource_files) if path_map == () else tuple(
        str(p) for p in sorted(Path(os.path.realpath(target)).rglob("*")) if p.suffix in (".yaml", ".yml"))
    return Output(text=text, origin_base=str(wrapper), path_map=path_map,
                  resource_files=() if origins else resource_files)


def _write_wrapper(wrapper: Path, source: Path, repo_root: Path, overlay: Overlay, origins: bool) -> None:
    content: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [os.path.relpath(source, wrapper)],
    }
    if origins:
        content["buildMetadata"] = ["originAnnotations"]
    content.update({k: v for k, v in overlay.fields.items() if k not in ("resources", "buildMetadata")})
    if overlay.components:
        content["components"] = [os.path.relpath(os.path.realpath(repo_root / c), wrapper) for c in overlay.components]
    (wrapper / "kustomization.yaml").write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")


def _generate(source: Path, copy_to: Path, repo_root: Path) -> None:
    """What Flux does for a folder without a kustomization file: one listing
    every YAML file that holds Kubernetes objects, found recursively."""
    resources: list[str] = []
    for path in sorted(source.rglob("*")):
        if path.suffix not in (".yaml", ".yml") or not path.is_file() or not inside(path, repo_root):
            continue
        docs = _parse(path)
        if not any("apiVersion" in d and "kind" in d for d in docs):
            continue
        if any(str(d.get("apiVersion", "")).startswith("kustomize.config.k8s.io/") for d in docs):
            continue
        rel = path.relative_to(source)
        (copy_to / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy_to / rel)
        resources.append(rel.as_posix())
    copy_to.mkdir(parents=True, exist_ok=True)
    (copy_to / "kustomization.yaml").write_text(
        yaml.safe_dump({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                        "resources": resources}), encoding="utf-8")


def _run(cmd: list[str], cwd: Path, timeout: float, repo_root: Path) -> str:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=timeout, check=False,
                              env=dict(os.environ, KUSTOMIZE_PLUGIN_HOME=os.devnull))
    except subprocess.TimeoutExpired:
        raise RenderError("render/timeout", f"`{' '.join(cmd[:2])}` did not finish within {timeout:g} s") from None
    except OSError as exc:
        raise RenderError("render/tool-missing", f"cannot run `{cmd[0]}`: {exc.strerror}") from None
    if proc.returncode != 0:
        raise RenderError("render/failed", clean_error(proc.stderr.decode("utf-8", "replace"), cwd, repo_root))
    return proc.stdout.decode("utf-8", "replace")


_KLOG = re.compile(r'"command failed" err=(?:"(?P<quoted>.*)"|<\n(?P<block>.*)\n\s*>)\s*$', re.S)
# Generator errors quote their inputs: every literal of the generator (`literal sources
# [password=... token=...]`), the malformed literal, an env file line. All values: never shown.
_QUOTED_VALUES = (
    (re.compile(r"literal sources \[.*\]", re.S), "literal sources [values not shown]"),
    (re.compile(r"invalid literal source .*(?=, expected key=value)", re.S), "invalid literal source (value not shown)"),
    (re.compile(r"line [^\n]* has invalid utf8 bytes[^\n]*?(?=\"?$)", re.M), "env file line has invalid UTF-8 bytes (line not shown)"),
)


def clean_error(stderr: str, wrapper: Path, repo_root: Path) -> str:
    """kustomize's error, on one line, without klog framing or temporary paths."""
    text = stderr.strip()
    for pattern, replacement in _QUOTED_VALUES:  # before picking a line: a literal may span several
        text = pattern.sub(replacement, text)
    match = _KLOG.search(text)
    if match and match.group("quoted") is not None:
        message = match.group("quoted").replace('\\"', '"')
    elif match:
        message = " ".join(line.strip() for line in match.group("block").splitlines() if line.strip())
    else:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        message = lines[-1] if lines else "kustomize failed without a message"
    message = message.replace(f"{repo_root.resolve()}/", "").replace(str(wrapper), "<wrapper>")
    return message.removeprefix("Error: ")[:2000]


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[=-])([^}]*))?\}")


def substitute(text: str, variables: Mapping[str, str]) -> str:
    """Flux `postBuild.substitute`: `${var}`, `${var:=default}`, `${var:-default}`.
    Variables that are not known here (they may come from the cluster through
    `substituteFrom`) are left as written."""

    def one(match: re.Match[str]) -> str:
        name, op, default = match.group(1), match.group(2), match.group(3)
        if name in variables:
            return str(variables[name])
        return default if op else match.group(0)

    return _VAR.sub(one, text)
