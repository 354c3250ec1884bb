"""Every Kubernetes object needs apiVersion, kind and a name; kubectl refuses it otherwise."""

from __future__ import annotations

from typing import Iterator, Sequence

from prcheck.checks.context import CheckContext
from prcheck.checks.lint.rule import MANIFEST_KINDS, LintRule, finding
from prcheck.model import Finding
from prcheck.sources.yaml_loader import LoadedFile

NAMELESS_KINDS = frozenset({"List"})


def check(files: Sequence[LoadedFile], ctx: CheckContext) -> Iterator[Finding]:
    for file in files:
        if file.kind not in MANIFEST_KINDS:
            continue
        for doc in file.docs:
            obj = doc.obj
            if not isinstance(obj, dict) or doc.file_kind == "client-config":
                continue
            for field in ("apiVersion", "kind"):
                if not isinstance(obj.get(field), str) or not obj[field]:
                    yield finding(RULE, f"document {doc.index} has no {field}", doc.path, doc.line)
            if doc.kind in NAMELESS_KINDS:  # `kind:` may be any YAML value, a mapping too
                continue
            meta = obj.get("metadata")
            if not isinstance(meta, dict) or not (meta.get("name") or meta.get("generateName")):
                yield finding(RULE, f"{doc.kind or 'document'} has no metadata.name",
                              doc.path, doc.line_of(["metadata"]), doc.resource)


RULE = LintRule(
    id="k8s/missing-required-field", severity="error", title="apiVersion, kind or metadata.name missing",
    description="A Kubernetes object must carry apiVersion, kind and metadata.name (or generateName).",
    check=check,
)
