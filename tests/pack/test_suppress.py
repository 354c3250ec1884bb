"""Suppressions: inline comments, annotations, config exceptions, conftest exceptions; never silent."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from prcheck.config import ConfigError
from prcheck.filter.suppress import (
    ConfigException,
    apply_rule_settings,
    inline_directives,
    parse_exceptions,
    suppress,
)
from prcheck.model import Finding
from prcheck.sources.yaml_loader import load_text
from tests.conftest import write

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: web
      image: nginx:1.27.3@sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9
      securityContext:
        privileged: true<COMMENT>
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
      resources: {requests: {cpu: 1m, memory: 1Mi}, limits: {cpu: 1m, memory: 1Mi}}
      livenessProbe: {tcpSocket: {port: 80}}
      readinessProbe: {tcpSocket: {port: 80}}
"""


def pod(comment: str = "") -> str:
    return POD.replace("<COMMENT>", comment)


def check(run_cli, repo: Path, *args: str) -> dict:
    result = run_cli(["check", ".", "--format", "json", "--fail-on", "never", *args], repo)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def rules(report: dict) -> list[tuple[str, int]]:
    return [(f["rule"], f["line"]) for f in report["findings"]]


def suppressed(report: dict) -> list[tuple[str, str, str]]:
    return [(s["finding"]["rule"], s["source"], s["reason"]) for s in report["suppressed"]]


def test_unsuppressed_baseline(run_cli, repo: Path):
    write(repo, {"pod.yaml": pod()})
    report = check(run_cli, repo)
    assert rules(report) == [("k8s/privileged-container", 13)]
    assert report["suppressed"] == []


def test_inline_comment_on_the_same_line(run_cli, repo: Path):
    write(repo, {"pod.yaml": pod("  # prcheck:ignore[k8s/privileged-container] debug pod, removed by the TTL controller")})
    report = check(run_cli, repo)
    assert rules(report) == []
    assert suppressed(report) == [("k8s/privileged-container", "inline", "debug pod, removed by the TTL controller")]
    assert report["summary"]["suppressed"] == 1


def test_inline_comment_on_the_line_above_and_globs(run_cli, repo: Path):
    text = pod().replace("        privileged: true\n",
                         "        # prcheck:ignore[k8s/privileged-*,other/rule] node tuning needs it\n"
                         "        privileged: true\n")
    write(repo, {"pod.yaml": text})
    report = check(run_cli, repo)
    assert rules(report) == []
    assert suppressed(report) == [("k8s/privileged-container", "inline", "node tuning needs it")]


def test_inline_comment_for_another_rule_does_not_suppress(run_cli, repo: Path):
    write(repo, {"pod.yaml": pod("  # prcheck:ignore[k8s/host-port] wrong rule")})
    assert rules(check(run_cli, repo)) == [("k8s/privileged-container", 13)]


def test_missing_reason_still_suppresses_but_warns(run_cli, repo: Path):
    write(repo, {"pod.yaml": pod("  # prcheck:ignore[k8s/privileged-container]")})
    report = check(run_cli, repo)
    assert rules(report) == [("suppress/missing-reason", 13)]
    assert report["findings"][0]["severity"] == "warning"
    assert suppressed(report) == [("k8s/privileged-container", "inline", "")]


def test_stacked_comment_lines_apply_to_the_next_code_line():
    text = "a: 1\n# prcheck:ignore[x/one] first\n# prcheck:ignore[x/two] second\nb: 2\nc: 3 # prcheck:ignore[x/three] own line\n"
    directives = inline_directives(text)
    assert sorted(d.patterns[0] for d in directives[4]) == ["x/one", "x/two"]
    assert [d.patterns for d in directives[5]] == [("x/three",)]
    assert 1 not in directives and 3 in directives  # a comment line is also its own target
    assert "prcheck:ignore" not in "".join(p for ds in directives.values() for d in ds for p in d.reason)


def test_a_hash_inside_a_value_is_not_a_comment():
    assert inline_directives("url: http://x/#prcheck:ignore[a/b] no\n") == {}


def test_annotation_suppresses_rules_of_that_resource_only(run_cli, repo: Path):
    annotated = pod().replace("  namespace: shop\n", "  namespace: shop\n  annotations:\n"
                              "    prcheck.dev/ignore: \"k8s/privileged-container, k8s/host-port\"\n"
                              "    prcheck.dev/ignore-reason: CNI plugin\n")
    other = pod().replace("name: web\n  namespace", "name: api\n  namespace")
    write(repo, {"pods.yaml": annotated + "---\n" + other})
    report = check(run_cli, repo)
    assert [(f["rule"], f["resource"]) for f in report["findings"]] == [("k8s/privileged-container", "Pod/shop/api")]
    assert suppressed(report) == [("k8s/privileged-container", "annotation", "CNI plugin")]


def test_annotation_without_reason_warns(run_cli, repo: Path):
    annotated = pod().replace("  namespace: shop\n", "  namespace: shop\n  annotations:\n"
                              "    prcheck.dev/ignore: k8s/privileged-container\n")
    write(repo, {"pod.yaml": annotated})
    report = check(run_cli, repo)
    assert rules(report) == [("suppress/missing-reason", 7)]  # the annotation line
    assert "annotation suppression has no reason" in report["findings"][0]["message"]


def test_config_exception_with_globs(run_cli, repo: Path):
    write(repo, {
        "apps/pod.yaml": pod(),
        ".prcheck.yaml": """
            exceptions:
              - rule: k8s/privileged-*
                path: apps/*.yaml
                resource: Pod/shop/*
                reason: vendor chart, tracked in OPS-12
                expires: "2999-01-01"
              - rule: k8s/privileged-container
                path: other/*.yaml
                reason: does not match this file
        """,
    })
    report = check(run_cli, repo)
    assert rules(report) == []
    assert suppressed(report) == [("k8s/privileged-container", "config", "vendor chart, tracked in OPS-12")]


def test_expired_exception_stops_suppressing_and_warns(run_cli, repo: Path):
    write(repo, {
        "pod.yaml": pod(),
        ".prcheck.yaml": """
            exceptions:
              - rule: k8s/privileged-container
                reason: until the migration
                expires: "2020-01-31"
        """,
    })
    report = check(run_cli, repo)
    assert sorted(rules(report)) == [("k8s/privileged-container", 13), ("suppress/expired-exception", 0)]
    expired = next(f for f in report["findings"] if f["rule"] == "suppress/expired-exception")
    assert "expired on 2020-01-31" in expired["message"] and expired["severity"] == "warning"
    assert report["suppressed"] == []


def test_expiry_is_inclusive():
    finding = Finding(rule="a/b", severity="error", message="m", path="x.yaml", line=1)
    exc = ConfigException(rule="a/b", reason="r", expires=dt.date(2030, 5, 1))
    assert suppress([finding], [], [exc], today=dt.date(2030, 5, 1)).findings == []
    later = suppress([finding], [], [exc], today=dt.date(2030, 5, 2))
    assert [f.rule for f in later.findings] == ["suppress/expired-exception", "a/b"]


def test_invalid_expiry_date_is_a_config_error():
    with pytest.raises(ConfigError, match="exceptions\\[0\\].expires"):
        parse_exceptions([{"rule": "a", "reason": "r", "expires": "2024-13-45"}])


def test_conftest_exception_rules_keep_working(run_cli, repo: Path):
    write(repo, {
        "pod.yaml": pod(),
        "policy/p.rego": """
            package main
            import rego.v1
            deny_privileged contains "privileged pod" if input.kind == "Pod"
            exception contains rules if {
              input.metadata.name == "web"
              rules := ["privileged"]
            }
        """,
    })
    report = check(run_cli, repo, "--policy", "policy")
    assert ("main/deny_privileged", "rego-exception", "exception rule in main") in suppressed(report)
    assert [r for r, _ in rules(report)] == ["k8s/privileged-container"]


def test_suppressed_findings_are_listed_in_text_output(run_cli, repo: Path):
    write(repo, {"pod.yaml": pod("  # prcheck:ignore[k8s/privileged-container] debug pod")})
    result = run_cli(["check", "."], repo)
    assert result.exit_code == 0
    assert "suppressed (inline: debug pod): pod.yaml:13 k8s/privileged-container" in result.output
    assert result.output.rstrip().endswith("1 suppressed")


def test_rule_settings_disable_and_change_severity(run_cli, repo: Path):
    write(repo, {
        "pod.yaml": pod().replace("nginx:1.27.3@sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9", "nginx:1.27.3"),
        ".prcheck.yaml": """
            rules:
              k8s/privileged-container: {severity: warning}
              k8s/image-not-pinned-by-digest: {enabled: false}
        """,
    })
    report = check(run_cli, repo)
    assert [(f["rule"], f["severity"]) for f in report["findings"]] == [("k8s/privileged-container", "warning")]
    assert run_cli(["check", "."], repo).exit_code == 0  # warnings do not fail the default run


def test_apply_rule_settings_leaves_unknown_rules_alone():
    finding = Finding(rule="schema/invalid", severity="error", message="m")
    assert apply_rule_settings([finding], {"schema/invalid": {"severity": "info"}})[0].severity == "info"
    assert apply_rule_settings([finding], {"other": {"enabled": False}}) == [finding]


def test_suppression_reads_the_loaded_file_text():
    loaded = load_text(pod("  # prcheck:ignore[k8s/privileged-container] why"), "pod.yaml", "kubernetes")
    finding = Finding(rule="k8s/privileged-container", severity="error", message="m", path="pod.yaml", line=13)
    outcome = suppress([finding], [loaded])
    assert outcome.findings == [] and outcome.suppressed[0].reason == "why"
