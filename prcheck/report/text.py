"""Terminal output, grouped by file like a compiler's, colour only for a person."""

from __future__ import annotations

import os
import sys
from collections import Counter
from itertools import groupby

from prcheck.model import Finding, Report
from prcheck.report.escaping import escape_control as esc
from prcheck.report.escaping import safe_line

_COLOURS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_RESET, _DIM, _BOLD = "\033[0m", "\033[2m", "\033[1m"


def use_colour(stream: object = None) -> bool:
    """NO_COLOR wins; otherwise colour only when writing to a terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


SUMMARY_OVER = 20  # findings: past this many, the per-rule summary is always printed


def summary_line(report: Report) -> str:
    """`2 errors, 1 warning, 0 info in 3 of 40 files checked (52 documents)`: the first
    file count is files with findings, the second every file the run read."""
    with_findings = len({f.path for f in report.findings if f.path})
    checked = int(report.stats.get("files", 0))
    line = (f"{_plural(report.count('error'), 'error')}, {_plural(report.count('warning'), 'warning')}, "
            f"{report.count('info')} info in {with_findings} of {_plural(checked, 'file')} checked"
            f" ({_plural(int(report.stats.get('documents', 0)), 'document')})")
    tails = []
    held_back = len(report.stats.get("pre_existing") or ())
    if held_back:
        tails.append(f"{held_back} pre-existing not shown")
    if report.fixed:
        tails.append(f"{len(report.fixed)} fixed")
    if report.suppressed:
        tails.append(f"{len(report.suppressed)} suppressed")
    return line + ("; " + ", ".join(tails) if tails else "")


def rule_summary(findings: list[Finding]) -> list[str]:
    """Findings per rule, most first: what a reviewer reads before the list."""
    counts = Counter((f.rule, f.severity) for f in findings)
    width = len(str(max(counts.values(), default=0)))
    return ["findings per rule:"] + [f"  {n:>{width}}  {severity:<7}  {esc(rule)}" for (rule, severity), n in
                                     sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _group_key(f: Finding) -> str:
    return esc(f.path) or (f"env:{esc(f.env_label)}" if f.environments else "(run)")


def render(report: Report, colour: bool = False, quiet: bool = False, summary: bool = False, **_: object) -> str:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    findings = [f for f in report.findings if not (quiet and f.severity == "info")]
    lines: list[str] = []
    for path, group in groupby(sorted(findings, key=lambda f: (_group_key(f), f.line, f.column)), key=_group_key):
        lines.append(paint(path, _BOLD))
        for f in group:
            where = f"{f.line}:{f.column}" if f.column else str(f.line or "-")
            extra = f"  ({esc(f.resource)})" if f.resource else ""
            env = f" [{esc(f.env_label)}]" if f.environments and f.path else ""
            lines.append(f"  {where:>7}  {paint(f'{f.severity:<7}', _COLOURS[f.severity])}  "
                         f"{esc(f.message)}  {paint(esc(f.rule), _DIM)}{env}{extra}")
        lines.append("")
    for s in report.suppressed if not quiet else []:
        lines.append(paint(f"suppressed ({s.source}{': ' + esc(s.reason) if s.reason else ''}): "
                           f"{esc(s.finding.location())} {esc(s.finding.rule)}"
                           f"{'  [added by this change]' if s.added else ''}", _DIM))
    for f in report.fixed:
        env = f" [{esc(f.env_label)}]" if f.environments else ""
        lines.append(f"fixed by this change: {esc(f.location())} {esc(f.rule)}: {esc(f.message)}{env}")
    for diff in report.diffs:
        counts = (f"{len(diff.added)} added, {len(diff.changed)} changed, {len(diff.removed)} removed"
                  if not diff.skipped else "unchanged (inputs did not change)")
        lines.append(f"env {esc(diff.env)}: {counts}")
    for note in report.stats.get("render_notes") or ():
        lines.append(esc(str(note)))
    if findings and (summary or len(findings) > SUMMARY_OVER):
        lines.extend(["", *rule_summary(findings)])
    if not (quiet and not findings):
        lines.append(summary_line(report))
    return "\n".join(safe_line(line) for line in lines).lstrip("\n") + "\n"
