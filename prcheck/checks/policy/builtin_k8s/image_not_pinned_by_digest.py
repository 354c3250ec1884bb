"""k8s/image-not-pinned-by-digest: a tag can be moved; only a digest names exact bytes."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.subject import POD_KINDS, Subject


def check(s: Subject) -> Iterator[Hit]:
    for img in s.images:
        # a latest or missing tag is image-latest-tag's finding
        if not img.templated and img.digest == "" and img.tag not in ("", "latest"):
            yield (f"container '{img.container.name}' image {img.image} is not pinned by digest: append "
                   "@sha256:<digest>", img.path)


RULE = K8sRule(info(
    __name__, "k8s/image-not-pinned-by-digest", "Image not pinned by digest", "info",
    "A tag can be moved to other content; only a digest names exact bytes. Pinning by digest makes deployments "
    "reproducible and tamper-evident.",
    "Append the digest to the image, e.g. `nginx:1.27.3@sha256:<digest>` (Renovate and Dependabot keep it current)."),
    check, POD_KINDS)
