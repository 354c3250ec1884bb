"""`--dry-run`: print every API request publishing would make, as one JSON
object per line, and send nothing.

With nothing sent, nothing can be read either: the recorders answer reads as
a pull request with no comments yet would, take the head commit from the CI
environment, and take the changed lines from `PublishOptions.changed_lines`
(the caller's local git diff). Request bodies are the ones the real clients
send; no header, and so no token, is ever printed.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, TextIO
from urllib.parse import quote, urlsplit, urlunsplit

from prcheck.publish.base import Identity, PublishOptions, RemoteComment
from prcheck.publish.diffparse import DiffLines, from_line_numbers
from prcheck.publish.github import GitHubContext
from prcheck.publish.gitlab import ChangedFile, DiffRefs, GitLabContext
from prcheck.report.masking import mask_text


def shown_url(url: str) -> str:
    """A request URL as the dry run prints it: the API URL may carry credentials
    (`https://x-access-token:<token>@host`, `?private_token=`), so the userinfo
    and the query are masked; scheme, host, port and path are prcheck's own and
    stay readable (the secret scanner would take `host:port/path` for a value)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "<masked>@" + netloc.rpartition("@")[2]
    query = mask_text(parts.query) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class _Recorder:
    def __init__(self, stdout: TextIO) -> None:
        self._stdout = stdout
        self.requests: list[dict] = []

    def record(self, method: str, url: str, body: Any = None) -> None:
        request = {"method": method, "url": shown_url(url), "body": body}
        self.requests.append(request)
        self._stdout.write(json.dumps(request, sort_keys=True) + "\n")


class DryRunGitHubApi(_Recorder):
    CHECK_RUN_ID = "{check_run_id}"

    def __init__(self, ctx: GitHubContext, options: PublishOptions, stdout: TextIO) -> None:
        super().__init__(stdout)
        self._repo = f"{ctx.api_url}/repos/{ctx.repository}"
        self._graphql = ctx.api_url.removesuffix("/v3") + "/graphql"
        self._head = ctx.head_sha
        self._changed = from_line_numbers(options.changed_lines or {})

    def viewer(self) -> Identity:
        self.record("POST", self._graphql, {"query": "query { viewer { login databaseId } }"})
        return Identity(login="(dry run)")

    def pull_head(self, number: int) -> str:
        self.record("GET", f"{self._repo}/pulls/{number}")
        return self._head

    def minimize_comment(self, node_id: str, minimize: bool) -> None:
        self.record("POST", self._graphql, {"mutation": "minimizeComment" if minimize else "unminimizeComment",
                                             "subjectId": node_id})

    def create_check_run(self, body: dict) -> int:
        self.record("POST", f"{self._repo}/check-runs", body)
        return 0

    def update_check_run(self, check_run_id: int, body: dict) -> None:
        self.record("PATCH", f"{self._repo}/check-runs/{self.CHECK_RUN_ID}", body)

    def changed_lines(self, number: int) -> dict[str, DiffLines]:
        self.record("GET", f"{self._repo}/pulls/{number}/files?per_page=100")
        return dict(self._changed)

    def review_comments(self, number: int) -> list[RemoteComment]:
        self.record("GET", f"{self._repo}/pulls/{number}/comments?per_page=100")
        return []

    def create_review(self, number: int, body: dict) -> None:
        self.record("POST", f"{self._repo}/pulls/{number}/reviews", body)

    def create_review_comment(self, number: int, body: dict) -> None:
        self.record("POST", f"{self._repo}/pulls/{number}/comments", body)

    def edit_review_comment(self, comment_id: int, body: str) -> None:
        self.record("PATCH", f"{self._repo}/pulls/comments/{comment_id}", {"body": body})

    def delete_review_comment(self, comment_id: int) -> None:
        self.record("DELETE", f"{self._repo}/pulls/comments/{comment_id}")

    def issue_comments(self, number: int) -> list[RemoteComment]:
        self.record("GET", f"{self._repo}/issues/{number}/comments?per_page=100")
        return []

    def create_issue_comment(self, number: int, body: str) -> None:
        self.record("POST", f"{self._repo}/issues/{number}/comments", {"body": body})

    def edit_issue_comment(self, comment_id: int, body: str) -> None:
        self.record("PATCH", f"{self._repo}/issues/comments/{comment_id}", {"body": body})

    def delete_issue_comment(self, comment_id: int) -> None:
        self.record("DELETE", f"{self._repo}/issues/comments/{comment_id}")

    def create_status(self, sha: str, body: dict) -> None:
        self.record("POST", f"{self._repo}/statuses/{sha}", body)


class DryRunGitLabApi(_Recorder):
    def __init__(self, ctx: GitLabContext, options: PublishOptions, environ: Mapping[str, str], stdout: TextIO) -> None:
        super().__init__(stdout)
        self._ctx = ctx
        self._api = f"{ctx.url}/api/v4"
        self._project = f"{self._api}/projects/{quote(str(ctx.project_id), safe='')}"
        base = environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA", "")
        self._refs = DiffRefs(base, base, ctx.head_sha)
        self._changed = {path: ChangedFile(path, lines) for path, lines in from_line_numbers(options.changed_lines or {}).items()}

    def _mr(self, iid: int) -> str:
        return f"{self._project}/merge_requests/{iid}"

    def viewer(self) -> Identity:
        self.record("GET", f"{self._api}/user")
        return Identity(login="(dry run)")

    def diff_refs(self, iid: int) -> DiffRefs:
        self.record("GET", self._mr(iid))
        return self._refs

    def changed_files(self, iid: int) -> dict[str, ChangedFile]:
        self.record("GET", f"{self._mr(iid)}/diffs?per_page=100")
        return dict(self._changed)

    def discussions(self, iid: int) -> list[RemoteComment]:
        self.record("GET", f"{self._mr(iid)}/discussions?per_page=100")
        return []

    def create_discussion(self, iid: int, body: dict) -> None:
        self.record("POST", f"{self._mr(iid)}/discussions", body)

    def set_resolved(self, iid: int, discussion_id: str, resolved: bool) -> None:
        self.record("PUT", f"{self._mr(iid)}/discussions/{discussion_id}", {"resolved": resolved})

    def edit_discussion_note(self, iid: int, discussion_id: str, note_id: int, body: str) -> None:
        self.record("PUT", f"{self._mr(iid)}/discussions/{discussion_id}/notes/{note_id}", {"body": body})

    def notes(self, iid: int) -> list[RemoteComment]:
        self.record("GET", f"{self._mr(iid)}/notes?per_page=100")
        return []

    def create_note(self, iid: int, body: str) -> None:
        self.record("POST", f"{self._mr(iid)}/notes", {"body": body})

    def edit_note(self, iid: int, note_id: int, body: str) -> None:
        self.record("PUT", f"{self._mr(iid)}/notes/{note_id}", {"body": body})

    def delete_note(self, iid: int, note_id: int) -> None:
        self.record("DELETE", f"{self._mr(iid)}/notes/{note_id}")

    def create_status(self, sha: str, body: dict) -> None:
        project = quote(str(self._ctx.status_project_id), safe="")
        self.record("POST", f"{self._api}/projects/{project}/statuses/{sha}", body)
