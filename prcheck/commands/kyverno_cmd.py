"""`prcheck kyverno test DIR`: run `kyverno-test.yaml` files like `kyverno test`.

Existing Kyverno users keep their test suites: every `kyverno-test.yaml`
under DIR (hidden `.kyverno-test` folders included) is run offline and
printed as the Kyverno CLI prints it. Exit 0 when every expected result
matched, 1 on any mismatch or unloadable test, 2 on usage errors.
"""

from __future__ import annotations

import sys

import click

from prcheck.cli import guarded
from prcheck.report.escaping import safe_text
from prcheck.report.test_results import TestResult, render


@click.group()
def kyverno() -> None:
    """Kyverno policies: run their CLI test suites offline."""


@kyverno.command("test")
@click.argument("directory", type=click.Path(exists=True))
@click.option("--detailed-results", is_flag=True, help="Also print the engine's message for each mismatch.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True,
              help="json or junit: one result per expected result (policy, rule, resource, expected, got) for CI.")
@guarded
def test(directory: str, detailed_results: bool, fmt: str) -> None:
    """Run every kyverno-test.yaml under DIRECTORY (or that file)."""
    from prcheck.checks.policy.kyverno.testrunner import run_all, run_tests

    if fmt == "text":
        sys.exit(run_tests(directory, _SafeWriter(sys.stdout), detailed=detailed_results))
    reports = run_all(directory)
    if not reports:
        click.echo(f"prcheck: error: no kyverno-test.yaml under {directory}", err=True)
        sys.exit(1)
    results = [r for report in reports for r in _results(report)]
    click.echo(render(fmt, "prcheck kyverno test", results), nl=False)
    code = 1 if any(report.failed for report in reports) else 0
    sys.exit(code)


def _results(report) -> list[TestResult]:
    """One result per expected result of a test file; a file that cannot run is one error."""
    suite = str(report.path)
    if report.error:
        return [TestResult(suite, report.name or suite, "error", message=report.error)]
    return [
        TestResult(suite, f"{row.policy}/{row.rule} {row.kind + '/' if row.kind else ''}{row.resource}",
                   "pass" if row.ok else "fail", policy=row.policy, rule=row.rule,
                   resource=f"{row.kind}/{row.resource}" if row.kind else row.resource,
                   expected=row.expected, got=row.actual or "not found", message="" if row.ok else row.reason)
        for row in report.rows
    ]


class _SafeWriter:
    """Test names, resource names and messages come from the tested files: escape them on their way to the log."""

    def __init__(self, stream) -> None:  # type: ignore[no-untyped-def]
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(safe_text(text))

    def flush(self) -> None:
        self.stream.flush()
