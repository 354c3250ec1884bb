"""k8s/deprecated-api: still served, removed later, and the replacement is already there: migrate now."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.apis import lookup
from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.subject import Subject
from prcheck.checks.policy.builtin_k8s.values import text


def check(s: Subject) -> Iterator[Hit]:
    api = lookup(s)
    if api is not None and api.removed_minor is not None and api.target < api.removed_minor and api.served:
        yield (f"{api.api_version} {api.kind} is deprecated and removed in Kubernetes {text(api.removed_in)}: "
               f"{api.advice}", ["apiVersion"])


RULE = K8sRule(info(
    __name__, "k8s/deprecated-api", "API version deprecated", "warning",
    "The target Kubernetes version still serves this apiVersion, but a later one removes it while the replacement "
    "is already available: migrate now.",
    "Move the manifest to the replacement apiVersion named in the message before upgrading the cluster."),
    check)
