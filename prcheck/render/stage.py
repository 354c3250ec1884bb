"""`prcheck check --base REF`: the render stage of a check run.

The pipeline calls `run` once, after the repository files are checked, with
a function that checks a list of loaded files (the same lint, schema and
policy checks). Each rendered environment's head documents are grouped by
the source file they came from and checked with `CheckContext.env` set;
every finding is tagged with the environment. The base side's render of
the same environments is checked too, so that `split` can tell a finding
the change introduced in a rendered object from one that was already there;
it applies the changed-lines filter to all findings of the run.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Collection, Mapping, Sequence

from prcheck import kube_api
from prcheck.checks.context import CheckContext
from prcheck.checks.policy.base import Evaluation
from prcheck.diff import DEFAULT_NOISY_LABELS, resource_key
from prcheck.filter.changed_lines import Baseline, FileBaseline
from prcheck.filter.changed_lines import split as split_changed
from prcheck.model import Document, EnvDiff, Environment, Finding, Suppressed
from prcheck.sources.base_tree import index_objects
from prcheck.sources.gitdiff import ChangeSet, changes
from prcheck.sources.shard import Shard
from prcheck.sources.yaml_loader import LoadedFile

CheckFiles = Callable[[Sequence[LoadedFile], CheckContext], Evaluation]


@dataclass(frozen=True)
class RenderRequest:
    """What `check --base` (or `check --render`) asked for."""

    base: str  # "" with `--render` alone: every environment at head, nothing compared
    head: str | None = None
    filter_mode: str = "added"
    allow_remote: bool = False
    ignore_labels: tuple[str, ...] = ()
    jobs: int | None = None
    timeout: float = 60.0
    environments: tuple[Mapping[str, Any], ...] = ()  # the trusted config's `environments:`; empty: discovery
    render_envs: bool = True  # False with `--no-render`: the change filter still applies, nothing is rendered
    shard: Shard | None = None  # `--shard I/N`: render only this job's share of the environments


@dataclass
class RenderedCheck:
    diffs: list[EnvDiff] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    files: list[LoadedFile] = field(default_factory=list)  # rendered objects, for annotation suppressions
    changes: ChangeSet | None = None
    baseline: Baseline | None = None  # findings of the same checks on the base render
    timings: dict[str, float] = field(default_factory=dict)
    environments: list[str] = field(default_factory=list)  # rendered at head
    # (env, resource) → (name, identity) of head objects with generated names (see `generated_names`)
    generated: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)


def request(flags: Mapping[str, Any], conf: Mapping[str, Any]) -> RenderRequest | None:
    """From `check` flags and the config; None without `--base` or `--render`.
    `allow_remote` is a flag only: the config is part of the change being checked."""
    base = flags.get("base")
    if not base and not flags.get("render"):
        return None
    mode = flags.get("filter_mode") or conf.get("filter_mode") or "added"  # both validated against MODES already
    mode = mode if base else "nofilter"  # no base: nothing to tell new from pre-existing
    labels = tuple(DEFAULT_NOISY_LABELS) + tuple(conf.get("ignore_labels") or ()) if flags.get("ignore_labels") \
        else tuple(conf.get("ignore_labels") or ())
    return RenderRequest(base=str(base or ""), head=flags.get("head") or None, filter_mode=mode,
                         allow_remote=bool(flags.get("allow_remote")), ignore_labels=labels,
                         jobs=flags.get("jobs") or conf.get("jobs"),
                         environments=tuple(conf.get("environments") or ()),
                         render_envs=not flags.get("no_render"), shard=flags.get("shard"))


def as_files(docs: Sequence[Document]) -> list[LoadedFile]:
    """Rendered documents grouped by source file, in the shape the checkers take."""
    by_path: dict[str, list[Document]] = defaultdict(list)
    for doc in docs:
        cls = kube_api.object_class(doc.obj)
        by_path[doc.path].append(replace(doc, file_kind="client-config" if cls == kube_api.CLIENT_CONFIG else "kubernetes"))
    return [LoadedFile(path=path, kind="kubernetes", docs=group) for path, group in by_path.items()]


MAX_VALUES_BYTES = 1_048_576


def values_sources(env: Environment | None, root: Path) -> tuple[tuple[str, str], ...]:
    """A Helm environment's values files (its chart's values.yaml first), as (path, text):
    regular files inside the repository only, as the renderer read them."""
    if env is None or env.kind != "helm":
        return ()
    out: list[tuple[str, str]] = []
    for rel in dict.fromkeys([posixpath.join(env.path, "values.yaml"), *env.values]):
        path = root / rel
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_VALUES_BYTES \
                    or not path.resolve().is_relative_to(root.resolve()):
                continue
            out.append((posixpath.normpath(rel), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    return tuple(reversed(out))  # the last values file wins in Helm, so it is searched first


def run(req: RenderRequest, root: Path, ctx: CheckContext, check: CheckFiles,
        change_set: ChangeSet | None = None) -> RenderedCheck:
    from prcheck.render.changes import compare, render_head  # rendering machinery: only rendering runs load it

    config = {"environments": list(req.environments)}
    if req.base:
        found = compare(root, req.base, req.head, config=config, jobs=req.jobs, allow_remote=req.allow_remote,
                        timeout=req.timeout, kube_version=ctx.kube_version, ignore_labels=req.ignore_labels,
                        with_nodes=True, change=change_set, shard=req.shard)
    else:
        found = render_head(root, config=config, jobs=req.jobs, allow_remote=req.allow_remote, timeout=req.timeout,
                            kube_version=ctx.kube_version, shard=req.shard)
    result = RenderedCheck(diffs=found.diffs, findings=list(found.findings), timings=dict(found.timings),
                           environments=sorted(found.head_docs),
                           generated=generated_names(found.head_docs, found.diffs, found.random_sources))
    envs = {e.name: e for e in found.environments}
    for env, docs in sorted(found.head_docs.items()):
        files = as_files(docs)
        evaluation = check(files, replace(ctx, env=env, base_objects=index_objects(found.base_docs.get(env, ())),
                                          base_docs=tuple(found.base_docs.get(env, ())),
                                          values_files=values_sources(envs.get(env), root)))
        result.findings.extend(replace(f, env=env, fingerprint="") for f in evaluation.findings)
        result.suppressed.extend(replace(s, finding=replace(s.finding, env=env, fingerprint=""))
                                 for s in evaluation.suppressed)
        result.files.extend(files)
    base_findings: list[Finding] = []
    for env, docs in sorted(found.base_docs.items()):
        evaluation = check(as_files(docs), replace(ctx, env=env))
        base_findings.extend(replace(f, env=env) for f in evaluation.findings)
    result.baseline = Baseline.of(found.base_docs, base_findings, found.diffs)
    result.changes = change_set or (changes(root, req.base, req.head) if req.base else None)
    return result


def generated_names(head_docs: Mapping[str, Sequence[Document]], diffs: Sequence[EnvDiff],
                    random_sources: Collection[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """(env, resource) → (object name, identity) for the rendered objects whose name is drawn
    anew by each render: those of a chart that calls a random function, and those the diff
    paired by a generated suffix. The identity is the template and the object's place in its
    output (`Job:chart/templates/job.yaml#0`), the same in every environment and every run,
    so the merge and the fingerprints (filter/merge.py) see one object where the names differ."""
    renamed = {(d.env, key) for d in diffs for key in d.renamed}
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for env, docs in head_docs.items():
        for doc in docs:
            if doc.name and (doc.path in random_sources or (env, resource_key(doc.obj)) in renamed):
                out[(env, doc.resource)] = (doc.name, f"{doc.kind}:{doc.path}#{doc.index}")
    return out


def change_set(req: RenderRequest, root: Path) -> ChangeSet:
    """Files and lines the change touched: what the filter and the affected set follow."""
    return changes(root, req.base, req.head)


def split(findings: Sequence[Finding], req: RenderRequest, rendered: RenderedCheck | None,
          change: ChangeSet | None = None, files: FileBaseline | None = None) -> tuple[list[Finding], list[Finding]]:
    """(findings the change introduced, pre-existing ones): by the base tree's findings
    (`files`, and the base renders), else by `req.filter_mode`'s changed lines."""
    if rendered is None:
        assert change is not None
        return split_changed(findings, change, req.filter_mode, files=files)
    assert rendered.changes is not None
    return split_changed(findings, rendered.changes, req.filter_mode, rendered.diffs, rendered.baseline, files)


def pre_existing_stats(pre_existing: Sequence[Finding]) -> list[dict[str, Any]]:
    return [asdict(f) for f in pre_existing]


from prcheck.sources.collect import ENVIRONMENT_INPUTS  # noqa: E402  (re-exported: its home is collect)


def summary_note(req: RenderRequest | None, rendered: RenderedCheck | None, kinds: set[str]) -> str:
    """One line for the run's summary saying whether environments were rendered, and how to.

    A plain `prcheck check` checks the repository's files as they are and renders
    nothing (fast enough for every commit and pre-commit); rendering needs a base
    to compare with, so it is `check --base REF`. Saying so keeps a clean plain run
    from reading as "the Helm templates passed".
    """
    if rendered is not None and req is not None and not req.base:
        count = len(rendered.environments)
        return f"rendered {count} environment{'' if count == 1 else 's'} at head (no base: nothing compared)"
    if rendered is not None:
        done = [d for d in rendered.diffs if not d.skipped]
        skipped = len(rendered.diffs) - len(done)
        line = f"rendered {len(done)} environment{'' if len(done) == 1 else 's'} at base and head"
        return line + (f" ({skipped} with unchanged inputs not rendered)" if skipped else "")
    if not kinds & ENVIRONMENT_INPUTS:
        return ""
    why = "--no-render" if req is not None else "no --base"
    return (f"environments not rendered ({why}): `prcheck envs` lists them; "
            "`prcheck check --base <ref>` renders, checks and diffs them, `--render` checks them at head")
