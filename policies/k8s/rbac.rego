# METADATA
# description: |
#   RBAC: grants wider than they look (wildcards, cluster-admin, secrets).
package prcheck.k8s.rbac

import rego.v1

_role_kinds := {"Role", "ClusterRole"}

_rules contains {"rule": rule, "index": i} if {
	input.document.kind in _role_kinds
	is_array(input.document.rules)
	some i, rule in input.document.rules
	is_object(rule)
}

# METADATA
# title: RBAC wildcard
# description: |
#   A `*` in verbs, resources or apiGroups grants everything that exists now
#   and everything added later (new CRDs included).
# custom:
#   id: k8s/rbac-wildcard
#   severity: warning
#   remediation: List the exact verbs, resources and apiGroups the subject needs.
deny contains {
	"rule": "k8s/rbac-wildcard",
	"msg": sprintf("%s rule %d grants * in %s: list the exact %s instead", [input.document.kind, r.index, field, field]),
	"path": ["rules", r.index, field],
} if {
	some r in _rules
	some field in ["verbs", "resources", "apiGroups"]
	"*" in object.get(r.rule, field, [])
}

# METADATA
# title: cluster-admin bound
# description: |
#   Binding cluster-admin gives the subject every permission on every object
#   of the cluster: a compromise of that subject is a compromise of the cluster.
# custom:
#   id: k8s/cluster-admin-binding
#   severity: error
#   remediation: Bind a Role or ClusterRole with only the permissions needed.
deny contains {
	"rule": "k8s/cluster-admin-binding",
	"msg": sprintf("%s binds cluster-admin: bind a narrower role", [input.document.kind]),
	"path": ["roleRef", "name"],
} if {
	input.document.kind in {"RoleBinding", "ClusterRoleBinding"}
	input.document.roleRef.kind == "ClusterRole"
	input.document.roleRef.name == "cluster-admin"
}

# METADATA
# title: Role reads Secrets
# description: |
#   get, list or watch on secrets reads every credential in the namespace (or
#   the cluster, for a ClusterRole), service account tokens included.
# custom:
#   id: k8s/rbac-secrets-access
#   severity: warning
#   remediation: Drop secrets from the rule, or restrict it with `resourceNames` to the Secrets the subject needs.
deny contains {
	"rule": "k8s/rbac-secrets-access",
	"msg": sprintf("%s rule %d can %s secrets: restrict it with resourceNames or remove it", [input.document.kind, r.index, concat("/", verbs)]),
	"path": ["rules", r.index, "resources"],
} if {
	some r in _rules
	"secrets" in object.get(r.rule, "resources", [])
	_core_group(r.rule)
	verbs := [v | some i; v := r.rule.verbs[i]; v in {"get", "list", "watch", "*"}]
	count(verbs) > 0
	not _named(r.rule)
}

# resourceNames narrows a rule to named objects.
_named(rule) if rule.resourceNames[_]

_core_group(rule) if "" in object.get(rule, "apiGroups", [""])

_core_group(rule) if "*" in object.get(rule, "apiGroups", [])
