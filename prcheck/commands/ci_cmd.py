"""`prcheck ci base`: the commit a CI run should compare against, for the
Action and the GitLab template (see `prcheck.publish.cibase`).

It prints `base=`, `trusted-ref=` and `reason=` lines, the format of
`$GITHUB_OUTPUT`, so a step appends them there and a GitLab job reads them
with `sed`; the explanation goes to stderr.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from prcheck.cli import guarded


@click.group()
def ci() -> None:
    """Helpers for the GitHub Action and the GitLab CI template."""


@ci.command("base")
@click.option("--platform", type=click.Choice(["auto", "github", "gitlab"]), default="auto", show_default=True)
@click.option("--base-ref", default="", help="Compare against this commit or branch instead of the event's base.")
@guarded
def base(platform: str, base_ref: str) -> None:
    """Print the base for this CI event, fetching and deepening the clone until it is usable."""
    from prcheck.publish.cibase import ci_base

    resolved = ci_base(platform, os.environ, Path.cwd(), base_ref)
    click.echo(f"prcheck: base: {resolved.base[:12] or 'none'} ({resolved.reason})", err=True)
    click.echo(resolved.outputs(), nl=False)
