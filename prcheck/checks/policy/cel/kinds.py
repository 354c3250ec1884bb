"""Kind → resource names, which admission matching speaks in.

`matchConstraints.resourceRules` name resources (`deployments`), files name
kinds (`Deployment`). Built-in kinds come from this table (the API server's
discovery data, as data); CRDs found with the run add theirs from
`spec.names.plural`; anything else falls back to kubectl's guess
(lower-case, plural by English rules), which is what the Kyverno CLI does
offline too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# kind: (group, resource, namespaced)
BUILTIN: dict[str, tuple[str, str, bool]] = {
    "Pod": ("", "pods", True), "Service": ("", "services", True), "ConfigMap": ("", "configmaps", True),
    "Secret": ("", "secrets", True), "ServiceAccount": ("", "serviceaccounts", True),
    "Namespace": ("", "namespaces", False), "Node": ("", "nodes", False),
    "PersistentVolume": ("", "persistentvolumes", False),
    "PersistentVolumeClaim": ("", "persistentvolumeclaims", True), "Endpoints": ("", "endpoints", True),
    "Event": ("", "events", True), "LimitRange": ("", "limitranges", True),
    "ResourceQuota": ("", "resourcequotas", True), "ReplicationController": ("", "replicationcontrollers", True),
    "PodTemplate": ("", "podtemplates", True), "Binding": ("", "bindings", True),
    "Deployment": ("apps", "deployments", True), "StatefulSet": ("apps", "statefulsets", True),
    "DaemonSet": ("apps", "daemonsets", True), "ReplicaSet": ("apps", "replicasets", True),
    "ControllerRevision": ("apps", "controllerrevisions", True),
    "Job": ("batch", "jobs", True), "CronJob": ("batch", "cronjobs", True),
    "HorizontalPodAutoscaler": ("autoscaling", "horizontalpodautoscalers", True),
    "Ingress": ("networking.k8s.io", "ingresses", True),
    "IngressClass": ("networking.k8s.io", "ingressclasses", False),
    "NetworkPolicy": ("networking.k8s.io", "networkpolicies", True),
    "PodDisruptionBudget": ("policy", "poddisruptionbudgets", True),
    "Role": ("rbac.authorization.k8s.io", "roles", True),
    "RoleBinding": ("rbac.authorization.k8s.io", "rolebindings", True),
    "ClusterRole": ("rbac.authorization.k8s.io", "clusterroles", False),
    "ClusterRoleBinding": ("rbac.authorization.k8s.io", "clusterrolebindings", False),
    "StorageClass": ("storage.k8s.io", "storageclasses", False),
    "VolumeAttachment": ("storage.k8s.io", "volumeattachments", False),
    "CSIDriver": ("storage.k8s.io", "csidrivers", False),
    "PriorityClass": ("scheduling.k8s.io", "priorityclasses", False),
    "RuntimeClass": ("node.k8s.io", "runtimeclasses", False),
    "Lease": ("coordination.k8s.io", "leases", True),
    "EndpointSlice": ("discovery.k8s.io", "endpointslices", True),
    "CustomResourceDefinition": ("apiextensions.k8s.io", "customresourcedefinitions", False),
    "APIService": ("apiregistration.k8s.io", "apiservices", False),
    "ValidatingWebhookConfiguration": ("admissionregistration.k8s.io", "validatingwebhookconfigurations", False),
    "MutatingWebhookConfiguration": ("admissionregistration.k8s.io", "mutatingwebhookconfigurations", False),
    "ValidatingAdmissionPolicy": ("admissionregistration.k8s.io", "validatingadmissionpolicies", False),
    "ValidatingAdmissionPolicyBinding": ("admissionregistration.k8s.io", "validatingadmissionpolicybindings", False),
    "CertificateSigningRequest": ("certificates.k8s.io", "certificatesigningrequests", False),
    "FlowSchema": ("flowcontrol.apiserver.k8s.io", "flowschemas", False),
    "PriorityLevelConfiguration": ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations", False),
    "Gateway": ("gateway.networking.k8s.io", "gateways", True),
    "HTTPRoute": ("gateway.networking.k8s.io", "httproutes", True),
    "GatewayClass": ("gateway.networking.k8s.io", "gatewayclasses", False),
}


def guess_resource(kind: str) -> str:
    """kubectl's `UnsafeGuessKindToResource`."""
    lower = kind.lower()
    if not lower:
        return ""
    if lower.endswith("s"):
        return lower + "es"
    if lower.endswith("y") and len(lower) > 1 and lower[-2] not in "aeiou":
        return lower[:-1] + "ies"
    return lower + "s"


class KindTable:
    """Resource name and scope of a (group, kind): built-ins, then CRDs of the run, then a guess."""

    def __init__(self, crds: Iterable[Any] = ()) -> None:
        self._crds: dict[tuple[str, str], tuple[str, bool]] = {}
        for crd in crds:
            self.add_crd(crd)

    def add_crd(self, crd: Any) -> None:
        if not isinstance(crd, dict) or crd.get("kind") != "CustomResourceDefinition":
            return
        spec = crd.get("spec") if isinstance(crd.get("spec"), dict) else {}
        names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
        kind, plural = str(names.get("kind") or ""), str(names.get("plural") or "")
        if kind and plural:
            self._crds[(str(spec.get("group") or ""), kind)] = (plural, spec.get("scope") != "Cluster")

    def resource(self, group: str, kind: str) -> str:
        found = self._crds.get((group, kind))
        if found:
            return found[0]
        builtin = BUILTIN.get(kind)
        if builtin and builtin[0] == group:
            return builtin[1]
        return guess_resource(kind)

    def namespaced(self, group: str, kind: str) -> bool:
        found = self._crds.get((group, kind))
        if found:
            return found[1]
        builtin = BUILTIN.get(kind)
        return builtin[2] if builtin and builtin[0] == group else True

    def plural_map(self, objects: Iterable[dict]) -> dict[tuple[str, str], str]:
        """(apiVersion, kind) → resource, for the objects a library answers from."""
        found = {}
        for obj in objects:
            api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
            found[(api_version, kind)] = self.resource(api_version.rpartition("/")[0], kind)
        return found
