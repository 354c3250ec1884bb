"""SARIF 2.1.0, as GitHub code scanning and most SAST viewers read it."""

from __future__ import annotations

import json
from typing import Any

from prcheck import __version__
from prcheck.model import Finding, Report
from prcheck.report.rules_meta import rule_titles

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _location(f: Finding) -> list[dict[str, Any]]:
    if not f.path:
        return []
    region: dict[str, Any] = {}
    if f.line:
        region["startLine"] = f.line
        if f.column:
            region["startColumn"] = f.column
    physical: dict[str, Any] = {"artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"}}
    if region:
        physical["region"] = region
    return [{"physicalLocation": physical}]


def _result(f: Finding, rule_index: dict[str, int], suppression: dict[str, Any] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index[f.rule],
        "level": _LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": _location(f),
        "partialFingerprints": {"prcheck/v1": f.fingerprint},
        "properties": {"engine": f.engine, **({"resource": f.resource} if f.resource else {}),
                       **({"environment": f.env_label, "environments": list(f.environments)}
                          if f.environments else {})},
    }
    if suppression:
        result["suppressions"] = [suppression]
    return result


def _fixed(f: Finding) -> dict[str, Any]:
    return {"ruleId": f.rule, "level": _LEVEL[f.severity], "message": {"text": f.message},
            "locations": _location(f), "partialFingerprints": {"prcheck/v1": f.fingerprint},
            **({"environments": list(f.environments)} if f.environments else {})}


def render(report: Report, **_: object) -> str:
    everything = report.findings + [s.finding for s in report.suppressed]
    rule_ids = sorted({f.rule for f in everything})
    rule_index = {rule: i for i, rule in enumerate(rule_ids)}
    severities = {f.rule: f.severity for f in everything}
    titles = rule_titles()
    results = [_result(f, rule_index) for f in report.findings]
    results += [
        _result(s.finding, rule_index, {"kind": "inSource" if s.source == "inline" else "external",
                                         "justification": s.reason or s.source,
                                         **({"properties": {"addedByChange": True}} if s.added else {})})
        for s in report.suppressed
    ]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "prcheck",
                "version": __version__,
                "informationUri": "https://github.com/prcheck/prcheck",
                "rules": [
                    {"id": rule, "name": rule.replace("/", "-"), "shortDescription": {"text": titles.get(rule, rule)},
                     "defaultConfiguration": {"level": _LEVEL[severities[rule]]}}
                    for rule in rule_ids
                ],
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": "file:///" + str(report.stats.get("root", "")).lstrip("/") + "/"}},
            "results": results,
            # fixed findings ride in the run's property bag, never as results: a code-scanning
            # consumer must not open an alert for what the change removed
            **({"properties": {"fixed": [_fixed(f) for f in report.fixed]}} if report.fixed else {}),
        }],
    }
    return json.dumps(log, indent=2) + "\n"
