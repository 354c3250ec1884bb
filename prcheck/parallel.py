"""Spread the per-file work of a large run over worker processes.

Loading (PyYAML), schema validation and per-document policies make up nearly
all of a run and each file is independent, so workers take shares of the
files and return them loaded and checked. Checks that compare files (duplicate
resources, Kyverno's namespace labels, Gatekeeper's inventory) stay in the
parent, on everything. Documents come back without their node trees: every
finding that needs a precise line was made in the worker.
"""

from __future__ import annotations

import signal
from contextlib import ExitStack
from typing import TYPE_CHECKING, Sequence

from prcheck.gcpause import paused_gc

if TYPE_CHECKING:
    from prcheck.checks.policy.base import Evaluation
    from prcheck.pipeline import CheckOptions
    from prcheck.sources.collect import SourceEntry
    from prcheck.sources.yaml_loader import LoadedFile

# Below this much YAML, starting workers costs more than it saves (measured:
# at 2,000 resources, 0.9 MB, two forked workers already cut the wall time by a fifth).
MIN_PARALLEL_BYTES = 512 * 1024
CHUNKS_PER_WORKER = 4

# One worker's compiled state, built once by the pool initializer. This is the
# process's own copy: the parent never reads or writes it.
_worker: "tuple[object, object, list, ExitStack] | None" = None


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


def _init(opts: "CheckOptions", crds: "dict | None" = None) -> None:
    from prcheck.checks.schema_store import SchemaStore
    from prcheck.pipeline import build_policy_engines, context_for

    global _worker
    # a worker forked while the parent turned SIGTERM into an exception must just end on it
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    stack = ExitStack()
    engines = [e for e in build_policy_engines(opts, stack) if e.per_document]
    store = SchemaStore(opts.kube_version, opts.strict, tuple(opts.schema_locations), crds=crds)
    _worker = (context_for(opts), store, engines, stack)


def _work(args: "tuple[list[SourceEntry], CheckOptions, int]") -> "tuple[list[LoadedFile], Evaluation, dict[str, float]]":
    from prcheck.pipeline import Timer, check_documents, load_files
    from prcheck.sources.yaml_loader import AliasBudget

    entries, opts, shares = args  # each chunk gets its share of the run's alias budget
    assert _worker is not None, "worker used before its initializer ran"
    ctx, store, engines, _ = _worker
    timer = Timer()
    files = load_files(entries, opts.limits, timer, AliasBudget.for_run(opts.limits, shares))
    evaluation = check_documents(files, ctx, store, engines, timer, scopes=("file",))  # type: ignore[arg-type]
    for file in files:
        for doc in file.docs:
            doc.node = None  # lines were used above; the trees are the bulk of the pickle
    return files, evaluation, timer.timings


def load_and_check(entries: Sequence["SourceEntry"], sizes: Sequence[int], opts: "CheckOptions",
                   jobs: int, crds: "dict | None" = None) -> "tuple[list[LoadedFile], Evaluation, dict[str, float]]":
    """Per-file work of the whole run, in `jobs` processes; timings are summed over workers.
    `crds`: JSON schemas converted from the CRDs the repository carries."""
    from concurrent.futures import ProcessPoolExecutor

    from prcheck.checks.policy.base import Evaluation
    from prcheck.processes import context

    files: list[LoadedFile] = []
    evaluation = Evaluation()
    timings: dict[str, float] = {}
    parts = chunks(entries, sizes, jobs * CHUNKS_PER_WORKER)
    work = [(chunk, opts, len(parts)) for chunk in parts]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context(), initializer=_init, initargs=(opts, crds)) as pool, \
            paused_gc():
        for chunk_files, chunk_eval, chunk_timings in pool.map(_work, work):
            files.extend(chunk_files)
            evaluation.extend(chunk_eval)
            for stage, seconds in chunk_timings.items():
                timings[stage] = timings.get(stage, 0.0) + seconds
    return files, evaluation, timings

