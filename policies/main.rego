# METADATA
# description: |
#   Entry point of the built-in pack: one query per document. Each family is
#   only evaluated for the kinds of file (and of object) it is about, so a
#   ConfigMap never pays for the pod rules and a workflow never pays for the
#   Kubernetes ones. The gates are literal sets and string tests: regorus
#   spends more on reading a rule or `data` than on testing a set literal,
#   and the bodies stay flat (no intermediate sets) for the same reason.
#   The pod kinds listed here are the keys of data.prcheck.lib.k8s.pod_paths
#   (a test checks they agree).
#
#   `input` is {"document": <the parsed YAML document>, "path": <file path>,
#   "file_kind": kubernetes | github-workflow | github-action | gitlab-ci |
#   kustomization | helm-values | helm-chart | yaml | json,
#   "kube_version": <target Kubernetes version>}. Every finding is an object
#   {"rule", "msg", "path"} where `path` is a key path inside the document.
package prcheck.main

import rego.v1

deny contains finding if {
	input.file_kind == "kubernetes"
	input.document.kind in {
		"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
		"ReplicationController", "Job", "PodTemplate", "CronJob",
	}
	some finding in data.prcheck.k8s.pod_security.deny
}

deny contains finding if {
	input.file_kind == "kubernetes"
	input.document.kind in {
		"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
		"ReplicationController", "Job", "PodTemplate", "CronJob",
	}
	some finding in data.prcheck.k8s.workload.deny
}

deny contains finding if {
	input.file_kind == "kubernetes"
	some finding in data.prcheck.k8s.objects.deny
}

deny contains finding if {
	input.file_kind == "kubernetes"
	input.document.kind in {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}
	some finding in data.prcheck.k8s.rbac.deny
}

deny contains finding if {
	input.file_kind == "kubernetes"
	is_string(input.document.apiVersion)
	contains(input.document.apiVersion, "beta") # every API version removed so far is a beta
	some finding in data.prcheck.k8s.apis.deny
}

deny contains finding if {
	input.file_kind in {"github-workflow", "github-action"}
	some finding in data.prcheck.gha.deny
}

deny contains finding if {
	input.file_kind == "gitlab-ci"
	some finding in data.prcheck.gitlab.deny
}
