"""k8s/missing-probes: long-running containers need readiness (traffic) and liveness (restarts) probes."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.subject import SERVICE_KINDS, Subject

PROBES = ("livenessProbe", "readinessProbe")


def check(s: Subject) -> Iterator[Hit]:
    if s.pod is None or s.pod.spec.get("restartPolicy") in ("Never", "OnFailure"):
        return  # a one-shot pod: nothing to restart or route to
    for c in s.containers:
        if c.field != "containers":
            continue
        missing = [probe for probe in PROBES if not isinstance(c.container.get(probe), dict)]
        if missing:
            yield (f"container '{c.name}' has no {' or '.join(missing)}: add the probes so rollouts and restarts work",
                   c.path)


RULE = K8sRule(info(
    __name__, "k8s/missing-probes", "Liveness or readiness probe missing", "warning",
    "Without a readiness probe traffic reaches pods before they can serve it (and during a rollout, before the new "
    "version works); without a liveness probe a hung process is never restarted.",
    "Add `readinessProbe` and `livenessProbe` (an HTTP, TCP, gRPC or exec check) to the container."),
    check, SERVICE_KINDS)
