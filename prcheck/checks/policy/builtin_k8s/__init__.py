"""The built-in pack's Kubernetes rules, in Python: one module per rule (data + one function).

They were Rego, evaluated by regorus for every document; the pod rules alone
cost ~290 µs per workload there, most of a whole run. Here the pod spec,
containers and images are computed once per document (`Subject`) and each
rule is a few dictionary reads. Ids, severities, messages and key paths
(hence lines) are the ones the Rego rules reported; `values` holds the few
places where Rego's value semantics differ from Python's. The pack's CI
rules (GitHub Actions, GitLab CI) stay Rego, in policies/.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

from prcheck.checks.policy.builtin_k8s import (
    automount_service_account_token,
    capabilities_not_dropped,
    cluster_admin_binding,
    cronjob_starting_deadline,
    dangerous_capabilities,
    default_namespace,
    deprecated_api,
    docker_socket_mount,
    exposed_service,
    host_namespaces,
    host_path_volume,
    host_port,
    image_latest_tag,
    image_not_pinned_by_digest,
    image_pull_policy,
    missing_probes,
    missing_resources,
    privilege_escalation,
    privileged_container,
    rbac_secrets_access,
    rbac_wildcard,
    removed_api,
    run_as_root,
    seccomp_unconfined,
    selector_mismatch,
    unsafe_sysctls,
    writable_root_filesystem,
)
from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule
from prcheck.checks.policy.builtin_k8s.subject import Subject

_MODULES: Sequence[ModuleType] = (
    automount_service_account_token, capabilities_not_dropped, cluster_admin_binding, cronjob_starting_deadline,
    dangerous_capabilities, default_namespace, deprecated_api, docker_socket_mount, exposed_service,
    host_namespaces, host_path_volume, host_port, image_latest_tag, image_not_pinned_by_digest, image_pull_policy,
    missing_probes, missing_resources, privilege_escalation, privileged_container, rbac_secrets_access,
    rbac_wildcard, removed_api, run_as_root, seccomp_unconfined, selector_mismatch, unsafe_sysctls,
    writable_root_filesystem,
)
RULES: Sequence[K8sRule] = tuple(m.RULE for m in _MODULES)

_ANY_KIND = tuple(r for r in RULES if r.kinds is None)
_BY_KIND: dict[str, tuple[K8sRule, ...]] = {
    kind: _ANY_KIND + tuple(r for r in RULES if r.kinds is not None and kind in r.kinds)
    for kind in sorted({k for r in RULES for k in r.kinds or ()})
}


def rules_for(kind: Any) -> Sequence[K8sRule]:
    """The rules that can fire on an object of this kind."""
    return _BY_KIND.get(kind, _ANY_KIND) if isinstance(kind, str) else _ANY_KIND


def hits(obj: dict, kube_version: str, data: Mapping[str, Any]) -> list[tuple[K8sRule, Hit]]:
    """Every (rule, (message, key path)) for one Kubernetes object. No rule yields the same
    finding twice (each path is another container, volume or key), as Rego's deny set never holds one twice."""
    subject = Subject(obj, kube_version, data)
    return [(rule, hit) for rule in rules_for(subject.kind) for hit in rule.check(subject)]
