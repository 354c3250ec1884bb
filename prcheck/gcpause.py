"""Pause the cyclic garbage collector while a stage builds long-lived objects."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def paused_gc() -> Iterator[None]:
    """Parsing YAML and unpickling workers' results allocate millions of
    long-lived objects and no cycles; the cyclic GC would rescan the growing
    heap again and again (superlinear: 0.4-1.5 s against 0.1 s for the results
    of 20,000 resources). Freezing afterwards keeps later stages from
    rescanning it too; refcounting still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
