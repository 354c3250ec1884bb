"""What every checker may read about the run; never written to by checkers."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CheckContext:
    kube_version: str = "1.32"
    strict: bool = False
    skip_kinds: frozenset[str] = frozenset()
    skip_missing_schemas: bool = False
    schema_locations: tuple[str, ...] = ()
    env: str = ""
    rule_config: dict = field(default_factory=dict, hash=False, compare=False)
