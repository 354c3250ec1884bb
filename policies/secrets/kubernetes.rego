# METADATA
# description: |
#   Plaintext secrets in Kubernetes manifests. Messages name the key path and
#   show the value masked (lib.secrets.mask), never the value itself.
#   main.rego evaluates this package for Secrets and pod-bearing kinds.
package prcheck.secrets.kubernetes

import rego.v1

import data.prcheck.lib.k8s.containers
import data.prcheck.lib.secrets.literal
import data.prcheck.lib.secrets.mask
import data.prcheck.lib.secrets.secret_name
import data.prcheck.lib.secrets.stored

_doc := input.document

# METADATA
# title: Kubernetes Secret committed in plaintext
# description: |
#   A Secret's data is base64, not encryption: anyone who can read the
#   repository (and its history, forever) can read the values. SOPS-encrypted
#   files, SealedSecrets, ExternalSecrets and generators that read files are
#   the ways to keep secrets in GitOps.
# custom:
#   id: secrets/k8s-secret-in-git
#   severity: error
#   remediation: Encrypt the file with SOPS, or replace the Secret with a SealedSecret or an ExternalSecret; rotate the exposed values.
deny contains {
	"rule": "secrets/k8s-secret-in-git",
	"msg": sprintf("Secret holds %d plaintext value(s) in git (%s.%s = %s): encrypt it with SOPS or use a SealedSecret/ExternalSecret, and rotate the values", [count(plain), first[0], first[1], mask(_doc[first[0]][first[1]])]),
	"path": first,
} if {
	_doc.kind == "Secret"
	not _sops_encrypted
	plain := [[field, key] |
		some field in ["data", "stringData"]
		some key
		value := _doc[field][key]
		stored(value)
	]
	count(plain) > 0
	first := plain[0]
}

# A `sops:` block with a MAC or key groups: the file is SOPS-encrypted, values are ENC[...].
_sops_encrypted if is_string(_doc.sops.mac)

_sops_encrypted if is_array(_doc.sops.age)

_sops_encrypted if is_array(_doc.sops.pgp)

_sops_encrypted if is_array(_doc.sops.kms)

# METADATA
# title: Secret in a literal environment variable
# description: |
#   An environment variable named like a password, token or key, set to a
#   literal value, is a secret committed in plain text. Pods should read it
#   from a Secret; CI jobs from the CI system's secret store.
# custom:
#   id: secrets/env-literal
#   severity: error
#   remediation: Kubernetes - use `valueFrom.secretKeyRef`; GitHub Actions - use `${{ secrets.NAME }}`; GitLab CI - define a masked CI/CD variable in the project settings. Rotate the exposed value.
deny contains {
	"rule": "secrets/env-literal",
	"msg": sprintf("container '%s' sets %s to a literal secret (%s): read it from a Secret with valueFrom.secretKeyRef", [c.name, var.name, mask(var.value)]),
	"path": array.concat(c.path, ["env", j, "value"]),
} if {
	some c in containers
	some j
	var := c.container.env[j]
	is_string(var.value)
	secret_name(var.name)
	literal(var.value)
}
