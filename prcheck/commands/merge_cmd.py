"""`prcheck merge REPORT...`: join the JSON reports of `check --shard I/N` jobs.

Each shard checked its own files and environments, so their findings,
suppressions and diffs are disjoint; what every shard reports alike (the
trust stage's notices, config problems) is kept once. The merged report is
rendered and published once, exactly as `check` would have done it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Sequence

import click

from prcheck.cli import EXIT_ERROR, FORMAT_CHOICES, emit_reports
from prcheck.publish.flags import publish_options
from prcheck.model import Report
_SUMMED_STATS = ("files", "documents", "resources", "policy_passes")


class MergeError(click.ClickException):
    """Reports that cannot be merged: one line, exit 2 like every usage error."""

    exit_code = EXIT_ERROR


def merge_reports(reports: Sequence[Report]) -> Report:
    merged = Report()
    seen: set[tuple] = set()
    for report in reports:
        for finding in report.findings:
            key = (finding.fingerprint, finding.line, finding.column, finding.severity)
            if key not in seen:
                seen.add(key)
                merged.findings.append(finding)
        merged.suppressed.extend(s for s in report.suppressed if s not in merged.suppressed)
        known_envs = {d.env for d in merged.diffs}
        merged.diffs.extend(d for d in report.diffs if d.env not in known_envs)
    merged.findings.sort(key=lambda f: (f.path, f.line, f.rule, f.message))
    merged.diffs.sort(key=lambda d: d.env)
    merged.stats = _merged_stats([r.stats for r in reports])
    return merged


def _merged_stats(stats: Sequence[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {key: sum(int(s.get(key) or 0) for s in stats) for key in _SUMMED_STATS}
    if stats and stats[0].get("root"):
        out["root"] = stats[0]["root"]
    pre = [f for s in stats for f in s.get("pre_existing") or []]
    if any("pre_existing" in s for s in stats):
        out["pre_existing"] = pre
    out["shards"] = [s.get("shard") for s in stats if s.get("shard")]
    return out


def read_report(path: str) -> Report:
    from prcheck.report.json import report_from_dict

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return report_from_dict(data)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError, KeyError, TypeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc).splitlines()[0]
        raise MergeError(f"{path}: cannot read a prcheck JSON report: {reason}") from None


def _check_shards(reports: Sequence[Report], paths: Sequence[str]) -> None:
    """Refuse an incomplete or mixed set: a missing shard would silently drop its findings."""
    shards = [r.stats.get("shard") for r in reports]
    if not any(shards):
        return
    if not all(shards):
        raise MergeError("some reports come from --shard runs and some do not")
    counts = {s["count"] for s in shards}
    indexes = sorted(s["index"] for s in shards)
    if len(counts) != 1 or indexes != list(range(1, counts.pop() + 1)):
        got = ", ".join(f"{s['index']}/{s['count']}" for s in shards)
        raise MergeError(f"the reports are not one complete set of shards (got {got} from {len(paths)} files)")


@click.command()
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "formats", multiple=True, type=click.Choice(FORMAT_CHOICES), help="Output format (repeatable; pairs with -o in order).")
@click.option("-o", "--output", "outputs", multiple=True, type=click.Path(dir_okay=False), help="Write the matching --format to this file (repeatable).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default="error", show_default=True, help="Lowest severity that fails the run.")
@click.option("--quiet", "-q", is_flag=True, help="Hide info findings and the summary of a clean run.")
@publish_options
@click.option("--base", help="With --publish --dry-run: the ref the change is compared against (for the changed lines).")
@click.option("--head", help="With --base: the head ref (default: the work tree).")
def merge(reports: tuple[str, ...], formats: tuple[str, ...], outputs: tuple[str, ...], fail_on: str,
          quiet: bool, **flags: Any) -> None:
    """Join the JSON reports of `check --shard I/N` runs into one, then render and publish it once."""
    if len(outputs) > max(len(formats), 1):
        raise click.UsageError("more -o files than --format values")
    loaded = [read_report(p) for p in reports]
    _check_shards(loaded, reports)
    report = merge_reports(loaded)
    emit_reports(report, formats, outputs, quiet, fail_on)
    if flags.get("publish"):
        from prcheck.publish.cli_glue import publish_from_flags

        publish_from_flags(report, flags, fail_on, Path(report.stats.get("root") or Path.cwd()))
    sys.exit(1 if report.fails(fail_on) else 0)
