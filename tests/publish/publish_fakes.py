"""Stateful stand-ins for the GitHub and GitLab APIs, served on 127.0.0.1.

They answer with the payload shapes the public API documentation shows
(absolute `url` fields, `Link` pagination on GitHub, `diff_refs` on GitLab
merge requests, ...), keep what was posted so a second run sees the first
run's comments, and record every request so tests can assert paths and bodies.

They also refuse what the real APIs refuse: GitHub answers 422 for a review
comment on a line outside the diff, for more than 50 annotations in one
request and for bodies over 65,536 characters, 403 for a write the token's
permissions do not cover (`checks`, `pull-requests`, `statuses`; a personal
access token never writes check runs; a fork's token writes nothing), and 403
to `GET /user` for installation tokens (GraphQL `viewer` answers both). GitLab
applies its role table: Reporter posts notes and threads, Developer resolves
threads and posts commit statuses (Maintainer on protected branches), only a
note's author edits it. `fail()` queues error responses (a 502, a 429 with
Retry-After).
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
ALICE = {"login": "alice", "id": 1, "type": "User", "node_id": "MDQ6VXNlcjE="}
NOW = "2026-11-01T12:00:00Z"
BODY_LIMIT = 65_536
ALL_WRITES = frozenset({"checks", "pull_requests", "statuses"})


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    json: Any
    status: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    def line(self) -> str:
        return f"{self.status} {self.method} {self.path}"


@dataclass(frozen=True)
class GitHubToken:
    """What a token may do: `app` tokens (GITHUB_TOKEN, GitHub Apps) may write check runs,
    user tokens (PATs) may not and can call GET /user."""

    user: dict
    writes: frozenset = ALL_WRITES
    app: bool = True


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
        record = Recorded(request.method, path, dict(request.args), body)
        self.log.append(record)
        response = self._answer(request, path, body)
        record.status = response.status_code
        return response

    def _answer(self, request: Request, path: str, body: Any) -> Response:
        for fault in self.faults:
            if fault.times and fault.method == request.method and fault.path.fullmatch(path):
                fault.times -= 1
                return _json(fault.body, fault.status, fault.headers)
        refused = self.refuse(request, path, body)
        if refused is not None:
            return refused
        for method, pattern, func in self.routes():
            match = pattern.fullmatch(path)
            if match and method == request.method:
                return func(request, body or {}, *match.groups())
        return _json({"message": "Not Found"}, 404)

    def refuse(self, request: Request, path: str, body: Any) -> Response | None:
        """A permission or validation refusal the real API would give, before routing."""
        return None

    def request_log(self) -> list[str]:
        return [r.line() for r in self.log]

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
        self.tokens: dict[str, GitHubToken] = {}
        self.default_token = GitHubToken(USER)  # any token not in `tokens`: the Actions GITHUB_TOKEN
        self.graphql_log: list[dict] = []

    # ---- who is asking, and may they -------------------------------------------------------

    def token_of(self, request: Request) -> GitHubToken:
        auth = request.headers.get("Authorization", "")
        return self.tokens.get(auth.split(" ", 1)[-1], self.default_token)

    def refuse(self, request: Request, path: str, body: Any) -> Response | None:
        token = self.token_of(request)
        if path == "/user" and request.method == "GET":
            if token.app:
                return _json({"message": "Resource not accessible by integration",
                              "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user"}, 403)
            return _json(token.user)
        if request.method == "GET" or path.endswith("/graphql"):
            return None
        need = "checks" if "/check-runs" in path else "statuses" if "/statuses/" in path else "pull_requests"
        if need == "checks" and not token.app:
            return _json({"message": "You must authenticate via a GitHub App.",
                          "documentation_url": "https://docs.github.com/rest/checks/runs#create-a-check-run"}, 403)
        if need not in token.writes:
            return _json({"message": "Resource not accessible by integration",
                          "documentation_url": "https://docs.github.com/rest"}, 403)
        for text in _bodies(body):
            if len(text) > BODY_LIMIT:
                return _json({"message": "Validation Failed", "errors": [
                    {"resource": "IssueComment", "code": "custom", "field": "body",
                     "message": f"body is too long (maximum is {BODY_LIMIT} characters)"}]}, 422)
        return None

    def move_head(self, head_sha: str, files: list[dict]) -> None:
        """A push to the pull request: comments whose line left the diff go `line: null` (outdated)."""
        self.head_sha = head_sha
        self.files = files
        for comment in self.review_comments.values():
            if comment["line"] is not None and not any(
                f["filename"] == comment["path"] and _in_patch(f.get("patch"), comment["line"]) for f in files
            ):
                comment["line"] = None

    def replies_to(self, cid: int, body: str, user: dict = ALICE) -> int:
        root = self.review_comments[cid]
        return self.add_review_comment(root["path"], root["line"], body, reply_to=cid, user=user)

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
        self.issue_comments[cid] = self._issue_comment(cid, body, user or ALICE)
        return cid

    def add_review_comment(self, path: str, line: int | None, body: str, reply_to: int | None = None,
                           user: dict | None = None) -> int:
        cid = self.next_id()
        self.review_comments[cid] = self._review_comment(cid, path, line, body, review_id=1, reply_to=reply_to,
                                                         user=user or ALICE)
        return cid

    def routes(self) -> list[Route]:
        repo = re.escape(f"/repos/{self.repo}")
        pull = rf"{repo}/pulls/{self.number}"
        return [
            ("POST", re.compile(r"/api/graphql"), self.graphql),
            ("GET", re.compile(rf"{pull}"), self.get_pull),
            ("POST", re.compile(rf"{repo}/check-runs"), self.create_check_run),
            ("PATCH", re.compile(rf"{repo}/check-runs/(\d+)"), self.update_check_run),
            ("GET", re.compile(rf"{pull}/files"), lambda r, b: self.page(r, self.files, r.path[len(self.prefix) :])),
            ("GET", re.compile(rf"{pull}/comments"), self.list_review_comments),
            ("POST", re.compile(rf"{pull}/reviews"), self.create_review),
            ("POST", re.compile(rf"{pull}/comments"), self.create_review_comment),
            ("PATCH", re.compile(rf"{repo}/pulls/comments/(\d+)"), self.edit_review_comment),
            ("DELETE", re.compile(rf"{repo}/pulls/comments/(\d+)"), self.delete_review_comment),
            ("GET", re.compile(rf"{repo}/issues/{self.number}/comments"), self.list_issue_comments),
            ("POST", re.compile(rf"{repo}/issues/{self.number}/comments"), self.create_issue_comment),
            ("PATCH", re.compile(rf"{repo}/issues/comments/(\d+)"), self.edit_issue_comment),
            ("DELETE", re.compile(rf"{repo}/issues/comments/(\d+)"), self.delete_issue_comment),
            ("POST", re.compile(rf"{repo}/statuses/([0-9a-f]{{40}})"), self.create_status),
        ]

    def get_pull(self, request: Request, body: dict) -> Response:
        return _json({
            "url": f"{self.base}/repos/{self.repo}/pulls/{self.number}", "id": 900, "node_id": "PR_900",
            "number": self.number, "state": "open", "title": "Bump web",
            "user": ALICE, "head": {"ref": "feature", "sha": self.head_sha, "repo": {"full_name": self.repo}},
            "base": {"ref": "main", "sha": "f" * 40, "repo": {"full_name": self.repo}},
            "html_url": f"https://github.example/{self.repo}/pull/{self.number}",
        })

    def graphql(self, request: Request, body: dict) -> Response:
        """The three GraphQL operations publishing uses: viewer, minimizeComment, unminimizeComment."""
        query = body.get("query", "")
        variables = body.get("variables") or {}
        self.graphql_log.append({"query": query, "variables": variables})
        token = self.token_of(request)
        if "viewer" in query and "mutation" not in query:
            return _json({"data": {"viewer": {"login": token.user["login"], "databaseId": token.user["id"]}}})
        minimize = "minimizeComment" in query and "unminimizeComment" not in query
        if "inimizeComment" in query:
            if "pull_requests" not in token.writes:
                return _json({"data": None, "errors": [{"type": "FORBIDDEN", "message": "Resource not accessible by integration"}]})
            target = next((c for c in [*self.review_comments.values(), *self.issue_comments.values()]
                           if c["node_id"] == variables.get("id")), None)
            if target is None:
                return _json({"data": None, "errors": [{"type": "NOT_FOUND", "message": "Could not resolve to a node"}]})
            if minimize and "classifier: OUTDATED" not in query:
                return _json({"data": None, "errors": [{"message": "classifier is required"}]})
            target["minimized"] = minimize
            key = "minimizedComment" if minimize else "unminimizedComment"
            name = "minimizeComment" if minimize else "unminimizeComment"
            return _json({"data": {name: {key: {"isMinimized": minimize}}}})
        return _json({"errors": [{"message": "unsupported query"}]})

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
        if len((body.get("output") or {}).get("annotations") or []) > 50:
            return _too_many_annotations()
        self.check_runs[rid] = run
        self._apply_output(run, body)
        return _json(self._public_run(run), 201)

    def update_check_run(self, request: Request, body: dict, rid: str) -> Response:
        run = self.check_runs[int(rid)]
        if len((body.get("output") or {}).get("annotations") or []) > 50:
            return _too_many_annotations()
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
        run["annotations"].extend(annotations)  # appended, as the real API does
        run["output"].update(title=output.get("title"), summary=output.get("summary"))
        run["output"]["annotations_count"] = len(run["annotations"])

    def _public_run(self, run: dict) -> dict:
        return {k: v for k, v in run.items() if k != "annotations"}

    def _review_comment(
        self, cid: int, path: str, line: int | None, body: str, *, review_id: int, reply_to: int | None = None,
        user: dict = USER,
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
            "user": user,
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
        author = self.token_of(request).user
        if any(not self.on_diff(item) for item in body.get("comments", [])):
            # all or nothing, and the answer does not say which comment is at fault
            return _json({"message": "Unprocessable Entity", "errors": [
                "Pull request review thread line must be part of the diff and Pull request review thread "
                "diff hunk can't be blank"],
                "documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"},
                422)
        for item in body.get("comments", []):
            cid = self.next_id()
            self.review_comments[cid] = self._review_comment(
                cid, item["path"], item.get("line"), item["body"], review_id=review_id, user=author
            )
        review = {
            "id": review_id,
            "node_id": f"PRR_{review_id}",
            "user": author,
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

    def on_diff(self, item: dict) -> bool:
        return "line" not in item or any(
            f["filename"] == item["path"] and _in_patch(f.get("patch"), item["line"]) for f in self.files)

    def create_review_comment(self, request: Request, body: dict) -> Response:
        """POST /pulls/N/comments: one line comment; its 422 names the field at fault."""
        missing = [key for key in ("body", "commit_id", "path") if not body.get(key)]
        if missing:
            return _json({"message": "Validation Failed", "errors": [
                {"resource": "PullRequestReviewComment", "code": "missing_field", "field": key} for key in missing]}, 422)
        if not self.on_diff(body):
            return _json({"message": "Validation Failed", "errors": [
                {"resource": "PullRequestReviewComment", "code": "custom", "field": "pull_request_review_thread.line",
                 "message": "pull_request_review_thread.line must be part of the diff"}],
                "documentation_url": "https://docs.github.com/rest/pulls/comments#create-a-review-comment-for-a-pull-request"},
                422)
        cid = self.next_id()
        self.review_comments[cid] = self._review_comment(cid, body["path"], body.get("line"), body["body"],
                                                         review_id=self.next_id(), user=self.token_of(request).user)
        return _json(self.review_comments[cid], 201)

    def edit_review_comment(self, request: Request, body: dict, cid: str) -> Response:
        comment = self.review_comments.get(int(cid))
        if comment is None:
            return _json({"message": "Not Found"}, 404)
        if comment["user"]["id"] != self.token_of(request).user["id"]:
            return _json({"message": "Resource not accessible by integration"}, 403)
        comment["body"] = body["body"]
        return _json(comment)

    def delete_review_comment(self, request: Request, body: dict, cid: str) -> Response:
        comment = self.review_comments.get(int(cid))
        if comment is None:
            return _json({"message": "Not Found"}, 404)
        if comment["user"]["id"] != self.token_of(request).user["id"]:
            return _json({"message": "Resource not accessible by integration"}, 403)
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
        self.issue_comments[cid] = self._issue_comment(cid, body["body"], self.token_of(request).user)
        return _json(self.issue_comments[cid], 201)

    def edit_issue_comment(self, request: Request, body: dict, cid: str) -> Response:
        comment = self.issue_comments.get(int(cid))
        if comment is None:
            return _json({"message": "Not Found"}, 404)
        if comment["user"]["id"] != self.token_of(request).user["id"]:
            return _json({"message": "Resource not accessible by integration"}, 403)
        comment["body"] = body["body"]
        return _json(comment)

    def delete_issue_comment(self, request: Request, body: dict, cid: str) -> Response:
        comment = self.issue_comments.get(int(cid))
        if comment is None:
            return _json({"message": "Not Found"}, 404)
        if comment["user"]["id"] != self.token_of(request).user["id"]:
            return _json({"message": "Resource not accessible by integration"}, 403)
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
            "creator": self.token_of(request).user,
        }
        self.statuses.append(status)
        return _json(status, 201)


def _bodies(body: Any) -> list[str]:
    """Every comment text a write carries: its body and a review's line comments."""
    if not isinstance(body, dict):
        return []
    texts = [body["body"]] if isinstance(body.get("body"), str) else []
    return texts + [c["body"] for c in body.get("comments") or [] if isinstance(c, dict) and isinstance(c.get("body"), str)]


def _too_many_annotations() -> Response:
    return _json({"message": "Validation Failed", "errors": [
        {"resource": "CheckRun", "code": "custom", "field": "annotations",
         "message": "Only 50 annotations may be sent per request"}]}, 422)


def _in_patch(patch: str | None, line: int) -> bool:
    from prcheck.publish.diffparse import parse_patch

    lines = parse_patch(patch)
    return line in lines.added or line in lines.context


GUEST, REPORTER, DEVELOPER, MAINTAINER = 10, 20, 30, 40
GL_BOT = {"id": 99, "username": "project_42_bot", "name": "prcheck bot"}
GL_ALICE = {"id": 7, "username": "alice", "name": "Alice"}


class FakeGitLab(FakeApi):
    """GitLab's REST API v4 holding project 42 and merge request !3.

    A token's user and role come from `tokens` (`PRIVATE-TOKEN` header); any
    other `glpat-` token is the project bot with the Developer role, and a
    `glpat-reporter…` token a bot with the Reporter role.
    """

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
        self.tokens: dict[str, tuple[dict, int]] = {}
        self.protected_ref = False  # the source branch is protected: statuses need Maintainer

    def handle(self, request: Request) -> Response:
        self.tokens_seen.add(request.headers.get("PRIVATE-TOKEN", ""))
        return super().handle(request)

    def caller(self, request: Request) -> tuple[dict, int] | None:
        token = request.headers.get("PRIVATE-TOKEN", "")
        if token in self.tokens:
            return self.tokens[token]
        if token.startswith("glpat-reporter"):
            return {"id": 98, "username": "project_42_reporter_bot", "name": "reporter bot"}, REPORTER
        if token.startswith("glpat-"):
            return GL_BOT, DEVELOPER
        return None

    def refuse(self, request: Request, path: str, body: Any) -> Response | None:
        caller = self.caller(request)
        if caller is None:
            return _json({"message": "401 Unauthorized"}, 401)
        if request.method == "GET":
            return None
        _, role = caller
        if "/statuses/" in path:
            need = MAINTAINER if self.protected_ref else DEVELOPER
        elif request.method == "PUT" and re.search(r"/discussions/[0-9a-f]+$", path):
            need = DEVELOPER  # resolving or reopening a thread
        else:
            need = REPORTER
        if role < need:
            return _json({"message": "403 Forbidden"}, 403)
        return None

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

    def add_note(self, body: str, system: bool = False, author: dict | None = None) -> int:
        nid = self.next_id()
        self.notes[nid] = self._note(nid, body, system=system, author=author or GL_ALICE)
        return nid

    def reply(self, discussion_id: str, body: str, author: dict | None = None) -> int:
        nid = self.next_id()
        note = self._note(nid, body, author=author or GL_ALICE, discussion=True)
        self.discussions[discussion_id]["notes"].append(note)
        return nid

    def add_discussion(self, body: str, path: str, line: int, author: dict | None = None) -> str:
        did = f"{self.next_id():040x}"
        position = {"position_type": "text", "new_path": path, "new_line": line, "old_path": path, "old_line": None,
                    **self.diff_refs}
        note = self._note(self.next_id(), body, position=position, discussion=True, author=author or GL_ALICE)
        self.discussions[did] = {"id": did, "individual_note": False, "notes": [note]}
        return did

    def routes(self) -> list[Route]:
        mr = rf"/api/v4/projects/{self.project_id}/merge_requests/{self.iid}"
        return [
            ("GET", re.compile(r"/api/v4/user"), lambda r, b: _json({**self.caller(r)[0], "state": "active", "bot": True})),
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
        note = self._note(self.next_id(), body["body"], position=position, discussion=True, author=self.caller(request)[0])
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
                if note["author"]["id"] != self.caller(request)[0]["id"]:
                    return _json({"message": "403 Forbidden"}, 403)
                note["body"] = body["body"]
                return _json(note)
        return _json({"message": "404 Not found"}, 404)

    def list_notes(self, request: Request, body: dict) -> Response:
        items = list(self.notes.values()) + [n for d in self.discussions.values() for n in d["notes"]]
        return _json(items, 200, _gl_page_headers(len(items)))

    def create_note(self, request: Request, body: dict) -> Response:
        nid = self.next_id()
        self.notes[nid] = self._note(nid, body["body"], author=self.caller(request)[0])
        return _json(self.notes[nid], 201)

    def update_note(self, request: Request, body: dict, nid: str) -> Response:
        note = self.notes.get(int(nid))
        if note is None:
            return _json({"message": "404 Note Not Found"}, 404)
        if note["author"]["id"] != self.caller(request)[0]["id"]:  # only the author edits a note
            return _json({"message": "403 Forbidden"}, 403)
        note["body"] = body["body"]
        return _json(note)

    def delete_note(self, request: Request, body: dict, nid: str) -> Response:
        note = self.notes.get(int(nid))
        if note is None:
            return _json({"message": "404 Note Not Found"}, 404)
        user, role = self.caller(request)
        if note["author"]["id"] != user["id"] and role < MAINTAINER:
            return _json({"message": "403 Forbidden"}, 403)
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
            "author": self.caller(request)[0],
        }
        self.statuses.append(status)
        return _json(status, 201)


def _gl_page_headers(total: int) -> dict:
    return {"X-Page": "1", "X-Per-Page": "100", "X-Total": str(total), "X-Total-Pages": "1", "X-Next-Page": ""}


def _gl_lines(diff: str) -> set[int]:
    from prcheck.publish.diffparse import parse_patch

    lines = parse_patch(diff)
    return set(lines.added) | set(lines.context)
