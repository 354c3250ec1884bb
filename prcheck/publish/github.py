"""Publish a report to GitHub: a check run, one review with line comments, a
sticky summary comment, commit statuses and the job summary.

The logic here talks to a small `GitHubApi` interface, not to PyGithub, so the
same steps run against the real API (`github_client.PyGithubApi`) and in
`--dry-run` (`dryrun.DryRunGitHubApi`). Every step reconciles with what is
already on the pull request, so running it three times leaves what one run
leaves. Each surface is attempted on its own: a token that may not write
check runs still gets its comments and status out, and an API failure is a
warning line, never a changed exit code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Mapping, Protocol, TextIO

from prcheck.model import Finding, Report
from prcheck.publish import workflow
from prcheck.publish.base import (
    CHECK_OUTPUT_LIMIT,
    Identity,
    InlinePlan,
    Markers,
    PermissionDenied,
    PublishError,
    PublishOptions,
    PublishResult,
    Rejected,
    RemoteComment,
    attempt,
    cap,
    chunks,
    counts_title,
    finding_envs,
    finding_order,
    fixed_body,
    inline_body,
    is_fixed,
    normalize_path,
    plan_inline,
    reconcile_summary,
    run_live_or_dry,
    status_description,
    status_targets,
    summary_bodies,
)
from prcheck.publish.diffparse import DiffLines
from prcheck.publish.suggestions import suggestion_for

ANNOTATIONS_PER_REQUEST = 50  # the Checks API takes at most 50 annotations per request
_LEVEL = {"error": "failure", "warning": "warning", "info": "notice"}

# What a 403 on each surface means, said the way GitHub's docs name the permissions.
NEEDS = {
    "check run": "the token needs `checks: write`; only GitHub App tokens (such as GITHUB_TOKEN) can write check "
                 "runs, a personal access token cannot",
    "review comments": "the token needs `pull-requests: write`",
    "summary comment": "the token needs `pull-requests: write`",
    "commit status": "the token needs `statuses: write`",
    "pull request": "the token needs `pull-requests: read`",
}


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
    fork: bool = False  # the pull request comes from another repository: its workflow token is read-only

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
        head_repo = ((pull.get("head") or {}).get("repo") or {}).get("full_name") or ""
        base_repo = ((pull.get("base") or {}).get("repo") or {}).get("full_name") or repository
        return cls(
            repository=repository,
            head_sha=head,
            pull_number=int(number) if number else None,
            api_url=environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
            run_url=f"{server}/{repository}/actions/runs/{run_id}" if run_id else "",
            event_name=environ.get("GITHUB_EVENT_NAME", ""),
            step_summary=environ.get("GITHUB_STEP_SUMMARY", ""),
            in_actions=environ.get("GITHUB_ACTIONS") == "true",
            fork=bool(head_repo) and head_repo.lower() != base_repo.lower(),
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

    def viewer(self) -> Identity: ...
    def pull_head(self, number: int) -> str: ...
    def create_check_run(self, body: dict) -> int: ...
    def update_check_run(self, check_run_id: int, body: dict) -> None: ...
    def changed_lines(self, number: int) -> dict[str, DiffLines]: ...
    def review_comments(self, number: int) -> list[RemoteComment]: ...
    def create_review(self, number: int, body: dict) -> None: ...
    def create_review_comment(self, number: int, body: dict) -> None: ...
    def edit_review_comment(self, comment_id: int, body: str) -> None: ...
    def delete_review_comment(self, comment_id: int) -> None: ...
    def minimize_comment(self, node_id: str, minimize: bool) -> None: ...
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
            raise PublishError("--publish github needs a token: set GITHUB_TOKEN or use --github-token")
        from prcheck.publish.github_client import PyGithubApi

        return PyGithubApi(ctx, token, options)

    def steps(api: GitHubApi) -> PublishResult:
        return run(report, ctx, api, summary_markdown=summary_markdown, fail_on=fail_on, options=options, stdout=stdout)

    result = run_live_or_dry(dry_run, recorder=recorder, client=client, steps=steps)
    if not dry_run and "job-summary" not in options.off:  # needs no token: every run in Actions gets one
        result.step_summary = workflow.append_step_summary(ctx.step_summary, summary_markdown)
    return result


def hint(ctx: GitHubContext, surface: str):  # noqa: ANN201 - a small closure factory
    """The cause a failure on `surface` most likely has, for its warning line."""

    def explain(exc: PublishError) -> str:
        if not isinstance(exc, PermissionDenied):
            return ""
        if ctx.fork:
            return "a pull request from a fork: GitHub gives its workflow a read-only token"
        return NEEDS.get(surface, "")

    return explain


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
    """Every surface on its own: check run, review comments, summary comment, status.
    A surface switched off (`options.off`) is neither written nor cleaned up."""
    result = PublishResult(platform="github")
    markers = Markers(options.name)
    reviewing = "review-comments" not in options.off
    summarising = options.summary_comment != "never"
    if "check-run" not in options.off:
        checked = attempt(result, "check run",
                          lambda: publish_check_run(report, ctx, api, summary_markdown, fail_on, options, result) or True,
                          hint(ctx, "check run"))
        if not checked and ctx.in_actions:
            fallback(report, stdout, result, reason=result.warnings[-1])
    if ctx.pull_number is not None and (reviewing or summarising):
        number = ctx.pull_number
        identity = attempt(result, "review comments and summary comment", api.viewer, lambda exc: "")
        current = attempt(result, "review comments and summary comment", lambda: api.pull_head(number),
                          hint(ctx, "pull request")) if identity else None
        if current and current != ctx.head_sha:
            result.notes.append(f"pull request #{number} moved on to {current[:12]}: its comments are left to that "
                                "run (this one checked " + ctx.head_sha[:12] + ")")
        elif identity and current:
            plan = attempt(result, "review comments", lambda: publish_review(report, ctx, api, options, identity, result),
                           hint(ctx, "review comments")) if reviewing else None
            if plan is None:  # no line comments went out: everything is listed in the summary
                plan = InlinePlan([], sorted({f.fingerprint: f for f in report.findings}.values(), key=finding_order))
            if summarising:
                attempt(result, "summary comment",
                        lambda: publish_summary(ctx, api, summary_markdown, plan, markers, identity, result,
                                                create_new=options.summary_comment == "always" or bool(report.findings)),
                        hint(ctx, "summary comment"))
    if "commit-status" not in options.off:
        attempt(result, "commit status", lambda: publish_statuses(report, ctx, api, fail_on, options, result),
                hint(ctx, "commit status"))
    return result


def fallback(report: Report, stdout: TextIO, result: PublishResult, *, reason: str) -> None:
    """No check run: the findings go out as workflow-command annotations, which need no permission.

    GitHub shows at most 10 annotations per level and step, so the reason comes
    first, then at most 10 per level, then one notice saying how many more the
    job summary lists."""
    result.fallback = reason
    stdout.write(workflow.warning_command(f"{reason}; findings follow as annotations and in the job summary") + "\n")
    result.annotations = workflow.write_annotations(report, stdout)


def annotation(finding: Finding) -> dict:
    line = max(finding.line, 1)
    message = finding.message
    if finding.resource:
        message += f"\nResource: {finding.resource}"
    envs = finding_envs(finding)
    if envs:
        message += f"\nEnvironment{'s' if len(envs) > 1 else ''}: {', '.join(envs)}"
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
    report: Report, ctx: GitHubContext, api: GitHubApi, summary_markdown: str, fail_on: str, options: PublishOptions,
    result: PublishResult,
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

    first: dict = {"name": options.name, "head_sha": ctx.head_sha}
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
    report: Report, ctx: GitHubContext, api: GitHubApi, options: PublishOptions, identity: Identity,
    result: PublishResult,
) -> InlinePlan:
    """One review holding the new line comments. A finding already commented on its line is
    left alone; the comment of a finding that is gone (or moved) is deleted, unless someone
    replied to it: then it is kept, marked fixed and minimised as outdated."""
    number = ctx.pull_number
    assert number is not None
    markers = Markers(options.name)
    changed = api.changed_lines(number)
    commentable = {path: lines.commentable(options.comment_scope) for path, lines in changed.items()}
    plan = plan_inline(report.findings, commentable, options.max_inline)

    listed = api.review_comments(number)
    replied = {c.reply_to for c in listed if c.reply_to is not None}
    ours = _own_threads(listed, markers, identity)

    new_comments: list[dict] = []
    stale: list[RemoteComment] = []
    for finding in plan.inline:
        path = normalize_path(finding.path)
        body = inline_body(finding, suggestion_for(finding, options.repo_root, options.suggesters), "suggestion", markers)
        existing = ours.pop(finding.fingerprint, [])
        keep = next((c for c in existing if c.path == path and c.line == finding.line), None)
        stale += [c for c in existing if c is not keep]
        if keep is None:
            new_comments.append({"path": path, "line": finding.line, "side": "RIGHT", "body": body})
            continue
        result.inline_kept += 1
        if keep.body != body:
            api.edit_review_comment(keep.id, body)
        if is_fixed(keep.body):  # the finding is back: show the comment again
            _minimize(api, keep, False, result)
            result.inline_reopened += 1
    for leftovers in ours.values():
        stale += leftovers

    if new_comments:
        refused = post_comments(api, ctx, number, new_comments, markers, options, result)
        if refused:  # listed in the summary instead; the next run comments again
            gone = {(c["path"], c["line"]) for c in refused}
            moved = [f for f in plan.inline if (normalize_path(f.path), f.line) in gone]
            plan = replace(plan, inline=[f for f in plan.inline if f not in moved],
                           outside=sorted(plan.outside + moved, key=finding_order))
    for comment in stale:
        if comment.id in replied:
            if not is_fixed(comment.body):
                api.edit_review_comment(comment.id, fixed_body(comment.body, ctx.head_sha))
                _minimize(api, comment, True, result)
                result.inline_fixed += 1
            continue
        api.delete_review_comment(comment.id)
        result.inline_removed += 1
    if result.inline_created:
        _drop_race_copies(api, number, markers, identity)
    return plan


def post_comments(api: GitHubApi, ctx: GitHubContext, number: int, comments: list[dict], markers: Markers,
                  options: PublishOptions, result: PublishResult) -> list[dict]:
    """Post `comments` as one review; return those the API refused (HTTP 422).

    A review is all or nothing, and its 422 does not say which comment is at
    fault (usually a line that left the diff because the pull request moved on
    while prcheck ran). So the batch is sent again without the comments the
    re-read diff no longer holds; if that is refused too, each comment goes on
    its own (`POST /pulls/N/comments`, whose 422 names that comment), so one bad
    comment never costs the others.
    """

    def review(batch: list[dict]) -> None:
        count = len(batch)
        text = f"{markers.review}\n{options.name}: {count} finding{'s' if count != 1 else ''} on the changed lines."
        api.create_review(number, {"commit_id": ctx.head_sha, "event": "COMMENT", "body": text, "comments": batch})
        result.inline_created += count

    try:
        review(comments)
        return []
    except Rejected as exc:
        result.notes.append(f"review refused ({exc}): sending again without the comments it cannot take")
    diff = api.changed_lines(number)
    lines = {path: changed.commentable(options.comment_scope) for path, changed in diff.items()}
    keep = [c for c in comments if c["line"] in lines.get(c["path"], frozenset())]
    refused = [c for c in comments if c not in keep]
    if refused and keep:
        try:
            review(keep)
            keep = []
        except Rejected:
            pass
    for comment in keep:
        try:
            api.create_review_comment(number, {"commit_id": ctx.head_sha, **comment})
            result.inline_created += 1
        except Rejected as exc:
            refused.append(comment)
            result.notes.append(f"line comment on {comment['path']}:{comment['line']} refused ({exc})")
    if refused:
        result.notes.append(f"{len(refused)} line comment{'s' if len(refused) != 1 else ''} not posted, "
                            "listed in the summary instead")
    return refused


def _own_threads(listed: list[RemoteComment], markers: Markers, identity: Identity) -> dict[str, list[RemoteComment]]:
    """Top-level comments this identity wrote under this name, by fingerprint, oldest first."""
    ours: dict[str, list[RemoteComment]] = {}
    for comment in sorted(listed, key=lambda c: c.id):
        fingerprint = markers.fingerprint_of(comment.body)
        if fingerprint and comment.reply_to is None and identity.wrote(comment):
            ours.setdefault(fingerprint, []).append(comment)
    return ours


def _drop_race_copies(api: GitHubApi, number: int, markers: Markers, identity: Identity) -> None:
    """Two runs that raced may both have posted the same comment: every run keeps
    the oldest on each line and deletes later copies nobody replied to, so both
    runs converge on one comment whichever finishes first."""
    listed = api.review_comments(number)
    replied = {c.reply_to for c in listed if c.reply_to is not None}
    for copies in _own_threads(listed, markers, identity).values():
        seen: set[tuple[str, int | None]] = set()
        for comment in copies:
            where = (comment.path, comment.line)
            if where in seen and comment.id not in replied:
                api.delete_review_comment(comment.id)
            seen.add(where)


def _minimize(api: GitHubApi, comment: RemoteComment, minimize: bool, result: PublishResult) -> None:
    """Best effort: the edit already says it is fixed, folding it away is a courtesy."""
    if not comment.node_id:
        return
    try:
        api.minimize_comment(comment.node_id, minimize)
    except PublishError as exc:
        result.notes.append(f"comment {comment.id} kept but not {'minimised' if minimize else 'unminimised'}: {exc}")


def publish_summary(
    ctx: GitHubContext, api: GitHubApi, summary_markdown: str, plan: InlinePlan, markers: Markers,
    identity: Identity, result: PublishResult, create_new: bool = True,
) -> None:
    """The one comment found by its marker (and its author) and edited in place."""
    number = ctx.pull_number
    assert number is not None
    footer = f"<sub>{markers.name} · commit {ctx.head_sha[:12]}</sub>"
    reconcile_summary(
        lambda: api.issue_comments(number),
        summary_bodies(summary_markdown, plan.outside, len(plan.inline), markers, footer=footer,
                       over_limit=plan.over_limit, max_comments=plan.limit),
        markers,
        identity,
        result,
        create=lambda text: api.create_issue_comment(number, text),
        edit=lambda comment, text: api.edit_issue_comment(comment.id, text),
        delete=lambda comment: api.delete_issue_comment(comment.id),
        create_new=create_new,
    )


def publish_statuses(
    report: Report, ctx: GitHubContext, api: GitHubApi, fail_on: str, options: PublishOptions, result: PublishResult
) -> None:
    """`<name>`, and `<name>/<env>` per environment when asked (branch protection can require one)."""
    for context, part in status_targets(report, options, options.name):
        body = {
            "state": "failure" if part.fails(fail_on) else "success",
            "context": context,
            "description": status_description(part),
        }
        if ctx.run_url:
            body["target_url"] = ctx.run_url
        api.create_status(ctx.head_sha, body)
        result.statuses.append(context)
