"""The one interface every policy engine (Rego, Kyverno, Gatekeeper) implements."""

from __future__ import annotations

from dataclasses import field
from typing import Protocol, Sequence

from prcheck.model import Document, Finding, Suppressed, pack_findings, unpack_findings
from prcheck.records import dataclass


class PolicyError(Exception):
    """A policy that cannot be loaded or evaluated: the run exits 2 with this line."""

    def __init__(self, path: str, line: int, column: int, message: str) -> None:
        self.path, self.line, self.column, self.message = path, line, column, message
        where = path + (f":{line}" if line else "") + (f":{column}" if column else "")
        super().__init__(f"{where}: {message}")


@dataclass
class Evaluation:
    """What one policy engine returned for a run: findings, suppressed findings and the pass count."""

    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    passed: int = 0  # rule evaluations that found nothing, for conftest-style counts

    def extend(self, other: "Evaluation") -> None:
        self.findings.extend(other.findings)
        self.suppressed.extend(other.suppressed)
        self.passed += other.passed

    def __reduce__(self) -> tuple:
        """Worker shares hand their findings back in one pickle: as plain field tuples
        (`pack_findings`), read back in C, with nothing computed again."""
        return _unpickled, (pack_findings(self.findings), self.suppressed, self.passed)


def _unpickled(findings: list, suppressed: list[Suppressed], passed: int) -> Evaluation:
    return Evaluation(unpack_findings(findings), suppressed, passed)


class PolicyEngine(Protocol):
    name: str
    # True when each document is judged on its own, so the engine may run in
    # worker processes on a share of the files; False when it needs the run.
    per_document: bool

    # An engine whose verdicts depend on the run's context (the target Kubernetes
    # version of a rendered environment) may also define
    # `for_context(ctx) -> PolicyEngine`; the pipeline calls it when present.

    def evaluate(self, docs: Sequence[Document]) -> Evaluation:
        """Evaluate every loaded policy against `docs`; compile work is done once, in the constructor."""
        ...
