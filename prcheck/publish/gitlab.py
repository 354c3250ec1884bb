"""Publish a report to a GitLab merge request: discussions on changed lines,
one sticky note, and a commit status.

As on GitHub, the steps talk to a small `GitLabApi` interface (python-gitlab in
`gitlab_client`, a recorder in `dryrun`) and reconcile with what the merge
request already has: a finding keeps its one discussion (reopened if it was
resolved and the finding is back), and a discussion whose finding is gone is
resolved rather than deleted, so the conversation under it survives.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping, Protocol, TextIO

from prcheck.model import Finding, Report
from prcheck.publish.base import (
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
    finding_order,
    inline_body,
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

JOB_TOKEN_CANNOT = (
    "CI_JOB_TOKEN cannot post merge request notes or discussions: set PRCHECK_GITLAB_TOKEN to a project "
    "or group access token with the `api` scope and the Developer role, as a masked CI/CD variable"
)

# What a 403 on each surface means, in GitLab's role names (docs: "Roles and permissions").
NEEDS = {
    "threads": "posting merge request threads needs the `api` scope and at least the Reporter role",
    "resolving threads": "resolving threads needs the Developer role",
    "summary note": "posting notes needs the `api` scope and at least the Reporter role",
    "commit status": "commit statuses need the Developer role (Maintainer on protected branches)",
}


def status_name(name: str) -> str:
    """Not the job's own name: GitLab puts an external status with a job's name in its
    place in the pipeline (and a passing one can hide the failed job)."""
    return f"{name}/result"


def hint(surface: str):  # noqa: ANN201 - a small closure factory
    def explain(exc: PublishError) -> str:
        return NEEDS.get(surface, "") if isinstance(exc, PermissionDenied) else ""

    return explain


@dataclass(frozen=True)
class DiffRefs:
    base_sha: str
    start_sha: str
    head_sha: str


@dataclass(frozen=True)
class ChangedFile:
    old_path: str
    lines: DiffLines


@dataclass(frozen=True)
class GitLabContext:
    """Where to publish, from GitLab CI's predefined variables.

    For a merge request from a fork the pipeline runs in the fork, so the
    merge request lives in `CI_MERGE_REQUEST_PROJECT_ID` while the commit
    status goes to the project that ran the pipeline (`CI_PROJECT_ID`).
    """

    url: str
    project_id: str
    status_project_id: str
    mr_iid: int | None
    head_sha: str
    pipeline_id: int | None = None
    job_url: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "GitLabContext":
        url = environ.get("CI_SERVER_URL", "").rstrip("/")
        project = environ.get("CI_MERGE_REQUEST_PROJECT_ID") or environ.get("CI_PROJECT_ID", "")
        if not url or not project:
            raise PublishError("--publish gitlab needs CI_SERVER_URL and CI_PROJECT_ID, as GitLab CI sets them")
        iid = environ.get("CI_MERGE_REQUEST_IID", "")
        head = environ.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") or environ.get("CI_COMMIT_SHA", "")
        if not head:
            raise PublishError("--publish gitlab needs CI_COMMIT_SHA")
        pipeline = environ.get("CI_PIPELINE_ID", "")
        return cls(
            url=url,
            project_id=project,
            status_project_id=environ.get("CI_PROJECT_ID") or project,
            mr_iid=int(iid) if iid.isdigit() else None,
            head_sha=head,
            pipeline_id=int(pipeline) if pipeline.isdigit() else None,
            job_url=environ.get("CI_JOB_URL", ""),
        )


class GitLabApi(Protocol):
    def viewer(self) -> Identity: ...
    def diff_refs(self, iid: int) -> DiffRefs: ...
    def changed_files(self, iid: int) -> dict[str, ChangedFile]: ...
    def discussions(self, iid: int) -> list[RemoteComment]: ...
    def create_discussion(self, iid: int, body: dict) -> None: ...
    def set_resolved(self, iid: int, discussion_id: str, resolved: bool) -> None: ...
    def edit_discussion_note(self, iid: int, discussion_id: str, note_id: int, body: str) -> None: ...
    def notes(self, iid: int) -> list[RemoteComment]: ...
    def create_note(self, iid: int, body: str) -> None: ...
    def edit_note(self, iid: int, note_id: int, body: str) -> None: ...
    def delete_note(self, iid: int, note_id: int) -> None: ...
    def create_status(self, sha: str, body: dict) -> None: ...


def token_from(options: PublishOptions, environ: Mapping[str, str]) -> str:
    """PRCHECK_GITLAB_TOKEN first, so a project can keep a general GITLAB_TOKEN for other tools."""
    token = options.gitlab_token or environ.get("PRCHECK_GITLAB_TOKEN") or environ.get("GITLAB_TOKEN", "")
    if token:
        return token
    if environ.get("CI_JOB_TOKEN"):
        raise PublishError(JOB_TOKEN_CANNOT)
    raise PublishError("--publish gitlab needs a token: set PRCHECK_GITLAB_TOKEN (or GITLAB_TOKEN) with the `api` scope")


def publish_gitlab(
    report: Report,
    *,
    summary_markdown: str,
    fail_on: str,
    dry_run: bool,
    options: PublishOptions,
    environ: Mapping[str, str],
    stdout: TextIO,
) -> PublishResult:
    ctx = GitLabContext.from_env(environ)

    def recorder() -> GitLabApi:
        from prcheck.publish.dryrun import DryRunGitLabApi

        return DryRunGitLabApi(ctx, options, environ, stdout)

    def client() -> GitLabApi:
        token = token_from(options, environ)
        from prcheck.publish.gitlab_client import PythonGitlabApi

        return PythonGitlabApi(ctx, token, options)

    def steps(api: GitLabApi) -> PublishResult:
        return run(report, ctx, api, summary_markdown=summary_markdown, fail_on=fail_on, options=options)

    return run_live_or_dry(dry_run, recorder=recorder, client=client, steps=steps)


def run(
    report: Report,
    ctx: GitLabContext,
    api: GitLabApi,
    *,
    summary_markdown: str,
    fail_on: str,
    options: PublishOptions,
) -> PublishResult:
    """Every surface on its own: threads, the summary note, the commit status.
    A surface switched off (`options.off`) is neither written nor cleaned up."""
    result = PublishResult(platform="gitlab")
    markers = Markers(options.name)
    iid = ctx.mr_iid
    threads = "review-comments" not in options.off
    summarising = options.summary_comment != "never"
    if iid is not None and (threads or summarising):
        identity = attempt(result, "threads and summary note", api.viewer, lambda exc: "")
        if identity:
            planned = attempt(result, "threads", lambda: publish_discussions(report, iid, api, options, identity, result),
                              hint("threads")) if threads else None
            plan = planned or InlinePlan([], sorted({f.fingerprint: f for f in report.findings}.values(),
                                                    key=finding_order))
            footer = f"<sub>{markers.name} · commit {ctx.head_sha[:12]}</sub>"
            bodies = summary_bodies(summary_markdown, plan.outside, len(plan.inline), markers, footer=footer,
                                    over_limit=plan.over_limit, max_comments=plan.limit)
            create_new = options.summary_comment == "always" or bool(report.findings)
            if summarising:
                attempt(result, "summary note",
                        lambda: publish_note(iid, api, bodies, markers, identity, result, create_new),
                        hint("summary note"))
    if "commit-status" not in options.off:
        attempt(result, "commit status", lambda: publish_statuses(report, ctx, api, fail_on, options, result),
                hint("commit status"))
    return result


def publish_discussions(
    report: Report, iid: int, api: GitLabApi, options: PublishOptions, identity: Identity, result: PublishResult
) -> InlinePlan:
    markers = Markers(options.name)
    refs = api.diff_refs(iid)
    files = api.changed_files(iid)
    commentable = {path: f.lines.commentable(options.comment_scope) for path, f in files.items()}
    plan = plan_inline(report.findings, commentable, options.max_inline)

    ours: dict[str, list[RemoteComment]] = {}
    for discussion in sorted(api.discussions(iid), key=lambda d: d.id):
        fingerprint = markers.fingerprint_of(discussion.body)
        if fingerprint and identity.wrote(discussion):
            ours.setdefault(fingerprint, []).append(discussion)

    stale: list[RemoteComment] = []
    rejected: list[Finding] = []
    for finding in plan.inline:
        path = normalize_path(finding.path)
        body = inline_body(finding, suggestion_for(finding, options.repo_root, options.suggesters), "suggestion:-0+0",
                           markers)
        existing = ours.pop(finding.fingerprint, [])
        if not existing:
            try:
                api.create_discussion(iid, {"body": body, "position": position(refs, path, files[path], finding.line)})
                result.inline_created += 1
            except Rejected as exc:  # the line left the diff while prcheck ran: report it in the note
                rejected.append(finding)
                result.notes.append(f"thread not posted, listed in the summary instead: {exc}")
            continue
        keep, *duplicates = existing
        stale += duplicates
        result.inline_kept += 1
        if keep.resolved and _set_resolved(api, iid, keep, False, result):
            result.inline_reopened += 1
        if keep.body != body:
            api.edit_discussion_note(iid, keep.discussion_id, keep.id, body)
    for leftovers in ours.values():
        stale += leftovers
    for discussion in stale:  # resolved, never deleted: replies under it stay readable
        if not discussion.resolved and _set_resolved(api, iid, discussion, True, result):
            result.inline_removed += 1
    return replace(plan, inline=[f for f in plan.inline if f not in rejected],
                   outside=sorted(plan.outside + rejected, key=finding_order))


def _set_resolved(api: GitLabApi, iid: int, discussion: RemoteComment, resolved: bool, result: PublishResult) -> bool:
    """A Reporter may post threads but not resolve them: say so once per thread, go on with the rest."""
    try:
        api.set_resolved(iid, discussion.discussion_id, resolved)
    except PermissionDenied as exc:
        verb = "resolved" if resolved else "reopened"
        result.warnings.append(f"thread {discussion.discussion_id} not {verb}: {exc} ({NEEDS['resolving threads']})")
        return False
    return True


def position(refs: DiffRefs, path: str, changed: ChangedFile, line: int) -> dict:
    """A text position on the new file; an unchanged (context) line needs its old line too."""
    pos: dict = {
        "position_type": "text",
        "base_sha": refs.base_sha,
        "start_sha": refs.start_sha,
        "head_sha": refs.head_sha,
        "old_path": changed.old_path or path,
        "new_path": path,
        "new_line": line,
    }
    if line in changed.lines.context:
        pos["old_line"] = changed.lines.context[line]
    return pos


def publish_note(iid: int, api: GitLabApi, bodies: list[str], markers: Markers, identity: Identity,
                 result: PublishResult, create_new: bool = True) -> None:
    reconcile_summary(
        lambda: api.notes(iid),
        bodies,
        markers,
        identity,
        result,
        create=lambda text: api.create_note(iid, text),
        edit=lambda note, text: api.edit_note(iid, note.id, text),
        delete=lambda note: api.delete_note(iid, note.id),
        create_new=create_new,
    )


def publish_statuses(
    report: Report, ctx: GitLabContext, api: GitLabApi, fail_on: str, options: PublishOptions, result: PublishResult
) -> None:
    for name, part in status_targets(report, options, status_name(options.name)):
        body: dict = {
            "state": "failed" if part.fails(fail_on) else "success",
            "name": name,
            "description": status_description(part),
        }
        if ctx.job_url:
            body["target_url"] = ctx.job_url
        if ctx.pipeline_id is not None:
            body["pipeline_id"] = ctx.pipeline_id
        api.create_status(ctx.head_sha, body)
        result.statuses.append(name)
