"""A chart's dependencies, made ready before it is rendered.

`helm template` refuses a chart whose `Chart.yaml` (or Helm 2's
`requirements.yaml`) lists a dependency missing from `charts/`, with an
error that does not say what to do. Two cases are told apart here:

- a local dependency (`repository: file://../common`) is what
  `helm dependency build` would copy in: it is vendored into a scratch
  copy of the chart, never into the repository, and the render goes on;
- any other missing dependency needs a chart repository (network): the
  render stops with one `render/missing-dependency` finding naming the
  dependencies and the fix, `helm dependency build <chart>`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from prcheck.render.containment import inside
from prcheck.render.kustomize import RenderError, refuse_tree
from prcheck.sources.yaml_loader import load_bytes

MAX_DEPTH = 5  # local dependencies of local dependencies: a cycle stops here


def _declared(chart: Path) -> list[dict[str, Any]]:
    deps: list[Any] = []
    for name in ("Chart.yaml", "requirements.yaml"):
        data = _chart_file(chart / name)
        if isinstance(data, dict) and isinstance(data.get("dependencies"), list):
            deps += [d for d in data["dependencies"] if isinstance(d, dict) and isinstance(d.get("name"), str)]
    return deps


def _chart_file(path: Path) -> Any:
    """The first document of a chart's own YAML file, read with the project's loader (the
    repository wrote it: size, nesting and alias limits hold); None when it is missing or is
    not YAML that loads. Helm then says what is wrong with it when it renders the chart."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    loaded = load_bytes(raw, path.name)
    if loaded.findings or not loaded.docs:
        return None
    return loaded.docs[0].obj


def _present(chart: Path, name: str) -> bool:
    charts = chart / "charts"
    if (charts / name / "Chart.yaml").is_file():
        return True
    return any(charts.glob(f"{name}-*.tgz")) or any(
        (p / "Chart.yaml").is_file() and _chart_name(p) == name for p in charts.glob("*") if p.is_dir())


def _chart_name(chart: Path) -> str:
    data = _chart_file(chart / "Chart.yaml")
    return str(data.get("name", "")) if isinstance(data, dict) else ""


def ready(chart: Path, chart_rel: str, repo_root: Path, scratch: Path, depth: int = 0) -> Path:
    """The chart folder to render: `chart` itself, or a copy under `scratch` with its
    local dependencies vendored. Raises RenderError for dependencies only a chart
    repository has."""
    missing = [d for d in _declared(chart) if not _present(chart, d["name"])]
    if not missing:
        return chart
    remote = [d for d in missing if not str(d.get("repository", "")).startswith("file://")]
    if remote:
        names = ", ".join(f"{d['name']} {d.get('version', '')}".strip() for d in remote)
        raise RenderError("render/missing-dependency",
                          f"chart {chart_rel} needs {names} in its charts/ folder: run "
                          f"`helm dependency build {chart_rel}` and commit charts/ (or the Chart.lock'd archives)",
                          path=f"{chart_rel}/Chart.yaml")
    if depth >= MAX_DEPTH:
        raise RenderError("render/failed", f"chart {chart_rel}: local dependencies nest deeper than {MAX_DEPTH}")
    copy = scratch / f"chart-{depth}-{chart.name}"
    # links are copied as their (checked, in-repository) content: a relative link copied as a
    # link would resolve from the scratch folder instead, which can be anywhere (/proc/self/environ)
    shutil.copytree(chart, copy, dirs_exist_ok=True, ignore_dangling_symlinks=True)
    for dep in missing:
        source = (chart / str(dep["repository"])[len("file://"):]).resolve()
        if not inside(source, repo_root):
            raise RenderError("render/path-outside-repo",
                              f"chart {chart_rel}: dependency {dep['name']} ({dep['repository']}) is outside the repository")
        if not (source / "Chart.yaml").is_file():
            raise RenderError("render/missing-dependency",
                              f"chart {chart_rel}: dependency {dep['name']} points at {dep['repository']}, "
                              "which holds no Chart.yaml", path=f"{chart_rel}/Chart.yaml")
        refuse_tree(source, repo_root)  # the same link checks as the chart itself
        rel = source.relative_to(repo_root.resolve()).as_posix()
        built = ready(source, rel, repo_root, scratch / f"dep-{depth}-{dep['name']}", depth + 1)
        shutil.copytree(built, copy / "charts" / dep["name"], dirs_exist_ok=True, ignore_dangling_symlinks=True)
    return copy
