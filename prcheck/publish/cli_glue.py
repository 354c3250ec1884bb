"""Turn `check`'s publish flags into one `publish()` call.

Kept out of cli.py so the command stays a list of flags: this is where the
token, the changed lines for `--dry-run` and the comment scope are decided.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import click

from prcheck.model import Report
from prcheck.publish import publish
from prcheck.publish.base import DEFAULT_NAME, PublishOptions, valid_name
from prcheck.publish.flags import MAX_COMMENTS
from prcheck.publish.workflow import warning_command


def _changed_lines(root: Path, base: str | None, head: str | None) -> dict[str, list[int]]:
    """Only `--dry-run` needs these locally: a real run asks the API for the diff."""
    if not base:
        return {}
    from prcheck.sources.gitdiff import changes

    lines: dict[str, list[int]] = {}
    for path, change in changes(root, base, head).files.items():
        if change.status != "D":
            lines[path] = [n for first, last in change.added for n in range(first, last + 1)]
    return lines


def publish_from_flags(report: Report, flags: Mapping[str, Any], fail_on: str, root: Path) -> None:
    from prcheck.report.markdown import render as markdown

    dry_run = bool(flags.get("dry_run"))
    options = PublishOptions(
        github_token=flags.get("github_token") or "",
        name=valid_name(flags.get("name") or DEFAULT_NAME),
        status_per_env=bool(flags.get("status_per_env")),
        comment_scope="diff_context" if flags.get("filter_mode") == "diff_context" else "added",
        repo_root=str(root),
        max_inline=int(flags.get("max_comments", MAX_COMMENTS)),
        off=frozenset(flags.get("publish_off") or ()),
        summary_comment=flags.get("summary_comment") or "on-findings",
        changed_lines=_changed_lines(root, flags.get("base"), flags.get("head")) if dry_run else {},
    )
    result = publish(report, flags["publish"], summary_markdown=markdown(report, fail_on=fail_on),
                     fail_on=fail_on, dry_run=dry_run, options=options)
    report_warnings(result.warnings, in_actions=os.environ.get("GITHUB_ACTIONS") == "true")
    for note in result.notes:
        click.echo(f"prcheck: note: {note}", err=True)


def report_warnings(warnings: list[str], *, in_actions: bool) -> None:
    """One line per surface that could not be written; the exit code stays the findings'."""
    for warning in warnings:
        if in_actions:
            click.echo(warning_command(warning))
        else:
            click.echo(f"prcheck: warning: {warning}", err=True)
