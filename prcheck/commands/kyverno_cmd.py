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


@click.group()
def kyverno() -> None:
    """Kyverno policies: run their CLI test suites offline."""


@kyverno.command("test")
@click.argument("directory", type=click.Path(exists=True))
@click.option("--detailed-results", is_flag=True, help="Also print the engine's message for each mismatch.")
@guarded
def test(directory: str, detailed_results: bool) -> None:
    """Run every kyverno-test.yaml under DIRECTORY (or that file)."""
    from prcheck.checks.policy.kyverno.testrunner import run_tests

    code = run_tests(directory, sys.stdout, detailed=detailed_results)
    sys.exit(code)
