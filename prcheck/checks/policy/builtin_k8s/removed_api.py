"""k8s/removed-api: applying a manifest whose apiVersion the target no longer serves fails."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.apis import lookup
from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.subject import Subject
from prcheck.checks.policy.builtin_k8s.values import text


def check(s: Subject) -> Iterator[Hit]:
    api = lookup(s)
    if api is not None and api.removed_minor is not None and api.target >= api.removed_minor:
        yield (f"{api.api_version} {api.kind} was removed in Kubernetes {text(api.removed_in)} "
               f"(target {text(s.kube_version)}): {api.advice}", ["apiVersion"])


RULE = K8sRule(info(
    __name__, "k8s/removed-api", "API version removed", "error",
    "The target Kubernetes version no longer serves this apiVersion for this kind: applying the manifest fails.",
    "Move the manifest to the replacement apiVersion named in the message (review the field changes in the "
    "Kubernetes deprecation guide)."),
    check)
