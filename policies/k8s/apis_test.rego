package prcheck.k8s.apis_test

import rego.v1

import data.prcheck.k8s.apis

test_minor_versions if {
	apis.minor("1.32") == 32
	apis.minor("v1.25.3") == 25
	not apis.minor("latest")
}

test_removed_api_names_the_newest_served_replacement if {
	findings := apis.deny with input as {
		"kube_version": "1.30",
		"document": {"apiVersion": "flowcontrol.apiserver.k8s.io/v1beta2", "kind": "FlowSchema"},
	}
	some f in findings
	f.rule == "k8s/removed-api"
	endswith(f.msg, "use apiVersion flowcontrol.apiserver.k8s.io/v1")
}

test_psp_has_no_replacement if {
	some f in apis.deny with input as {"kube_version": "1.25", "document": {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy"}}
	contains(f.msg, "Pod Security Admission")
}

test_malformed_kube_version_reports_nothing if {
	count(apis.deny) == 0 with input as {"kube_version": "next", "document": {"apiVersion": "batch/v1beta1", "kind": "CronJob"}}
}
