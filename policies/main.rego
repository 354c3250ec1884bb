# METADATA
# description: |
#   Entry point of the built-in pack's Rego rules: one query per CI document
#   (GitHub workflows and actions, GitLab CI). The pack's Kubernetes rules
#   are Python (prcheck/checks/policy/builtin_k8s/); prcheck only queries
#   this package for the file kinds gated here (a test checks they agree
#   with REGO_FILE_KINDS in prcheck/checks/policy/builtin.py).
#
#   `input` is {"document": <the parsed YAML document>, "path": <file path>,
#   "file_kind": github-workflow | github-action | gitlab-ci,
#   "kube_version": <target Kubernetes version>}. Every finding is an object
#   {"rule", "msg", "path"} where `path` is a key path inside the document.
package prcheck.main

import rego.v1

deny contains finding if {
	input.file_kind in {"github-workflow", "github-action"}
	some finding in data.prcheck.gha.deny
}

deny contains finding if {
	input.file_kind == "gitlab-ci"
	some finding in data.prcheck.gitlab.deny
}
