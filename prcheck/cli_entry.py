"""The `prcheck` console script and `python -m prcheck`: click only where it is needed.

An ordinary `prcheck check …` (pre-commit runs one per commit) is parsed from
`check`'s option table and run directly: importing click and building its
command costs more than the rest of the start-up we control. Anything the
strict parser does not take — help, a mistake, another subcommand, shell
completion — goes to the click command, which behaves exactly as before.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Sequence


def check_params(args: Sequence[str]) -> dict[str, Any] | None:
    """`check`'s keyword arguments as click would pass them, or None where click must answer."""
    if args[:1] != ["check"] or os.name == "nt" or any(key.endswith("_COMPLETE") for key in os.environ):
        return None  # Windows: click expands wildcards itself; `_PRCHECK_COMPLETE=…`: click's shell completion
    from prcheck.cli_options import CHECK_OPTIONS, PATHS, PATHS_TYPE
    from prcheck.cli_parse import parse
    from prcheck.cli_run import usage_problem

    params = parse(args[1:], CHECK_OPTIONS, PATHS, PATHS_TYPE)
    return None if params is None or usage_problem(params) else params


def main() -> None:
    params = check_params(sys.argv[1:])
    if params is None:
        from prcheck.cli import main as click_main

        click_main()
    else:
        from prcheck.cli_run import run_check

        run_check(**params)
