"""A list or a scalar where a Kubernetes object should be: kubectl cannot apply it."""

from __future__ import annotations

from typing import Iterator, Sequence

from prcheck.checks.context import CheckContext
from prcheck.checks.lint.rule import MANIFEST_KINDS, LintRule, finding
from prcheck.model import Finding
from prcheck.sources.yaml_loader import LoadedFile


def check(files: Sequence[LoadedFile], ctx: CheckContext) -> Iterator[Finding]:
    for file in files:
        if file.kind not in MANIFEST_KINDS:
            continue
        for doc in file.docs:
            if doc.obj is not None and not isinstance(doc.obj, dict):
                yield finding(RULE, f"document {doc.index} is a {type(doc.obj).__name__}, not a mapping",
                              doc.path, doc.line)


RULE = LintRule(
    id="k8s/non-mapping-document", severity="error", title="Document is not a mapping",
    description="In a manifest file every document must be a Kubernetes object (a mapping).",
    check=check,
)
