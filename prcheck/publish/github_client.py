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
from prcheck.publish.base import Identity, PermissionDenied, PublishError, PublishOptions, Rejected, RemoteComment
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
        self._pulls: dict[int, Any] = {}
        self._check_runs: dict[int, CheckRun] = {}
        self._review_comments: dict[int, PullRequestComment] = {}
        self._issue_comments: dict[int, IssueComment] = {}

    def viewer(self) -> Identity:
        """Who the token is. `GET /user` refuses installation tokens (GITHUB_TOKEN and
        other GitHub App tokens: "Resource not accessible by integration"); GraphQL's
        `viewer` answers for users and apps alike, so it is the one request."""
        with self._errors("POST /graphql (viewer)"):
            _, data = self._gh.requester.graphql_query("query { viewer { login databaseId } }", {})
        viewer = (data.get("data") or {}).get("viewer") or {}
        if not viewer.get("login"):
            raise PublishError("GitHub API: GraphQL viewer gave no login")
        return Identity(id=viewer.get("databaseId"), login=viewer["login"])

    def pull_head(self, number: int) -> str:
        with self._errors(f"GET /repos/{self._name}/pulls/{number}"):
            return self._pull(number).head.sha

    def _pull(self, number: int) -> Any:
        if number not in self._pulls:
            self._pulls[number] = self._repo.get_pull(number)
        return self._pulls[number]

    def minimize_comment(self, node_id: str, minimize: bool) -> None:
        """GraphQL `minimizeComment` (classifier OUTDATED) or `unminimizeComment`."""
        if minimize:
            query = ("mutation($id: ID!) { minimizeComment(input: {subjectId: $id, classifier: OUTDATED}) "
                     "{ minimizedComment { isMinimized } } }")
        else:
            query = "mutation($id: ID!) { unminimizeComment(input: {subjectId: $id}) { unminimizedComment { isMinimized } } }"
        with self._errors(f"POST /graphql ({'minimizeComment' if minimize else 'unminimizeComment'})"):
            self._gh.requester.graphql_query(query, {"id": node_id})

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
                for f in self._pull(number).get_files()
                if f.status != "removed"
            }

    def review_comments(self, number: int) -> list[RemoteComment]:
        with self._errors(f"GET /repos/{self._name}/pulls/{number}/comments"):
            found = []
            for comment in self._pull(number).get_review_comments():
                data = _listed(comment)
                self._review_comments[data["id"]] = comment
                found.append(
                    RemoteComment(
                        id=data["id"],
                        body=data.get("body") or "",
                        path=data.get("path") or "",
                        line=data.get("line"),
                        reply_to=data.get("in_reply_to_id"),
                        node_id=data.get("node_id") or "",
                        **_author(data),
                    )
                )
            return found

    def create_review(self, number: int, body: dict) -> None:
        with self._errors(f"POST /repos/{self._name}/pulls/{number}/reviews"):
            self._pull(number).create_review(
                commit=self._repo.get_commit(body["commit_id"]),
                body=body["body"],
                event=body["event"],
                comments=body["comments"],
            )

    def create_review_comment(self, number: int, body: dict) -> None:
        """One line comment outside a review: its 422 names this comment alone."""
        with self._errors(f"POST /repos/{self._name}/pulls/{number}/comments"):
            self._pull(number).create_review_comment(body=body["body"], commit=body["commit_id"], path=body["path"],
                                                     line=body["line"], side=body["side"])

    def edit_review_comment(self, comment_id: int, body: str) -> None:
        with self._errors(f"PATCH /repos/{self._name}/pulls/comments/{comment_id}"):
            self._review_comments[comment_id].edit(body)

    def delete_review_comment(self, comment_id: int) -> None:
        with self._errors(f"DELETE /repos/{self._name}/pulls/comments/{comment_id}", missing_ok=True):
            self._review_comments.pop(comment_id).delete()

    def issue_comments(self, number: int) -> list[RemoteComment]:
        with self._errors(f"GET /repos/{self._name}/issues/{number}/comments"):
            found = []
            for comment in self._repo.get_issue(number).get_comments():
                data = _listed(comment)
                self._issue_comments[data["id"]] = comment
                found.append(RemoteComment(id=data["id"], body=data.get("body") or "", node_id=data.get("node_id") or "",
                                           **_author(data)))
            return found

    def create_issue_comment(self, number: int, body: str) -> None:
        with self._errors(f"POST /repos/{self._name}/issues/{number}/comments"):
            self._repo.get_issue(number).create_comment(body)

    def edit_issue_comment(self, comment_id: int, body: str) -> None:
        with self._errors(f"PATCH /repos/{self._name}/issues/comments/{comment_id}"):
            self._issue_comments[comment_id].edit(body)

    def delete_issue_comment(self, comment_id: int) -> None:
        with self._errors(f"DELETE /repos/{self._name}/issues/comments/{comment_id}", missing_ok=True):
            self._issue_comments.pop(comment_id).delete()

    def create_status(self, sha: str, body: dict) -> None:
        with self._errors(f"POST /repos/{self._name}/statuses/{sha}"):
            self._repo.get_commit(sha).create_status(**body)

    @contextmanager
    def _errors(self, action: str, *, missing_ok: bool = False) -> Iterator[None]:
        """`missing_ok`: a delete of something already gone (another run removed it) succeeded."""
        try:
            yield
        except RateLimitExceededException as exc:
            raise PublishError(f"GitHub API: {action}: rate limited ({_message(exc)}); try again later") from None
        except GithubException as exc:
            if exc.status == 403:
                raise PermissionDenied(f"GitHub API: {action}: 403 {_message(exc)}") from None
            if exc.status == 422:
                raise Rejected(f"GitHub API: {action}: 422 {_message(exc)}") from None
            if exc.status == 404 and missing_ok:
                return
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


def _author(data: dict[str, Any]) -> dict[str, Any]:
    user = data.get("user") or {}
    return {"author_id": user.get("id"), "author": user.get("login") or ""}


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
