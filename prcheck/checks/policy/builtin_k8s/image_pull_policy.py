"""k8s/image-pull-policy: IfNotPresent/Never with a mutable tag lets each node keep its own "latest"."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.subject import POD_KINDS, Subject

STALE = ("IfNotPresent", "Never")


def check(s: Subject) -> Iterator[Hit]:
    for img in s.images:
        policy = img.container.container.get("imagePullPolicy")
        if img.mutable and isinstance(policy, str) and policy in STALE:
            yield (f"container '{img.container.name}' pulls mutable image {img.image} with imagePullPolicy {policy}: "
                   "pin a version or use Always", img.container.path + ["imagePullPolicy"])


RULE = K8sRule(info(
    __name__, "k8s/image-pull-policy", "imagePullPolicy keeps a stale latest image", "warning",
    "With a latest (or missing) tag, Kubernetes defaults imagePullPolicy to Always; setting IfNotPresent or Never "
    "makes each node run whatever it pulled first, so nodes disagree on what \"latest\" is.",
    "Pin a version tag or digest; otherwise set `imagePullPolicy: Always`."),
    check, POD_KINDS)
