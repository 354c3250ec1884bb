"""`prcheck envs` and `prcheck diff`: what the repository deploys, and what a change does to it.

Both are thin: flags and config in, `prcheck.render` does the work, a report
module prints. `diff` exits 0 when every environment rendered, 1 when one
failed to render at the head side, 2 on usage, config or git errors.

`--allow-remote` is a flag only: a pull request can edit `.prcheck.yaml`, so
a config key must not be able to make the checker fetch from the network.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from prcheck.cli import EXIT_FINDINGS, EXIT_OK, fail, guarded
from prcheck.diff import DEFAULT_NOISY_LABELS, counts
from prcheck.model import Report
from prcheck.report.escaping import escape_control, safe_text
from prcheck.report.masking import mask_report
from prcheck.render.environments import EnvironmentConfigError, resolve
from prcheck.render.remotes import repository_urls
from prcheck.render.worktree import GitError, toplevel


def _config(config_file: str | None, root: Path, trusted_ref: str | None = None) -> dict[str, Any]:
    """The work tree's config, or `--trusted-ref`'s (then the change cannot pick what is rendered)."""
    from prcheck.trust import config_mapping

    with config_mapping(config_file, Path.cwd(), root, trusted_ref) as conf:
        return dict(conf)


def _root(path: str) -> Path:
    try:
        return toplevel(Path(path).resolve())
    except GitError:
        fail(f"{path}: not inside a git repository")


@click.command()
@click.argument("path", default=".", type=click.Path(exists=True, file_okay=False))
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Config file (default: .prcheck.yaml).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--trusted-ref", help="Git ref whose .prcheck.yaml declares the environments (a pull request's base).")
@guarded
def envs(path: str, config_file: str | None, fmt: str, trusted_ref: str | None) -> None:
    """List the environments of the repository at PATH, and why each was found."""
    root = _root(path)
    try:
        found = resolve(root, _config(config_file, root, trusted_ref), remotes=repository_urls(root))
    except EnvironmentConfigError as exc:
        fail(str(exc))
    if fmt == "json":
        click.echo(json.dumps([asdict(s.env) for s in found], indent=2))
        return
    if not found:
        click.echo("no environments declared or found")
        return
    width = max(len(s.name) for s in found)
    for spec in found:
        env = spec.env
        values = f"  values: {', '.join(env.values)}" if env.values else ""
        click.echo(safe_text(f"{env.name:<{width}}  {env.kind:<9} {env.path}{values}"))
        click.echo(safe_text(f"{'':<{width}}  found: {env.source}"))


@click.command()
@click.option("--base", "base_ref", required=True, help="Git ref to compare against (its merge base with the head).")
@click.option("--head", "head_ref", help="Git ref of the change (default: the work tree).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to this file.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Config file (default: .prcheck.yaml).")
@click.option("--ignore-labels", is_flag=True, help=f"Ignore label churn ({', '.join(DEFAULT_NOISY_LABELS)}, plus config ignore_labels).")
@click.option("--allow-remote", is_flag=True, help="Let kustomize and helm fetch remote resources and charts.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Parallel renders (default: number of cores).")
@click.option("--timeout", type=click.FloatRange(min=1), default=60.0, show_default=True, help="Seconds per render.")
@click.option("--kube-version", help="Kubernetes version for Helm's .Capabilities (default: config, else Helm's own).")
@click.option("--path", "path", default=".", type=click.Path(exists=True, file_okay=False), help="A folder of the repository.")
@click.option("--trusted-ref", help="Git ref whose .prcheck.yaml declares the environments (a pull request's base).")
@guarded
def diff(base_ref: str, head_ref: str | None, fmt: str, output: str | None, config_file: str | None,
         ignore_labels: bool, allow_remote: bool, jobs: int | None, timeout: float, kube_version: str | None,
         path: str, trusted_ref: str | None) -> None:
    """Render every environment at --base and --head and show what changes, per environment."""
    from prcheck.processes import default_jobs
    from prcheck.render.changes import compare

    root = _root(path)
    conf = _config(config_file, root, trusted_ref)
    labels = tuple(DEFAULT_NOISY_LABELS) + tuple(conf.get("ignore_labels") or ()) if ignore_labels else ()
    try:
        found = compare(root, base_ref, head_ref, config=conf, jobs=jobs or min(conf.get("jobs") or default_jobs(), default_jobs()),
                        allow_remote=allow_remote, timeout=timeout,
                        kube_version=kube_version or str(conf.get("kube_version") or ""), ignore_labels=labels,
                        with_nodes=False)  # no checks run here, so no source lines are needed
    except (GitError, EnvironmentConfigError) as exc:
        fail(str(exc))
    report = Report(findings=found.findings, diffs=found.diffs, stats={
        "base": found.base_commit,
        "environments": [asdict(e) for e in found.environments],
        "notes": found.notes,
        "timings": {k: round(v, 4) for k, v in found.timings.items()},
    })
    body = render_report(mask_report(report), fmt)
    if output:
        from prcheck.report.files import write_report

        write_report(output, body)
    else:
        click.echo(body, nl=False)
    broken = any(f.severity == "error" for f in found.findings)
    sys.exit(EXIT_FINDINGS if broken else EXIT_OK)


def render_report(report: Report, fmt: str) -> str:
    if fmt == "markdown":
        from prcheck.report.markdown import render
        return render(report)
    if fmt == "json":
        from prcheck.report.json import render as render_json
        return render_json(report)
    return text_summary(report)


def text_summary(report: Report) -> str:
    """One line per environment, then each changed resource's diff, then render findings."""
    lines: list[str] = []
    notes: dict[str, list[str]] = report.stats.get("notes", {})
    for d in report.diffs:
        if d.skipped:
            lines.append(f"{d.env}: unchanged inputs, not rendered")
            continue
        c = counts(d)
        lines.append(f"{d.env}: {c['added']} added, {c['changed']} changed, {c['removed']} removed, "
                     f"{c['moved']} moved, {c['unchanged']} unchanged")
        for note in notes.get(d.env, []):
            lines.append(f"  not followed: {note}")
    for d in report.diffs:
        for kind, items in (("changed", d.changed), ("added", d.added), ("removed", d.removed), ("moved", d.moved)):
            for change in items:
                lines.append("")
                lines.append(f"== {d.env}: {kind} {change.key}")
                lines.append(change.text.rstrip("\n"))
    if report.findings:
        lines.append("")
        for f in report.findings:
            lines.append(escape_control(f"{f.location()}: {f.severity}: {f.message} [{f.rule}]"))
    return safe_text("\n".join(lines)) + "\n"
