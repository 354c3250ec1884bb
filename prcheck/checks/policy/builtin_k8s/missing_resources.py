"""k8s/missing-resources: requests let the scheduler plan, limits keep one pod from starving the node."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.subject import POD_KINDS, Subject
from prcheck.checks.policy.builtin_k8s.values import get_path

FIELDS = (("resources", "requests", "cpu"), ("resources", "requests", "memory"),
          ("resources", "limits", "cpu"), ("resources", "limits", "memory"))


def check(s: Subject) -> Iterator[Hit]:
    for c in s.containers:
        if c.field == "ephemeralContainers":
            continue
        missing = [f"{path[1]}.{path[2]}" for path in FIELDS if get_path(c.container, path) is None]
        if missing:
            yield (f"container '{c.name}' has no {', '.join(missing)}: set resources requests and limits",
                   c.path + ["resources"])


RULE = K8sRule(info(
    __name__, "k8s/missing-resources", "CPU or memory requests and limits missing", "warning",
    "Without requests the scheduler packs pods blindly; without limits one pod can starve its neighbours or the "
    "node (a memory leak takes the node down).",
    "Set `resources.requests.cpu`, `resources.requests.memory`, `resources.limits.cpu` and "
    "`resources.limits.memory`."),
    check, POD_KINDS)
