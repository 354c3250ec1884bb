# METADATA
# description: |
#   Secrets written as literals into CI files: GitHub Actions `env:` blocks
#   (workflow, job, step, container, service; composite actions too) and
#   GitLab CI `variables:`. The rule is secrets/env-literal (documented in
#   kubernetes.rego).
package prcheck.secrets.ci

import rego.v1

import data.prcheck.lib.secrets.literal
import data.prcheck.lib.secrets.mask
import data.prcheck.lib.secrets.secret_name

_doc := input.document

deny contains {
	"rule": "secrets/env-literal",
	"msg": sprintf("%s sets %s to a literal secret (%s): use ${{ secrets.%s }} instead", [where.label, name, mask(value), name]),
	"path": array.concat(where.path, [name]),
} if {
	input.file_kind in {"github-workflow", "github-action"}
	some where in _gha_env_blocks
	some name, value in where.env
	is_string(value)
	not contains(value, "${{") # the usual case, `${{ secrets.X }}`, skips the name analysis
	secret_name(name)
	literal(value)
}

_gha_env_blocks contains {"label": "workflow env", "path": ["env"], "env": _doc.env} if is_object(_doc.env)

_gha_env_blocks contains {"label": sprintf("job '%s' env", [id]), "path": ["jobs", id, "env"], "env": job.env} if {
	some id
	job := _doc.jobs[id]
	is_object(job.env)
}

_gha_env_blocks contains {"label": sprintf("job '%s' container env", [id]), "path": ["jobs", id, "container", "env"], "env": job.container.env} if {
	some id
	job := _doc.jobs[id]
	is_object(job.container.env)
}

_gha_env_blocks contains {"label": sprintf("job '%s' service '%s' env", [id, svc]), "path": ["jobs", id, "services", svc, "env"], "env": service.env} if {
	some id, svc # declared together: regorus rejects a `some` after a ref iteration
	job := _doc.jobs[id]
	service := job.services[svc]
	is_object(service.env)
}

_gha_env_blocks contains {"label": sprintf("step %d of job '%s'", [i + 1, id]), "path": ["jobs", id, "steps", i, "env"], "env": step.env} if {
	some id
	job := _doc.jobs[id]
	is_array(job.steps)
	some i, step in job.steps
	is_object(step.env)
}

_gha_env_blocks contains {"label": sprintf("step %d of the action", [i + 1]), "path": ["runs", "steps", i, "env"], "env": step.env} if {
	is_array(_doc.runs.steps)
	some i, step in _doc.runs.steps
	is_object(step.env)
}

deny contains {
	"rule": "secrets/env-literal",
	"msg": sprintf("%s sets %s to a literal secret (%s): define it as a masked CI/CD variable in the project settings", [where.label, name, mask(value)]),
	"path": array.concat(array.concat(where.path, [name]), _value_key(var)),
} if {
	input.file_kind == "gitlab-ci"
	some where in _gitlab_variable_blocks
	some name, var in where.variables
	secret_name(name)
	value := _variable_value(var)
	literal(value)
}

_gitlab_variable_blocks contains {"label": "global variables", "path": ["variables"], "variables": _doc.variables} if is_object(_doc.variables)

_gitlab_variable_blocks contains {"label": sprintf("job '%s' variables", [id]), "path": [id, "variables"], "variables": job.variables} if {
	some id, job in _doc
	id != "variables"
	is_object(job)
	is_object(job.variables)
}

_variable_value(var) := var if is_string(var)

_variable_value(var) := var.value if is_string(var.value)

_value_key(var) := [] if is_string(var)

_value_key(var) := ["value"] if is_object(var)
