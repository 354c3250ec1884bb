"""Stateful stand-ins for the GitHub and GitLab REST APIs, served on 127.0.0.1.

They answer with the payload shapes the public API documentation shows
(absolute `url` fields, `Link` pagination on GitHub, `diff_refs` on GitLab
merge requests, ...), keep what was posted so a second run sees the first
run's comments, and record every request so tests can assert paths and bodies.
`fail()` queues error responses (a 502, a 403, a 429 with Retry-After).
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

USER = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot", "node_id": "MDM6Qm90NDE4OTgyODI="}
NOW = "2026-11-01T12:00:00Z"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    json: Any

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


@dataclass
class Fault:
    method: str
    path: re.Pattern
    status: int
    body: dict
    headers: dict = field(default_factory=dict)
    times: int = 1


Route = tuple[str, re.Pattern, Callable[..., Response]]


class FakeApi:
    prefix = ""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.base = server.url_for(self.prefix).rstrip("/")
        self.log: list[Recorded] = []
        self.faults: list[Fault] = []
        self._ids = itertools.count(1001)
        server.expect_request(re.compile(r"^/.*")).respond_with_handler(self.handle)

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def next_id(self) -> int:
        return next(self._ids)

    def fail(self, method: str, path_regex: str, status: int, body: dict, headers: dict | None = None, times: int = 1) -> None:
        self.faults.append(Fault(method, re.compile(path_regex), status, body, headers or {}, times))

    def writes(self) -> list[Recorded]:
        return [r for r in self.log if r.method != "GET"]

    def handle(self, request: Request) -> Response:
        path = request.path[len(self.prefix) :] if request.path.startswith(self.prefix) else request.path
        body = request.get_json(silent=True) if request.data else None
        self.log.append(Recorded(request.method, path, dict(request.args), body))
        for fault in self.faults:
            if fault.times and fault.method == request.method and fault.path.fullmatch(path):
                fault.times -= 1
                return _json(fault.body, fault.status, fault.headers)
        for method, pattern, func in self.routes():
            match = pattern.fullmatch(path)
            if match and method == request.method:
                return func(request, body or {}, *match.groups())
        return _json({"message": "Not Found"}, 404)

    def page(self, request: Request, items: list, path: str) -> Response:
        """GitHub-style pagination: `per_page`/`page` and a `Link` header to the next page."""
        per_page = int(request.args.get("per_page", 30))
        number = int(request.args.get("page", 1))
        chunk = items[(number - 1) * per_page : number * per_page]
        headers = {}
        if number * per_page < len(items):
            query = dict(request.args, page=str(number + 1), per_page=str(per_page))
            headers["Link"] = f'<{self.base}{path}?{urlencode(query)}>; rel="next"'
        return _json(chunk, 200, headers)


def _json(data: Any, status: int = 200, headers: dict | None = None) -> Response:
    text = "" if status == 204 else json.dumps(data)
    return Response(text, status=status, headers=headers or {}, content_type="application/json; charset=utf-8")


class FakeGitHub(FakeApi):
    """A GitHub Enterprise-style API under /api/v3 holding one pull request."""

    prefix = "/api/v3"

    def __init__(self, server: HTTPServer, repo: str = "octo/gitops", number: int = 7, head_sha: str = "a" * 40) -> None:
        super().__init__(server)
        self.repo = repo
        self.number = number
        self.head_sha = head_sha
        self.files: list[dict] = []
        self.review_comments: dict[int, dict] = {}
        self.issue_comments: dict[int, dict] = {}
        self.reviews: list[dict] = []
        self.check_runs: dict[int, dict] = {}
        self.statuses: list[dict] = []

    def add_file(self, filename: str, patch: str | None, status: str = "modified") -> None:
        self.files.append(
            {
                "sha": "b" * 40,
                "filename": filename,
                "status": status,
                "additions": patch.count("\n+") if patch else 0,
                "deletions": patch.count("\n-") if patch else 0,
                "changes": 0,
                "blob_url": f"https://github.example/{self.repo}/blob/{self.head_sha}/{filename}",
                "raw_url": f"https://github.example/{self.repo}/raw/{self.head_sha}/{filename}",
                "contents_url": f"{self.base}/repos/{self.repo}/contents/{filename}?ref={self.head_sha}",
                **({"patch": patch} if patch is not None else {}),
            }
        )

    def add_issue_comment(self, body: str, user: dict | None = None) -> int:
        cid = self.next_id()
        self.issue_comments[cid] = self._issue_comment(cid, body, user or {"login": "alice", "id": 1, "type": "User"})
        return cid

    def add_review_comment(self, path: str, line: int | None, body: str, reply_to: int | None = None) -> int:
        cid = self.next_id()
        self.review_comments[cid] = self._review_comment(cid, path, line, body, review_id=1, reply_to=reply_to)
        return cid

    def routes(self) -> list[Route]:
        repo = re.escape(f"/repos/{self.repo}")
        pull = rf"{repo}/pulls/{self.number}"
        return [
            ("POST", re.compile(rf"{repo}/check-runs"), self.create_check_run),
            ("PATCH", re.compile(rf"{repo}/check-runs/(\d+)"), self.update_check_run),
            ("GET", re.compile(rf"{pull}/files"), lambda r, b: self.page(r, self.files, r.path[len(self.prefix) :])),
            ("GET", re.compile(rf"{pull}/comments"), self.list_review_comments),
            ("POST", re.compile(rf"{pull}/reviews"), self.create_review),
            ("PATCH", re.compile(rf"{repo}/pulls/comments/(\d+)"), self.edit_review_comment),
            ("DELETE", re.compile(rf"{repo}/pulls/comments/(\d+)"), self.delete_review_comment),
            ("GET", re.compile(rf"{repo}/issues/{self.number}/comments"), self.list_issue_comments),
            ("POST", re.compile(rf"{repo}/issues/{self.number}/comments"), self.create_issue_comment),
            ("PATCH", re.compile(rf"{repo}/issues/comments/(\d+)"), self.edit_issue_comment),
            ("DELETE", re.compile(rf"{repo}/issues/comments/(\d+)"), self.delete_issue_comment),
            ("POST", re.compile(rf"{repo}/statuses/([0-9a-f]{{40}})"), self.create_status),
        ]

    def create_check_run(self, request: Request, body: dict) -> Response:
        rid = self.next_id()
        run = {
            "id": rid,
            "head_sha": body["head_sha"],
            "node_id": f"CR_{rid}",
            "external_id": "",
            "url": f"{self.base}/repos/{self.repo}/check-runs/{rid}",
            "html_url": f"https://github.example/{self.repo}/runs/{rid}",
            "details_url": body.get("details_url", ""),
            "status": body.get("status", "queued"),
            "conclusion": body.get("conclusion"),
            "started_at": NOW,
            "completed_at": NOW if body.get("conclusion") else None,
            "name": body["name"],
            "check_suite": {"id": 5},
            "app": {"id": 15368, "slug": "github-actions", "name": "GitHub Actions"},
            "pull_requests": [],
            "output": {"title": None, "summary": None, "text": None, "annotations_count": 0, "annotations_url": ""},
            "annotations": [],
        }
        self.check_runs[rid] = run
        self._apply_output(run, body)
        return _json(self._public_run(run), 201)

    def update_check_run(self, request: Request, body: dict, rid: str) -> Response:
        run = self.check_runs[int(rid)]
        for key in ("status", "conclusion", "details_url"):
            if key in body:
                run[key] = body[key]
        self._apply_output(run, body)
        return _json(self._public_run(run))

    def _apply_output(self, run: dict, body: dict) -> None:
        output = body.get("output")
        if not output:
            return
        annotations = output.get("annotations") or []
        if len(annotations) > 50:  # the real API refuses more than 50 per request
            raise AssertionError("more than 50 annotations in one request")
        run["annotations"].extend(annotations)  # appended, as the real API does
        run["output"].update(title=output.get("title"), summary=output.get("summary"))
        run["output"]["annotations_count"] = len(run["annotations"])

    def _public_run(self, run: dict) -> dict:
        return {k: v for k, v in run.items() if k != "annotations"}

    def _review_comment(
        self, cid: int, path: str, line: int | None, body: str, *, review_id: int, reply_to: int | None = None
    ) -> dict:
        comment = {
            "url": f"{self.base}/repos/{self.repo}/pulls/comments/{cid}",
            "pull_request_review_id": review_id,
            "id": cid,
            "node_id": f"PRRC_{cid}",
            "diff_hunk": "@@ -1,3 +1,4 @@",
            "path": path,
            "commit_id": self.head_sha,
            "original_commit_id": self.head_sha,
            "user": USER,
            "body": body,
            "created_at": NOW,
            "updated_at": NOW,
            "html_url": f"https://github.example/{self.repo}/pull/{self.number}#discussion_r{cid}",
            "pull_request_url": f"{self.base}/repos/{self.repo}/pulls/{self.number}",
            "author_association": "NONE",
            "line": line,
            "original_line": line,
            "side": "RIGHT",
            "start_line": None,
            "original_start_line": None,
            "start_side": None,
            "subject_type": "line",
        }
        if reply_to:
            comment["in_reply_to_id"] = reply_to
        return comment

    def list_review_comments(self, request: Request, body: dict) -> Response:
        return self.page(request, list(self.review_comments.values()), request.path[len(self.prefix) :])

    def create_review(self, request: Request, body: dict) -> Response:
        review_id = self.next_id()
        for item in body.get("comments", []):
            if "line" in item and not any(
                f["filename"] == item["path"] and _in_patch(f.get("patch"), item["line"]) for f in self.files
            ):
                return _json({"message": "Unprocessable Entity", "errors": ["Line could not be resolved"]}, 422)
        for item in body.get("comments", []):
            cid = self.next_id()
            self.review_comments[cid] = self._review_comment(
                cid, item["path"], item.get("line"), item["body"], review_id=review_id
            )
        review = {
            "id": review_id,
            "node_id": f"PRR_{review_id}",
            "user": USER,
            "body": body.get("body", ""),
            "state": "COMMENTED" if body.get("event") == "COMMENT" else "PENDING",
            "html_url": f"https://github.example/{self.repo}/pull/{self.number}#pullrequestreview-{review_id}",
            "pull_request_url": f"{self.base}/repos/{self.repo}/pulls/{self.number}",
            "commit_id": body.get("commit_id", self.head_sha),
            "submitted_at": NOW,
            "author_association": "NONE",
        }
        self.reviews.append(review)
        return _json(review)

    def edit_review_comment(self, request: Request, body: dict, cid: str) -> Response:
        comment = self.review_comments[int(cid)]
        comment["body"] = body["body"]
        return _json(comment)

    def delete_review_comment(self, request: Request, body: dict, cid: str) -> Response:
        self.review_comments.pop(int(cid))
        return _json(None, 204)

    def _issue_comment(self, cid: int, body: str, user: dict) -> dict:
        return {
            "id": cid,
            "node_id": f"IC_{cid}",
            "url": f"{self.base}/repos/{self.repo}/issues/comments/{cid}",
            "html_url": f"https://github.example/{self.repo}/pull/{self.number}#issuecomment-{cid}",
            "body": body,
            "user": user,
            "created_at": NOW,
            "updated_at": NOW,
            "issue_url": f"{self.base}/repos/{self.repo}/issues/{self.number}",
            "author_association": "NONE",
        }

    def list_issue_comments(self, request: Request, body: dict) -> Response:
        return self.page(request, list(self.issue_comments.values()), request.path[len(self.prefix) :])

    def create_issue_comment(self, request: Request, body: dict) -> Response:
        cid = self.next_id()
        self.issue_comments[cid] = self._issue_comment(cid, body["body"], USER)
        return _json(self.issue_comments[cid], 201)

    def edit_issue_comment(self, request: Request, body: dict, cid: str) -> Response:
        comment = self.issue_comments[int(cid)]
        comment["body"] = body["body"]
        return _json(comment)

    def delete_issue_comment(self, request: Request, body: dict, cid: str) -> Response:
        self.issue_comments.pop(int(cid))
        return _json(None, 204)

    def create_status(self, request: Request, body: dict, sha: str) -> Response:
        sid = self.next_id()
        status = {
            "url": f"{self.base}/repos/{self.repo}/statuses/{sha}",
            "avatar_url": "",
            "id": sid,
            "node_id": f"SC_{sid}",
            "state": body["state"],
            "description": body.get("description"),
            "target_url": body.get("target_url"),
            "context": body.get("context", "default"),
            "created_at": NOW,
            "updated_at": NOW,
            "creator": USER,
        }
        self.statuses.append(status)
        return _json(status, 201)


def _in_patch(patch: str | None, line: int) -> bool:
    from prcheck.publish.diffparse import parse_patch

    lines = parse_patch(patch)
    return line in lines.added or line in lines.context


class FakeGitLab(FakeApi):
    """GitLab's REST API v4 holding project 42 and merge request !3."""

    prefix = ""

    def __init__(self, server: HTTPServer, project_id: int = 42, iid: int = 3) -> None:
        super().__init__(server)
        self.project_id = project_id
        self.iid = iid
        self.diff_refs = {"base_sha": "c" * 40, "head_sha": "d" * 40, "start_sha": "e" * 40}
        self.diffs: list[dict] = []
        self.discussions: dict[str, dict] = {}
        self.notes: dict[int, dict] = {}
        self.statuses: list[dict] = []
        self.tokens_seen: set[str] = set()

    def handle(self, request: Request) -> Response:
        self.tokens_seen.add(request.headers.get("PRIVATE-TOKEN", ""))
        return super().handle(request)

    def add_diff(self, new_path: str, diff: str, old_path: str | None = None, new_file: bool = False) -> None:
        self.diffs.append(
            {
                "old_path": old_path or new_path,
                "new_path": new_path,
                "a_mode": "100644",
                "b_mode": "100644",
                "diff": diff,
                "new_file": new_file,
                "renamed_file": bool(old_path and old_path != new_path),
                "deleted_file": False,
                "generated_file": False,
            }
        )

    def add_note(self, body: str, system: bool = False) -> int:
        nid = self.next_id()
        self.notes[nid] = self._note(nid, body, system=system, author={"id": 7, "username": "alice", "name": "Alice"})
        return nid

    def routes(self) -> list[Route]:
        mr = rf"/api/v4/projects/{self.project_id}/merge_requests/{self.iid}"
        return [
            ("GET", re.compile(mr), self.get_mr),
            ("GET", re.compile(rf"{mr}/diffs"), lambda r, b: _json(self.diffs, 200, _gl_page_headers(len(self.diffs)))),
            ("GET", re.compile(rf"{mr}/changes"), self.get_changes),
            ("GET", re.compile(rf"{mr}/discussions"), self.list_discussions),
            ("POST", re.compile(rf"{mr}/discussions"), self.create_discussion),
            ("PUT", re.compile(rf"{mr}/discussions/([0-9a-f]+)"), self.update_discussion),
            ("PUT", re.compile(rf"{mr}/discussions/([0-9a-f]+)/notes/(\d+)"), self.update_discussion_note),
            ("GET", re.compile(rf"{mr}/notes"), self.list_notes),
            ("POST", re.compile(rf"{mr}/notes"), self.create_note),
            ("PUT", re.compile(rf"{mr}/notes/(\d+)"), self.update_note),
            ("DELETE", re.compile(rf"{mr}/notes/(\d+)"), self.delete_note),
            ("POST", re.compile(r"/api/v4/projects/(\d+)/statuses/([0-9a-f]{40})"), self.create_status),
        ]

    def get_mr(self, request: Request, body: dict) -> Response:
        return _json(
            {
                "id": 9001,
                "iid": self.iid,
                "project_id": self.project_id,
                "title": "Bump web to 2 replicas",
                "state": "opened",
                "source_branch": "feature",
                "target_branch": "main",
                "source_project_id": self.project_id,
                "target_project_id": self.project_id,
                "sha": self.diff_refs["head_sha"],
                "diff_refs": self.diff_refs,
                "web_url": f"https://gitlab.example/group/gitops/-/merge_requests/{self.iid}",
            }
        )

    def get_changes(self, request: Request, body: dict) -> Response:
        """The pre-15.7 endpoint: the merge request with its file diffs under `changes`."""
        mr = json.loads(self.get_mr(request, body).get_data())
        return _json({**mr, "changes": self.diffs})

    def _note(self, nid: int, body: str, *, system: bool = False, author: dict | None = None, position: dict | None = None,
              discussion: bool = False) -> dict:
        note = {
            "id": nid,
            "type": "DiffNote" if position else ("DiscussionNote" if discussion else None),
            "body": body,
            "attachment": None,
            "author": author or {"id": 99, "username": "project_42_bot", "name": "prcheck bot"},
            "created_at": NOW,
            "updated_at": NOW,
            "system": system,
            "noteable_id": 9001,
            "noteable_type": "MergeRequest",
            "noteable_iid": self.iid,
            "resolvable": bool(position) or discussion,
            "confidential": False,
            "internal": False,
        }
        if note["resolvable"]:
            note.update(resolved=False, resolved_by=None, resolved_at=None)
        if position:
            note["position"] = {**position, "line_range": None}
        return note

    def list_discussions(self, request: Request, body: dict) -> Response:
        items = list(self.discussions.values())
        return _json(items, 200, _gl_page_headers(len(items)))

    def create_discussion(self, request: Request, body: dict) -> Response:
        position = body.get("position")
        if position:
            known = {d["new_path"]: d for d in self.diffs}
            target = known.get(position.get("new_path"))
            lines = _gl_lines(target["diff"]) if target else None
            if (
                target is None
                or position.get("head_sha") != self.diff_refs["head_sha"]
                or position.get("base_sha") != self.diff_refs["base_sha"]
                or position.get("start_sha") != self.diff_refs["start_sha"]
                or position.get("new_line") not in lines
            ):
                message = "400 Bad request - Note {:line_code=>[\"can't be blank\", \"must be a valid line code\"]}"
                return _json({"message": message}, 400)
        did = f"{self.next_id():040x}"
        note = self._note(self.next_id(), body["body"], position=position, discussion=True)
        self.discussions[did] = {"id": did, "individual_note": False, "notes": [note]}
        return _json(self.discussions[did], 201)

    def update_discussion(self, request: Request, body: dict, did: str) -> Response:
        discussion = self.discussions[did]
        for note in discussion["notes"]:
            if note.get("resolvable"):
                note["resolved"] = bool(body["resolved"])
        return _json(discussion)

    def update_discussion_note(self, request: Request, body: dict, did: str, nid: str) -> Response:
        for note in self.discussions[did]["notes"]:
            if note["id"] == int(nid):
                note["body"] = body["body"]
                return _json(note)
        return _json({"message": "404 Not found"}, 404)

    def list_notes(self, request: Request, body: dict) -> Response:
        items = list(self.notes.values()) + [n for d in self.discussions.values() for n in d["notes"]]
        return _json(items, 200, _gl_page_headers(len(items)))

    def create_note(self, request: Request, body: dict) -> Response:
        nid = self.next_id()
        self.notes[nid] = self._note(nid, body["body"])
        return _json(self.notes[nid], 201)

    def update_note(self, request: Request, body: dict, nid: str) -> Response:
        self.notes[int(nid)]["body"] = body["body"]
        return _json(self.notes[int(nid)])

    def delete_note(self, request: Request, body: dict, nid: str) -> Response:
        self.notes.pop(int(nid))
        return _json(None, 204)

    def create_status(self, request: Request, body: dict, project: str, sha: str) -> Response:
        for status in self.statuses:
            if status["name"] == body.get("name") and status["sha"] == sha and status["status"] == body["state"]:
                event = {"success": "succeed", "failed": "drop"}.get(body["state"], "run")
                message = (
                    f'Cannot transition status via :{event} from :{status["status"]} '
                    f'(Reason(s): Status cannot transition via "{event}")'
                )
                return _json({"message": message}, 400)
        status = {
            "id": self.next_id(),
            "sha": sha,
            "ref": "feature",
            "status": body["state"],
            "name": body.get("name", "default"),
            "target_url": body.get("target_url"),
            "description": body.get("description"),
            "created_at": NOW,
            "started_at": None,
            "finished_at": NOW,
            "allow_failure": False,
            "coverage": None,
            "pipeline_id": body.get("pipeline_id"),
            "author": {"id": 99, "username": "project_42_bot"},
        }
        self.statuses.append(status)
        return _json(status, 201)


def _gl_page_headers(total: int) -> dict:
    return {"X-Page": "1", "X-Per-Page": "100", "X-Total": str(total), "X-Total-Pages": "1", "X-Next-Page": ""}


def _gl_lines(diff: str) -> set[int]:
    from prcheck.publish.diffparse import parse_patch

    lines = parse_patch(diff)
    return set(lines.added) | set(lines.context)
