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

# A cheap first look: a name without any of these letters is never secret-like.
_hint := `(?i)pass|pwd|secret|token|key|cred|pat|dsn|webhook|connection`

# True when a key or variable name says its value is a secret.
secret_name(name) if {
	is_string(name)
	regex.match(_hint, name)
	ws := words(name)
	count(ws) > 0
	not ws[count(ws) - 1] in _names.not_secret_last_words
	_secret_word(ws)
}

# A pair's last word may be KEY (API_KEY), which the last-word exclusion lists.
secret_name(name) if {
	is_string(name)
	regex.match(_hint, name)
	ws := words(name)
	count(ws) > 1
	[ws[count(ws) - 2], ws[count(ws) - 1]] in _names.secret_pairs
}

# All placeholder patterns as one case-insensitive alternation: one regex per value.
_placeholder := concat("", ["(?i)", concat("|", [sprintf("(?:%s)", [p]) | some p in _names.placeholder_patterns])])

placeholder(value) if regex.match(_placeholder, value)

# A literal worth reporting: a non-empty string that is not a placeholder or a reference.
literal(value) if {
	is_string(value)
	trim_space(value) != ""
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
