# METADATA
# description: |
#   Helpers shared by the secret rules: which names look like they hold a
#   secret, which values are placeholders, and how a value is shown masked.
#   Word lists live in data.secrets (policies/data/secrets.yaml) so the
#   Python checks read the very same lists.
package prcheck.lib.secrets

import rego.v1

_names := data.secrets

# Words of a name: DB_PASSWORD, dbPassword and db-password all give ["DB", "PASSWORD"].
words(name) := [upper(w) |
	some w in regex.split(`[^A-Za-z0-9]+`, regex.replace(name, `([a-z0-9])([A-Z])`, "${1}_${2}"))
	w != ""
]

_secret_word(ws) if {
	some w in ws
	w in _names.secret_words
}

_secret_word(ws) if {
	some i, w in ws
	i + 1 < count(ws)
	[w, ws[i + 1]] in _names.secret_pairs
}

_secret_word(ws) if {
	some w in ws
	some suffix in _names.secret_suffixes
	endswith(w, suffix)
}

# A cheap first look at the upper-cased name: without any of these it is never
# secret-like. (A case-sensitive pattern: regorus compiles each pattern once
# per evaluation, and case-insensitive ones cost several times more.)
_hint := `PASS|PWD|SECRET|TOKEN|KEY|CRED|PAT|DSN|WEBHOOK|CONNECTION`

# True when a key or variable name says its value is a secret.
secret_name(name) if {
	is_string(name)
	regex.match(_hint, upper(name))
	ws := words(name)
	count(ws) > 0
	not ws[count(ws) - 1] in _names.not_secret_last_words
	_secret_word(ws)
}

# A pair's last word may be KEY (API_KEY), which the last-word exclusion lists.
secret_name(name) if {
	is_string(name)
	regex.match(_hint, upper(name))
	ws := words(name)
	count(ws) > 1
	[ws[count(ws) - 2], ws[count(ws) - 1]] in _names.secret_pairs
}

# Each pattern list as one case-insensitive alternation: one regex call per value.
_alternation(patterns) := concat("", ["(?i)", concat("|", [sprintf("(?:%s)", [p]) | some p in patterns])])

_reference := _alternation(_names.reference_patterns)

_placeholder := _alternation(array.concat(_names.reference_patterns, _names.placeholder_patterns))

# A reference to a secret kept elsewhere (`${{ secrets.X }}`, `$(VAR)`, `ENC[...]`, ...).
reference(value) if regex.match(_reference, value)

placeholder(value) if regex.match(_placeholder, value)

# A value stored in the repository: a non-empty string that is not a reference.
stored(value) if {
	is_string(value)
	trim_space(value) != ""
	not reference(trim_space(value))
}

# A literal worth reporting in a variable: stored, and not an obvious placeholder.
literal(value) if {
	stored(value)
	not placeholder(trim_space(value))
}

# "AKIA…XYZ1 (20 chars)": enough to recognise the value, never enough to use it.
mask(value) := sprintf("%s…%s (%d chars)", [substring(v, 0, n), substring(v, count(v) - n, n), count(v)]) if {
	v := trim_space(value)
	n := _shown(count(v))
}

_shown(len) := 4 if len >= 20

_shown(len) := 2 if {
	len >= 12
	len < 20
}

_shown(len) := 0 if len < 12
