"""k8s/exposed-service: NodePort and LoadBalancer reach outside the cluster; make sure that is meant."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.subject import Subject
from prcheck.checks.policy.builtin_k8s.values import field

EXPOSED = ("NodePort", "LoadBalancer")


def check(s: Subject) -> Iterator[Hit]:
    kind = field(s.obj, "spec", "type")
    if isinstance(kind, str) and kind in EXPOSED:
        yield (f"Service is type {kind} and reachable from outside the cluster: use ClusterIP behind an Ingress or "
               "Gateway if that is not intended", ["spec", "type"])


RULE = K8sRule(info(
    __name__, "k8s/exposed-service", "Service exposed outside the cluster", "info",
    "NodePort opens a port on every node, LoadBalancer asks the cloud for a public address: check the exposure is "
    "intended and protected.",
    "Use `type: ClusterIP` behind an Ingress or Gateway, or restrict `loadBalancerSourceRanges`."),
    check, frozenset({"Service"}))
