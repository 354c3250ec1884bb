"""The `GitHubApi` calls, made with PyGithub.

The client is lazy (no GET for objects only used to build a URL), retries are
bounded (see `retry.py`), and every library error leaves here as one clear
line: `PermissionDenied` for a 403 that is not a rate limit, `PublishError` for
the rest.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import requests
from github import Auth, Github, GithubException, RateLimitExceededException
from github.CheckRun import CheckRun
from github.GithubObject import GithubObject
from github.IssueComment import IssueComment
from github.PullRequestComment import PullRequestComment

from prcheck import __version__
from prcheck.publish.base import PermissionDenied, PublishError, PublishOptions, Rejected, RemoteComment
from prcheck.publish.diffparse import DiffLines, parse_patch
from prcheck.publish.github import GitHubContext
from prcheck.publish.retry import github_retry


class PyGithubApi:
    """One instance per publish; it remembers the objects it listed so edits need no extra GET."""

    def __init__(self, ctx: GitHubContext, token: str, options: PublishOptions) -> None:
        self._options = options
        self._name = ctx.repository
        self._gh = Github(
            auth=Auth.Token(token),
            base_url=ctx.api_url,
            timeout=max(1, int(options.timeout)),
            user_agent=f"prcheck/{__version__}",
            per_page=100,
            retry=github_retry(options.retries, options.backoff, options.max_wait),
            seconds_between_requests=0.25 if options.throttle else 0.0,
            seconds_between_writes=1.0 if options.throttle else 0.0,
            lazy=True,
        )
        self._repo = self._gh.get_repo(ctx.repository)
        self._check_runs: dict[int, CheckRun] = {}
        self._review_comments: dict[int, PullRequestComment] = {}
        self._issue_comments: dict[int, IssueComment] = {}

    def create_check_run(self, body: dict) -> int:
        with self._errors(f"POST /repos/{self._name}/check-runs"):
            run = self._repo.create_check_run(**body)
            self._check_runs[run.id] = run
            return run.id

    def update_check_run(self, check_run_id: int, body: dict) -> None:
        with self._errors(f"PATCH /repos/{self._name}/check-runs/{check_run_id}"):
            self._check_runs[check_run_id].edit(**body)

    def changed_lines(self, number: int) -> dict[str, DiffLines]:
        with self._errors(f"GET /repos/{self._name}/pulls/{number}/files"):
            return {
                f.filename: parse_patch(f.patch)
                for f in self._repo.get_pull(number).get_files()
                if f.status != "removed"
            }

    def review_comments(self, number: int) -> list[RemoteComment]:
        with self._errors(f"GET /repos/{self._name}/pulls/{number}/comments"):
            found = []
            for comment in self._repo.get_pull(number).get_review_comments():
                data = _listed(comment)
                self._review_comments[data["id"]] = comment
                found.append(
                    RemoteComment(
                        id=data["id"],
                        body=data.get("body") or "",
                        path=data.get("path") or "",
                        line=data.get("line"),
                        reply_to=data.get("in_reply_to_id"),
                    )
                )
            return found

    def create_review(self, number: int, body: dict) -> None:
        with self._errors(f"POST /repos/{self._name}/pulls/{number}/reviews"):
            self._repo.get_pull(number).create_review(
                commit=self._repo.get_commit(body["commit_id"]),
                body=body["body"],
                event=body["event"],
                comments=body["comments"],
            )

    def edit_review_comment(self, comment_id: int, body: str) -> None:
        with self._errors(f"PATCH /repos/{self._name}/pulls/comments/{comment_id}"):
            self._review_comments[comment_id].edit(body)

    def delete_review_comment(self, comment_id: int) -> None:
        with self._errors(f"DELETE /repos/{self._name}/pulls/comments/{comment_id}"):
            self._review_comments.pop(comment_id).delete()

    def issue_comments(self, number: int) -> list[RemoteComment]:
        with self._errors(f"GET /repos/{self._name}/issues/{number}/comments"):
            found = []
            for comment in self._repo.get_issue(number).get_comments():
                data = _listed(comment)
                self._issue_comments[data["id"]] = comment
                found.append(RemoteComment(id=data["id"], body=data.get("body") or ""))
            return found

    def create_issue_comment(self, number: int, body: str) -> None:
        with self._errors(f"POST /repos/{self._name}/issues/{number}/comments"):
            self._repo.get_issue(number).create_comment(body)

    def edit_issue_comment(self, comment_id: int, body: str) -> None:
        with self._errors(f"PATCH /repos/{self._name}/issues/comments/{comment_id}"):
            self._issue_comments[comment_id].edit(body)

    def delete_issue_comment(self, comment_id: int) -> None:
        with self._errors(f"DELETE /repos/{self._name}/issues/comments/{comment_id}"):
            self._issue_comments.pop(comment_id).delete()

    def create_status(self, sha: str, body: dict) -> None:
        with self._errors(f"POST /repos/{self._name}/statuses/{sha}"):
            self._repo.get_commit(sha).create_status(**body)

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except RateLimitExceededException as exc:
            raise PublishError(f"GitHub API: {action}: rate limited ({_message(exc)}); try again later") from None
        except GithubException as exc:
            if exc.status == 403:
                raise PermissionDenied(f"GitHub API: {action}: 403 {_message(exc)}") from None
            if exc.status == 422:
                raise Rejected(f"GitHub API: {action}: 422 {_message(exc)}") from None
            if exc.status == 401:
                raise PublishError(f"GitHub API: {action}: 401 {_message(exc)}: check the token") from None
            raise PublishError(f"GitHub API: {action}: {exc.status} {_message(exc)}") from None
        except requests.exceptions.RetryError as exc:
            raise PublishError(
                f"GitHub API: {action}: gave up after {self._options.retries} retries ({_reason(exc)})"
            ) from None
        except requests.exceptions.RequestException as exc:
            raise PublishError(f"GitHub API: {action}: {type(exc).__name__}: {_reason(exc)}") from None


def _listed(obj: GithubObject) -> dict[str, Any]:
    """The JSON a list response gave for `obj`.

    Read through the base class's `raw_data`: the completable subclass would
    first GET the object again whenever an optional field is absent (a
    top-level review comment has no `in_reply_to_id`), one request per comment.
    """
    return GithubObject.raw_data.fget(obj)  # type: ignore[attr-defined]


def _message(exc: GithubException) -> str:
    data: Any = exc.data
    if isinstance(data, dict):
        text = str(data.get("message") or "").strip()
        errors = data.get("errors") or []
        details = [e.get("message") or e.get("code") for e in errors if isinstance(e, dict)]
        details += [e for e in errors if isinstance(e, str)]
        if details:
            text = f"{text} ({'; '.join(str(d) for d in details if d)})"
        return " ".join(text.split()) or "no message"
    return " ".join(str(data or exc.message or "no message").split())


def _reason(exc: requests.exceptions.RequestException) -> str:
    inner = exc.args[0] if exc.args else exc
    reason = getattr(inner, "reason", None) or inner
    return " ".join(str(reason).split())
