"""`--format codequality`: valid against the documented Code Quality format,
with fingerprints unique within a report and stable across runs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema

from prcheck.model import Report
from prcheck.report import codequality
from tests.publish.conftest import LABELS, LATEST, OTHER_FILE, RENDER, REPLICAS, ROFS

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "gitlab-codequality.json").read_text())


def validate(text: str) -> list:
    data = json.loads(text)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    fingerprints = [issue["fingerprint"] for issue in data]
    assert len(fingerprints) == len(set(fingerprints))
    return data


def test_report_matches_the_code_quality_schema():
    data = validate(codequality.render(Report(findings=[ROFS, LATEST, REPLICAS, LABELS, OTHER_FILE, RENDER])))
    by_rule = {issue["check_name"]: issue for issue in data}
    assert by_rule["k8s/writable-root-filesystem"] == {
        "description": "container web: set securityContext.readOnlyRootFilesystem: true (Deployment/shop/web)",
        "check_name": "k8s/writable-root-filesystem",
        "fingerprint": ROFS.fingerprint,
        "severity": "critical",
        "location": {"path": "apps/web/deployment.yaml", "lines": {"begin": 13}},
    }
    assert {issue["check_name"]: issue["severity"] for issue in data} == {
        "k8s/writable-root-filesystem": "critical", "k8s/image-latest-tag": "major", "replicas-min": "info",
        "missing-labels": "major", "privileged": "critical", "render-failed": "critical",
    }
    assert by_rule["render-failed"]["location"] == {"path": ".", "lines": {"begin": 1}}
    assert by_rule["render-failed"]["description"].endswith("[env prod]")


def test_repeated_findings_get_distinct_stable_fingerprints():
    twice = Report(findings=[LATEST, replace(LATEST, line=30)])
    first = validate(codequality.render(twice))
    again = validate(codequality.render(Report(findings=list(reversed(twice.findings)))))
    assert first == again
    assert first[0]["fingerprint"] == LATEST.fingerprint and first[1]["fingerprint"] != LATEST.fingerprint


def test_fingerprint_ignores_the_line():
    moved = replace(ROFS, line=40)
    assert validate(codequality.render(Report(findings=[moved])))[0]["fingerprint"] == ROFS.fingerprint


def test_rendered_through_the_format_registry():
    from prcheck.report import render

    text = render("codequality", Report(findings=[ROFS]), colour=False, quiet=True, fail_on="warning")
    assert validate(text)[0]["check_name"] == ROFS.rule


def test_empty_report_is_an_empty_array():
    assert validate(codequality.render(Report())) == []


def test_pre_existing_findings_are_in_the_report_for_gitlab_to_compare():
    """GitLab diffs the merge request's report against the target branch's: an old
    finding missing from the MR's report would show as fixed."""
    from dataclasses import asdict

    report = Report(findings=[ROFS], stats={"pre_existing": [asdict(LATEST), asdict(REPLICAS)]})
    data = validate(codequality.render(report))
    assert sorted(issue["check_name"] for issue in data) == sorted([ROFS.rule, LATEST.rule, REPLICAS.rule])
    assert {issue["fingerprint"] for issue in data} >= {LATEST.fingerprint, REPLICAS.fingerprint}
