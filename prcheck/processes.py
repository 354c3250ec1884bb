"""How prcheck starts worker processes."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import multiprocessing.context


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def capped_jobs(jobs: int | None) -> int:
    """Workers for a run: as asked, never more than the cores (more only thrash)."""
    cores = default_jobs()
    return max(1, min(jobs or cores, cores))


def context() -> "multiprocessing.context.BaseContext":
    """Fork (cheap, nothing re-imported) unless the Helm SDK is loaded: a forked
    child of a process with a running Go runtime can deadlock."""
    import multiprocessing  # only runs with workers pay for it

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and "helm_python" not in sys.modules:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
