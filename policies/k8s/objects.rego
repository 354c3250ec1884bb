# METADATA
# description: |
#   Rules about any Kubernetes object, whatever its kind: where it is
#   deployed and how it is exposed.
package prcheck.k8s.objects

import rego.v1

# METADATA
# title: Resource in the default namespace
# description: |
#   The default namespace is shared by everything deployed without thought;
#   a named namespace gets its own RBAC, quotas and network policies.
# custom:
#   id: k8s/default-namespace
#   severity: warning
#   remediation: Deploy into a dedicated namespace (set `metadata.namespace`, or the namespace in kustomize/Helm/Flux).
deny contains {
	"rule": "k8s/default-namespace",
	"msg": sprintf("%s is deployed to the default namespace: use a dedicated namespace", [input.document.kind]),
	"path": ["metadata", "namespace"],
} if {
	input.document.metadata.namespace == "default"
	not input.document.kind in data.prcheck.lib.k8s.cluster_scoped_kinds
}

# METADATA
# title: Service exposed outside the cluster
# description: |
#   NodePort opens a port on every node, LoadBalancer asks the cloud for a
#   public address: check the exposure is intended and protected.
# custom:
#   id: k8s/exposed-service
#   severity: info
#   remediation: >-
#     Use `type: ClusterIP` behind an Ingress or Gateway, or restrict `loadBalancerSourceRanges`.
deny contains {
	"rule": "k8s/exposed-service",
	"msg": sprintf("Service is type %s and reachable from outside the cluster: use ClusterIP behind an Ingress or Gateway if that is not intended", [input.document.spec.type]),
	"path": ["spec", "type"],
} if {
	input.document.kind == "Service"
	input.document.spec.type in {"NodePort", "LoadBalancer"}
}
