"""k8s/cronjob-starting-deadline: after 100 missed schedules a CronJob without a deadline stops for good."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.subject import Subject
from prcheck.checks.policy.builtin_k8s.values import field, is_number


def check(s: Subject) -> Iterator[Hit]:
    if not is_number(field(s.obj, "spec", "startingDeadlineSeconds")):
        yield ("CronJob has no startingDeadlineSeconds: set it so missed runs do not stop the schedule",
               ["spec", "startingDeadlineSeconds"])


RULE = K8sRule(info(
    __name__, "k8s/cronjob-starting-deadline", "CronJob without startingDeadlineSeconds", "warning",
    "Without a deadline, a CronJob controller that was down counts every missed schedule; after 100 misses the job "
    "stops being scheduled at all.",
    "Set `spec.startingDeadlineSeconds` (for example 200) on the CronJob."),
    check, frozenset({"CronJob"}))
