"""The pull-request summary: what fails, and what each environment will run differently.

GitHub refuses comments over 65,536 characters, so the body is built in
order of importance (verdict, per-environment table, findings, diffs) within
a 60,000-character budget; whatever does not fit is counted in a last line
instead of being cut mid-block. A single long diff is shortened on its own
so that one huge resource does not crowd out every other environment.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Iterable, Sequence

from prcheck.model import EnvDiff, Finding, Report, ResourceChange, severity_at_least
from prcheck.report import pre_existing
from prcheck.report.escaping import escape_control

LIMIT = 60_000
DIFF_LINES = 150  # per resource
DIFF_CHARS = 8_000  # per resource
_ICON = {"error": "🔴", "warning": "🟠", "info": "🔵"}
_RESERVE = 400  # kept for the closing line


def _escape(text: str) -> str:
    """Findings are prose in a table or list: no HTML, no table breaks, one line."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    return escape_control(" ".join(text.split()))


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _failing(findings: Iterable[Finding], fail_on: str) -> int:
    if fail_on == "never":
        return 0
    return sum(1 for f in findings if severity_at_least(f.severity, fail_on))


def _headline(report: Report, fail_on: str) -> str:
    failing = _failing(report.findings, fail_on)
    verdict = "❌ **prcheck failed**" if failing else "✅ **prcheck passed**"
    counts = f"{_plural(report.count('error'), 'error')}, {_plural(report.count('warning'), 'warning')}, {report.count('info')} info"
    parts = [f"{verdict}: {counts}"]
    changed_envs = sum(1 for d in report.diffs if d.added or d.changed or d.removed or d.moved)
    if report.diffs:
        parts.append(f"{changed_envs} of {_plural(len(report.diffs), 'environment')} changed")
    pre = pre_existing(report)
    if pre:
        parts.append(f"{len(pre)} pre-existing not counted")
    if report.fixed:
        parts.append(f"{len(report.fixed)} fixed by this change")
    if report.suppressed:
        parts.append(f"{len(report.suppressed)} suppressed")
    return "## prcheck\n\n" + " · ".join(parts) + "\n"


def _env_findings(report: Report) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        for env in f.environments or ("",):
            out[env].append(f)
    return out


def _table(diffs: Sequence[EnvDiff], by_env: dict[str, list[Finding]]) -> str:
    if not diffs:
        return ""
    rows = ["| Environment | Added | Changed | Removed | Moved | Unchanged | Findings |",
            "|---|--:|--:|--:|--:|--:|---|"]
    for d in diffs:
        found = by_env.get(d.env, [])
        summary = ", ".join(f"{_ICON[s]} {n}" for s in ("error", "warning", "info")
                            if (n := sum(1 for f in found if f.severity == s))) or "—"
        if d.skipped:
            rows.append(f"| `{_escape(d.env)}` | – | – | – | – | inputs unchanged, not rendered | {summary} |")
            continue
        rows.append(f"| `{_escape(d.env)}` | {len(d.added)} | {len(d.changed)} | {len(d.removed)} | "
                    f"{len(d.moved)} | {d.unchanged} | {summary} |")
    return "\n".join(rows) + "\n"


def _finding_line(f: Finding) -> str:
    where = f.location()
    resource = f" (`{_escape(f.resource)}`)" if f.resource else ""
    return f"- {_ICON.get(f.severity, '')} `{_escape(f.rule)}` {_escape(where)}{resource}: {_escape(f.message)}"


def _cut(text: str) -> tuple[str, str]:
    """(diff text, note) with the diff shortened to the per-resource limits."""
    lines = text.splitlines()
    kept: list[str] = []
    size = 0
    for line in lines:
        if len(kept) >= DIFF_LINES or size + len(line) + 1 > DIFF_CHARS:
            break
        kept.append(line)
        size += len(line) + 1
    if len(kept) == len(lines):
        return text.rstrip("\n"), ""
    return "\n".join(kept), f"_Diff cut: {len(lines) - len(kept)} more lines of this resource not shown._"


def _resource_block(kind: str, change: ResourceChange) -> str:
    text, note = _cut(change.text or "")
    fence = _fence(text)
    body = f"**{kind}** `{_escape(change.key)}`\n\n{fence}diff\n{text}\n{fence}\n"
    return body + (f"\n{note}\n" if note else "") + "\n"


def _changes(diff: EnvDiff) -> list[tuple[str, ResourceChange]]:
    return ([("changed", c) for c in diff.changed] + [("added", c) for c in diff.added]
            + [("removed", c) for c in diff.removed] + [("moved", c) for c in diff.moved])


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit
        self.omitted: dict[str, int] = defaultdict(int)

    def take(self, text: str) -> bool:
        if len(text) > self.left:
            return False
        self.left -= len(text)
        return True


def _findings_section(title: str, findings: Sequence[Finding], budget: _Budget, what: str) -> str:
    if not findings:
        return ""
    head = f"\n### {title}\n"
    if not budget.take(head):
        budget.omitted[what] += len(findings)
        return ""
    out = [head]
    groups: dict[str, list[Finding]] = defaultdict(list)
    for f in sorted(findings, key=lambda f: (f.env_label, f.path, f.line, f.rule)):
        groups[f.env_label].append(f)
    for env, items in sorted(groups.items()):
        noun = "Environments" if ", " in env else "Environment"
        label = f"\n**{noun} `{_escape(env)}`**\n\n" if env else "\n**Repository files**\n\n"
        if not budget.take(label):
            budget.omitted[what] += len(items)
            continue
        out.append(label)
        for i, f in enumerate(items):
            line = _finding_line(f) + "\n"
            if not budget.take(line):
                budget.omitted[what] += len(items) - i
                break
            out.append(line)
    return "".join(out)


def _diff_sections(diffs: Sequence[EnvDiff], budget: _Budget) -> str:
    out: list[str] = []
    changed = [d for d in diffs if _changes(d)]
    if not changed:
        return ""
    heading = "\n### Rendered changes per environment\n"
    if not budget.take(heading):
        budget.omitted["resource diffs"] += sum(len(_changes(d)) for d in changed)
        return ""
    out.append(heading)
    for diff in changed:
        counts = f"{len(diff.added)} added, {len(diff.changed)} changed, {len(diff.removed)} removed"
        if diff.moved:
            counts += f", {len(diff.moved)} moved"
        opening = f"\n<details><summary><b>{_escape(diff.env)}</b>: {counts}</summary>\n\n"
        closing = "</details>\n"
        items = _changes(diff)
        if not budget.take(opening + closing):
            budget.omitted["resource diffs"] += len(items)
            continue
        out.append(opening)
        for i, (kind, change) in enumerate(items):
            block = _resource_block(kind, change)
            if not budget.take(block):
                budget.omitted["resource diffs"] += len(items) - i
                note = f"_{len(items) - i} more resources of this environment not shown (size limit)._\n\n"
                if budget.take(note):
                    out.append(note)
                break
            out.append(block)
        out.append(closing)
    return "".join(out)


def _suppressed_line(report: Report) -> str:
    """How many each source silenced and which rules, the ones this change added first:
    a reviewer must see that a suppression is part of what they approve."""
    by_source: dict[str, list[str]] = defaultdict(list)
    added: list[str] = []
    for s in report.suppressed:
        by_source[s.source].append(s.finding.rule)
        if s.added:
            added.append(s.finding.rule)
    parts = [f"{len(rules)} by {src} ({', '.join(f'`{_escape(r)}`' for r in sorted(set(rules)))})"
             for src, rules in sorted(by_source.items())]
    line = "\n_Suppressed: " + ", ".join(parts) + "._\n"
    if added:
        line += (f"\n**{len(added)} suppressed by suppressions this change adds:** "
                 + ", ".join(f"`{_escape(r)}`" for r in sorted(set(added))) + "\n")
    return line


def render(report: Report, fail_on: str = "error", **_: Any) -> str:
    """The summary body; other report options (colour, quiet) do not apply to Markdown."""
    budget = _Budget(LIMIT - _RESERVE)
    by_env = _env_findings(report)
    parts = []
    for section in (_headline(report, fail_on), "\n" + _table(report.diffs, by_env) if report.diffs else ""):
        if section and budget.take(section):
            parts.append(section)
    parts.append(_findings_section("Findings", report.findings, budget, "findings"))
    parts.append(_findings_section("Fixed by this change", report.fixed, budget, "fixed findings"))
    parts.append(_diff_sections(report.diffs, budget))
    pre = pre_existing(report)
    if pre:
        parts.append(_findings_section("Pre-existing findings (not counted)", pre, budget, "pre-existing findings"))
    if report.suppressed:
        line = _suppressed_line(report)
        if budget.take(line):
            parts.append(line)
    body = "".join(parts)
    if budget.omitted:
        left_out = ", ".join(f"{n} {what}" for what, n in budget.omitted.items())
        body += f"\n---\n_Left out to stay under the comment size limit: {left_out}. Run `prcheck` locally for everything._\n"
    return body
