"""`prcheck policy test [DIR]`: run Rego unit tests and fixture tests.

With no DIR, tests the built-in pack. Output follows `opa test`: one line per
failure (every test with -v), then a summary; exit 1 on any failure or
error, 2 when a policy does not compile.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from prcheck.cli import EXIT_FINDINGS, EXIT_OK, guarded
from prcheck.report.escaping import safe_text


@click.group()
def policy() -> None:
    """Work with Rego policies (the built-in pack or your own)."""


@policy.command("test")
@click.argument("directory", required=False, type=click.Path(exists=True))
@click.option("--data", "data_paths", multiple=True, type=click.Path(exists=True),
              help="Data file or folder for the unit tests (default: DIR/data).")
@click.option("-v", "--verbose", is_flag=True, help="Print every test, not only failures.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True,
              help="json or junit: one result per test (policy, rule, file, expected, got) for CI.")
@guarded
def test(directory: str | None, data_paths: tuple[str, ...], verbose: bool, fmt: str) -> None:
    """Run `test_*` rules and testdata/ fixtures under DIRECTORY (default: the built-in pack)."""
    from prcheck.checks.policy.builtin_catalog import pack_dir
    from prcheck.checks.policy.builtin_testing import run_all

    root = Path(directory) if directory else pack_dir()
    report = run_all(root, [Path(p) for p in data_paths])
    if fmt != "text":
        from prcheck.report.test_results import TestResult, render

        results = [TestResult(str(root), r.name, r.status, policy=r.policy, rule=r.rule, resource=r.resource,
                              expected=r.expected, got=r.got, message=r.detail) for r in report.results]
        click.echo(render(fmt, "prcheck policy test", results), nl=False)
        sys.exit(EXIT_OK if report.ok else EXIT_FINDINGS)
    for result in report.results:
        if verbose or result.status in ("fail", "error"):
            detail = f"\n    {result.detail}" if result.detail else ""
            click.echo(safe_text(f"{result.status.upper()}: {result.name}{detail}"))
    total = len(report.results)
    if not total:
        click.echo(safe_text(f"no tests found under {root}"))
    else:
        click.echo(f"{report.count('pass')}/{total} passed, {report.count('fail')} failed, "
                   f"{report.count('error')} errors, {report.count('skip')} skipped")
    sys.exit(EXIT_OK if report.ok else EXIT_FINDINGS)
