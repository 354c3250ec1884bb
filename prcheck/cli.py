"""The `prcheck` command: parse flags, merge the config file, call the pipeline, exit.

Exit codes follow conftest and kubeconform: 0 clean, 1 findings at or above
`--fail-on`, 2 usage, config or policy errors. No traceback reaches a user;
set PRCHECK_DEBUG=1 to see one.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any, Callable

import click

from prcheck import __version__
from prcheck.publish.flags import publish_options

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

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(EXTRA_COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in EXTRA_COMMANDS:
            module, _, attr = EXTRA_COMMANDS[name].partition(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


def error_line(message: str) -> str:
    """`prcheck: error: …` on one line, credentials masked: errors quote config values,
    tool output and URLs, and end up in the same CI log as everything else."""
    from prcheck.report.escaping import escape_control, safe_line
    from prcheck.report.masking import mask_text

    return safe_line(f"prcheck: error: {escape_control(mask_text(message, loose=True))}")


def _shard(value: str | None) -> Any:
    if not value:
        return None
    from prcheck.sources.shard import Shard

    try:
        return Shard.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def emit_reports(report: Any, formats: tuple[str, ...], outputs: tuple[str, ...], quiet: bool, fail_on: str,
                 **options: Any) -> None:
    """Each `--format` to its `-o` file (in order), the rest to stdout; `check` and `merge` alike."""
    from prcheck.report import batched, render_parts
    from prcheck.report.files import write_report

    for index, fmt in enumerate(list(formats) or ["text"]):
        target = outputs[index] if index < len(outputs) else None
        colour = False
        if target is None and fmt == "text":  # the one coloured format: a JSON run never loads it
            from prcheck.report.text import use_colour

            colour = use_colour()
        body = batched(render_parts(fmt, report, colour=colour, quiet=quiet, fail_on=fail_on, **options))
        if target:
            write_report(target, body)
        else:
            for part in body:  # a large JSON report is never held whole
                click.echo(part, nl=False)


def fail(message: str) -> None:
    click.echo(error_line(message), err=True)
    sys.exit(EXIT_ERROR)


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Known errors become one line and exit 2; unknown ones too, unless debugging."""
    from functools import wraps

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from prcheck.errors import user_errors

        try:
            return func(*args, **kwargs)
        except BrokenPipeError:  # `prcheck ... | head`: the reader left; say nothing more
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_FINDINGS)
        except KeyboardInterrupt:
            click.echo("prcheck: interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            if isinstance(exc, user_errors()):
                fail(str(exc))
            # a bug in prcheck: still one line for the user
            if os.environ.get("PRCHECK_DEBUG"):
                import traceback

                traceback.print_exc()
            fail(f"internal error: {type(exc).__name__}: {exc} (set PRCHECK_DEBUG=1 for details)")
    return wrapper


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Policy-as-code checks for GitOps pull requests."""


@main.command()
def version() -> None:
    """Print the prcheck version."""
    click.echo(f"prcheck {__version__}")


FORMAT_CHOICES = ["text", "json", "sarif", "junit", "codequality", "markdown"]


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Config file (default: .prcheck.yaml found upward to the git root).")
@click.option("--kube-version", help="Kubernetes version to validate against (default 1.32).")
@click.option("--strict/--no-strict", default=None, help="Reject fields the schema does not know.")
@click.option("--schema-location", "schema_location", multiple=True, help="Local schema location template, kubeconform style (repeatable).")
@click.option("--skip-kinds", multiple=True, help="Kinds (or version/Kind) not schema-validated; comma-separated or repeated.")
@click.option("--skip-missing-schemas", is_flag=True, default=None, help="Say nothing about kinds with no schema.")
@click.option("--policy", "policies", multiple=True, type=click.Path(), help="Rego policy folder or file (repeatable).")
@click.option("--add-policy", "added_policies", multiple=True, type=click.Path(), help="Rego policy folder or file run in addition to the config's policies (repeatable).")
@click.option("--data", multiple=True, type=click.Path(), help="JSON/YAML data file or folder merged under `data` (repeatable).")
@click.option("--namespace", "namespaces", multiple=True, help="Rego package to query (repeatable, default main).")
@click.option("--all-namespaces", is_flag=True, default=None, help="Query every Rego package.")
@click.option("--combine", is_flag=True, default=None, help="Evaluate policies once with all documents as input.")
@click.option("--rego-engine", type=click.Choice(["embedded", "opa"]), help="Embedded engine (default) or an OPA server.")
@click.option("--rego-version", type=click.Choice(["auto", "v0", "v1"]), help="Rego syntax; auto detects per module.")
@click.option("--gatekeeper-engine", type=click.Choice(["auto", "cel", "rego"]), help="ConstraintTemplate code to run: auto (CEL when the template has K8sNativeValidation, as Gatekeeper), cel or rego.")
@click.option("--opa-url", help="OPA server URL for --rego-engine opa (default: start a local `opa run --server`).")
@click.option("--capabilities", type=click.Path(dir_okay=False), help="OPA capabilities JSON: Rego may only call the built-ins it lists (conftest --capabilities).")
@click.option("--rego-strict", is_flag=True, default=None, help="OPA strict mode for Rego policies: unused variables and imports are errors (conftest --strict).")
@click.option("--builtin/--no-builtin", default=None, help="Run the built-in policy pack (default on; see `prcheck rules`).")
@click.option("--base", help="Git ref the change is compared against: render environments, fail only on new findings. `auto`: the merge base with the branch's upstream, else with origin/HEAD.")
@click.option("--head", help="Git ref of the change with --base (default: the work tree).")
@click.option("--filter-mode", type=click.Choice(["added", "diff_context", "file", "nofilter"]), help="With --base: which findings fail the run (default added).")
@click.option("--allow-remote", is_flag=True, default=None, help="With --base: let kustomize and helm fetch remote resources.")
@click.option("--ignore-labels", is_flag=True, default=None, help="With --base: ignore helm.sh/chart-style label churn in diffs.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Processes that check a large run (prcheck itself is one of them) and that render (default: number of cores).")
@click.option("--no-render", is_flag=True, default=False, help="Never render environments (fast pre-commit runs); with --base the change filter still applies.")
@click.option("--render", is_flag=True, default=False, help="Without --base: render every environment at head and check the output, comparing nothing (a default branch's report).")
@click.option("--shard", callback=lambda ctx, param, value: _shard(value), metavar="I/N", help="Check only share I of N (files and environments; for CI matrices); join the JSON reports with `prcheck merge`.")
@click.option("--all-files", is_flag=True, default=False, help="With --base: check every file, not only those the change affects (same findings, slower).")
@publish_options
@click.option("--format", "formats", multiple=True, type=click.Choice(FORMAT_CHOICES), help="Output format (repeatable; pairs with -o in order).")
@click.option("-o", "--output", "outputs", multiple=True, type=click.Path(dir_okay=False), help="Write the matching --format to this file (repeatable).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), help="Lowest severity that fails the run (default error).")
@click.option("--trusted-ref", help="Git ref whose tree supplies config, policies, data, schemas, environments and exceptions (a pull request's base); the checked tree is only data.")
@click.option("--suppressions", type=click.Choice(["all", "trusted"]), help="trusted: suppressions the change added or edited are reported, not honoured (default all).")
@click.option("--quiet", "-q", is_flag=True, help="Hide info findings and the summary of a clean run.")
@click.option("--exclude", "exclude", multiple=True, metavar="GLOB", help="Leave out files matching GLOB (a path or any parent folder; repeatable, adds to the config's exclude).")
@click.option("--summary", "summary", is_flag=True, default=False, help="End text output with the findings per rule (always shown past 20 findings).")
@guarded
def check(paths: tuple[str, ...], config_file: str | None, quiet: bool, formats: tuple[str, ...],
          outputs: tuple[str, ...], summary: bool, **flags: Any) -> None:
    """Lint, schema-validate and evaluate policies over PATHS (default: .)."""
    from prcheck.gcpause import paused_gc

    with paused_gc():  # every module a check loads lives to the end: no cyclic GC passes over them
        from prcheck.pipeline import run_check
        from prcheck.trust import decide

    if len(outputs) > max(len(formats), 1):
        raise click.UsageError("more -o files than --format values")
    given = [p for p in paths if p != ""]  # conftest ignores an empty argument rather than reading "."
    if paths and not given:
        raise click.UsageError("no path given: empty path arguments are ignored")
    if flags.get("render") and flags.get("no_render"):
        raise click.UsageError("--render and --no-render contradict each other")
    if flags.get("base") == "auto":  # pre-commit and local runs: the branch's upstream or the default branch
        from prcheck.publish.cibase import auto_base

        flags["base"], came_from = auto_base(Path.cwd())
        click.echo(f"prcheck: --base auto: merge base {flags['base'][:12]} with {came_from}", err=True)
    with decide(given or ["."], config_file, flags, Path.cwd()) as decision:
        opts, fail_on = decision.config, decision.fail_on
        report = run_check(opts)
    emit_reports(report, formats, outputs, quiet, fail_on, summary=summary)
    if flags.get("publish"):  # after the report files, so a failed post still leaves them
        from prcheck.publish.cli_glue import publish_from_flags

        publish_from_flags(report, flags, fail_on, opts.root or Path.cwd())
    sys.exit(EXIT_FINDINGS if report.fails(fail_on) else EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()
