"""`prcheck gatekeeper verify PATH...`: run gator `Suite` files like `gator verify`.

Teams that test their ConstraintTemplates with gator keep their suites: every
`kind: Suite` (test.gatekeeper.sh) file under PATH is run offline through the
same engine `prcheck check` uses, and printed as a table. Exit 0 when every
case holds, 1 on any failed assertion or case that cannot run, 2 on usage
errors (no such path, no suite found, bad --run pattern).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Sequence

import click

from prcheck.checks.policy.gatekeeper.verify import Outcome, Verifier
from prcheck.cli import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, guarded
from prcheck.report.escaping import safe_text

HEADERS = ("RESULT", "SUITE", "TEST", "CASE", "DETAIL")


@click.group()
def gatekeeper() -> None:
    """Gatekeeper ConstraintTemplates: run their gator test suites offline."""


@gatekeeper.command("verify")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--run", "run_pattern", help="Only tests or test/case names matching this regular expression.")
@click.option("-v", "--verbose", is_flag=True, help="Also list each case's violation messages.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True,
              help="json or junit: one result per case (constraint, object, expected, got) for CI.")
@click.option("--gatekeeper-engine", "engine", type=click.Choice(["auto", "cel", "rego"]), default="auto",
              help="Template code to run: auto (CEL when present, as Gatekeeper), cel or rego (no fallback).")
@guarded
def verify(paths: tuple[str, ...], run_pattern: str | None, verbose: bool, engine: str, fmt: str) -> None:
    """Run every gator Suite under PATHS (folders are searched recursively)."""
    try:
        pattern = re.compile(run_pattern) if run_pattern else None
    except re.error as exc:
        raise click.BadParameter(str(exc), param_hint="--run") from None
    verifier = Verifier(run=pattern, engine=engine)
    suites = verifier.suites(paths)
    if not suites:
        click.echo(f"prcheck: error: no gator Suite (test.gatekeeper.sh) found under {', '.join(paths)}", err=True)
        sys.exit(EXIT_ERROR)
    outcomes: list[Outcome] = []
    for suite in suites:
        outcomes.extend(verifier.run_suite(suite, _label(suite, paths)))
    if fmt == "text":
        click.echo(safe_text(render_table(outcomes, verbose)))
    else:
        from prcheck.report.test_results import TestResult, render

        results = [TestResult(o.suite, "/".join(p for p in (o.test, o.case) if p) or o.suite, o.status,
                              policy=o.policy, rule=o.test, resource=o.resource, expected=o.expected, got=o.got,
                              message="\n".join(filter(None, [o.detail, *o.messages])))
                   for o in outcomes]
        click.echo(render(fmt, "prcheck gatekeeper verify", results), nl=False)
    sys.exit(EXIT_OK if all(o.ok for o in outcomes) else EXIT_FINDINGS)


def _label(suite: Path, roots: Sequence[str]) -> str:
    """The suite's path as given on the command line plus the part below it, as gator prints it."""
    for root in roots:
        if Path(root).is_dir():
            try:
                return os.path.normpath(os.path.join(root, suite.relative_to(root)))
            except ValueError:
                continue
    return str(suite)


def render_table(outcomes: Sequence[Outcome], verbose: bool = False) -> str:
    rows = [HEADERS] + [(o.status.upper(), o.suite, o.test, o.case, o.detail) for o in outcomes]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS) - 1)]
    lines = []
    for index, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
        if verbose and index > 0:
            lines.extend(f"    violation: {message}" for message in outcomes[index - 1].messages)
    counts = {status: sum(1 for o in outcomes if o.status == status) for status in ("pass", "fail", "error", "skip")}
    lines.append("")
    lines.append(f"{counts['pass']} passed, {counts['fail']} failed, {counts['error']} errors, {counts['skip']} skipped")
    return "\n".join(lines)
