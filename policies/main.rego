# METADATA
# description: |
#   Entry point of the built-in pack: one query per document. Each family is
#   only evaluated for the kinds of file (and of object) it is about, so a
#   ConfigMap never pays for the pod rules and a workflow never pays for the
#   Kubernetes ones.
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
	some finding in _kubernetes
}

deny contains finding if {
	input.file_kind in {"github-workflow", "github-action"}
	some finding in _github
}

deny contains finding if {
	input.file_kind == "gitlab-ci"
	some finding in _gitlab
}

deny contains finding if {
	input.file_kind == "kustomization"
	some finding in data.prcheck.secrets.kustomize.deny
}

_kubernetes contains finding if {
	data.prcheck.lib.k8s.pod_paths[input.document.kind]
	some finding in _pods
}

_kubernetes contains finding if {
	some finding in data.prcheck.k8s.objects.deny
}

_kubernetes contains finding if {
	input.document.kind in {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}
	some finding in data.prcheck.k8s.rbac.deny
}

_kubernetes contains finding if {
	data.deprecated_apis[input.document.apiVersion][input.document.kind]
	some finding in data.prcheck.k8s.apis.deny
}

_kubernetes contains finding if {
	input.document.kind == "Secret"
	some finding in data.prcheck.secrets.kubernetes.deny
}

_pods contains finding if {
	some finding in data.prcheck.k8s.pod_security.deny
}

_pods contains finding if {
	some finding in data.prcheck.k8s.workload.deny
}

_pods contains finding if {
	some finding in data.prcheck.secrets.kubernetes.deny
}

_github contains finding if {
	some finding in data.prcheck.gha.deny
}

_github contains finding if {
	some finding in data.prcheck.secrets.ci.deny
}

_gitlab contains finding if {
	some finding in data.prcheck.gitlab.deny
}

_gitlab contains finding if {
	some finding in data.prcheck.secrets.ci.deny
}
