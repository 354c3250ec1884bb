"""Render a Helm chart: `helm template` when a helm binary is installed, else
the Helm Go SDK embedded in the `helm-python-sdk` wheel (`prcheck[helm]`).

Both paths give the same thing: one chunk of YAML per template, tagged with
the template's path in the repository, so findings on rendered objects can
point at the template that produced them. NOTES.txt and templates that
render to nothing are dropped, as `helm template` does.

Values files are merged in order like repeated `-f` flags: maps merge key by
key, anything else (lists included) is replaced by the later file.

The SDK's public `Chart.render` has no `kube_version` option although the
native call behind it accepts one (with `api_versions`), so rendering goes
through that native call; this is the one place that touches the SDK's
private `_native` module, pinned by the `helm-python-sdk` version range.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from prcheck.model import Environment
from prcheck.render import chart_deps
from prcheck.render.containment import inside
from prcheck.render.kustomize import RenderError, refuse_tree

_SOURCE = re.compile(r"^# Source: (.+)$", re.M)
_REMOTE_CHART = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)", re.I)


@dataclass(frozen=True)
class Chunk:
    """Rendered YAML of one template; `source` is its repository path ("" when unknown)."""

    text: str
    source: str


def is_remote(chart: str) -> bool:
    return bool(_REMOTE_CHART.match(chart))


def engine() -> str:
    """`binary`, `sdk`, or "" when neither is available."""
    if shutil.which("helm"):
        return "binary"
    try:
        import helm_python  # noqa: F401
    except ImportError:
        return ""
    except OSError:  # the wheel is there but its native library cannot load
        return ""
    return "sdk"


def merge_values(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's `-f a -f b` merge (pkg/cli/values mergeMaps)."""
    out = dict(base)
    for key, value in override.items():
        current = out.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            out[key] = merge_values(current, value)
        else:
            out[key] = value
    return out


def _local_inputs(env: Environment, repo_root: Path) -> tuple[Path, list[Path]]:
    chart = repo_root / env.path
    if not inside(chart, repo_root):
        raise RenderError("render/path-outside-repo", f"chart {env.path} is outside the repository (or in .git)")
    if not (chart / "Chart.yaml").is_file():
        raise RenderError("render/failed", f"{env.path}: no Chart.yaml (not a Helm chart)")
    refuse_tree(chart, repo_root)  # Helm reads every file of the chart (`.Files`), following links
    values = []
    for entry in env.values:
        if is_remote(entry):
            raise RenderError("render/remote-refused", f"values file {entry} is remote; only repository files are read")
        path = repo_root / entry
        if not inside(path, repo_root):
            raise RenderError("render/path-outside-repo", f"values file {entry} is outside the repository (or in .git)")
        if not path.is_file():
            raise RenderError("render/failed", f"values file {entry} does not exist")
        values.append(path)
    return chart, values


def render(env: Environment, repo_root: Path, *, timeout: float = 60.0, allow_remote: bool = False,
           inline_values: Mapping[str, Any] | None = None) -> list[Chunk]:
    """Render `env` (kind `helm`); `inline_values` apply after the files (Argo CD `valuesObject`)."""
    if is_remote(env.path) and not allow_remote:
        raise RenderError("render/remote-refused", f"chart {env.path} is remote (use --allow-remote to fetch it)")
    which = engine()
    if not which:
        raise RenderError("render/tool-missing",
                          "no `helm` on PATH and the embedded Helm SDK is not installed (pip install 'prcheck[helm]')")
    if which == "binary":
        return _render_binary(env, repo_root, timeout, inline_values)
    return _render_sdk_with_timeout(env, repo_root, timeout, allow_remote, inline_values)


def release_name(env: Environment) -> str:
    return env.release or Path(env.path.rstrip("/")).name or env.name


# --- helm binary -------------------------------------------------------------

def _render_binary(env: Environment, repo_root: Path, timeout: float,
                   inline_values: Mapping[str, Any] | None) -> list[Chunk]:
    remote = is_remote(env.path)
    chart, values = (env.path, []) if remote else _local_inputs(env, repo_root)
    with tempfile.TemporaryDirectory(prefix="prcheck-helm-") as tmp:
        if not remote:
            chart = chart_deps.ready(Path(chart), env.path, repo_root, Path(tmp) / "deps")
        cmd = ["helm", "template", release_name(env), str(chart), "--include-crds",
               "--namespace", env.namespace or "default"]
        for path in values:
            cmd += ["--values", str(path)]
        if inline_values:
            extra = Path(tmp) / "inline-values.json"
            extra.write_text(json.dumps(inline_values), encoding="utf-8")
            cmd += ["--values", str(extra)]
        if env.kube_version:
            cmd += ["--kube-version", env.kube_version]
        home = {f"HELM_{d}_HOME": str(Path(tmp) / d.lower()) for d in ("CACHE", "CONFIG", "DATA")}
        try:
            proc = subprocess.run(cmd, cwd=repo_root, capture_output=True, timeout=timeout, check=False,
                                  env=dict(os.environ, **({} if remote else home)))
        except subprocess.TimeoutExpired:
            raise RenderError("render/timeout", f"`helm template` did not finish within {timeout:g} s") from None
        except OSError as exc:
            raise RenderError("render/tool-missing", f"cannot run helm: {exc.strerror}") from None
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        message = (lines[-1] if lines else "helm template failed").removeprefix("Error: ")
        raise RenderError("render/failed", message.replace(f"{repo_root.resolve()}/", "")[:2000])
    chart_dir = "" if remote else Path(env.path).as_posix()
    return split_sources(proc.stdout.decode("utf-8", "replace"), chart_dir, repo_root)


def split_sources(stream: str, chart_dir: str, repo_root: Path) -> list[Chunk]:
    """Cut `helm template` output at its `# Source:` comments."""
    chunks: list[Chunk] = []
    marks = list(_SOURCE.finditer(stream))
    if not marks:
        return [Chunk(stream, "")] if stream.strip() else []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(stream)
        text = stream[mark.end():end]
        if text.strip().strip("-").strip():
            chunks.append(Chunk(text, source_path(mark.group(1).strip(), chart_dir, repo_root)))
    return chunks


def source_path(template: str, chart_dir: str, repo_root: Path) -> str:
    """`mychart/templates/x.yaml` (chart *name* first) → the repository path;
    "" when the file is not in the repository (a packaged subchart)."""
    if not chart_dir:
        return ""
    _, _, inner = template.partition("/")
    candidate = Path(chart_dir) / inner
    return candidate.as_posix() if (repo_root / candidate).is_file() else ""


# --- embedded SDK ------------------------------------------------------------

def _render_sdk_with_timeout(env: Environment, repo_root: Path, timeout: float, allow_remote: bool,
                             inline_values: Mapping[str, Any] | None) -> list[Chunk]:
    """A native call cannot be interrupted; it runs on a daemon thread and a
    timeout abandons it (the process pool worker exits at the end of the run)."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["chunks"] = _render_sdk(env, repo_root, allow_remote, inline_values)
        except BaseException as exc:  # handed to the waiting thread
            box["error"] = exc

    thread = threading.Thread(target=work, name=f"helm-{env.name}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise RenderError("render/timeout", f"Helm SDK render did not finish within {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["chunks"]


def _render_sdk(env: Environment, repo_root: Path, allow_remote: bool,
                inline_values: Mapping[str, Any] | None) -> list[Chunk]:
    import helm_python as helm
    from helm_python import _native

    with tempfile.TemporaryDirectory(prefix="prcheck-helm-") as tmp:
        values_files: list[Path] = []
        if is_remote(env.path):
            chart_path = _pull(helm, env.path, Path(tmp))
            chart_dir = ""
        else:
            chart_path, values_files = _local_inputs(env, repo_root)
            chart_path = chart_deps.ready(chart_path, env.path, repo_root, Path(tmp) / "deps")
            chart_dir = Path(env.path).as_posix()
        values: dict[str, Any] = {}
        for path in values_files:
            rel = path.relative_to(repo_root).as_posix()
            try:
                values = merge_values(values, helm.values_from_yaml(path.read_text(encoding="utf-8")) or {})
            except helm.HelmError as exc:
                raise RenderError("render/failed", f"values file {rel}: {exc}", path=rel) from None
        try:
            if inline_values:
                values = merge_values(values, inline_values)
            with helm.Chart.load(str(chart_path)) as chart:
                opts: dict[str, Any] = {"name": release_name(env), "namespace": env.namespace or "default",
                                        "is_install": True}
                if env.kube_version:
                    opts["kube_version"] = _kube_version(env.kube_version)
                rendered: dict[str, str] = json.loads(_native.call_string(
                    "helm_render", chart._raw(), json.dumps(values), json.dumps(opts)))
                crds = chart.crds
        except helm.HelmError as exc:
            raise RenderError("render/failed", str(exc).replace(f"{repo_root.resolve()}/", "")[:2000]) from None
    chunks = [Chunk(c["data"], _crd_path(c, chart_dir, repo_root)) for c in crds if c.get("data", "").strip()]
    for template in sorted(rendered):
        text = rendered[template]
        if template.endswith("NOTES.txt") or not _has_content(text):
            continue
        chunks.append(Chunk(text, source_path(template, chart_dir, repo_root)))
    return chunks


def _pull(helm: Any, ref: str, into: Path) -> Path:
    try:
        helm.pull(ref, destination=str(into), untar=True, untar_dir=str(into / "chart"))
    except helm.HelmError as exc:
        raise RenderError("render/failed", f"cannot fetch chart {ref}: {exc}") from None
    charts = [p.parent for p in (into / "chart").glob("*/Chart.yaml")]
    if not charts:
        raise RenderError("render/failed", f"fetched {ref} but found no chart in it")
    return charts[0]


def _crd_path(crd: Mapping[str, str], chart_dir: str, repo_root: Path) -> str:
    """`filename` carries the chart name first, like a template path; `name` is chart-relative."""
    if crd.get("filename"):
        return source_path(crd["filename"], chart_dir, repo_root)
    return source_path(f"chart/{crd['name']}", chart_dir, repo_root) if crd.get("name") else ""


def _kube_version(version: str) -> str:
    return version if version.startswith("v") else f"v{version}"


def _has_content(text: str) -> bool:
    """False for templates that render to whitespace, comments and `---` only."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and stripped != "---":
            return True
    return False
