"""The `prcheck` command in click: help, usage errors and every subcommand.

An ordinary `prcheck check` never comes here (`prcheck.cli_entry` parses it from
the same option table); what a command does lives in `prcheck.cli_run`, whose
names the subcommands import from here.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from prcheck import __version__
from prcheck.cli_options import CHECK_OPTIONS, FORMAT_CHOICES, PATHS, PATHS_TYPE
from prcheck.cli_run import (EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, emit_reports, error_line, fail, guarded,
                             run_check, usage_problem)
from prcheck.cli_spec import click_options

# What the subcommands' modules take from here.
__all__ = ["EXIT_ERROR", "EXIT_FINDINGS", "EXIT_OK", "FORMAT_CHOICES", "emit_reports", "error_line", "fail", "guarded",
           "main"]

# Subcommands living in their own modules, imported only when invoked.
EXTRA_COMMANDS: dict[str, str] = {
    "envs": "prcheck.commands.render_cmds:envs",
    "diff": "prcheck.commands.render_cmds:diff",
    "kyverno": "prcheck.commands.kyverno_cmd:kyverno",
    "gatekeeper": "prcheck.commands.gatekeeper_cmd:gatekeeper",
    "rules": "prcheck.commands.rules_cmd:rules",
    "policy": "prcheck.commands.policy_cmd:policy",
    "ci": "prcheck.commands.ci_cmd:ci",
    "merge": "prcheck.commands.merge_cmd:merge",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(EXTRA_COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in EXTRA_COMMANDS:
            module, _, attr = EXTRA_COMMANDS[name].partition(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Policy-as-code checks for GitOps pull requests."""


@main.command()
def version() -> None:
    """Print the prcheck version."""
    click.echo(f"prcheck {__version__}")


@main.command()
@click.argument(PATHS, nargs=-1, type=PATHS_TYPE.click())
@click_options(CHECK_OPTIONS)
def check(**params: Any) -> None:
    """Lint, schema-validate and evaluate policies over PATHS (default: .)."""
    problem = usage_problem(params)
    if problem:
        raise click.UsageError(problem)
    run_check(**params)


if __name__ == "__main__":  # pragma: no cover
    main()
