"""Output a reviewer can take in: per-rule summary, --exclude, held-back and fixed findings."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from prcheck.model import Finding, Report
from prcheck.report import render
from tests.conftest import write
from tests.render.conftest import commit

POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  containers:
    - name: app
      image: nginx:1.25
      securityContext: {{privileged: {privileged}}}
"""


def _report(n: int) -> Report:
    findings = [Finding("k8s/a", "warning", f"m{i}", f"f{i % 3}.yaml", i + 1) for i in range(n)]
    findings.append(Finding("k8s/b", "error", "bad", "f0.yaml", 99))
    return Report(findings=findings, stats={"files": 7, "documents": 9})


def test_per_rule_summary_on_demand_and_past_twenty_findings():
    short = render("text", _report(3))
    assert "findings per rule:" not in short
    asked = render("text", _report(3), summary=True).splitlines()
    at = asked.index("findings per rule:")
    assert asked[at + 1:at + 3] == ["  3  warning  k8s/a", "  1  error    k8s/b"]
    assert "findings per rule:" in render("text", _report(21))


def test_summary_line_counts_files_one_way():
    last = render("text", _report(3)).splitlines()[-1]
    assert last == "1 error, 3 warnings, 0 info in 3 of 7 files checked (9 documents)"


def test_exclude_on_the_command_line(run_cli, repo: Path):
    write(repo, {"apps/pod.yaml": POD.format(name="a", privileged="true"),
                 "testdata/pod.yaml": POD.format(name="b", privileged="true")})
    full = json.loads(run_cli(["check", "--format", "json"], repo).output)
    cut = json.loads(run_cli(["check", "--format", "json", "--exclude", "testdata", "--exclude", "*.json"], repo).output)
    assert {f["path"] for f in full["findings"]} == {"apps/pod.yaml", "testdata/pod.yaml"}
    assert {f["path"] for f in cut["findings"]} == {"apps/pod.yaml"}
    assert cut["summary"]["files"] == 1


def test_held_back_and_fixed_findings_in_every_format(run_cli, repo: Path):
    write(repo, {"apps/fixed.yaml": POD.format(name="a", privileged="true"),
                 "apps/old.yaml": POD.format(name="b", privileged="true")})
    commit(repo, "base")
    write(repo, {"apps/fixed.yaml": POD.format(name="a", privileged="false")})
    commit(repo, "head")
    args = ["check", "--base", "HEAD~1", "--no-builtin", "--policy", str(repo / "policy")]
    write(repo, {"policy/p.rego": 'package main\nimport rego.v1\ndeny contains sprintf("%s runs privileged", '
                                  '[input.metadata.name]) if input.spec.containers[_].securityContext.privileged\n'})
    commit(repo, "policy")
    args[2] = "HEAD~2"  # the base is before the fix; the policy is judged as the head's own
    data = json.loads(run_cli([*args, "--format", "json"], repo).output)
    assert [f["message"] for f in data["fixed"]] == ["a runs privileged"]
    assert data["summary"]["fixed"] == 1 and data["summary"]["pre_existing"] >= 1
    assert not [f for f in data["findings"] if f["rule"] == "main/deny"]  # b's is pre-existing, held back
    text = run_cli(args, repo).output
    assert "fixed by this change: apps/fixed.yaml:1 main/deny: a runs privileged" in text
    assert "pre-existing not shown" in text.splitlines()[-1] and "1 fixed" in text.splitlines()[-1]
    markdown = run_cli([*args, "--format", "markdown"], repo).output
    assert "1 fixed by this change" in markdown and "### Fixed by this change" in markdown
    sarif = json.loads(run_cli([*args, "--format", "sarif"], repo).output)
    assert [r["message"]["text"] for r in sarif["runs"][0]["properties"]["fixed"]] == ["a runs privileged"]
    assert not [r for r in sarif["runs"][0]["results"] if r["message"]["text"] == "a runs privileged"]
    junit = ET.fromstring(run_cli([*args, "--format", "junit"], repo).output.split("\n", 1)[1])
    fixed_cases = [c for c in junit.iter("testcase") if c.get("name", "").endswith("(fixed)")]
    assert len(fixed_cases) == 1 and fixed_cases[0].find("failure") is None
