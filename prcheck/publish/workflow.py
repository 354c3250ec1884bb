"""The GitHub fallback when the token cannot write: the job summary and
workflow-command annotations need no API permission at all, so a fork pull
request still shows every finding on its files and in the run's summary.
"""

from __future__ import annotations

from typing import TextIO

from prcheck.model import Finding, Report
from prcheck.publish.base import finding_envs, finding_order, normalize_path
from prcheck.report.escaping import escape_control

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}
STEP_SUMMARY_LIMIT = 1024 * 1024  # GitHub rejects a step summary over 1 MiB
PER_LEVEL = 10  # Actions shows 10 annotations per level and step, and drops the rest


def escape_data(text: str) -> str:
    """Escape a workflow command's message, as the Actions toolkit does; other
    control characters become visible escapes (they could steer the log reader)."""
    return escape_control(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (file, title): also `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation_command(finding: Finding) -> str:
    props = []
    if finding.path:
        props.append(f"file={escape_property(normalize_path(finding.path))}")
        if finding.line:
            props.append(f"line={finding.line}")
            if finding.column:
                props.append(f"col={finding.column}")
    props.append(f"title={escape_property(f'prcheck {finding.rule}')}")
    message = finding.message
    if finding.resource:
        message += f" ({finding.resource})"
    envs = finding_envs(finding)
    if envs:
        message += f" [env {', '.join(envs)}]"
    return f"::{_LEVEL[finding.severity]} {','.join(props)}::{escape_data(message)}"


def write_annotations(report: Report, out: TextIO) -> int:
    """At most PER_LEVEL commands per level (more would be dropped by Actions
    anyway, silently), then one notice counting the rest."""
    shown: dict[str, int] = {}
    left = 0
    for finding in sorted(report.findings, key=finding_order):
        level = _LEVEL[finding.severity]
        if shown.get(level, 0) >= PER_LEVEL:
            left += 1
            continue
        shown[level] = shown.get(level, 0) + 1
        out.write(annotation_command(finding) + "\n")
    if left:
        out.write(f"::notice title=prcheck::{left} more finding{'s' if left != 1 else ''}: see the job summary\n")
    return sum(shown.values())


def append_step_summary(path: str, markdown: str) -> bool:
    """Append to `$GITHUB_STEP_SUMMARY`; False when the variable is unset (not in Actions)."""
    if not path:
        return False
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    data = text.encode("utf-8")[:STEP_SUMMARY_LIMIT].decode("utf-8", "ignore")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(data)
    return True


def warning_command(message: str) -> str:
    return f"::warning title=prcheck::{escape_data(message)}"
