"""What `prcheck check` does once its flags are parsed, and how every command writes and fails.

Nothing here imports click: `check`'s keyword arguments come either from the
click command (`prcheck.cli`) or from the fast parser (`prcheck.cli_entry`),
and both run this code. Exit codes follow conftest and kubeconform: 0 clean,
1 findings at or above `--fail-on`, 2 usage, config or policy errors. No
traceback reaches a user; set PRCHECK_DEBUG=1 to see one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable, Mapping, NoReturn

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

_ANSI = r"\033\[[;?0-9]*[a-zA-Z]"  # click's pattern for the codes it strips off a non-terminal


def echo(message: str, *, err: bool = False, nl: bool = True) -> None:
    """`click.echo(message, err=err, nl=nl)`, without importing click where it would do nothing more.

    On a standard text stream click writes a str as it is, without ANSI codes when
    the stream is no terminal, and flushes. Anything else goes to click itself: bytes,
    a stream click would re-wrap (an ASCII one, a test runner's capture, no stream,
    Windows' console), or any run that has loaded click (its context may set colour)."""
    stream = sys.stderr if err else sys.stdout
    if "click" in sys.modules or not isinstance(message, str) or not _plain(stream):
        import click

        click.echo(message, err=err, nl=nl)
        return
    write_plain(stream, message + "\n" if nl else message)


def _plain(stream: Any) -> bool:
    import codecs
    import io

    return os.name != "nt" and type(stream) is io.TextIOWrapper and codecs.lookup(stream.encoding).name != "ascii"


def write_plain(stream: Any, text: str) -> None:
    """What click.echo does with a str on a plain text stream."""
    if text:
        try:
            terminal = stream.isatty()
        except Exception:  # click's own rule: a stream that cannot tell is no terminal
            terminal = False
        if not terminal and "\033" in text:
            import re

            text = re.sub(_ANSI, "", text)
        stream.write(text)
    stream.flush()


def error_line(message: str) -> str:
    """`prcheck: error: …` on one line, credentials masked: errors quote config values,
    tool output and URLs, and end up in the same CI log as everything else."""
    from prcheck.report.escaping import escape_control, safe_line
    from prcheck.report.masking import mask_text

    return safe_line(f"prcheck: error: {escape_control(mask_text(message, loose=True))}")


def fail(message: str) -> NoReturn:
    echo(error_line(message), err=True)
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
            echo("prcheck: interrupted", err=True)
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
                echo(part, nl=False)


def usage_problem(params: Mapping[str, Any]) -> str | None:
    """What is wrong with `check`'s flags taken together (click reports it as a usage error)."""
    if len(params["outputs"]) > max(len(params["formats"]), 1):
        return "more -o files than --format values"
    if params["paths"] and all(p == "" for p in params["paths"]):
        return "no path given: empty path arguments are ignored"
    if params["render"] and params["no_render"]:
        return "--render and --no-render contradict each other"
    return None


@guarded
def run_check(paths: tuple[str, ...], config_file: str | None, quiet: bool, formats: tuple[str, ...],
              outputs: tuple[str, ...], summary: bool, **flags: Any) -> None:
    """`prcheck check` with flags that passed `usage_problem`: run, report, publish, exit."""
    from prcheck.gcpause import paused_gc
    from prcheck.processes import Toplevel

    home = Toplevel(Path.cwd())  # git answers while the stages import; the trust stage reads it
    with paused_gc():  # every module a check loads lives to the end: no cyclic GC passes over them
        from prcheck.pipeline import run_check as run_pipeline
        from prcheck.trust import decide

    given = [p for p in paths if p != ""]  # conftest ignores an empty argument rather than reading "."
    if flags.get("base") == "auto":  # pre-commit and local runs: the branch's upstream or the default branch
        from prcheck.publish.cibase import auto_base

        flags["base"], came_from = auto_base(Path.cwd())
        echo(f"prcheck: --base auto: merge base {flags['base'][:12]} with {came_from}", err=True)
    with decide(given or ["."], config_file, flags, Path.cwd(), home) as decision:
        opts, fail_on = decision.config, decision.fail_on
        report = run_pipeline(opts)
    emit_reports(report, formats, outputs, quiet, fail_on, summary=summary)
    if flags.get("publish"):  # after the report files, so a failed post still leaves them
        from prcheck.publish.cli_glue import publish_from_flags

        publish_from_flags(report, flags, fail_on, opts.root or Path.cwd())
    sys.exit(EXIT_FINDINGS if report.fails(fail_on) else EXIT_OK)
