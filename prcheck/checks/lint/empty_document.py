"""An empty `---` section is usually a leftover from an edit, or a template gone wrong."""

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
        last = len(file.docs) - 1
        for doc in file.docs:
            # a trailing `---` is a common, harmless habit: only flag empties between documents
            if doc.obj is None and 0 < doc.index < last:
                yield finding(RULE, f"document {doc.index} is empty", doc.path, doc.line)


RULE = LintRule(
    id="k8s/empty-document", severity="info", title="Empty document in a manifest file",
    description="A `---` with nothing before the next `---` in a file of Kubernetes objects.",
    check=check,
)
