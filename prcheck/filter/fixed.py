"""Findings the change fixes: present at the base, gone at the head.

A reviewer weighing a pull request wants the credit side too: "this removes
a privileged container" is as much a fact about the change as a new
warning. The base side's findings exist already (the same checks run on the
base versions of the changed files and on each environment's base render,
to tell new findings from pre-existing ones); a base finding with no
counterpart among the head's findings, reported or suppressed, is fixed.
Counterparts are matched by the same signatures the new-versus-pre-existing
split uses, and counted, so one of two identical findings can be fixed.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from prcheck.filter.changed_lines import LINE_ONLY_PREFIXES, Baseline, FileBaseline, file_signature, signature
from prcheck.model import Finding


def fixed(head: Iterable[Finding], files: FileBaseline | None, rendered: Baseline | None) -> list[Finding]:
    """Base findings the head no longer has (repository files first, then environments)."""
    head = list(head)
    out: list[Finding] = []
    if files is not None:
        left = Counter(file_signature(f) for f in head if not f.env)
        for finding in files.findings:
            if finding.env or finding.rule.startswith(LINE_ONLY_PREFIXES):
                continue
            sig = file_signature(finding)
            if left[sig] > 0:
                left[sig] -= 1
            else:
                out.append(finding)
    if rendered is not None:
        present = {signature(f, rendered.renamed) for f in head if f.env in rendered.envs}
        out.extend(f for f in rendered.findings if f.env in rendered.envs and signature(f) not in present)
    return out
