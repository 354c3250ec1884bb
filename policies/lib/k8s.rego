# METADATA
# description: |
#   Where the pod spec and the containers of any pod-bearing kind live, with
#   their key paths inside the document so findings point at the exact line.
#   Rules import the rules they use one by one (`import data.prcheck.lib.k8s.containers`):
#   importing the package and writing `k8s.containers` makes regorus build
#   every rule of this package for each document.
package prcheck.lib.k8s

import rego.v1

# Kinds that carry a pod template, and where it sits.
pod_paths := {
	"Pod": ["spec"],
	"Deployment": ["spec", "template", "spec"],
	"StatefulSet": ["spec", "template", "spec"],
	"DaemonSet": ["spec", "template", "spec"],
	"ReplicaSet": ["spec", "template", "spec"],
	"ReplicationController": ["spec", "template", "spec"],
	"Job": ["spec", "template", "spec"],
	"PodTemplate": ["template", "spec"],
	"CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
}

# Long-running kinds: the ones probes matter for.
service_kinds := {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"}

# {"spec": <pod spec>, "path": <its key path>, "meta_path": <key path of the pod's
# metadata>, "sc": <the pod securityContext, {} when unset or not a mapping>}.
pod := {
	"spec": spec,
	"path": path,
	"meta_path": array.concat(array.slice(path, 0, count(path) - 1), ["metadata"]),
	"sc": mapping(object.get(spec, "securityContext", {})),
} if {
	path := pod_paths[input.document.kind]
	spec := object.get(input.document, path, null)
	is_object(spec)
}

# `value` when it is a mapping, else {}: lets rules call object.get on fields
# users may have left empty (`securityContext:` is null in YAML). regorus
# stops the whole evaluation when a built-in gets the wrong type, so every
# rule only iterates or calls built-ins on values whose type it checked.
mapping(value) := value if is_object(value)

mapping(value) := {} if not is_object(value)

# Every container of the pod, init and ephemeral ones included:
# {"container", "field", "index", "name", "path", "sc" (its securityContext, {} when unset)}.
containers contains {
	"container": container,
	"field": field,
	"index": i,
	"name": object.get(container, "name", sprintf("%s[%d]", [field, i])),
	"path": array.concat(pod.path, [field, i]),
	"sc": mapping(object.get(container, "securityContext", {})),
} if {
	some field in ["initContainers", "containers", "ephemeralContainers"]
	list := pod.spec[field]
	is_array(list)
	some i, container in list
	is_object(container)
}

# Image references split once: "registry:5000/repo:tag@sha256:…" → tag and digest ("" when absent).
# String built-ins, not a regex: cheaper in regorus, which compiles patterns per evaluation.
images contains {
	"container": c,
	"image": image,
	"tag": concat(":", array.slice(colon, 1, count(colon))),
	"digest": concat("@", array.slice(at, 1, count(at))),
	"path": array.concat(c.path, ["image"]),
	"templated": _templated(image),
} if {
	some c in containers
	image := c.container.image
	is_string(image)
	at := split(image, "@")
	segments := split(at[0], "/")
	colon := split(segments[count(segments) - 1], ":")
}

_templated(image) := true if contains(image, "$")

_templated(image) := true if contains(image, "{{")

_templated(image) := false if {
	not contains(image, "$")
	not contains(image, "{{")
}

# Cluster-scoped kinds have no namespace to judge.
cluster_scoped_kinds := {
	"Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding",
	"CustomResourceDefinition", "StorageClass", "PriorityClass", "IngressClass",
	"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
	"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "APIService",
	"RuntimeClass", "CSIDriver", "CSINode", "VolumeAttachment", "PodSecurityPolicy",
	"ClusterIssuer", "FlowSchema", "PriorityLevelConfiguration", "CertificateSigningRequest",
}
