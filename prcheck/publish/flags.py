"""The publishing options `check` and `merge` share, as click decorators.

Kept apart from the publishers (importing them would load PyGithub and the
report formats on every start) so both commands declare the same flags from
one place.
"""

from __future__ import annotations

from typing import Callable, TypeVar

import click

# Surfaces a caller can switch off (`--no-publish`); the summary comment has its own setting.
SURFACES = ("check-run", "review-comments", "commit-status", "job-summary")
SUMMARY_MODES = ("always", "on-findings", "never")
MAX_COMMENTS = 50

_F = TypeVar("_F", bound=Callable)


def surface_options(func: _F) -> _F:
    """`--max-comments`, `--summary-comment` and `--no-publish SURFACE`."""
    for option in reversed((
        click.option("--max-comments", type=click.IntRange(min=0), default=MAX_COMMENTS, show_default=True,
                     help="With --publish: at most this many line comments; the rest are listed in the summary "
                          "comment."),
        click.option("--summary-comment", type=click.Choice(SUMMARY_MODES), default="on-findings", show_default=True,
                     help="With --publish: on-findings posts no summary comment on a pull request that never had "
                          "findings (one posted before is still updated)."),
        click.option("--no-publish", "publish_off", multiple=True, type=click.Choice(SURFACES),
                     help="With --publish: leave this surface alone (repeatable)."),
    )):
        func = option(func)
    return func
