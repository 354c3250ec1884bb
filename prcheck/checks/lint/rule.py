"""What a lint rule is: data plus one function (yamllint's model)."""

from __future__ import annotations

from typing import Callable, Collection, Iterable, Sequence

from prcheck.checks.context import CheckContext
from prcheck.model import Finding
from prcheck.records import dataclass
from prcheck.sources.yaml_loader import LoadedFile

MANIFEST_KINDS = frozenset({"kubernetes"})


@dataclass(frozen=True)
class LintRule:
    """A lint rule: its catalog text plus the function that checks loaded files (each alone, or all for a run rule)."""

    id: str
    severity: str
    title: str
    description: str
    check: Callable[[Sequence[LoadedFile], CheckContext], Iterable[Finding]] | None = None
    scope: str = "file"  # "run" when the rule compares files, so it cannot run on a share of them
    # For "run" rules: given the run's kustomization files, path → the keys of the
    # units the rule compares it in (duplicate-resource: the kustomizations listing it).
    # A pull-request run checks the files sharing a key with a changed one; a shard keeps them together.
    related: Callable[[Sequence[LoadedFile]], Callable[[str], Collection[str]]] | None = None


def finding(rule: LintRule, message: str, path: str, line: int = 0, resource: str = "") -> Finding:
    return Finding(rule=rule.id, severity=rule.severity, message=message, path=path,  # type: ignore[arg-type]
                   line=line, resource=resource, engine="lint")
