"""API versions the target Kubernetes version no longer serves, or serves for the last releases.

The table is data (policies/data/deprecated_apis.yaml, `deprecated_apis[apiVersion][kind]`); the
target version is the run's --kube-version. Every API version removed so far is a beta, so only
those are looked up.
"""

from __future__ import annotations

import re
from typing import Any

from prcheck.checks.policy.builtin_k8s.subject import Subject
from prcheck.checks.policy.builtin_k8s.values import text
from prcheck.records import dataclass

_VERSION = re.compile(r"v?1\.(0|[1-9][0-9]*)(\.[0-9]+)?\Z")


def minor(version: Any) -> int | None:
    """"1.32", "1.32.4" or "v1.32" → 32 (every release in the table is 1.x); None for anything
    else, so a malformed version disables the rules instead of failing the run."""
    if isinstance(version, str) and _VERSION.match(version):
        return int(version.removeprefix("v").split(".")[1])
    return None


@dataclass(frozen=True)
class Lookup:
    """Where an apiVersion/kind stands in the deprecation table for the chosen Kubernetes version."""

    api_version: str
    kind: str
    removed_in: Any
    removed_minor: int | None
    target: int
    served: list[dict]  # replacements the target version serves, oldest first
    advice: str


def lookup(s: Subject) -> Lookup | None:
    """The table's entry for this object, judged against the target version; None when there is nothing to say."""
    api_version, kind = s.obj.get("apiVersion"), s.kind
    if not isinstance(api_version, str) or "beta" not in api_version or not isinstance(kind, str):
        return None
    entry = s.data.get("deprecated_apis", {}).get(api_version, {}).get(kind)
    target = minor(s.kube_version)
    if not isinstance(entry, dict) or target is None:
        return None
    replacements = [r for r in entry.get("replacements") or [] if isinstance(r, dict)]
    served = [r for r in replacements if (since := minor(r.get("since"))) is not None and since <= target]
    # the newest replacement the target serves, else the oldest one listed
    replacement = served[-1] if served else replacements[0] if replacements else None
    if replacement is not None:
        advice = f"use apiVersion {text(replacement.get('api_version'))}"
    elif entry.get("note") not in (None, False):
        advice = text(entry["note"])
    else:
        return None
    removed_in = entry.get("removed_in")
    return Lookup(api_version, kind, removed_in, minor(removed_in), target, served, advice)
