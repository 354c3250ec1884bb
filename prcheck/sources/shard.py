"""`--shard I/N`: which files and environments one of N CI jobs checks.

Every job lists the same tree, so every job computes the same assignment and
the N shares are disjoint and complete: together they are the unsharded run
(`prcheck merge` joins their JSON reports). Files that a cross-file check
compares (duplicate-resource: the files one kustomization lists) stay together as one unit. Units
are dealt largest first to the least-loaded shard (bytes for files, one per
environment), ties broken by a stable hash of the unit's name, so shares
are balanced by size and do not depend on listing order or on Python's
per-process hash seed.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from prcheck.sources.affected import RelatedKey, related_keys

_SPEC = re.compile(r"^(\d+)/(\d+)$")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as CI matrices count
    count: int

    @classmethod
    def parse(cls, text: str) -> "Shard":
        match = _SPEC.match(text.strip())
        if not match:
            raise ValueError(f"--shard wants I/N (for example 2/4), not {text!r}")
        index, count = int(match.group(1)), int(match.group(2))
        if count < 1 or not 1 <= index <= count:
            raise ValueError(f"--shard {text}: I must be between 1 and N")
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def stable_hash(name: str) -> int:
    import hashlib  # here: OpenSSL loads only for sharded runs

    return int.from_bytes(hashlib.sha256(name.encode("utf-8", "surrogateescape")).digest()[:8], "big")


def assign(units: Iterable[tuple[str, int]], count: int) -> dict[str, int]:
    """Unit name → shard number (1-based): largest first onto the lightest shard."""
    order = sorted(units, key=lambda u: (-u[1], stable_hash(u[0]), u[0]))
    heap = [(0, shard) for shard in range(1, count + 1)]
    out: dict[str, int] = {}
    for name, size in order:
        load, shard = heapq.heappop(heap)
        out[name] = shard
        heapq.heappush(heap, (load + max(size, 1), shard))
    return out


def units(paths: Sequence[str], related: Sequence[RelatedKey]) -> dict[str, str]:
    """path → its unit, named by its first path in sort order (so the name does not depend
    on listing order): files joined by any shared key, transitively (a file two
    kustomizations list joins both into one unit); a file with no key is its own."""
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        while parent.get(node, node) != node:
            parent[node] = node = parent.get(parent[node], parent[node])  # path halving
        return node

    for path in paths:
        for key in related:
            for k in related_keys(key, path):
                a, b = root(f"path:{path}"), root(f"key:{k}")
                if a != b:
                    parent[a] = b
    groups: dict[str, list[str]] = {}
    for path in paths:
        groups.setdefault(root(f"path:{path}"), []).append(path)
    return {p: name for members in groups.values() for name in [min(members)] for p in members}


def select_files(paths: Sequence[str], sizes: Sequence[int], shard: Shard,
                 related: Sequence[RelatedKey]) -> set[str]:
    """The paths of `shard`; files sharing a related key are one unit."""
    unit_of = units(paths, related)
    weight: dict[str, int] = {}
    for path, size in zip(paths, sizes):
        weight[unit_of[path]] = weight.get(unit_of[path], 0) + size
    owner = assign(weight.items(), shard.count)
    return {p for p in paths if owner[unit_of[p]] == shard.index}


def select_envs(names: Iterable[str], shard: Shard) -> set[str]:
    """The environment names of `shard` (each environment one unit)."""
    names = list(names)
    owner = assign(((f"env:{n}", 1) for n in names), shard.count)
    return {n for n in names if owner[f"env:{n}"] == shard.index}
