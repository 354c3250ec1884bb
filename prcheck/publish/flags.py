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


def publish_options(func: _F) -> _F:
    """`--publish` and everything that says how: dry run, token, statuses, name and surfaces."""
    for option in reversed((
        click.option("--publish", type=click.Choice(["github", "gitlab", "auto"]),
                     help="Post results to the pull/merge request."),
        click.option("--dry-run", is_flag=True, default=False,
                     help="With --publish: print the API requests as JSON, send none."),
        click.option("--github-token", help="Token for --publish github (default: $GITHUB_TOKEN)."),
        click.option("--status-per-env", is_flag=True, default=False,
                     help="With --publish: one commit status per environment."),
        click.option("--name", default="prcheck", show_default=True,
                     help="With --publish: the check-run name, status context and comment markers, so several "
                          "prcheck jobs can share a pull request."),
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
