"""The `GitLabApi` calls, made with python-gitlab.

Retries sit in the `requests` session python-gitlab is given (bounded, see
`retry.py`); library errors leave here as one `PublishError` line.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator
from urllib.parse import quote

import gitlab
import requests
from gitlab.exceptions import GitlabError
from requests.adapters import HTTPAdapter

from prcheck import __version__
from prcheck.publish.base import Identity, PermissionDenied, PublishError, PublishOptions, Rejected, RemoteComment
from prcheck.publish.diffparse import parse_patch
from prcheck.publish.gitlab import ChangedFile, DiffRefs, GitLabContext
from prcheck.publish.retry import gitlab_retry


class PythonGitlabApi:
    def __init__(self, ctx: GitLabContext, token: str, options: PublishOptions) -> None:
        self._ctx = ctx
        self._options = options
        session = requests.Session()
        adapter = HTTPAdapter(max_retries=gitlab_retry(options.retries, options.backoff, options.max_wait))
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self._gl = gitlab.Gitlab(
            url=ctx.url,
            private_token=token,
            session=session,
            timeout=options.timeout,
            per_page=100,
            user_agent=f"prcheck/{__version__}",
        )
        self._project = self._gl.projects.get(ctx.project_id, lazy=True)
        self._mrs: dict[int, Any] = {}
        self._encoded = quote(str(ctx.project_id), safe="")

    def _mr(self, iid: int) -> Any:
        """The merge request object; fetched once, as its diff_refs are needed anyway."""
        if iid not in self._mrs:
            with self._errors(f"GET /projects/{self._encoded}/merge_requests/{iid}"):
                self._mrs[iid] = self._project.mergerequests.get(iid)
        return self._mrs[iid]

    def viewer(self) -> Identity:
        """`GET /user`: the token's user (a project or group access token has its own bot user)."""
        with self._errors("GET /user"):
            self._gl.auth()
        user = self._gl.user
        if user is None:
            raise PublishError("GitLab API: GET /user gave no user")
        return Identity(id=user.id, login=user.username)

    def diff_refs(self, iid: int) -> DiffRefs:
        refs = self._mr(iid).diff_refs or {}
        if not refs.get("head_sha"):
            raise PublishError(f"GitLab API: merge request !{iid} has no diff_refs yet (its diff is still being prepared)")
        return DiffRefs(refs["base_sha"], refs["start_sha"], refs["head_sha"])

    def changed_files(self, iid: int) -> dict[str, ChangedFile]:
        """`/diffs` (GitLab 15.7+), falling back to the older `/changes` on instances without it."""
        path = f"/projects/{self._encoded}/merge_requests/{iid}/diffs"
        try:
            with self._errors(f"GET {path}"):
                items = self._gl.http_list(path, get_all=True)
        except PublishError as exc:
            if ": 404 " not in str(exc):
                raise
            with self._errors(f"GET /projects/{self._encoded}/merge_requests/{iid}/changes"):
                items = self._mr(iid).changes().get("changes", [])
        return {
            item["new_path"]: ChangedFile(item.get("old_path") or item["new_path"], parse_patch(item.get("diff")))
            for item in items
            if not item.get("deleted_file")
        }

    def discussions(self, iid: int) -> list[RemoteComment]:
        with self._errors(f"GET /projects/{self._encoded}/merge_requests/{iid}/discussions"):
            found = []
            for discussion in self._mr(iid).discussions.list(get_all=True):
                notes = discussion.attributes.get("notes") or []  # `.notes` is the notes manager
                if not notes:
                    continue
                first = notes[0]
                position = first.get("position") or {}
                author = first.get("author") or {}
                found.append(
                    RemoteComment(
                        id=first["id"],
                        body=first.get("body") or "",
                        path=position.get("new_path") or "",
                        line=position.get("new_line"),
                        resolved=bool(first.get("resolved")),
                        discussion_id=str(discussion.id),
                        system=bool(first.get("system")),
                        author_id=author.get("id"),
                        author=author.get("username") or "",
                        replies=sum(1 for n in notes[1:] if not n.get("system")),
                    )
                )
            return found

    def create_discussion(self, iid: int, body: dict) -> None:
        with self._errors(f"POST /projects/{self._encoded}/merge_requests/{iid}/discussions"):
            self._mr(iid).discussions.create(body)

    def set_resolved(self, iid: int, discussion_id: str, resolved: bool) -> None:
        with self._errors(f"PUT /projects/{self._encoded}/merge_requests/{iid}/discussions/{discussion_id}"):
            self._mr(iid).discussions.update(discussion_id, {"resolved": resolved})

    def edit_discussion_note(self, iid: int, discussion_id: str, note_id: int, body: str) -> None:
        action = f"PUT /projects/{self._encoded}/merge_requests/{iid}/discussions/{discussion_id}/notes/{note_id}"
        with self._errors(action):
            discussion = self._mr(iid).discussions.get(discussion_id, lazy=True)
            discussion.notes.update(note_id, {"body": body})

    def notes(self, iid: int) -> list[RemoteComment]:
        with self._errors(f"GET /projects/{self._encoded}/merge_requests/{iid}/notes"):
            return [
                RemoteComment(id=note.id, body=note.body or "", system=bool(getattr(note, "system", False)),
                              author_id=(getattr(note, "author", None) or {}).get("id"),
                              author=(getattr(note, "author", None) or {}).get("username") or "")
                for note in self._mr(iid).notes.list(get_all=True)
            ]

    def create_note(self, iid: int, body: str) -> None:
        with self._errors(f"POST /projects/{self._encoded}/merge_requests/{iid}/notes"):
            self._mr(iid).notes.create({"body": body})

    def edit_note(self, iid: int, note_id: int, body: str) -> None:
        with self._errors(f"PUT /projects/{self._encoded}/merge_requests/{iid}/notes/{note_id}"):
            self._mr(iid).notes.update(note_id, {"body": body})

    def delete_note(self, iid: int, note_id: int) -> None:
        with self._errors(f"DELETE /projects/{self._encoded}/merge_requests/{iid}/notes/{note_id}", missing_ok=True):
            self._mr(iid).notes.delete(note_id)

    def create_status(self, sha: str, body: dict) -> None:
        project_id = self._ctx.status_project_id
        action = f"POST /projects/{quote(str(project_id), safe='')}/statuses/{sha}"
        try:
            with self._errors(action):
                project = self._gl.projects.get(project_id, lazy=True)
                project.commits.get(sha, lazy=True).statuses.create(body)
        except PublishError as exc:
            # A re-run posting the state the status already has is refused with
            # "Cannot transition status via :x from :y": the status is already right.
            if "Cannot transition status" not in str(exc):
                raise

    @contextmanager
    def _errors(self, action: str, *, missing_ok: bool = False) -> Iterator[None]:
        """`missing_ok`: a delete of something already gone (another run removed it) succeeded."""
        try:
            yield
        except GitlabError as exc:
            code = exc.response_code
            text = " ".join(str(exc.error_message or "no message").split())
            if code == 404 and missing_ok:
                return
            if code == 401:
                raise PublishError(f"GitLab API: {action}: 401 {text}: check PRCHECK_GITLAB_TOKEN") from None
            if code == 403:
                raise PermissionDenied(f"GitLab API: {action}: 403 {text}") from None
            if code in (400, 422):
                raise Rejected(f"GitLab API: {action}: {code} {text}") from None
            raise PublishError(f"GitLab API: {action}: {code} {text}") from None
        except requests.exceptions.RetryError as exc:
            raise PublishError(
                f"GitLab API: {action}: gave up after {self._options.retries} retries ({_reason(exc)})"
            ) from None
        except requests.exceptions.RequestException as exc:
            raise PublishError(f"GitLab API: {action}: {type(exc).__name__}: {_reason(exc)}") from None


def _reason(exc: requests.exceptions.RequestException) -> str:
    inner = exc.args[0] if exc.args else exc
    reason = getattr(inner, "reason", None) or inner
    return " ".join(str(reason).split())

