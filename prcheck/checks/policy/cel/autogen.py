"""Kyverno's autogen for CEL: a Pod policy also checks the pod template of controllers.

Kyverno rewrites the expressions, not the object: `object.spec` becomes
`object.spec.template.spec` (`object.spec.jobTemplate.spec.template.spec`
for a CronJob) and `object.metadata` the template's metadata, in every
expression of the rule or policy.
"""

from __future__ import annotations

import re
from typing import Any

POD_CONTROLLERS = ("DaemonSet", "Deployment", "Job", "StatefulSet", "ReplicaSet", "ReplicationController", "CronJob")
# ValidatingPolicy `autogen.podControllers.controllers` names resources.
CONTROLLER_RESOURCES = {"daemonsets": "DaemonSet", "deployments": "Deployment", "jobs": "Job",
                        "statefulsets": "StatefulSet", "replicasets": "ReplicaSet",
                        "replicationcontrollers": "ReplicationController", "cronjobs": "CronJob"}
_FIELD = re.compile(r"\b(object|oldObject)\.(spec|metadata)\b")


def rewrite(source: str, template_key: str) -> str:
    """One level of wrapping: `template` for controllers, `jobTemplate` on top for CronJobs."""
    return _FIELD.sub(lambda m: f"{m.group(1)}.spec.{template_key}.{m.group(2)}", source)


def rewrite_for(source: str, kind: str) -> str:
    text = rewrite(source, "template")
    return rewrite(text, "jobTemplate") if kind == "CronJob" else text


_CEL_KEYS = ("expression", "messageExpression", "valueExpression")


def _tree(value: Any, change: Any) -> Any:
    if isinstance(value, dict):
        return {k: change(v) if k in _CEL_KEYS and isinstance(v, str) else _tree(v, change) for k, v in value.items()}
    if isinstance(value, list):
        return [_tree(v, change) for v in value]
    return value


def rewrite_tree(value: Any, kind: str) -> Any:
    """Every CEL string of a spec fragment, rewritten for controller `kind`."""
    return _tree(value, lambda text: rewrite_for(text, kind))


def rewrite_tree_once(value: Any, template_key: str) -> Any:
    """One wrapping level (`template` or `jobTemplate`) over a spec fragment: the
    classic autogen builds CronJob rules from the controller rule, level by level."""
    return _tree(value, lambda text: rewrite(text, template_key))
