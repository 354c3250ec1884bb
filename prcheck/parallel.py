"""Spread the per-file work of a large run over worker processes.

Loading (PyYAML), schema validation and per-document policies make up nearly
all of a run and each file is independent, so workers take shares of the
files and return them loaded and checked. Checks that compare files (duplicate
resources, Kyverno's namespace labels, Gatekeeper's inventory) stay in the
parent, on everything. Documents come back with stand-ins for their PyYAML node
trees (`line_tree`), so the findings the parent makes carry the lines one
process finds. `-j N` is N processes checking files: the parent checks shares
too, rather than waiting for N workers.
"""

from __future__ import annotations

import signal
import sys
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, Sequence

from prcheck.gcpause import paused_gc

if TYPE_CHECKING:
    from prcheck.checks.policy.base import Evaluation
    from prcheck.model import Finding
    from prcheck.pipeline import CheckOptions
    from prcheck.sources.collect import SourceEntry
    from prcheck.sources.yaml_loader import AliasBudget, LoadedFile

    Share = tuple[list[SourceEntry], CheckOptions, bool]  # files, options, identities
    Claims = tuple[Any, Any]  # one flag per share in shared memory, and its lock
    # files, evaluation, timings, and the findings' texts that masking leaves as they are
    Result = tuple[list[LoadedFile], Evaluation, dict[str, float], set[str]]

# Below this much YAML, starting workers costs more than it saves (measured:
# at 2,000 resources, 0.9 MB, two forked workers already cut the wall time by a fifth).
MIN_PARALLEL_BYTES = 512 * 1024
# Shares per process: small enough that the last one, which a process finishes while the
# other has nothing left, is short; each costs one hand-off.
CHUNKS_PER_WORKER = 16

# One worker's compiled state, built once by the pool initializer. This is the
# process's own copy: the parent never reads or writes it.
_worker: "tuple[object, Sequence[object], AliasBudget, Claims, ExitStack] | None" = None


def worth_it(entries: Sequence["SourceEntry"], sizes: Sequence[int], jobs: int, opts: "CheckOptions") -> bool:
    """An OPA server would get one upload per worker; combine mode needs every document at once."""
    return jobs > 1 and sum(sizes) >= MIN_PARALLEL_BYTES and opts.rego_engine != "opa" and len(entries) > jobs


def chunks(entries: Sequence["SourceEntry"], sizes: Sequence[int], count: int) -> list[list["SourceEntry"]]:
    """About equal bytes per chunk, file order kept so results come back in order."""
    target = max(1, sum(sizes) // count)
    out: list[list[SourceEntry]] = [[]]
    filled = 0
    for entry, size in zip(entries, sizes):
        if filled >= target and len(out) < count:
            out.append([])
            filled = 0
        out[-1].append(entry)
        filled += size
    return [c for c in out if c]


def _init(opts: "CheckOptions", crds: "dict | None", processes: int, claims: "Claims",
          inherited: "tuple[object, Sequence[object]] | None" = None) -> None:
    """`inherited`: the parent's compiled store and engines, handed over by fork (never
    pickled), so a worker does not compile the pack, the secrets rules and the schema
    validators the parent already compiled again; built here under spawn/forkserver.
    Each of the run's `processes` spends its own share of the run's alias budget."""
    from prcheck.sources.yaml_loader import AliasBudget

    global _worker
    # a worker forked while the parent turned SIGTERM into an exception must just end on it
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    stack = ExitStack()
    store, engines = inherited or compiled_state(opts, crds, stack)
    _worker = (store, engines, AliasBudget.for_run(opts.limits, processes), claims, stack)


def compiled_state(opts: "CheckOptions", crds: "dict | None", stack: ExitStack) -> "tuple[object, list]":
    """What checking a share needs compiled: the schema store (with the repository's CRDs)
    and the per-document engines."""
    from prcheck.checks.schema_store import SchemaStore
    from prcheck.pipeline import build_policy_engines

    return (SchemaStore(opts.kube_version, opts.strict, tuple(opts.schema_locations), crds=crds),
            [e for e in build_policy_engines(opts, stack) if e.per_document])


FILES_PER_BATCH = 16


def _work(args: "tuple[int, Share]") -> "Result | None":
    """One share, in a worker, with the state its initializer compiled; None when the
    parent claimed it first."""
    assert _worker is not None, "worker used before its initializer ran"
    store, engines, budget, claims, _ = _worker
    index, share = args
    return check_share(share, store, engines, budget) if claim(claims, index) else None


def claim(claims: "Claims", index: int) -> bool:
    """Whether this process is the first to take share `index` (each share is checked once)."""
    flags, lock = claims
    with lock:
        if flags[index]:
            return False
        flags[index] = 1
        return True


def check_share(args: Share, store: object, engines: Sequence[object], budget: "AliasBudget") -> Result:
    """Load and check one share of the files (in a worker, or in the parent with its own
    compiled engines) and cut the result down to what the parent reads afterwards: the
    same steps wherever it runs, so a share checked in the parent equals a worker's.
    `budget`: the alias expansion this process may still pay for. Masking each finding's
    text is per-finding work too: the texts it leaves as they are come back with the share,
    so the parent masks only the others (`mask_report`), and the findings stay unmasked
    until the report is, as in one process."""
    from prcheck.checks.policy.base import Evaluation
    from prcheck.pipeline import Timer, check_documents, context_for, load_files
    from prcheck.report.masking import clean_texts
    from prcheck.sources.line_tree import defer

    entries, opts, identities = args
    ctx = context_for(opts)
    timer = Timer()
    files: list[LoadedFile] = []
    evaluation = Evaluation()
    # A few files at a time: per-file checks need each file's node tree (for lines) only
    # until they ran, and a whole share's trees at once were most of a worker's memory.
    for start in range(0, len(entries), FILES_PER_BATCH):
        batch = load_files(entries[start:start + FILES_PER_BATCH], opts.limits, timer, budget)
        evaluation.extend(check_documents(batch, ctx, store, engines, timer, scopes=("file",)))  # type: ignore[arg-type]
        for file in batch:
            if identities:
                keep_identities(file)
            defer(file)  # the node trees were the bulk of the pickle; the text composes them again
        files.extend(batch)
    evaluation.findings = share_messages(evaluation.findings)
    with timer.stage("mask"):
        clean = clean_texts(evaluation.findings)
    return files, evaluation, timer.timings, clean


def share_messages(findings: "Sequence[Finding]") -> "list[Finding]":
    """`findings` with one string object per distinct message. Rules write their messages
    document by document, so a share holds each of its few thousand texts many times over
    (at 20,000 resources, 40,000 message strings for 5,000 texts: 5 MB of the parent's peak),
    and the pickle of a share carries each object once. Every finding stays equal to its own."""
    seen: dict[str, str] = {}
    out: list[Finding] = []
    for finding in findings:
        message = finding.message
        first = seen.setdefault(message, message)
        out.append(finding if first is message else finding._replace(message=first))
    return out


# Run-scope lint rules known to read only a document's identity (and the file's kind).
IDENTITY_RULES = frozenset({"k8s/duplicate-resource"})
_IDENTITY_META = ("name", "namespace", "annotations")


def identities_suffice(engines: Sequence[object], ctx: object, crds: "dict | None",
                       entries: Sequence["SourceEntry"]) -> bool:
    """Whether the parent reads no more of a built-in Kubernetes object than its identity once
    the workers have checked it: no whole-run engine but the deferred CEL engine, no run-scope
    lint rule beyond IDENTITY_RULES, no base version (immutable fields), no admission policy
    in any file and no CRD for a built-in group (CEL would read the objects then). At 20,000
    resources the objects are most of the parent's memory."""
    from prcheck.checks import lint
    from prcheck.checks.policy.cel.deferred import POLICY_MARKERS, DeferredCelEngine, built_in_group_crds

    if any(not getattr(e, "per_document", True) and not isinstance(e, DeferredCelEngine) for e in engines):
        return False
    if any(r.scope == "run" and r.id not in IDENTITY_RULES for r in lint.RULES):
        return False
    if getattr(ctx, "base_objects", None) or built_in_group_crds(crds):
        return False
    return not any(_mentions(e.abspath, POLICY_MARKERS) for e in entries)


def _mentions(path: str, needles: Sequence[bytes]) -> bool:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError:
        return False  # unreadable: the worker reports it, and there is no document to keep
    return any(n in raw for n in needles)


def _shared(value: object) -> object:
    """One string object per distinct apiVersion, kind or namespace (pickled once per share)."""
    return sys.intern(value) if isinstance(value, str) else value


def keep_identities(file: "LoadedFile") -> None:
    """What the parent reads of a checked file after `identities_suffice`: a built-in object's
    apiVersion, kind, metadata name/namespace/annotations (duplicate-resource, resource names,
    suppression annotations); custom resources whole (CRD rules); the text only when it holds an
    inline `prcheck:ignore` comment, and otherwise the lines the parent reads
    (`line_tree.light`: whole for custom resources, the suppression annotation of a slimmed one)."""
    from prcheck.checks.policy.cel.deferred import reads_whole_objects
    from prcheck.sources.line_tree import light

    slimmed: set[int] = set()
    if file.kind == "kubernetes":
        for doc in file.docs:
            obj = doc.obj
            if isinstance(obj, dict) and not reads_whole_objects(doc):
                slimmed.add(id(doc))
                slim = {k: _shared(obj[k]) for k in ("apiVersion", "kind") if k in obj}
                meta = obj.get("metadata")
                if isinstance(meta, dict):
                    slim["metadata"] = {k: _shared(meta[k]) for k in _IDENTITY_META if k in meta}
                elif "metadata" in obj:
                    slim["metadata"] = meta
                doc.obj = slim
    if "prcheck:ignore" not in file.text:
        file.text = ""
        for doc in file.docs:
            doc.source = ""
            if id(doc) not in slimmed:
                doc.node = light(doc.node)
            else:  # a slimmed object's only line the parent asks for is its suppression annotation's
                shape = _ignore_annotation(doc.obj)
                doc.node = light(doc.node, shape) if shape is not None else None


def _ignore_annotation(slim: dict) -> "dict | None":
    """The part of a slimmed object whose lines the parent reads: `metadata.annotations` with
    only the suppression annotation (`suppress/missing-reason` reports its line)."""
    from prcheck.filter.suppress import IGNORE_ANNOTATION

    meta = slim.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    if not isinstance(annotations, dict) or IGNORE_ANNOTATION not in annotations:
        return None
    return {"metadata": {"annotations": {IGNORE_ANNOTATION: annotations[IGNORE_ANNOTATION]}}}


def load_and_check(entries: Sequence["SourceEntry"], sizes: Sequence[int], opts: "CheckOptions",
                   jobs: int, crds: "dict | None" = None, identities: bool = False,
                   local: "tuple[object, Sequence[object]] | None" = None
                   ) -> "tuple[list[LoadedFile], Evaluation, dict[str, float], set[str]]":
    """Per-file work of the whole run in `jobs` processes: the parent and `jobs - 1` workers;
    timings are summed over them. `crds`: JSON schemas converted from the CRDs the repository
    carries; `identities`: shares come back as `keep_identities` leaves them (see
    `identities_suffice`); `local`: the parent's schema store (with `crds`) and per-document
    engines, compiled as a worker compiles its own (built here when None). The last item
    returned: the findings' texts masking leaves as they are (`mask_report`'s `clean`).

    The shares wait in file order; the workers take them from the front and the parent from
    the back, each claiming a share before checking it, until they meet. So no core sits idle
    while another has work (at the end, one process finishes its last share alone), the
    parent's shares cross no process boundary, and a slow worker start costs nothing but the
    shares it did not take. Claims, not the pool's queue, decide: a share already queued for
    a worker is still the parent's if it claims it first."""
    from concurrent.futures import ProcessPoolExecutor

    from prcheck.checks.policy.base import Evaluation
    from prcheck.processes import context
    from prcheck.sources.yaml_loader import AliasBudget

    with ExitStack() as stack:
        local = local or compiled_state(opts, crds, stack)
        start = context()
        inherited = local if start.get_start_method() == "fork" else None
        parts = chunks(entries, sizes, jobs * CHUNKS_PER_WORKER)
        if inherited is not None and len(parts[-1]) > 1:
            parts[-1:] = [parts[-1][:-1], parts[-1][-1:]]  # the warm-up share: one file
        work = [(chunk, opts, identities) for chunk in parts]
        budget = AliasBudget.for_run(opts.limits, jobs)
        results: list[Result | None] = [None] * len(work)
        claims = (start.RawArray("b", len(work)), start.Lock())
        last = len(work)
        stack.enter_context(paused_gc())
        if inherited is not None:
            # What the first share compiles, whatever its files (the schema definitions' index,
            # the client-side tables, the secrets rules' batch patterns, validators of its kinds),
            # every process would compile again: with one file checked before the fork, the
            # worker inherits it, one file later.
            last -= 1
            claim(claims, last)
            results[last] = check_share(work[last], *local, budget)
        with ProcessPoolExecutor(max_workers=max(1, jobs - 1), mp_context=start, initializer=_init,
                                 initargs=(opts, crds, jobs, claims, inherited)) as pool:
            futures = [pool.submit(_work, (index, share)) for index, share in enumerate(work)]
            for index in reversed(range(last)):
                if not claim(claims, index):
                    break
                results[index] = check_share(work[index], *local, budget)
            files: list[LoadedFile] = []
            evaluation = Evaluation()
            timings: dict[str, float] = {}
            clean: set[str] = set()
            for index, future in enumerate(futures):
                chunk_files, chunk_eval, chunk_timings, chunk_clean = results[index] or future.result()
                results[index] = None
                files.extend(chunk_files)
                evaluation.extend(chunk_eval)
                clean |= chunk_clean
                for stage, seconds in chunk_timings.items():
                    timings[stage] = timings.get(stage, 0.0) + seconds
    return files, evaluation, timings, clean
