"""The CEL engine of a run without CEL policy paths, loaded only when the documents need it.

Most runs hold no admission policy and no custom resource: the CEL runtime
(cel-cpp bindings, the Kubernetes libraries) would then cost a one-file
pre-commit run a fifth of its time for nothing. `DeferredCelEngine` answers
for `CelEngine` and builds it on the first batch of documents that holds
something it could act on; until then it does what `CelEngine` does with no
policies and no rules: the immutable-field checks against the base.

What "could act on" means errs on the side of loading: any document outside
the built-in API groups (a custom resource may carry `x-kubernetes-validations`),
an admission-registration or CRD document, a Kyverno policy, or CRD schemas
and admission configuration carried in from other files.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from prcheck.model import Document

from ..base import Evaluation

ENGINE = "cel"
# built-in groups whose objects feed the engine itself: policies, bindings, CRDs
_CEL_GROUPS = frozenset({"admissionregistration.k8s.io", "apiextensions.k8s.io"})


def _built_in(api_version: str) -> bool:
    group = api_version.rpartition("/")[0]
    return (not group or "." not in group or group.endswith(".k8s.io")) and group not in _CEL_GROUPS


# text that any admission policy or Kyverno ValidatingPolicy document contains
POLICY_MARKERS = (b"admissionregistration.k8s.io", b"policies.kyverno.io")


def reads_whole_objects(doc: Document) -> bool:
    """Whether `CelEngine` may read more of `doc` than its identity, in a run that holds no
    admission policy (POLICY_MARKERS appear in no file), no base version and no CRD for a
    built-in group: custom resources (CRD rules) and documents of the engine's own kinds."""
    return isinstance(doc.obj, dict) and not _built_in(doc.api_version)


def built_in_group_crds(crds: Any) -> bool:
    """CRD schemas a run carries for a built-in group (a hostile `apps` CRD): their rules
    would run on built-in kinds."""
    return any(_built_in(api_version) for api_version, _ in crds or ())


def needs_runtime(docs: Sequence[Document], ctx: Any) -> bool:
    """Whether `CelEngine` could find anything beyond immutable fields in `docs`."""
    if getattr(ctx, "crd_schemas", None) or any(d.kind != "Namespace" for d in getattr(ctx, "admission_docs", ())):
        return True
    built_in: dict[str, bool] = {}  # a run has a handful of apiVersions and thousands of documents
    for doc in docs:
        if isinstance(doc.obj, dict):
            api_version = doc.api_version
            known = built_in.get(api_version)
            if known is None:
                known = built_in[api_version] = _built_in(api_version)
            if not known:
                return True
    return False


class DeferredCelEngine:
    """`CelEngine`'s interface; the real engine is built when `needs_runtime` says so."""

    name = ENGINE
    per_document = False
    whole_run = False

    def __init__(self) -> None:
        self.ctx: Any = None
        self._engine: list[Any] = []  # shared by every bound copy: one runtime, one program cache per run

    def for_context(self, ctx: Any) -> DeferredCelEngine:
        bound = copy.copy(self)
        bound.ctx = ctx
        return bound

    def evaluate(self, docs: Sequence[Document]) -> Evaluation:
        if needs_runtime(docs, self.ctx):
            if not self._engine:
                from .engine import CelEngine

                self._engine.append(CelEngine())
            return self._engine[0].for_context(self.ctx).evaluate(docs)
        base = getattr(self.ctx, "base_objects", None) or {}
        if not base:  # nothing to compare with (every run without --base): no immutable-field module either
            return Evaluation(findings=[])
        from . import immutable

        return Evaluation(findings=immutable.check(docs, base, getattr(self.ctx, "base_docs", ())))
