package prcheck.lib.k8s_test

import rego.v1

import data.prcheck.lib.k8s.containers
import data.prcheck.lib.k8s.images
import data.prcheck.lib.k8s.pod

_cronjob := {"document": {
	"apiVersion": "batch/v1", "kind": "CronJob",
	"spec": {"jobTemplate": {"spec": {"template": {"spec": {
		"initContainers": [{"name": "init", "image": "busybox"}],
		"containers": [{"image": "registry:5000/team/app:v1.2@sha256:abc"}],
	}}}}},
}}

test_pod_of_a_cronjob if {
	pod.path == ["spec", "jobTemplate", "spec", "template", "spec"] with input as _cronjob
}

test_containers_carry_paths_and_names if {
	paths := {c.name: c.path | some c in containers} with input as _cronjob
	paths.init == ["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0]
	paths["containers[0]"] == ["spec", "jobTemplate", "spec", "template", "spec", "containers", 0]
}

test_image_references_are_split if {
	parsed := {img.image: [img.tag, img.digest] | some img in images} with input as _cronjob
	parsed.busybox == ["", ""]
	parsed["registry:5000/team/app:v1.2@sha256:abc"] == ["v1.2", "sha256:abc"]
}

test_no_pod_for_other_kinds if {
	not pod with input as {"document": {"kind": "ConfigMap", "data": {}}}
}
