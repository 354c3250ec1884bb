"""k8s/image-latest-tag: `latest` (or no tag) is whatever was pushed last, different from node to node."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.subject import POD_KINDS, Subject

REASONS = {"latest": "with the latest tag", "": "without a tag (latest)"}


def check(s: Subject) -> Iterator[Hit]:
    for img in s.images:
        if img.mutable:
            yield (f"container '{img.container.name}' uses image {img.image} {REASONS[img.tag]}: pin a version tag "
                   "or a digest", img.path)


RULE = K8sRule(info(
    __name__, "k8s/image-latest-tag", "Image tag latest or missing", "warning",
    "`latest` (or no tag, which means latest) changes under you: two nodes can run different code, and a rollback "
    "redeploys whatever latest is today.",
    "Use an immutable version tag (e.g. `nginx:1.27.3`), ideally with its `@sha256:` digest."),
    check, POD_KINDS)
