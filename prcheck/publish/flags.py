"""The publishing options `check` and `merge` share, as data (see `prcheck.cli_spec`).

Kept apart from the publishers (importing them would load PyGithub and the
report formats on every start) so both commands declare the same flags from
one place.
"""

from __future__ import annotations

from prcheck.cli_spec import Choice, IntRange, Opt, click_options

# Surfaces a caller can switch off (`--no-publish`); the summary comment has its own setting.
SURFACES = ("check-run", "review-comments", "commit-status", "job-summary")
SUMMARY_MODES = ("always", "on-findings", "never")
MAX_COMMENTS = 50

# `--publish` and everything that says how: dry run, token, statuses, name and surfaces.
PUBLISH_OPTIONS = (
    Opt("publish", "--publish", type=Choice(["github", "gitlab", "auto"]),
        help="Post results to the pull/merge request."),
    Opt("dry_run", "--dry-run", is_flag=True, default=False,
        help="With --publish: print the API requests as JSON, send none."),
    Opt("github_token", "--github-token", help="Token for --publish github (default: $GITHUB_TOKEN)."),
    Opt("status_per_env", "--status-per-env", is_flag=True, default=False,
        help="With --publish: one commit status per environment."),
    Opt("name", "--name", default="prcheck", show_default=True,
        help="With --publish: the check-run name, status context and comment markers, so several "
             "prcheck jobs can share a pull request."),
    Opt("max_comments", "--max-comments", type=IntRange(min=0), default=MAX_COMMENTS, show_default=True,
        help="With --publish: at most this many line comments; the rest are listed in the summary "
             "comment."),
    Opt("summary_comment", "--summary-comment", type=Choice(SUMMARY_MODES), default="on-findings", show_default=True,
        help="With --publish: on-findings posts no summary comment on a pull request that never had "
             "findings (one posted before is still updated)."),
    Opt("publish_off", "--no-publish", multiple=True, type=Choice(SURFACES),
        help="With --publish: leave this surface alone (repeatable)."),
)

publish_options = click_options(PUBLISH_OPTIONS)
