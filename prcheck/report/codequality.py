"""GitLab Code Quality JSON (a subset of the Code Climate issue format), for the
merge request's Code Quality widget and diff annotations.

GitLab shows one entry per fingerprint, so the finding's fingerprint (stable
across runs: it leaves the line out) is used as is for its first occurrence
and salted with the occurrence number for repeats of the same finding on other
lines. Severities map error -> critical, warning -> major, info -> info; a
finding with no file is placed on `.` (GitLab requires a path).

The report holds every finding, the pre-existing ones too (`check --base`
keeps those apart): GitLab compares it with the target branch's report and
shows what is new and what is fixed itself, so a report of new findings only
would show every old one as fixed.
"""

from __future__ import annotations

import hashlib
import json

from prcheck.model import Finding, Report
from prcheck.report import pre_existing

SEVERITY = {"error": "critical", "warning": "major", "info": "info"}


def _description(finding: Finding) -> str:
    text = finding.message
    if finding.resource:
        text += f" ({finding.resource})"
    if finding.environments:
        text += f" [{'envs' if len(finding.environments) > 1 else 'env'} {finding.env_label}]"
    return text


def _issue(finding: Finding, fingerprint: str) -> dict:
    return {
        "description": _description(finding),
        "check_name": finding.rule,
        "fingerprint": fingerprint,
        "severity": SEVERITY[finding.severity],
        "location": {
            "path": finding.path.replace("\\", "/").removeprefix("./") or ".",
            "lines": {"begin": max(finding.line, 1)},
        },
    }


def render(report: Report, **_: object) -> str:
    """The report as a Code Quality JSON array; terminal options (colour, quiet) do not apply."""
    issues = []
    seen: dict[str, int] = {}
    every = [*report.findings, *pre_existing(report)]
    ordered = sorted(every, key=lambda f: (f.path, f.line, f.column, f.rule, f.fingerprint))
    for finding in ordered:
        count = seen.get(finding.fingerprint, 0)
        seen[finding.fingerprint] = count + 1
        fingerprint = finding.fingerprint
        if count:
            fingerprint = hashlib.sha256(f"{finding.fingerprint}:{count}".encode()).hexdigest()[:32]
        issues.append(_issue(finding, fingerprint))
    return json.dumps(issues, indent=2) + "\n"
