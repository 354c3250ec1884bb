"""Publish a report to GitHub: a check run, one review with line comments, a
sticky summary comment and commit statuses.

The logic here talks to a small `GitHubApi` interface, not to PyGithub, so the
same steps run against the real API (`github_client.PyGithubApi`) and in
`--dry-run` (`dryrun.DryRunGitHubApi`). Every step reconciles with what is
already on the pull request, so running it three times leaves what one run
leaves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping, Protocol, TextIO

from prcheck.model import Finding, Report
from prcheck.publish import workflow
from prcheck.publish.base import (
    CHECK_OUTPUT_LIMIT,
    REVIEW_MARKER,
    InlinePlan,
    PermissionDenied,
    PublishError,
    PublishOptions,
    PublishResult,
    Rejected,
    RemoteComment,
    cap,
    chunks,
    counts_title,
    finding_order,
    inline_body,
    is_summary,
    marker_fingerprint,
    normalize_path,
    plan_inline,
    reconcile_summary,
    run_live_or_dry,
    status_description,
    status_targets,
    summary_body,
)
from prcheck.publish.diffparse import DiffLines
from prcheck.publish.suggestions import suggestion_for

CHECK_NAME = "prcheck"
ANNOTATIONS_PER_REQUEST = 50  # the Checks API takes at most 50 annotations per request
_LEVEL = {"error": "failure", "warning": "warning", "info": "notice"}


@dataclass(frozen=True)
class GitHubContext:
    """Where to publish, read from the Actions environment and the event payload."""

    repository: str
    head_sha: str
    pull_number: int | None
    api_url: str = "https://api.github.com"
    run_url: str = ""
    event_name: str = ""
    step_summary: str = ""
    in_actions: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "GitHubContext":
        event = _load_event(environ.get("GITHUB_EVENT_PATH", ""))
        pull = event.get("pull_request") or {}
        number = pull.get("number")
        head = (pull.get("head") or {}).get("sha") or environ.get("GITHUB_SHA", "")
        repository = environ.get("GITHUB_REPOSITORY", "")
        if not repository:
            raise PublishError("--publish github needs GITHUB_REPOSITORY (owner/name), as GitHub Actions sets it")
        if not head:
            raise PublishError("--publish github needs the head commit: GITHUB_EVENT_PATH with a pull_request, or GITHUB_SHA")
        server = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        run_id = environ.get("GITHUB_RUN_ID", "")
        return cls(
            repository=repository,
            head_sha=head,
            pull_number=int(number) if number else None,
            api_url=environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
            run_url=f"{server}/{repository}/actions/runs/{run_id}" if run_id else "",
            event_name=environ.get("GITHUB_EVENT_NAME", ""),
            step_summary=environ.get("GITHUB_STEP_SUMMARY", ""),
            in_actions=environ.get("GITHUB_ACTIONS") == "true",
        )


def _load_event(path: str) -> dict:
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise PublishError(f"cannot read the GitHub event payload {path}: {exc}") from exc
    return data if isinstance(data, dict) else {}


class GitHubApi(Protocol):
    """The calls publishing needs. Adapters raise PublishError with one line, PermissionDenied
    for a token that may not write, and Rejected when the API refuses a request's content."""

    def create_check_run(self, body: dict) -> int: ...
    def update_check_run(self, check_run_id: int, body: dict) -> None: ...
    def changed_lines(self, number: int) -> dict[str, DiffLines]: ...
    def review_comments(self, number: int) -> list[RemoteComment]: ...
    def create_review(self, number: int, body: dict) -> None: ...
    def edit_review_comment(self, comment_id: int, body: str) -> None: ...
    def delete_review_comment(self, comment_id: int) -> None: ...
    def issue_comments(self, number: int) -> list[RemoteComment]: ...
    def create_issue_comment(self, number: int, body: str) -> None: ...
    def edit_issue_comment(self, comment_id: int, body: str) -> None: ...
    def delete_issue_comment(self, comment_id: int) -> None: ...
    def create_status(self, sha: str, body: dict) -> None: ...


def token_from(options: PublishOptions, environ: Mapping[str, str]) -> str:
    return options.github_token or environ.get("GITHUB_TOKEN", "")


def publish_github(
    report: Report,
    *,
    summary_markdown: str,
    fail_on: str,
    dry_run: bool,
    options: PublishOptions,
    environ: Mapping[str, str],
    stdout: TextIO,
) -> PublishResult:
    ctx = GitHubContext.from_env(environ)

    def recorder() -> GitHubApi:
        from prcheck.publish.dryrun import DryRunGitHubApi

        return DryRunGitHubApi(ctx, options, stdout)

    def client() -> GitHubApi:
        token = token_from(options, environ)
        if not token:
            raise PublishError("--publish github needs a token: set GITHUB_TOKEN or pass --github-token")
        from prcheck.publish.github_client import PyGithubApi

        return PyGithubApi(ctx, token, options)

    def steps(api: GitHubApi) -> PublishResult:
        return run(report, ctx, api, summary_markdown=summary_markdown, fail_on=fail_on, options=options, stdout=stdout)

    return run_live_or_dry(dry_run, recorder=recorder, client=client, steps=steps)


def run(
    report: Report,
    ctx: GitHubContext,
    api: GitHubApi,
    *,
    summary_markdown: str,
    fail_on: str,
    options: PublishOptions,
    stdout: TextIO,
) -> PublishResult:
    """All steps, check run first: a token that cannot write fails there, before anything is half done."""
    result = PublishResult(platform="github")
    try:
        publish_check_run(report, ctx, api, summary_markdown, fail_on, result)
        if ctx.pull_number is not None:
            plan = publish_review(report, ctx, api, options, result)
            publish_summary(ctx, api, summary_markdown, plan, result)
        publish_statuses(report, ctx, api, fail_on, options, result)
    except PermissionDenied as exc:
        if not ctx.in_actions:
            raise
        fallback(report, ctx, summary_markdown, stdout, result, reason=str(exc))
    except PublishError:
        if ctx.in_actions:  # keep the results visible in the run, then fail with the one-line error
            fallback(report, ctx, summary_markdown, stdout, result, reason="")
        raise
    return result


def fallback(
    report: Report, ctx: GitHubContext, summary_markdown: str, stdout: TextIO, result: PublishResult, *, reason: str
) -> None:
    """Job summary plus `::error file=…,line=…::` annotations; the exit code stays the findings' business."""
    workflow.append_step_summary(ctx.step_summary, summary_markdown)
    if not result.annotations:  # a check run that got through already carries them
        result.annotations = workflow.write_annotations(report, stdout)
    if reason:
        result.fallback = reason
        note = (
            f"cannot write to {ctx.repository} ({reason}); this happens on pull requests from forks and with "
            "read-only tokens. Findings are in the job summary and as annotations instead."
        )
        stdout.write(workflow.warning_command(note) + "\n")
        result.notes.append(note)


def annotation(finding: Finding) -> dict:
    line = max(finding.line, 1)
    message = finding.message
    if finding.resource:
        message += f"\nResource: {finding.resource}"
    if finding.environments:
        message += f"\n{'Environments' if len(finding.environments) > 1 else 'Environment'}: {finding.env_label}"
    item: dict = {
        "path": normalize_path(finding.path),
        "start_line": line,
        "end_line": line,
        "annotation_level": _LEVEL[finding.severity],
        "message": cap(message, 64 * 1024),
        "title": cap(f"{finding.severity}: {finding.rule}", 255),
    }
    if finding.column and finding.line:
        item["start_column"] = item["end_column"] = finding.column
    return item


def publish_check_run(
    report: Report, ctx: GitHubContext, api: GitHubApi, summary_markdown: str, fail_on: str, result: PublishResult
) -> None:
    """A new check run each time: updates append annotations, so reusing one would repeat them.
    More than 50 annotations go in follow-up updates, 50 at a time; the last one completes the run."""
    items = [annotation(f) for f in sorted(report.findings, key=finding_order) if f.path]
    batches = chunks(items, ANNOTATIONS_PER_REQUEST)
    conclusion = "failure" if report.fails(fail_on) else "success"

    def output(batch: object) -> dict:
        return {
            "title": counts_title(report),
            "summary": cap(summary_markdown or counts_title(report), CHECK_OUTPUT_LIMIT),
            "annotations": list(batch),  # type: ignore[call-overload]
        }

    first: dict = {"name": CHECK_NAME, "head_sha": ctx.head_sha}
    if ctx.run_url:
        first["details_url"] = ctx.run_url
    if len(batches) == 1:
        first.update(status="completed", conclusion=conclusion, output=output(batches[0]))
        result.check_run_id = api.create_check_run(first)
    else:
        first.update(status="in_progress", output=output(batches[0]))
        result.check_run_id = api.create_check_run(first)
        for batch in batches[1:-1]:
            api.update_check_run(result.check_run_id, {"output": output(batch)})
        api.update_check_run(
            result.check_run_id, {"status": "completed", "conclusion": conclusion, "output": output(batches[-1])}
        )
    result.annotations = len(items)


def publish_review(
    report: Report, ctx: GitHubContext, api: GitHubApi, options: PublishOptions, result: PublishResult
) -> InlinePlan:
    """One review holding the new line comments; comments of findings that are gone, or that
    moved to another line, are deleted; a finding already commented on its line is left alone."""
    number = ctx.pull_number
    assert number is not None
    changed = api.changed_lines(number)
    commentable = {path: lines.commentable(options.comment_scope) for path, lines in changed.items()}
    plan = plan_inline(report.findings, commentable, options.max_inline)

    ours: dict[str, list[RemoteComment]] = {}
    for comment in api.review_comments(number):
        fingerprint = marker_fingerprint(comment.body)
        if fingerprint and comment.reply_to is None:
            ours.setdefault(fingerprint, []).append(comment)

    new_comments: list[dict] = []
    stale: list[RemoteComment] = []
    for finding in plan.inline:
        path = normalize_path(finding.path)
        body = inline_body(finding, suggestion_for(finding, options.repo_root, options.suggesters), "suggestion")
        existing = ours.pop(finding.fingerprint, [])
        keep = next((c for c in existing if c.path == path and c.line == finding.line), None)
        stale += [c for c in existing if c is not keep]
        if keep is None:
            new_comments.append({"path": path, "line": finding.line, "side": "RIGHT", "body": body})
            continue
        result.inline_kept += 1
        if keep.body != body:
            api.edit_review_comment(keep.id, body)
    for leftovers in ours.values():
        stale += leftovers

    if new_comments:
        count = len(new_comments)
        review_text = f"{REVIEW_MARKER}\nprcheck: {count} finding{'s' if count != 1 else ''} on the changed lines."
        try:
            api.create_review(
                number, {"commit_id": ctx.head_sha, "event": "COMMENT", "body": review_text, "comments": new_comments}
            )
            result.inline_created = count
        except Rejected as exc:
            # Lines no longer in the diff: the pull request moved on while prcheck ran.
            # The findings are still reported, in the summary; the next run comments again.
            posted = {(c["path"], c["line"]) for c in new_comments}
            moved = [f for f in plan.inline if (normalize_path(f.path), f.line) in posted]
            plan = InlinePlan([f for f in plan.inline if f not in moved], sorted(plan.outside + moved, key=finding_order))
            result.notes.append(f"line comments not posted, listed in the summary instead: {exc}")
    for comment in stale:
        api.delete_review_comment(comment.id)
    result.inline_removed = len(stale)
    return plan


def publish_summary(
    ctx: GitHubContext, api: GitHubApi, summary_markdown: str, plan: InlinePlan, result: PublishResult
) -> None:
    """The one comment found by its marker and edited in place; stray copies (a race) are removed."""
    number = ctx.pull_number
    assert number is not None
    body = summary_body(summary_markdown, plan.outside, len(plan.inline))
    reconcile_summary(
        [c for c in api.issue_comments(number) if is_summary(c.body)],
        body,
        result,
        create=lambda text: api.create_issue_comment(number, text),
        edit=lambda comment, text: api.edit_issue_comment(comment.id, text),
        delete=lambda comment: api.delete_issue_comment(comment.id),
    )


def publish_statuses(
    report: Report, ctx: GitHubContext, api: GitHubApi, fail_on: str, options: PublishOptions, result: PublishResult
) -> None:
    """`prcheck`, and `prcheck/<env>` per environment when asked (branch protection can require one)."""
    for context, part in status_targets(report, options, "prcheck"):
        body = {
            "state": "failure" if part.fails(fail_on) else "success",
            "context": context,
            "description": status_description(part),
        }
        if ctx.run_url:
            body["target_url"] = ctx.run_url
        api.create_status(ctx.head_sha, body)
        result.statuses.append(context)
