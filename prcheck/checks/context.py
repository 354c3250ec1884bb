"""What every checker may read about the run; never written to by checkers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CheckContext:
    kube_version: str = "1.32"
    strict: bool = False
    skip_kinds: frozenset[str] = frozenset()
    skip_missing_schemas: bool = False
    schema_locations: tuple[str, ...] = ()
    env: str = ""
    rule_config: dict = field(default_factory=dict, hash=False, compare=False)
    # The base version of objects (CEL oldObject/oldSelf, immutable fields); None: no base known.
    base: Any = field(default=None, hash=False, compare=False)
    cel: dict = field(default_factory=dict, hash=False, compare=False)  # config `cel:` (userInfo, authorizer)
