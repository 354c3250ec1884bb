"""Post a report where reviewers look: GitHub checks and review comments, or
GitLab merge request discussions.

`publish` is the one entry point the CLI calls. The summary markdown comes in
as a string, rendered by the caller, so publishing depends on no report
format. Every run reconciles with what the pull request already shows, so
re-runs never duplicate; `dry_run` prints the requests instead of sending them.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, Mapping, TextIO

if TYPE_CHECKING:
    from prcheck.model import Report
    from prcheck.publish.base import PublishOptions, PublishResult

__all__ = ["PermissionDenied", "PublishError", "PublishOptions", "PublishResult", "detect_platform", "publish"]

# Loaded on first use: `check` declares its publishing flags from `prcheck.publish.flags`
# at start-up, and a run that never publishes should not pay for the rest of the package.
_LAZY = {"PermissionDenied": "base", "PublishError": "base", "PublishOptions": "base", "PublishResult": "base",
         "detect_platform": "detect"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"prcheck.publish.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def publish(
    report: Report,
    platform: str,
    *,
    summary_markdown: str,
    fail_on: str,
    dry_run: bool = False,
    options: PublishOptions | None = None,
    environ: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
) -> PublishResult:
    """Publish `report` to `platform` (`github`, `gitlab` or `auto`).

    `fail_on` (`error|warning|info|never`) sets the check conclusion and the
    commit status. `environ` defaults to the process environment and `stdout`
    receives dry-run requests and GitHub workflow commands. Raises
    `PublishError` with a one-line message when the API cannot be used; a
    GitHub token that may not write (fork pull requests) is not an error: the
    results go to the job summary and annotations, and `result.fallback` says why.
    """
    from prcheck.publish.base import PublishOptions
    from prcheck.publish.detect import detect_platform

    env = os.environ if environ is None else environ
    out = sys.stdout if stdout is None else stdout
    opts = options or PublishOptions()
    name = detect_platform(platform, env)
    kwargs = dict(summary_markdown=summary_markdown, fail_on=fail_on, dry_run=dry_run, options=opts, environ=env, stdout=out)
    if name == "github":
        from prcheck.publish.github import publish_github

        return publish_github(report, **kwargs)  # type: ignore[arg-type]
    from prcheck.publish.gitlab import publish_gitlab

    return publish_gitlab(report, **kwargs)  # type: ignore[arg-type]
