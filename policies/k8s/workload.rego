# METADATA
# description: |
#   Workload hygiene: resources, probes, image references and controller
#   wiring that break or degrade a rollout. Evaluated for pod-bearing kinds.
package prcheck.k8s.workload

import rego.v1

import data.prcheck.lib.k8s.containers
import data.prcheck.lib.k8s.images
import data.prcheck.lib.k8s.pod
import data.prcheck.lib.k8s.service_kinds

# METADATA
# title: CPU or memory requests and limits missing
# description: |
#   Without requests the scheduler packs pods blindly; without limits one pod
#   can starve its neighbours or the node (a memory leak takes the node down).
# custom:
#   id: k8s/missing-resources
#   severity: warning
#   remediation: Set `resources.requests.cpu`, `resources.requests.memory`, `resources.limits.cpu` and `resources.limits.memory`.
deny contains {
	"rule": "k8s/missing-resources",
	"msg": sprintf("container '%s' has no %s: set resources requests and limits", [c.name, concat(", ", [sprintf("%s.%s", [f[1], f[2]]) | some f in missing])]),
	"path": array.concat(c.path, ["resources"]),
} if {
	some c in containers
	c.field != "ephemeralContainers"
	missing := [field | some field in _resource_fields; object.get(c.container, field, null) == null]
	count(missing) > 0
}

# object.get with a key path: the fastest way regorus reads a nested field that may be missing.
_resource_fields := [
	["resources", "requests", "cpu"], ["resources", "requests", "memory"],
	["resources", "limits", "cpu"], ["resources", "limits", "memory"],
]

# METADATA
# title: Liveness or readiness probe missing
# description: |
#   Without a readiness probe traffic reaches pods before they can serve it
#   (and during a rollout, before the new version works); without a liveness
#   probe a hung process is never restarted.
# custom:
#   id: k8s/missing-probes
#   severity: warning
#   remediation: Add `readinessProbe` and `livenessProbe` (an HTTP, TCP, gRPC or exec check) to the container.
deny contains {
	"rule": "k8s/missing-probes",
	"msg": sprintf("container '%s' has no %s: add the probes so rollouts and restarts work", [c.name, concat(" or ", missing)]),
	"path": c.path,
} if {
	input.document.kind in service_kinds
	not pod.spec.restartPolicy in {"Never", "OnFailure"} # a one-shot pod: nothing to restart or route to
	some c in containers
	c.field == "containers"
	missing := [probe |
		some probe in ["livenessProbe", "readinessProbe"]
		not is_object(c.container[probe])
	]
	count(missing) > 0
}

# METADATA
# title: Image tag latest or missing
# description: |
#   `latest` (or no tag, which means latest) changes under you: two nodes can
#   run different code, and a rollback redeploys whatever latest is today.
# custom:
#   id: k8s/image-latest-tag
#   severity: warning
#   remediation: Use an immutable version tag (e.g. `nginx:1.27.3`), ideally with its `@sha256:` digest.
deny contains {
	"rule": "k8s/image-latest-tag",
	"msg": sprintf("container '%s' uses image %s %s: pin a version tag or a digest", [img.container.name, img.image, _latest_reason[img.tag]]),
	"path": img.path,
} if {
	some img in _mutable
}

# Images that name no fixed content: latest or no tag, and no digest.
# Images assembled from variables or templates cannot be judged.
_mutable contains img if {
	some img in images
	not img.templated
	img.digest == ""
	img.tag in {"", "latest"}
}

_latest_reason := {"latest": "with the latest tag", "": "without a tag (latest)"}

# METADATA
# title: Image not pinned by digest
# description: |
#   A tag can be moved to other content; only a digest names exact bytes.
#   Pinning by digest makes deployments reproducible and tamper-evident.
# custom:
#   id: k8s/image-not-pinned-by-digest
#   severity: info
#   remediation: Append the digest to the image, e.g. `nginx:1.27.3@sha256:<digest>` (Renovate and Dependabot keep it current).
deny contains {
	"rule": "k8s/image-not-pinned-by-digest",
	"msg": sprintf("container '%s' image %s is not pinned by digest: append @sha256:<digest>", [img.container.name, img.image]),
	"path": img.path,
} if {
	some img in images
	not img.templated
	img.digest == ""
	not img.tag in {"", "latest"}
}

# METADATA
# title: imagePullPolicy keeps a stale latest image
# description: |
#   With a latest (or missing) tag, Kubernetes defaults imagePullPolicy to
#   Always; setting IfNotPresent or Never makes each node run whatever it
#   pulled first, so nodes disagree on what "latest" is.
# custom:
#   id: k8s/image-pull-policy
#   severity: warning
#   remediation: >-
#     Pin a version tag or digest; otherwise set `imagePullPolicy: Always`.
deny contains {
	"rule": "k8s/image-pull-policy",
	"msg": sprintf("container '%s' pulls mutable image %s with imagePullPolicy %s: pin a version or use Always", [img.container.name, img.image, policy]),
	"path": array.concat(img.container.path, ["imagePullPolicy"]),
} if {
	some img in _mutable
	policy := img.container.container.imagePullPolicy
	policy in {"IfNotPresent", "Never"}
}

# METADATA
# title: CronJob without startingDeadlineSeconds
# description: |
#   Without a deadline, a CronJob controller that was down counts every missed
#   schedule; after 100 misses the job stops being scheduled at all.
# custom:
#   id: k8s/cronjob-starting-deadline
#   severity: warning
#   remediation: Set `spec.startingDeadlineSeconds` (for example 200) on the CronJob.
deny contains {
	"rule": "k8s/cronjob-starting-deadline",
	"msg": "CronJob has no startingDeadlineSeconds: set it so missed runs do not stop the schedule",
	"path": ["spec", "startingDeadlineSeconds"],
} if {
	input.document.kind == "CronJob"
	not is_number(input.document.spec.startingDeadlineSeconds)
}

# METADATA
# title: Selector does not match template labels
# description: |
#   A controller whose selector does not match its own pod template labels
#   is rejected by the API server (apps/v1), so the rollout fails.
# custom:
#   id: k8s/selector-mismatch
#   severity: error
#   remediation: Make every `spec.selector.matchLabels` entry equal to the same label in `spec.template.metadata.labels`.
deny contains {
	"rule": "k8s/selector-mismatch",
	"msg": sprintf("selector %s=%s does not match the pod template labels: make spec.selector.matchLabels equal spec.template.metadata.labels", [key, value]),
	"path": ["spec", "selector", "matchLabels", key],
} if {
	input.document.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}
	some key
	value := input.document.spec.selector.matchLabels[key]
	labels := object.get(input.document, ["spec", "template", "metadata", "labels"], {})
	is_object(labels)
	not labels[key] == value
}
