"""k8s/default-namespace: the namespace everything lands in without thought, with no RBAC or quota of its own."""

from __future__ import annotations

from collections.abc import Iterator

from prcheck.checks.policy.builtin_k8s.rule import Hit, K8sRule, info
from prcheck.checks.policy.builtin_k8s.subject import Subject
from prcheck.checks.policy.builtin_k8s.values import MISSING, field, text

# Cluster-scoped kinds have no namespace to judge.
CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding",
    "CustomResourceDefinition", "StorageClass", "PriorityClass", "IngressClass",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "APIService",
    "RuntimeClass", "CSIDriver", "CSINode", "VolumeAttachment", "PodSecurityPolicy",
    "ClusterIssuer", "FlowSchema", "PriorityLevelConfiguration", "CertificateSigningRequest",
})


def check(s: Subject) -> Iterator[Hit]:
    kind = s.obj.get("kind", MISSING)
    if kind is MISSING or (isinstance(kind, str) and kind in CLUSTER_SCOPED):
        return
    if field(s.obj, "metadata", "namespace") == "default":
        yield f"{text(kind)} is deployed to the default namespace: use a dedicated namespace", ["metadata", "namespace"]


RULE = K8sRule(info(
    __name__, "k8s/default-namespace", "Resource in the default namespace", "warning",
    "The default namespace is shared by everything deployed without thought; a named namespace gets its own RBAC, "
    "quotas and network policies.",
    "Deploy into a dedicated namespace (set `metadata.namespace`, or the namespace in kustomize/Helm/Flux)."),
    check)
