# METADATA
# description: |
#   GitLab CI supply chain: includes and images that can change under a
#   pipeline without a commit in this repository.
package prcheck.gitlab

import rego.v1

_doc := input.document

# Top-level keys that are settings, not jobs.
_reserved := {"default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script", "after_script", "spec"}

_includes contains {"entry": entry, "path": ["include"]} if {
	input.file_kind == "gitlab-ci"
	not is_array(_doc.include)
	entry := _doc.include
}

_includes contains {"entry": entry, "path": ["include", i]} if {
	input.file_kind == "gitlab-ci"
	is_array(_doc.include)
	some i, entry in _doc.include
}

# `rules: {gitlab/unpinned-include: {allowed_owners: [group, group/subgroup]}}`: projects
# under these namespaces may follow a branch or tag. Remote URLs are never allowed.
_allowed_owners := {lower(trim_suffix(owner, "/")) |
	some i
	owner := data.settings.rules["gitlab/unpinned-include"].allowed_owners[i]
	is_string(owner)
}

_trusted_owner(project) if {
	some owner in _allowed_owners
	startswith(lower(project), concat("", [owner, "/"]))
}

# A full commit SHA or a version-like tag: both name fixed content.
_fixed_ref(ref) if regex.match(`^[0-9a-f]{40}$`, ref)

_fixed_ref(ref) if regex.match(`^v?[0-9]+(\.[0-9]+){1,3}([-+][0-9A-Za-z.-]+)?$`, ref)

# METADATA
# title: Include not pinned
# description: |
#   A `project:` include without a ref follows the other project's default
#   branch, and a branch ref moves; a `remote:` URL can serve anything. Either
#   way the pipeline (and its secrets) runs code no review in this
#   repository saw. An error by default; projects of trusted owners (groups)
#   can be allowed to follow refs.
# custom:
#   id: gitlab/unpinned-include
#   severity: error
#   remediation: >-
#     Set `ref:` to a full commit SHA or a release tag; vendor remote files into the repository (or include them from a project at a pinned ref). Groups trusted with moving refs can be listed in `rules: {gitlab/unpinned-include: {allowed_owners: [...]}}`.
deny contains {
	"rule": "gitlab/unpinned-include",
	"msg": sprintf("include of project %s has no ref and follows its default branch: set ref to a commit SHA or a release tag", [inc.entry.project]),
	"path": array.concat(inc.path, ["project"]),
} if {
	some inc in _includes
	is_string(inc.entry.project)
	not inc.entry.ref
	not _trusted_owner(inc.entry.project)
}

deny contains {
	"rule": "gitlab/unpinned-include",
	"msg": sprintf("include of project %s uses ref '%s', which can move: set ref to a commit SHA or a release tag", [inc.entry.project, inc.entry.ref]),
	"path": array.concat(inc.path, ["ref"]),
} if {
	some inc in _includes
	is_string(inc.entry.project)
	is_string(inc.entry.ref)
	not _fixed_ref(inc.entry.ref)
	not _trusted_owner(inc.entry.project)
}

deny contains {
	"rule": "gitlab/unpinned-include",
	"msg": sprintf("remote include %s can change without a commit here: vendor the file or include it from a project at a pinned ref", [_shown_url(url)]),
	"path": path,
} if {
	some inc in _includes
	some [url, path] in _remote(inc)
}

_remote(inc) := [[inc.entry, inc.path]] if {
	is_string(inc.entry)
	regex.match(`^https?://`, inc.entry)
}

_remote(inc) := [[inc.entry.remote, array.concat(inc.path, ["remote"])]] if is_string(inc.entry.remote)

# A URL as a message may show it: without credentials (`https://oauth2:<token>@host/...`)
# and without the query string or fragment (`?private_token=<token>`).
_shown_url(url) := regex.replace(regex.replace(url, `^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@`, "${1}"), `[?#].*$`, "")

deny contains {
	"rule": "gitlab/unpinned-include",
	"msg": sprintf("component %s is not pinned to a version or SHA: use @<commit SHA> or @<release tag>", [inc.entry.component]),
	"path": array.concat(inc.path, ["component"]),
} if {
	some inc in _includes
	is_string(inc.entry.component)
	parts := split(inc.entry.component, "@")
	not _fixed_ref(parts[count(parts) - 1])
	not _trusted_owner(concat("/", array.slice(split(parts[0], "/"), 1, 1000)))
}

# Every image reference: global, default, job, and services, as string or {name: ...}.
_image_holders contains {"holder": _doc, "path": []} if input.file_kind == "gitlab-ci"

_image_holders contains {"holder": _doc["default"], "path": ["default"]} if {
	input.file_kind == "gitlab-ci"
	is_object(_doc["default"])
}

_image_holders contains {"holder": job, "path": [id]} if {
	input.file_kind == "gitlab-ci"
	some id, job in _doc
	not id in _reserved
	is_object(job)
}

_images contains {"image": image, "path": path} if {
	some h in _image_holders
	some [image, path] in _image_ref(h.holder.image, array.concat(h.path, ["image"]))
}

_images contains {"image": image, "path": path} if {
	some h in _image_holders
	is_array(h.holder.services)
	some i, service in h.holder.services
	some [image, path] in _image_ref(service, array.concat(h.path, ["services", i]))
}

_image_ref(value, path) := [[value, path]] if is_string(value)

_image_ref(value, path) := [[value.name, array.concat(path, ["name"])]] if is_string(value.name)

_tag(image) := tag if {
	segments := split(split(image, "@")[0], "/")
	last := segments[count(segments) - 1]
	contains(last, ":")
	tag := split(last, ":")[1]
}

_tag(image) := "" if {
	segments := split(split(image, "@")[0], "/")
	not contains(segments[count(segments) - 1], ":")
}

# METADATA
# title: CI image not pinned
# description: |
#   `latest` (or no tag) runs whatever the registry serves today; any tag can
#   be re-pushed. The job's scripts, tokens and artifacts then depend on an
#   image no one reviewed. A digest names exact content.
# custom:
#   id: gitlab/unpinned-image
#   severity: warning
#   remediation: >-
#     Use `image: name:version@sha256:<digest>` (Renovate keeps digests current).
deny contains {
	"rule": "gitlab/unpinned-image",
	"msg": sprintf("image %s %s: pin a version tag with its @sha256: digest", [img.image, _image_problem(img.image)]),
	"path": img.path,
} if {
	some img in _images
	not contains(img.image, "@sha256:")
	_checkable(img.image)
}

# Images assembled from CI variables are only judged when they say latest.
_checkable(image) if not contains(image, "$")

_checkable(image) if {
	contains(image, "$")
	endswith(image, ":latest")
}

_image_problem(image) := "uses the latest tag" if _tag(image) == "latest"

_image_problem(image) := "has no tag (latest)" if _tag(image) == ""

_image_problem(image) := "is not pinned by digest" if not _tag(image) in {"", "latest"}
