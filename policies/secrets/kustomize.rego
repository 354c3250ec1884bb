# METADATA
# description: |
#   Plaintext secrets in kustomizations: secretGenerator `literals` are
#   secrets written into the repository (generators reading `files:` or
#   `envs:` are fine: those files are what SOPS or .gitignore protect).
#   The rule is secrets/k8s-secret-in-git (documented in kubernetes.rego).
package prcheck.secrets.kustomize

import rego.v1

import data.prcheck.lib.secrets.stored
import data.prcheck.lib.secrets.mask

deny contains {
	"rule": "secrets/k8s-secret-in-git",
	"msg": sprintf("secretGenerator '%s' holds %d literal value(s) in git (%s = %s): generate it from an encrypted file or use an ExternalSecret", [object.get(generator, "name", ""), count(plain), first.key, mask(first.value)]),
	"path": ["secretGenerator", i, "literals", first.index],
} if {
	some i
	generator := input.document.secretGenerator[i]
	is_object(generator)
	plain := [{"index": j, "key": parts[0], "value": parts[1]} |
		some j
		entry := generator.literals[j]
		is_string(entry)
		parts := _split_literal(entry)
		stored(parts[1])
	]
	count(plain) > 0
	first := plain[0]
}

_split_literal(entry) := [substring(entry, 0, n), substring(entry, n + 1, -1)] if {
	n := indexof(entry, "=")
	n > 0
}
