"""Render environments in parallel; every failure becomes a finding.

One task is one environment at one side (base or head). Every task runs in
a sandboxed worker process (`sandbox`): renders execute pull-request
content, the Helm SDK is Go code that can abort its process, and part of
the work is CPU-bound Python (parsing the rendered YAML, matching objects to
source documents) that gains from a second core anyway.

A task never raises: a missing tool, a failed build, a timeout, even a bug
in prcheck comes back as a `Finding` naming the environment, so one broken
environment never hides the others.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

from prcheck.model import Document, Finding
from prcheck.processes import capped_jobs
from prcheck.render import flux, helm, kustomize, output
from prcheck.render.containment import inside
from prcheck.render.kustomize import Overlay, RenderError
from prcheck.render.remotes import hide_credentials
from prcheck.render.sandbox import DEFAULT_MEMORY_BYTES, SandboxPool
from prcheck.report.masking import mask_text
from prcheck.render.spec import RenderSpec

MAX_FOLLOW_DEPTH = 5


@dataclass(frozen=True)
class RenderOptions:
    allow_remote: bool = False
    timeout: float = 60.0  # seconds per render (one kustomize build or helm template)
    remotes: tuple[str, ...] = ()  # this repository's URLs, to recognise its Flux sources
    memory_bytes: int = DEFAULT_MEMORY_BYTES  # address-space limit of each render process


@dataclass(frozen=True)
class RenderTask:
    spec: RenderSpec
    side: str  # "base" or "head"
    root: str  # the checkout to render from
    with_nodes: bool = False  # keep source YAML nodes for line lookups (checks need them; diffs do not)
    missing_ok: bool = False  # an environment folder absent on this side renders as empty
    origins: bool = True  # ask kustomize where each object came from; both sides of a diff must agree


@dataclass
class RenderResult:
    env: str
    side: str
    docs: list[Document] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    failed: bool = False  # the environment's own render produced nothing usable
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def _finding(task: RenderTask, rule: str, message: str, path: str = "") -> Finding:
    env = task.spec.env
    where = "" if task.side == "head" else " (at the base revision)"
    # tool text (kustomize, Helm `fail`) quotes the repository's values: masked as prose, on one line
    text = mask_text(hide_credentials(f"environment {env.name}{where}: {message}"), loose=True)
    return Finding(rule=rule, severity="error", message=" ".join(text.split()),
                   path=path or (env.path if "://" not in env.path else ""), engine="render", env=env.name)


def render_one(task: RenderTask, options: RenderOptions) -> RenderResult:
    """Render one environment at one side; never raises."""
    started = time.perf_counter()
    result = RenderResult(env=task.spec.name, side=task.side)
    try:
        _render_into(result, task, options)
    except RenderError as exc:
        result.failed = True
        result.docs = []
        result.findings.append(_finding(task, exc.rule, exc.message, exc.path))
    except Exception as exc:  # a bug must not take the other environments down
        result.failed = True
        result.docs = []
        result.findings.append(_finding(task, "render/failed", f"internal error: {type(exc).__name__}: {exc}"))
    result.seconds = time.perf_counter() - started
    return result


def _render_into(result: RenderResult, task: RenderTask, options: RenderOptions) -> None:
    spec, root = task.spec, Path(task.root)
    env = spec.env
    if "://" not in env.path and not os.path.lexists(root / env.path):
        if task.missing_ok:
            return
        raise RenderError("render/failed", f"{env.path} does not exist")
    if "://" not in env.path and not inside(root / env.path, root):
        raise RenderError("render/path-outside-repo", f"{env.path} is outside the repository (or in .git); not read")
    for component in spec.overlay.components:
        if not inside(root / component, root):
            raise RenderError("render/path-outside-repo", f"component {component} is outside the repository "
                                                          "(or in .git); not read")
    overlay = spec.overlay
    if env.namespace and env.kind != "helm" and "namespace" not in overlay.fields:
        overlay = replace(overlay, fields={**overlay.fields, "namespace": env.namespace})
    if env.kind == "helm":
        chunks = helm.render(env, root, timeout=options.timeout, allow_remote=options.allow_remote,
                             inline_values=spec.helm_values)
        converted = output.from_chunks(chunks, env=env.name, side=task.side, fallback=env.path)
    else:
        converted = _folder(env.path, env.kind == "kustomize", overlay, root, task, options)
    result.docs.extend(converted.docs)
    result.findings.extend(replace(f, env=env.name, fingerprint="") for f in converted.findings)
    _follow_flux(result, task, options, converted.docs)


def _folder(folder: str, is_kustomize: bool, overlay: Overlay, root: Path, task: RenderTask,
            options: RenderOptions) -> output.Converted:
    name = task.spec.name
    if not is_kustomize and not overlay and kustomize.kustomization_file(root / folder) is None:
        kustomize.refuse_tree(root / folder, root)
        return output.from_folder(root / folder, env=name, side=task.side, root=root, with_nodes=task.with_nodes)
    built = kustomize.build(root / folder, root, overlay=overlay, timeout=options.timeout,
                            allow_remote=options.allow_remote, origins=task.origins or task.with_nodes)
    return output.from_kustomize(built, env=name, side=task.side, root=root, fallback=folder,
                                 with_nodes=task.with_nodes)


def _follow_flux(result: RenderResult, task: RenderTask, options: RenderOptions, docs: list[Document]) -> None:
    """Build what Flux Kustomizations among the rendered objects point at, each
    (folder, overlay) once, following Kustomizations those builds contain in turn."""
    root = Path(task.root)
    own = os.path.normpath(task.spec.env.path)
    seen: set[tuple[str, str]] = set()
    objs = [d.obj for d in docs]
    for _ in range(MAX_FOLLOW_DEPTH):
        targets, skipped = flux.targets(objs, root, options.remotes)
        result.notes.extend(n for n in skipped if n not in result.notes)
        # the cluster folder's own Kustomization (flux-system → ./clusters/x) is what is being rendered
        fresh = [t for t in targets if _target_key(t) not in seen and t.path != own]
        if not fresh:
            return
        for target in fresh:
            seen.add(_target_key(target))
            try:
                converted = _folder(target.path, False, target.overlay, root, task, options)
            except RenderError as exc:
                result.findings.append(_finding(task, exc.rule, f"Flux Kustomization {target.name}: {exc.message}",
                                                exc.path))
                continue
            result.findings.extend(replace(f, env=task.spec.name, fingerprint="") for f in converted.findings)
            result.docs.extend(converted.docs)
            objs.extend(d.obj for d in converted.docs)


def _target_key(target: flux.Target) -> tuple[str, str]:
    overlay = target.overlay
    return target.path, repr((sorted(overlay.fields.items(), key=str), overlay.components,
                              sorted(overlay.substitute.items())))


def task_deadline(options: RenderOptions) -> float:
    """How long one task may take in its worker: every build it can run (the
    environment and the Flux Kustomizations it leads to) has its own timeout
    inside the task; this only catches a worker that is wedged."""
    return options.timeout * (MAX_FOLLOW_DEPTH + 2) + 30


def _reusable(result: RenderResult) -> bool:
    """A timed-out Helm SDK call keeps running on its thread: retire that worker."""
    return not any(f.rule == "render/timeout" for f in result.findings)


def render_all(tasks: Sequence[RenderTask], options: RenderOptions, jobs: int | None = None,
               pool: SandboxPool | None = None) -> list[RenderResult]:
    """Results in task order, each rendered in a sandboxed worker (see `sandbox`)."""
    if not tasks:
        return []
    own = pool is None
    if pool is None:
        pool = SandboxPool(min(capped_jobs(jobs), len(tasks)), allow_remote=options.allow_remote,
                           memory_bytes=options.memory_bytes)
    backstop = task_deadline(options)
    try:
        outcomes = pool.map(f"{__name__}:render_one", [(t, options) for t in tasks], backstop, _reusable)
    finally:
        if own:
            pool.close()
    results: list[RenderResult] = []
    for task, outcome in zip(tasks, outcomes):
        if isinstance(outcome.value, RenderResult):
            results.append(outcome.value)
        elif outcome.timed_out:
            results.append(RenderResult(env=task.spec.name, side=task.side, failed=True, findings=[
                _finding(task, "render/timeout", f"no result within {backstop:g} s")]))
        else:
            results.append(RenderResult(env=task.spec.name, side=task.side, failed=True, findings=[
                _finding(task, "render/failed", outcome.error or "no result")]))
    return results
