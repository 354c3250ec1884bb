"""Wire the stages of one `prcheck check` run; no stage logic lives here."""

from __future__ import annotations

import os
import time
from contextlib import ExitStack
from dataclasses import replace
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Collection, Sequence

from prcheck import kube_api, parallel
from prcheck.gcpause import paused_gc
from prcheck.checks import crd_schema, lint, schema
from prcheck.checks.context import CheckContext
from prcheck.checks.policy.base import Evaluation, PolicyEngine, PolicyError
from prcheck.checks.policy.builtin import BuiltinEngine
from prcheck.checks.policy.cel.deferred import DeferredCelEngine
from prcheck.checks.schema_store import SchemaStore
from prcheck.checks.secrets import SecretsEngine
from prcheck.filter.merge import merge as merge_findings
from prcheck.filter.suppress import SUPPRESSION_ADDED, apply_rule_settings, parse_exceptions, suppress
from prcheck.model import Document, Finding, Report, Suppressed
from prcheck.processes import capped_jobs
from prcheck.report.masking import mask_report
from prcheck.runconfig import RunConfig
from prcheck.sources import affected
from prcheck.sources.collect import ENVIRONMENT_INPUTS, GitListing, SourceEntry, collect, contained_targets, root_for
from prcheck.sources.yaml_loader import AliasBudget, Limits, LoadedFile, empty_file_input, load_bytes, too_large

if TYPE_CHECKING:  # the render, diff and base-tree machinery loads only for runs that use it
    from prcheck.filter.changed_lines import FileBaseline
    from prcheck.render.stage import RenderedCheck, RenderRequest
    from prcheck.sources import base_tree
    from prcheck.sources import shard as shard_mod
    from prcheck.sources.gitdiff import ChangeSet

MANIFEST_CANDIDATES = frozenset({"yaml", "json"})
NOT_POLICY_INPUT = frozenset({"kustomize-patch"})


CheckOptions = RunConfig  # the name callers used before the trust stage existed


class Timer:
    """Per-stage wall time for the benchmark breakdown."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    def stage(self, name: str) -> "_Stage":
        return _Stage(self, name)


class _Stage:
    def __init__(self, timer: Timer, name: str) -> None:
        self.timer, self.name = timer, name

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.timer.timings[self.name] = self.timer.timings.get(self.name, 0.0) + time.perf_counter() - self.start


def context_for(opts: CheckOptions) -> CheckContext:
    return CheckContext(
        kube_version=opts.kube_version, strict=opts.strict, skip_kinds=frozenset(opts.skip_kinds),
        skip_missing_schemas=opts.skip_missing_schemas, schema_locations=tuple(opts.schema_locations),
        rule_config=opts.rule_config, cel=dict(opts.cel),
    )


def _size(entry: SourceEntry) -> int:
    try:
        return os.stat(entry.abspath).st_size
    except OSError:
        return 0


def load_files(entries: Sequence[SourceEntry], limits: Limits, timer: Timer,
               budget: AliasBudget | None = None) -> list[LoadedFile]:
    """`budget`: alias expansion left for the run (a fresh one when None)."""
    budget = budget or AliasBudget.for_run(limits)
    with timer.stage("load"), paused_gc():
        return [read_file(e, limits, budget) for e in entries]


def read_file(entry: SourceEntry, limits: Limits, budget: AliasBudget | None = None) -> LoadedFile:
    """Stat before reading, so a multi-gigabyte file is refused without being read."""
    try:
        oversize = too_large(os.stat(entry.abspath).st_size, entry.path, limits)
        if oversize is not None:
            return LoadedFile(path=entry.path, kind=entry.kind, findings=[oversize])
        with open(entry.abspath, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        return LoadedFile(path=entry.path, kind=entry.kind, findings=[Finding(
            rule="path/unreadable", severity="error", message=f"cannot read file: {exc.strerror}",
            path=entry.path, engine="lint")])
    loaded = load_bytes(raw, entry.path, entry.kind, limits, budget=budget)
    if loaded.kind in MANIFEST_CANDIDATES:
        kube_api.mark_manifests(loaded)
    return loaded


def _manifest_bytes(entries: Sequence[SourceEntry], sizes: Sequence[int], limits: Limits):
    """(entry, raw bytes) of each manifest candidate within the size limit."""
    for entry, size in zip(entries, sizes):
        if entry.kind not in MANIFEST_CANDIDATES or size > limits.max_file_bytes:
            continue
        try:
            with open(entry.abspath, "rb") as fh:
                yield entry, fh.read()
        except OSError:
            continue


def carried_crds(entries: Sequence[SourceEntry], sizes: Sequence[int], limits: Limits) -> dict:
    """JSON schemas from the CRDs among `entries`, before workers check files one
    share at a time: only files that mention the kind are parsed here."""
    mark = crd_schema.CRD_KIND.encode()
    return crd_schema.schemas_from(d.obj for entry, raw in _manifest_bytes(entries, sizes, limits) if mark in raw
                                   for d in read_file(entry, limits).docs)


def carried_context(entries: Sequence[SourceEntry], sizes: Sequence[int],
                    limits: Limits) -> tuple[dict, tuple[Document, ...]]:
    """CRD schemas and admission configuration (policies, bindings, their params,
    Namespaces: `cel.carried`) from every file, for a run that checks only the files
    a change affects; one read per file, a parse only where a kind is mentioned."""
    from prcheck.checks.policy.cel import carried as cel_carried  # PR runs only

    mark = crd_schema.CRD_KIND.encode()
    crds: list[Any] = []
    admission: list[Document] = []
    for entry, raw in _manifest_bytes(entries, sizes, limits):
        crd, configures = mark in raw, cel_carried.mentions(raw)
        if crd or configures:
            docs = [d for d in read_file(entry, limits).docs if isinstance(d.obj, dict)]
            crds.extend(d.obj for d in docs if crd)
            admission.extend(d for d in docs if configures and cel_carried.configures_admission(d))
    kinds = cel_carried.param_kinds(admission)
    marker = cel_carried.param_marker(kinds)
    if marker is not None:
        admission.extend(d for entry, raw in _manifest_bytes(entries, sizes, limits) if marker.search(raw)
                         for d in read_file(entry, limits).docs if isinstance(d.obj, dict)
                         and cel_carried.is_param(d, kinds))
    return crd_schema.schemas_from(crds), tuple(admission)


def build_policy_engines(opts: CheckOptions, stack: ExitStack) -> list[PolicyEngine]:
    """Every engine the options ask for, compiled once; closed by `stack`."""
    engines: list[PolicyEngine] = []
    if opts.policies:
        from prcheck.checks.policy.rego import LocalOpaServer, RegoEngine  # imported only when policies are given

        opa_url = opts.opa_url
        if opts.rego_engine == "opa" and not opa_url:
            server = LocalOpaServer()
            stack.callback(server.close)
            opa_url = server.url
        rego = RegoEngine.from_paths(
            opts.policies, opts.data, namespaces=opts.namespaces, all_namespaces=opts.all_namespaces,
            combine=opts.combine, rego_version=opts.rego_version,
            opa_url=opa_url if opts.rego_engine == "opa" else None,
            capabilities=opts.capabilities, strict=opts.rego_strict,
        )
        if rego is not None:
            stack.callback(rego.close)
            engines.append(rego)
    if opts.policies or opts.kyverno:
        from prcheck.checks.policy.kyverno import KyvernoEngine  # imported only when policies are given

        kyverno = KyvernoEngine.from_paths([*opts.policies, *opts.kyverno])
        if kyverno is not None:
            engines.append(kyverno)
    if opts.policies or opts.gatekeeper:
        from prcheck.checks.policy.gatekeeper import GatekeeperEngine

        gatekeeper = GatekeeperEngine.from_paths([*opts.policies, *opts.gatekeeper], opts.gatekeeper_engine)
        if gatekeeper is not None:
            engines.append(gatekeeper)
    if opts.policies and not engines:
        raise PolicyError(", ".join(opts.policies), 0, 0, "no policies found (no .rego files, Kyverno policies or Gatekeeper templates)")
    if opts.builtin and opts.secrets.enabled:
        engines.append(SecretsEngine.from_settings(opts.secrets))
    cel_paths = [*opts.policies, *opts.kyverno]
    if cel_paths:
        from prcheck.checks.policy.cel.engine import CelEngine

        engines.append(CelEngine.from_paths(cel_paths))  # also runs the run's own VAPs
    else:  # the CEL runtime only when the documents hold something for it
        engines.append(DeferredCelEngine())
    if opts.builtin:
        pack = BuiltinEngine(kube_version=opts.kube_version, rule_config=opts.rule_config)
        stack.callback(pack.close)
        engines.append(pack)
    return engines


def check_documents(files: Sequence[LoadedFile], ctx: CheckContext, store: SchemaStore,
                    engines: Sequence[PolicyEngine], timer: Timer,
                    scopes: Collection[str] = ("file", "run")) -> Evaluation:
    """lint + schema + policies over loaded files: the part that also runs on
    rendered environments. `scopes` picks per-file work, whole-run work, or both."""
    result = Evaluation()
    with timer.stage("lint"):
        result.findings.extend(lint.check(files, ctx, scopes))
    if "file" in scopes:
        with timer.stage("schema"):
            manifests = [d for f in files if f.kind == "kubernetes" for d in f.docs if d.file_kind != "client-config"]
            result.findings.extend(schema.check(manifests, ctx, store))
    policy_docs = [d for f in files if f.kind not in NOT_POLICY_INPUT for d in f.docs if d.obj is not None]
    empty_inputs = [d for f in files if f.kind not in NOT_POLICY_INPUT for d in [empty_file_input(f)] if d]
    for engine in engines:
        if ("file" if engine.per_document else "run") not in scopes:
            continue
        with timer.stage(engine.name):
            bind = getattr(engine, "for_context", None)
            docs = policy_docs + empty_inputs if getattr(engine, "evaluates_empty_files", False) else policy_docs
            bound = bind(replace(ctx, crd_schemas=store.crds) if store.crds else ctx) if bind else engine
            result.extend(bound.evaluate(docs))
    result.findings = _one_finding_per_removed_api(result.findings)
    return result


def _one_finding_per_removed_api(findings: list[Finding]) -> list[Finding]:
    """The schema check and the pack both see an apiVersion Kubernetes no longer
    serves; keep the pack's finding, which names the replacement."""
    removed = {(f.path, f.line, f.resource) for f in findings if f.rule == "k8s/removed-api"}
    if not removed:
        return findings
    return [f for f in findings if not (f.rule == "schema/unknown-api" and (f.path, f.line, f.resource) in removed)]


def related_keys(entries: Sequence[SourceEntry], limits: Limits) -> list[affected.RelatedKey]:
    """The cross-file rules' related keys over the run's kustomizations (read here: they
    say which files, in any folder, are compared together)."""
    kustomizations = [read_file(e, limits) for e in entries if e.kind == "kustomization"]
    return [r.related(kustomizations) for r in lint.RULES if r.scope == "run" and r.related is not None]


def affected_by_change(entries: Sequence[SourceEntry], change: ChangeSet, opts: CheckOptions, root: Path,
                       engines: Sequence[PolicyEngine]) -> set[str] | None:
    """The files a `--base` run checks (None: all of them); see `prcheck.sources.affected`.
    The base side of a comparison must be judged over the same set."""
    if opts.all_files or opts.render is None or opts.render.filter_mode == "nofilter":
        return None
    inputs = affected.run_inputs([*opts.policies, *opts.data, *opts.schema_locations, *opts.kyverno,
                                  *opts.gatekeeper], str(root))
    return affected.affected_paths([e.path for e in entries], change.changed_paths(), related_keys(entries, opts.limits), inputs,
                                   whole_run=any(getattr(e, "whole_run", not e.per_document) for e in engines))


def check_affected(entries: Sequence[SourceEntry], sizes: Sequence[int], only: set[str], changed: set[str],
                   ctx: CheckContext, store: SchemaStore, engines: Sequence[PolicyEngine], opts: CheckOptions,
                   timer: Timer, everything: Sequence[SourceEntry]
                   ) -> tuple[list[LoadedFile], Evaluation, SchemaStore, tuple[Document, ...]]:
    """A `--base` run over the files the change affects: the changed ones get
    every check, the ones cross-file rules compare them with are read for those
    rules only; CRDs and admission configuration still come from every file
    (`everything`), as in a full run."""
    with timer.stage("crds"):
        crds, admission = carried_context(everything, sizes if everything is entries else
                                          [_size(e) for e in everything], opts.limits)
        store = store.with_crds(crds)
    ctx = replace(ctx, admission_docs=admission)
    files = load_files(affected.narrow(entries, only, lambda e: e.path), opts.limits, timer)
    evaluation = check_documents([f for f in files if f.path in changed], ctx, store, engines, timer, scopes=("file",))
    evaluation.extend(check_documents(files, ctx, store, engines, timer, scopes=("run",)))
    return files, evaluation, store, admission


def check_base_tree(base: base_tree.BaseTree, files: Sequence[LoadedFile], ctx: CheckContext, store: SchemaStore,
                    engines: Sequence[PolicyEngine], timer: Timer) -> FileBaseline:
    """The same checks over the base versions of the changed files (run-wide rules
    over them and the unchanged files of the run), for new-versus-pre-existing."""
    from prcheck.filter.changed_lines import FileBaseline

    changed = [f for f in base.files.values() if f is not None]
    unchanged = [f for f in files if f.path not in base.files]
    evaluation = check_documents(changed, ctx, store, engines, timer, scopes=("file",))
    evaluation.extend(check_documents([*changed, *unchanged], ctx, store, engines, timer, scopes=("run",)))
    loader = [finding for f in changed for finding in f.findings]
    return FileBaseline.of(base.files, apply_rule_settings([*loader, *evaluation.findings], ctx.rule_config),
                           run_paths=[f.path for f in unchanged], run_rules=[r.id for r in lint.RULES if r.scope == "run"])


def shard_of(entries: Sequence[SourceEntry], findings: Sequence[Finding],
             shard: shard_mod.Shard, limits: Limits) -> tuple[list[SourceEntry], list[Finding]]:
    """The files of one `--shard I/N` job (files a cross-file rule compares stay together);
    collection findings go with their file, those of no file to the first shard."""
    from prcheck.sources import shard as shard_mod

    related = related_keys(entries, limits)
    paths = [e.path for e in entries] + [f.path for f in findings if f.path]
    sizes = [_size(e) for e in entries] + [0] * (len(paths) - len(entries))
    keep = shard_mod.select_files(paths, sizes, shard, related)
    return ([e for e in entries if e.path in keep],
            [f for f in findings if f.path in keep or (not f.path and shard.index == 1)])


def reveal_new_under_suppressions(suppressed: Sequence[Suppressed], req: RenderRequest,
                                  rendered: RenderedCheck | None, change: ChangeSet | None,
                                  files_baseline: FileBaseline | None) -> tuple[list[Suppressed], list[Finding]]:
    """`--suppressions trusted`: a suppression already on the base hides only what the base
    had too. A finding the change introduces under it (a new privileged container in a
    resource annotated `prcheck.dev/ignore: '*'`) counts, with a note saying why."""
    candidates = [s for s in suppressed if s.source in ("inline", "annotation")]
    if not candidates:
        return list(suppressed), []
    from prcheck.render import stage as render_stage

    new, _ = render_stage.split([s.finding for s in candidates], req, rendered, change, files_baseline)
    fresh = {id(f) for f in new}
    kept = [s for s in suppressed if id(s.finding) not in fresh]
    revealed: list[Finding] = []
    for s in suppressed:
        if id(s.finding) in fresh:
            f = s.finding
            revealed.append(f)
            revealed.append(Finding(
                rule=SUPPRESSION_ADDED, severity="warning", path=f.path, line=f.line, engine="prcheck", env=f.env,
                message=f"the change brings a new {f.rule} finding under an existing {s.source} suppression "
                        f"({s.reason or 'no reason given'}); not honoured (--suppressions trusted): it counts"))
    return kept, revealed


def render_notes(req: "RenderRequest | None", rendered: "RenderedCheck | None", kinds: set[str]) -> list[str]:
    """The summary's note on environments (none, and no render stage loaded, for a run with neither)."""
    if req is None and not kinds & ENVIRONMENT_INPUTS:
        return []
    from prcheck.render import stage as render_stage

    return [n for n in [render_stage.summary_note(req, rendered, kinds)] if n]


def run_check(opts: CheckOptions, cwd: Path | None = None) -> Report:
    """collect → load → check; later stages (render, filter, diff) extend the Report."""
    cwd = cwd or Path.cwd()
    timer = Timer()
    clean: set[str] = set()  # finding texts the workers found masking leaves as they are
    root = opts.root or root_for(Path(opts.paths[0]), cwd)
    targets, refused = contained_targets(opts.paths, cwd, root)
    ctx = context_for(opts)
    store = SchemaStore(opts.kube_version, opts.strict, tuple(opts.schema_locations))
    report = Report()
    if opts.render is not None:  # the render stage, base tree and diff load only for runs that use them
        from prcheck.filter.fixed import fixed as fixed_by_change
        from prcheck.render import stage as render_stage
        from prcheck.sources import base_tree
    with ExitStack() as stack:
        listing = GitListing(root, targets) if targets else None  # git lists while the policies compile
        if listing is not None:
            stack.callback(listing.close)
        with timer.stage("policy-compile"):
            engines = build_policy_engines(opts, stack)
        report.findings.extend(f for engine in engines for f in getattr(engine, "load_findings", ()))
        with timer.stage("collect"):
            entries, findings = collect(targets, root, opts.exclude, listing) if targets else ([], [])
            everything = entries
            if opts.shard is not None:
                entries, findings = shard_of(entries, findings, opts.shard, opts.limits)
                report.stats["shard"] = {"index": opts.shard.index, "count": opts.shard.count,
                                         "files": len(entries), "of": len(everything)}
            compared = opts.render is not None and bool(opts.render.base)  # `--render` alone compares nothing
            change = render_stage.change_set(opts.render, root) if compared else None
            only = affected_by_change(entries, change, opts, root, engines) if change else None
            base = base_tree.load(root, change, affected.narrow(entries, only, lambda e: e.path), opts.limits) \
                if change is not None else None
        plain_ctx = ctx
        if base is not None:
            ctx = replace(ctx, base_objects=base.objects, base_docs=base.documents)
        report.findings.extend(refused + affected.narrow(findings, only, lambda f: f.path))
        sizes = [_size(e) for e in entries]
        jobs = capped_jobs(opts.jobs)
        if only is not None and change is not None:
            files, evaluation, store, admission = check_affected(entries, sizes, only, change.changed_paths(), ctx,
                                                                 store, engines, opts, timer, everything)
            plain_ctx = replace(plain_ctx, admission_docs=admission)  # the base side is judged by the same policies
            report.stats["affected"] = {"checked": sum(1 for f in files if f.path in change.changed_paths()),
                                        "read": len(files), "files": len(entries)}
        elif parallel.worth_it(entries, sizes, jobs, opts):
            with timer.stage("crds"):
                crds = carried_crds(everything, [_size(e) for e in everything] if everything is not entries else sizes,
                                    opts.limits)
            store = store.with_crds(crds)
            with timer.stage("parallel"):
                files, evaluation, worker_timings, clean = parallel.load_and_check(
                    entries, sizes, opts, jobs, crds, parallel.identities_suffice(engines, ctx, crds, everything),
                    local=(store, [e for e in engines if e.per_document]))
            for stage, seconds in worker_timings.items():
                timer.timings[f"workers:{stage}"] = seconds
            evaluation.extend(check_documents(files, ctx, store, engines, timer, scopes=("run",)))
        else:
            files = load_files(entries, opts.limits, timer)
            store = store.with_crds(crd_schema.schemas_from(d.obj for f in files for d in f.docs)
                                    if everything is entries else carried_crds(everything, [_size(e) for e in everything],
                                                                               opts.limits))
            evaluation = check_documents(files, ctx, store, engines, timer)
        for file in files:
            report.findings.extend(file.findings)
        files_baseline = None
        if base is not None and opts.render is not None and opts.render.filter_mode != "nofilter":
            with timer.stage("base-checks"):
                files_baseline = check_base_tree(base, files, plain_ctx, store, engines, timer)
        rendered = None
        if opts.render is not None and opts.render.render_envs:
            with timer.stage("render"):
                rendered = render_stage.run(opts.render, root, ctx, lambda fs, c: check_documents(
                    fs, c, store.with_crds(crd_schema.schemas_from(d.obj for f in fs for d in f.docs)), engines, timer),
                    change)
    report.findings.extend(evaluation.findings)
    report.suppressed.extend(evaluation.suppressed)
    if rendered is not None:
        report.findings.extend(rendered.findings)
        report.suppressed.extend(rendered.suppressed)
        report.diffs = rendered.diffs
    with timer.stage("suppress"):
        filtered = suppress(apply_rule_settings(report.findings, opts.rule_config),
                            [*files, *(rendered.files if rendered else [])], parse_exceptions(opts.exceptions),
                            base=base.files if base is not None else None,
                            honour_added=opts.suppressions != "trusted",
                            added_line=change.added_line if change is not None else None)
    report.findings = filtered.findings
    report.suppressed.extend(filtered.suppressed)
    if opts.render is not None and opts.render.base:
        report.fixed = merge_findings(fixed_by_change([*report.findings, *(s.finding for s in report.suppressed)],
                                                      files_baseline, rendered.baseline if rendered else None))
        report.findings, pre_existing = render_stage.split(report.findings, opts.render, rendered, change,
                                                           files_baseline)
        report.stats["pre_existing"] = render_stage.pre_existing_stats(
            merge_findings(pre_existing, rendered.generated if rendered is not None else None))
        if opts.suppressions == "trusted" and opts.render.filter_mode != "nofilter":
            report.suppressed, revealed = reveal_new_under_suppressions(report.suppressed, opts.render, rendered,
                                                                         change, files_baseline)
            report.findings.extend(revealed)
    # one problem seen in N environments: one finding (objects with drawn names by their template)
    report.findings = merge_findings(report.findings, rendered.generated if rendered is not None else None)
    # the trust stage's findings and the suppressions the change added: never suppressed, always the change's
    report.findings.extend([*opts.notices, *filtered.notices])
    report.findings.sort(key=attrgetter("path", "line", "rule", "message"))
    report.stats.update({
        "root": str(root),
        "files": len(files),
        "documents": sum(len(f.docs) for f in files),
        "resources": sum(1 for f in files if f.kind == "kubernetes" for d in f.docs
                         if isinstance(d.obj, dict) and d.file_kind != "client-config"),
        "policy_passes": evaluation.passed,
        "render_notes": render_notes(opts.render, rendered, {e.kind for e in entries}),
        "timings": {k: round(v, 4) for k, v in timer.timings.items()},
    })
    return mask_report(report, clean)  # before any format or publisher sees it

