"""Admission configuration a narrowed pull-request run still needs from every file.

A `--base` run checks only the files a change affects, but the API server
judges a changed Deployment by every ValidatingAdmissionPolicy, binding and
parameter object in the cluster, and by the labels of its Namespace. So, as
CRDs are, these are carried in from the whole repository: each file's bytes
are searched for the kind names first (as discovery does), and only files
that mention one are parsed. Parameter kinds are only known once the
policies are read, so their files are found in a second search.

The carried documents configure the checks; they are never checked
themselves (they are not in the changed set). Kept free of the CEL runtime's
imports: a run that finds nothing here never loads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from prcheck.model import Document

_MARKER = re.compile(rb"ValidatingAdmissionPolicy|ValidatingPolicy|\bNamespace\b")


def mentions(raw: bytes) -> bool:
    """The file's text names a kind carried here (substring tests first: most files name none)."""
    return (b"Validating" in raw or b"Namespace" in raw) and _MARKER.search(raw) is not None
_ADMISSION_GROUP = "admissionregistration.k8s.io/"
_KYVERNO_GROUP = "policies.kyverno.io/"
_ADMISSION_KINDS = frozenset({"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"})
_KYVERNO_KINDS = frozenset({"ValidatingPolicy", "NamespacedValidatingPolicy"})


def configures_admission(doc: Document) -> bool:
    """A policy, binding or Namespace: what decides how admission treats other objects."""
    kind, api_version = doc.kind, doc.api_version
    return (kind in _ADMISSION_KINDS and api_version.startswith(_ADMISSION_GROUP)
            or kind in _KYVERNO_KINDS and api_version.startswith(_KYVERNO_GROUP)
            or kind == "Namespace" and api_version == "v1")


def param_kinds(docs: Iterable[Document]) -> set[tuple[str, str]]:
    """(apiVersion, kind) of the parameter objects the carried policies name."""
    out = set()
    for doc in docs:
        spec = doc.obj.get("spec") if doc.kind == "ValidatingAdmissionPolicy" else None
        param = spec.get("paramKind") if isinstance(spec, dict) else None
        if isinstance(param, dict) and isinstance(param.get("kind"), str) and param.get("kind"):
            out.add((str(param.get("apiVersion") or ""), param["kind"]))
    return out


def param_marker(kinds: Iterable[tuple[str, str]]) -> "re.Pattern[bytes] | None":
    names = sorted({kind for _, kind in kinds})
    return re.compile(rb"\b(" + b"|".join(re.escape(n.encode()) for n in names) + rb")\b") if names else None


def is_param(doc: Document, kinds: Sequence[tuple[str, str]] | set[tuple[str, str]]) -> bool:
    return (doc.api_version, doc.kind) in kinds


def unchecked(carried: Sequence[Document], checked: Sequence[Document]) -> list[Document]:
    """The carried documents that are not among the checked ones (no object counted twice)."""
    seen = {(d.path, d.index) for d in checked}
    return [d for d in carried if (d.path, d.index) not in seen]


def objects(docs: Iterable[Document]) -> list[Any]:
    return [d.obj for d in docs if isinstance(d.obj, dict) and d.obj.get("kind")]
