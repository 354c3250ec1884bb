"""The same object twice in one folder: the second silently replaces the first on apply.

Scoped to a folder because a GitOps repository legitimately defines the same
object once per cluster or environment folder.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Iterator, Sequence

from prcheck.checks.context import CheckContext
from prcheck.checks.lint.rule import MANIFEST_KINDS, LintRule, finding
from prcheck.model import Finding
from prcheck.sources.yaml_loader import LoadedFile


def folder_of(path: str) -> str:
    return str(PurePosixPath(path).parent)


def check(files: Sequence[LoadedFile], ctx: CheckContext) -> Iterator[Finding]:
    seen: dict[tuple[str, str, str, str, str], tuple[str, int]] = {}
    for file in files:
        if file.kind not in MANIFEST_KINDS:
            continue
        folder = folder_of(file.path)
        for doc in file.docs:
            if not isinstance(doc.obj, dict) or not doc.name or not doc.kind or doc.file_kind == "client-config":
                continue
            group = doc.api_version.rpartition("/")[0]
            key = (folder, group, doc.kind, doc.namespace, doc.name)
            if key in seen:
                first_path, first_line = seen[key]
                yield finding(RULE, f"{doc.resource} is already defined at {first_path}:{first_line}",
                              doc.path, doc.line, doc.resource)
            else:
                seen[key] = (doc.path, doc.line)


RULE = LintRule(
    id="k8s/duplicate-resource", severity="error", title="the same resource defined twice",
    description="Two documents in one folder share API group, kind, namespace and name.",
    check=check,
    scope="run",
    related=folder_of,
)
