# METADATA
# description: |
#   API versions the target Kubernetes version no longer serves, or serves
#   for the last releases. The table is data (policies/data/deprecated_apis.yaml);
#   the target version is the run's --kube-version. main.rego only
#   evaluates this package for objects whose apiVersion/kind is in the table.
package prcheck.k8s.apis

import rego.v1

# "1.32", "1.32.4" or "v1.32" → 32 (every release in the table is 1.x);
# undefined for anything else, so a malformed version disables the rules
# instead of failing the run.
minor(version) := to_number(split(trim_prefix(version, "v"), ".")[1]) if {
	is_string(version)
	regex.match(`^v?1\.(0|[1-9][0-9]*)(\.[0-9]+)?$`, version)
}

_target := minor(input.kube_version)

_entry := data.deprecated_apis[input.document.apiVersion][input.document.kind]

# The newest replacement the target version serves (the table lists them
# oldest first), else the oldest one listed.
_replacement := available[count(available) - 1] if {
	available := [r | some r in _entry.replacements; minor(r.since) <= _target]
	count(available) > 0
}

_replacement := _entry.replacements[0] if {
	count([r | some r in _entry.replacements; minor(r.since) <= _target]) == 0
	count(_entry.replacements) > 0
}

_advice := sprintf("use apiVersion %s", [_replacement.api_version]) if _replacement

_advice := _entry.note if {
	not _replacement
	_entry.note
}

# METADATA
# title: API version removed
# description: |
#   The target Kubernetes version no longer serves this apiVersion for this
#   kind: applying the manifest fails.
# custom:
#   id: k8s/removed-api
#   severity: error
#   remediation: Move the manifest to the replacement apiVersion named in the message (review the field changes in the Kubernetes deprecation guide).
deny contains {
	"rule": "k8s/removed-api",
	"msg": sprintf("%s %s was removed in Kubernetes %s (target %s): %s", [input.document.apiVersion, input.document.kind, _entry.removed_in, input.kube_version, _advice]),
	"path": ["apiVersion"],
} if {
	_target >= minor(_entry.removed_in)
}

# METADATA
# title: API version deprecated
# description: |
#   The target Kubernetes version still serves this apiVersion, but a later
#   one removes it while the replacement is already available: migrate now.
# custom:
#   id: k8s/deprecated-api
#   severity: warning
#   remediation: Move the manifest to the replacement apiVersion named in the message before upgrading the cluster.
deny contains {
	"rule": "k8s/deprecated-api",
	"msg": sprintf("%s %s is deprecated and removed in Kubernetes %s: %s", [input.document.apiVersion, input.document.kind, _entry.removed_in, _advice]),
	"path": ["apiVersion"],
} if {
	_target < minor(_entry.removed_in)
	some r in _entry.replacements
	minor(r.since) <= _target
}
