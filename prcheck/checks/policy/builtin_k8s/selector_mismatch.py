"""k8s/selector-mismatch: the API server rejects a controller whose selector misses its own pods."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.values import MISSING, field, get_path, members, same, text
from prcheck.checks.policy.builtin_k8s.subject import Subject


def check(s: Subject) -> Iterator[Hit]:
    labels = get_path(s.obj, ("spec", "template", "metadata", "labels"), {})
    if not isinstance(labels, dict):
        return
    for key, value in members(field(s.obj, "spec", "selector", "matchLabels")):
        have = labels.get(key, MISSING) if isinstance(key, str) else MISSING
        if have is MISSING or not same(have, value):
            yield (f"selector {text(key)}={text(value)} does not match the pod template labels: make "
                   "spec.selector.matchLabels equal spec.template.metadata.labels",
                   ["spec", "selector", "matchLabels", key])


RULE = K8sRule(info(
    __name__, "k8s/selector-mismatch", "Selector does not match template labels", "error",
    "A controller whose selector does not match its own pod template labels is rejected by the API server "
    "(apps/v1), so the rollout fails.",
    "Make every `spec.selector.matchLabels` entry equal to the same label in `spec.template.metadata.labels`."),
    check, frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}))
