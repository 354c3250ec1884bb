"""k8s/host-port: a hostPort binds the node's port, past network policies."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.subject import POD_KINDS, Subject
from prcheck.checks.policy.builtin_k8s.values import is_number, members, text


def check(s: Subject) -> Iterator[Hit]:
    for c in s.containers:
        for index, port in members(c.container.get("ports")):
            host = port.get("hostPort") if isinstance(port, dict) else None
            if is_number(host) and host > 0:
                yield (f"container '{c.name}' binds host port {text(host)}: remove hostPort and use a Service",
                       c.path + ["ports", index, "hostPort"])


RULE = K8sRule(info(
    __name__, "k8s/host-port", "hostPort used", "warning",
    "A hostPort binds the node's port: it bypasses network policies, limits where the pod can schedule, and "
    "exposes the container on the node's address.",
    "Remove `hostPort`; expose the container through a Service instead."),
    check, POD_KINDS)
