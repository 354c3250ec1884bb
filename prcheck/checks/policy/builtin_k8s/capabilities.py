"""How Linux capabilities are named in a securityContext: with or without CAP_, in any case."""

from __future__ import annotations

from typing import Any

from prcheck.checks.policy.builtin_k8s.values import field, members


def capability(name: str) -> str:
    return name.upper().removeprefix("CAP_")


def listed(sc: dict, key: str) -> list[tuple[Any, str]]:
    """(index, name) of the string entries of `capabilities.add` or `capabilities.drop`."""
    return [(i, cap) for i, cap in members(field(sc, "capabilities", key)) if isinstance(cap, str)]
