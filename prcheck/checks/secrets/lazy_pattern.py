"""A module-level regex that is compiled the first time it is used.

The secrets check and the report's masker keep many patterns for texts most runs never
see (a URL with a password, a PEM block, a tool's error prose, a value under a secret-like
key); compiling them all on import cost a one-file check several milliseconds. A
`LazyPattern` stands where the compiled pattern stood, with the same methods: the first
use of a method compiles the pattern and keeps that bound method on the instance, so every
later call costs what the compiled pattern's own call costs.
"""

from __future__ import annotations

from typing import Any, Callable


class LazyPattern:
    """`compile(*args)` (`re.compile`, `re2.compile`), made on first use."""

    def __init__(self, compile: Callable[..., Any], *args: Any) -> None:
        self._compile = compile
        self._args = args
        self._compiled: Any = None

    def __getattr__(self, name: str) -> Any:
        """Only names not yet kept reach here: a method of the compiled pattern."""
        if name.startswith("_"):
            raise AttributeError(name)
        if self._compiled is None:
            self._compiled = self._compile(*self._args)
        value = getattr(self._compiled, name)
        setattr(self, name, value)
        return value
