"""k8s/automount-service-account-token: an API token in every pod that never calls the API."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.subject import POD_KINDS, Subject


def check(s: Subject) -> Iterator[Hit]:
    if s.pod is not None and s.pod.spec.get("automountServiceAccountToken") is not False:
        yield ("pod mounts a service account token: set automountServiceAccountToken to false unless it calls the "
               "Kubernetes API", s.pod.path + ["automountServiceAccountToken"])


RULE = K8sRule(info(
    __name__, "k8s/automount-service-account-token", "Service account token mounted", "info",
    "Pods get an API token mounted by default; most never call the API, and a compromised one can use the token "
    "against the cluster.",
    "Set `automountServiceAccountToken: false` in the pod spec (or on the ServiceAccount) unless the app calls the "
    "Kubernetes API."),
    check, POD_KINDS)
