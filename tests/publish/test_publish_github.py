"""PyGithub against a local GitHub API: the exact requests, their bodies, and
what is left on the pull request after one run and after three."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest

from prcheck.model import Report
from prcheck.publish import PublishError, publish
from prcheck.publish.base import SUMMARY_MARKER, Markers
from prcheck.publish.diffparse import parse_patch
from prcheck.publish.github import GitHubContext
from prcheck.publish.github import run as run_steps
from prcheck.publish.github_client import PyGithubApi
from prcheck.publish.suggestions import DEFAULT_SUGGESTERS
from tests.publish.conftest import LABELS, LATEST, OTHER_FILE, PATCH, PATH, RENDER, REPLICAS, ROFS, TOKEN, finding
from tests.publish.publish_fakes import USER, FakeGitHub

fingerprint_marker = Markers().fingerprint

SUMMARY = "## prcheck\n\n3 findings on 1 environment."


def run(report, env, options, out, **kw):
    return publish(
        report, "github", summary_markdown=kw.pop("summary", SUMMARY), fail_on=kw.pop("fail_on", "error"),
        dry_run=kw.pop("dry_run", False), options=options, environ=env, stdout=out,
    )


def comments_state(api: FakeGitHub) -> tuple:
    review = sorted((c["id"], c["path"], c["line"], c["body"]) for c in api.review_comments.values())
    issue = sorted((c["id"], c["body"]) for c in api.issue_comments.values())
    return review, issue


def test_first_run_sends_exactly_these_requests(report, github_env, fast_options, fake_github, out):
    result = run(report, github_env, fast_options, out)

    repo = "/repos/octo/gitops"
    assert [r.key for r in fake_github.log] == [
        ("POST", f"{repo}/check-runs"),
        ("POST", "/api/graphql"),  # viewer: whose comments are prcheck's
        ("GET", f"{repo}/pulls/7"),  # the head it has now: a superseded run leaves the comments alone
        ("GET", f"{repo}/pulls/7/files"),
        ("GET", f"{repo}/pulls/7/comments"),
        ("POST", f"{repo}/pulls/7/reviews"),
        ("GET", f"{repo}/pulls/7/comments"),  # a racing run's copies are dropped
        ("GET", f"{repo}/issues/7/comments"),
        ("POST", f"{repo}/issues/7/comments"),
        ("GET", f"{repo}/issues/7/comments"),
        ("POST", f"{repo}/statuses/{'a' * 40}"),
    ]
    assert fake_github.log[1].json == {"query": "query { viewer { login databaseId } }", "variables": {}}
    check = fake_github.log[0].json
    assert check["name"] == "prcheck" and check["head_sha"] == "a" * 40
    assert check["status"] == "completed" and check["conclusion"] == "failure"
    assert check["details_url"] == "https://github.example/octo/gitops/actions/runs/555"
    assert check["output"]["title"] == "prcheck: 3 errors, 2 warnings, 1 info"
    assert check["output"]["summary"] == SUMMARY
    # every finding with a file is annotated; the render failure has no file
    assert len(check["output"]["annotations"]) == 5
    assert check["output"]["annotations"][0] == {
        "path": "apps/api/deployment.yaml", "start_line": 5, "end_line": 5, "annotation_level": "failure",
        "message": "container api runs privileged\nResource: Deployment/shop/api", "title": "error: privileged",
    }
    assert {a["annotation_level"] for a in check["output"]["annotations"]} == {"failure", "warning", "notice"}

    review = fake_github.log[5].json
    assert review["event"] == "COMMENT" and review["commit_id"] == "a" * 40
    assert review["body"].startswith("<!-- prcheck:review -->")
    assert [(c["path"], c["line"], c["side"]) for c in review["comments"]] == [
        (PATH, 13, "RIGHT"), (PATH, 12, "RIGHT"), (PATH, 7, "RIGHT"),
    ]
    rofs = review["comments"][0]["body"]
    assert rofs.startswith(fingerprint_marker(ROFS.fingerprint) + "\n**error** · `k8s/writable-root-filesystem`")
    assert "```suggestion\n          securityContext:\n            readOnlyRootFilesystem: true\n```" in rofs
    assert "```suggestion" not in review["comments"][1]["body"]  # no fix offered for :latest

    summary = fake_github.log[8].json["body"]
    assert summary.startswith(SUMMARY_MARKER + "\n" + SUMMARY)
    assert "3 findings not commented inline" in summary
    assert summary.endswith(f"<sub>prcheck · commit {'a' * 12}</sub>")
    for outside in (LABELS, OTHER_FILE, RENDER):
        assert outside.message in summary
    assert fake_github.log[10].json == {
        "state": "failure", "context": "prcheck", "description": "3 errors, 2 warnings, 1 info",
        "target_url": "https://github.example/octo/gitops/actions/runs/555",
    }
    assert (result.inline_created, result.inline_kept, result.inline_removed) == (3, 0, 0)
    assert result.summary == "created" and result.statuses == ["prcheck"] and result.annotations == 5
    assert result.warnings == [] and Path(github_env["GITHUB_STEP_SUMMARY"]).read_text() == SUMMARY + "\n"


def test_annotations_go_in_batches_of_50(github_env, fast_options, fake_github, out):
    many = Report(findings=[finding("replicas-min", "warning", n, f"finding {n}", path=f"f{n:03}.yaml") for n in range(1, 121)])
    result = run(many, github_env, fast_options, out)

    calls = [r for r in fake_github.log if "check-runs" in r.path]
    assert [r.method for r in calls] == ["POST", "PATCH", "PATCH"]
    assert [len(r.json["output"]["annotations"]) for r in calls] == [50, 50, 20]
    assert calls[0].json["status"] == "in_progress" and "conclusion" not in calls[0].json
    assert "status" not in calls[1].json
    assert calls[2].json["status"] == "completed" and calls[2].json["conclusion"] == "success"
    assert calls[1].path == calls[2].path == f"/repos/octo/gitops/check-runs/{result.check_run_id}"
    run_state = fake_github.check_runs[result.check_run_id]
    assert [a["path"] for a in run_state["annotations"]] == [f"f{n:03}.yaml" for n in range(1, 121)]


def test_three_identical_runs_leave_what_one_run_leaves(report, github_env, fast_options, fake_github, out):
    run(report, github_env, fast_options, out)
    after_one = comments_state(fake_github)
    first_run_requests = len(fake_github.log)

    for _ in range(2):
        result = run(report, github_env, fast_options, out)
        assert (result.inline_created, result.inline_kept, result.inline_removed) == (0, 3, 0)
        assert result.summary == "unchanged"

    assert comments_state(fake_github) == after_one
    assert len(fake_github.review_comments) == 3 and len(fake_github.issue_comments) == 1
    later_writes = [r.key for r in fake_github.log[first_run_requests:] if r.method != "GET" and "graphql" not in r.path]
    assert later_writes == [
        ("POST", "/repos/octo/gitops/check-runs"), ("POST", f"/repos/octo/gitops/statuses/{'a' * 40}"),
    ] * 2
    assert len(fake_github.reviews) == 1


def test_every_page_of_comments_is_read(report, github_env, fast_options, fake_github, out):
    for n in range(130):
        fake_github.add_review_comment(PATH, 7, f"human comment {n}")
    run(report, github_env, fast_options, out)
    pages = [r.query.get("page", "1") for r in fake_github.log if r.key == ("GET", "/repos/octo/gitops/pulls/7/comments")]
    assert pages == ["1", "2"] * 2  # read, then read again after posting (a racing run's copies)
    fake_github.log.clear()
    result = run(report, github_env, fast_options, out)  # our 3 comments sit on page 2 now
    assert (result.inline_created, result.inline_kept) == (0, 3)


def test_sticky_summary_is_edited_in_place(report, github_env, fast_options, fake_github, out):
    human = fake_github.add_issue_comment("LGTM once the tag is pinned")
    old = fake_github.add_issue_comment(SUMMARY_MARKER + "\nan older report", user=USER)
    quoting = fake_github.add_issue_comment("> " + SUMMARY_MARKER + "\n> an older report\nwhy?")

    result = run(report, github_env, fast_options, out)

    assert result.summary == "edited"
    assert ("POST", "/repos/octo/gitops/issues/7/comments") not in [r.key for r in fake_github.log]
    patch = [r for r in fake_github.log if r.key == ("PATCH", f"/repos/octo/gitops/issues/comments/{old}")]
    assert len(patch) == 1 and patch[0].json["body"].startswith(SUMMARY_MARKER + "\n" + SUMMARY)
    assert set(fake_github.issue_comments) == {human, old, quoting}
    assert fake_github.issue_comments[human]["body"] == "LGTM once the tag is pinned"


def test_comments_of_gone_findings_are_deleted_and_moved_ones_reposted(report, github_env, fast_options, fake_github, out):
    run(report, github_env, fast_options, out)
    ids = {marker: cid for cid, c in fake_github.review_comments.items() for marker in [c["body"].split("\n")[0]]}
    parent = ids[fingerprint_marker(ROFS.fingerprint)]
    reply = fake_github.replies_to(parent, "> quoting\nthanks, will fix")
    fake_github.log.clear()

    moved = replace(LATEST, line=14)  # same fingerprint, new line
    result = run(Report(findings=[moved, REPLICAS]), github_env, fast_options, out)

    deleted = {int(r.path.rsplit("/", 1)[1]) for r in fake_github.log if r.method == "DELETE"}
    assert deleted == {ids[fingerprint_marker(LATEST.fingerprint)]}  # the thread someone answered stays
    review = next(r.json for r in fake_github.log if r.path.endswith("/reviews"))
    assert [(c["path"], c["line"]) for c in review["comments"]] == [(PATH, 14)]
    assert (result.inline_created, result.inline_kept, result.inline_removed, result.inline_fixed) == (1, 1, 1, 1)
    kept = fake_github.review_comments[parent]
    assert kept["body"].startswith(fingerprint_marker(ROFS.fingerprint) + "\n<!-- prcheck:fixed -->\n✅ **Fixed**")
    assert f"`{'a' * 12}`" in kept["body"] and ROFS.message in kept["body"]  # the original, folded
    assert kept["minimized"] is True
    assert fake_github.graphql_log[-1]["variables"] == {"id": kept["node_id"]}
    assert "minimizeComment(input: {subjectId: $id, classifier: OUTDATED})" in fake_github.graphql_log[-1]["query"]
    assert reply in fake_github.review_comments  # a human reply is never ours to delete
    lines = sorted(c["line"] for c in fake_github.review_comments.values()
                   if c["body"].startswith("<!-- prcheck:fp:") and "prcheck:fixed" not in c["body"])
    assert lines == [7, 14]

    fake_github.log.clear()  # the same again: nothing to do, the fixed thread is not edited twice
    again = run(Report(findings=[moved, REPLICAS]), github_env, fast_options, out)
    assert [r.key for r in fake_github.log if r.method not in ("GET",) and r.path != "/api/graphql"] == [
        ("POST", "/repos/octo/gitops/check-runs"), ("POST", f"/repos/octo/gitops/statuses/{'a' * 40}")]
    assert (again.inline_fixed, again.inline_removed) == (0, 0)

    back = run(report, github_env, fast_options, out)  # the finding returns on its line: the thread comes back
    assert back.inline_reopened == 1 and fake_github.review_comments[parent]["minimized"] is False
    assert "prcheck:fixed" not in fake_github.review_comments[parent]["body"]


def test_changed_comment_text_is_edited_not_reposted(report, github_env, fast_options, fake_github, out):
    run(report, github_env, fast_options, out)
    fake_github.log.clear()
    # a new fix for one rule changes the body of one existing comment
    suggesters = {**DEFAULT_SUGGESTERS, "k8s/image-latest-tag": lambda f, lines: "          image: nginx:1.27"}
    run(report, github_env, replace(fast_options, suggesters=suggesters), out)

    keys = [r.key for r in fake_github.log]
    assert ("POST", "/repos/octo/gitops/pulls/7/reviews") not in keys
    edits = [r for r in fake_github.log if r.method == "PATCH" and "/pulls/comments/" in r.path]
    assert len(edits) == 1 and "```suggestion\n          image: nginx:1.27\n```" in edits[0].json["body"]


# The pull request moved on after prcheck read its diff: only line 13 is still changed.
MOVED_PATCH = "@@ -12,0 +13,2 @@\n+          securityContext:\n+            runAsNonRoot: true"


class StaleDiff(PyGithubApi):
    """Reads the diff as it was before the push `stale_reads` times (no request), then as it is."""

    stale_reads = 1

    def changed_lines(self, number):
        if self.stale_reads:
            self.stale_reads -= 1
            return {PATH: parse_patch(PATCH)}
        return super().changed_lines(number)


def run_stale(report, github_env, options, out, stale_reads):
    ctx = GitHubContext.from_env(github_env)
    api = StaleDiff(ctx, TOKEN, options)
    api.stale_reads = stale_reads
    return run_steps(report, ctx, api, summary_markdown=SUMMARY, fail_on="error", options=options, stdout=out)


def test_a_refused_review_is_sent_again_without_the_lines_that_left_the_diff(report, github_env, fast_options,
                                                                             fake_github, out):
    fake_github.files[0]["patch"] = MOVED_PATCH
    result = run_stale(report, github_env, replace(fast_options, changed_lines=None), out, stale_reads=1)

    repo = "/repos/octo/gitops"
    reviews = [r for r in fake_github.log if r.key == ("POST", f"{repo}/pulls/7/reviews")]
    assert [r.status for r in reviews] == [422, 200]
    assert [(c["path"], c["line"]) for c in reviews[0].json["comments"]] == [(PATH, 13), (PATH, 12), (PATH, 7)]
    assert [(c["path"], c["line"]) for c in reviews[1].json["comments"]] == [(PATH, 13)]
    assert reviews[1].json["body"].endswith("prcheck: 1 finding on the changed lines.")
    between = fake_github.log[fake_github.log.index(reviews[0]) + 1 : fake_github.log.index(reviews[1])]
    assert [r.key for r in between] == [("GET", f"{repo}/pulls/7/files")]  # the diff is read again, once
    assert not any(r.key == ("POST", f"{repo}/pulls/7/comments") for r in fake_github.log)
    assert result.inline_created == 1
    assert "422 Unprocessable Entity (Pull request review thread line must be part of the diff" in result.notes[0]
    assert result.notes[-1] == "2 line comments not posted, listed in the summary instead"
    assert [(c["line"], c["body"].split("\n")[0]) for c in fake_github.review_comments.values()] == [
        (13, fingerprint_marker(ROFS.fingerprint))]
    summary = next(c["body"] for c in fake_github.issue_comments.values())
    assert "5 findings not commented inline (5 outside the changed lines)" in summary
    assert LATEST.message in summary and REPLICAS.message in summary and ROFS.message not in summary


def test_when_the_retry_is_refused_too_each_comment_goes_on_its_own(report, github_env, fast_options, fake_github,
                                                                     out):
    """The re-read diff is stale as well (a cache, a race): nothing tells which comment is
    at fault, so each is posted alone and only the ones the API refuses are left out."""
    fake_github.files[0]["patch"] = MOVED_PATCH
    result = run_stale(report, github_env, replace(fast_options, changed_lines=None), out, stale_reads=2)

    repo = "/repos/octo/gitops"
    tail = [r for r in fake_github.log if r.key in {("POST", f"{repo}/pulls/7/reviews"),
                                                      ("POST", f"{repo}/pulls/7/comments")}]
    assert [(r.line(), [c["line"] for c in r.json["comments"]] if r.path.endswith("reviews") else
             r.json["line"]) for r in tail] == [
        (f"422 POST {repo}/pulls/7/reviews", [13, 12, 7]),
        (f"201 POST {repo}/pulls/7/comments", 13),
        (f"422 POST {repo}/pulls/7/comments", 12),
        (f"422 POST {repo}/pulls/7/comments", 7),
    ]
    single = tail[1].json
    assert single["commit_id"] == "a" * 40 and single["side"] == "RIGHT" and single["path"] == PATH
    assert single["body"].startswith(fingerprint_marker(ROFS.fingerprint))
    assert result.inline_created == 1
    assert any("line comment on apps/web/deployment.yaml:12 refused" in n and
               "pull_request_review_thread.line must be part of the diff" in n for n in result.notes)
    summary = next(c["body"] for c in fake_github.issue_comments.values())
    assert "5 findings not commented inline" in summary and LATEST.message in summary
    # the next run finds the posted comment and leaves it alone
    fake_github.log.clear()
    second = run(report, github_env, replace(fast_options, changed_lines=None), out)
    assert second.inline_created == 0 and second.inline_kept == 1
    assert not any(r.method == "POST" and "/pulls/7/" in r.path for r in fake_github.log)


def test_a_token_that_cannot_write_check_runs_still_posts_the_rest(report, github_env, fast_options, fake_github, out):
    """A personal access token never writes check runs (only GitHub Apps do): the comments,
    the summary and the status still go out, and the findings become annotations."""
    from tests.publish.publish_fakes import ALICE, GitHubToken

    fake_github.tokens[TOKEN] = GitHubToken({**ALICE, "login": "ci-bot", "id": 5150}, app=False)
    result = run(report, github_env, fast_options, out)

    assert [r.status for r in fake_github.log if r.key == ("POST", "/repos/octo/gitops/check-runs")] == [403]
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("check run not posted: GitHub API: POST /repos/octo/gitops/check-runs: 403 "
                                         "You must authenticate via a GitHub App.")
    assert "the token needs `checks: write`" in result.warnings[0] and "a personal access token cannot" in result.warnings[0]
    assert (result.inline_created, result.summary, result.statuses) == (3, "created", ["prcheck"])
    assert all(c["user"]["login"] == "ci-bot" for c in fake_github.review_comments.values())
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("::warning title=prcheck::check run not posted")  # the reason first, then the findings
    assert "::error file=apps/web/deployment.yaml,line=13,title=prcheck k8s/writable-root-filesystem::" \
           "container web: set securityContext.readOnlyRootFilesystem: true (Deployment/shop/web)" in lines
    assert "::error title=prcheck render-failed::helm template failed: missing value image.tag [env prod]" in lines
    assert result.annotations == 6
    assert Path(github_env["GITHUB_STEP_SUMMARY"]).read_text() == SUMMARY + "\n"


def test_a_fork_token_writes_nothing_and_says_why(report, github_env, fast_options, fake_github, out, tmp_path):
    from tests.publish.publish_fakes import GitHubToken

    fake_github.default_token = GitHubToken(USER, writes=frozenset())
    event = json.loads(Path(github_env["GITHUB_EVENT_PATH"]).read_text())
    event["pull_request"]["head"]["repo"] = {"full_name": "mallory/gitops", "fork": True}
    Path(github_env["GITHUB_EVENT_PATH"]).write_text(json.dumps(event))

    result = run(report, github_env, fast_options, out)

    assert [w.split(":")[0] for w in result.warnings] == [
        "check run not posted", "review comments not posted", "summary comment not posted", "commit status not posted"]
    assert all("a pull request from a fork: GitHub gives its workflow a read-only token" in w for w in result.warnings)
    assert not fake_github.review_comments and not fake_github.issue_comments and not fake_github.statuses
    # every finding is still in the job summary, and annotated (at most 10 per level)
    assert Path(github_env["GITHUB_STEP_SUMMARY"]).read_text() == SUMMARY + "\n"
    assert result.fallback.startswith("check run not posted")


@pytest.mark.parametrize(("surface", "method", "path", "needs"), [
    ("review comments", "POST", r"/repos/octo/gitops/pulls/7/reviews", "`pull-requests: write`"),
    ("summary comment", "POST", r"/repos/octo/gitops/issues/7/comments", "`pull-requests: write`"),
    ("commit status", "POST", r"/repos/octo/gitops/statuses/a+", "`statuses: write`"),
])
def test_each_surface_fails_on_its_own(report, github_env, fast_options, fake_github, out, surface, method, path, needs):
    fake_github.fail(method, path, 403, {"message": "Resource not accessible by integration"})
    result = run(report, github_env, fast_options, out)
    assert len(result.warnings) == 1 and result.warnings[0].startswith(f"{surface} not posted: ")
    assert needs in result.warnings[0]
    assert result.check_run_id in fake_github.check_runs
    assert (surface == "commit status") != bool(fake_github.statuses)
    assert (surface == "summary comment") != bool(fake_github.issue_comments)


def test_a_read_only_token_outside_actions_warns_and_never_raises(report, github_env, fast_options, fake_github, out):
    fake_github.fail("POST", r"/repos/octo/gitops/check-runs", 403, {"message": "Resource not accessible by integration"})
    env = dict(github_env, GITHUB_ACTIONS="")
    result = run(report, env, fast_options, out)
    assert result.warnings[0].startswith("check run not posted") and out.getvalue() == ""  # no workflow commands
    assert result.statuses == ["prcheck"]


def test_502_then_200_is_retried(report, github_env, fast_options, fake_github, out):
    fake_github.fail("POST", r"/repos/octo/gitops/check-runs", 502, {"message": "Server Error"})
    result = run(report, github_env, fast_options, out)
    posts = [r for r in fake_github.log if r.key == ("POST", "/repos/octo/gitops/check-runs")]
    assert len(posts) == 2 and posts[0].json == posts[1].json
    assert len(fake_github.check_runs) == 1 and result.check_run_id in fake_github.check_runs


def test_429_honours_retry_after(report, github_env, fast_options, fake_github, out):
    fake_github.fail("GET", r"/repos/octo/gitops/pulls/7/files", 429, {"message": "Too Many Requests"}, {"Retry-After": "1"})
    started = time.monotonic()
    run(report, github_env, fast_options, out)
    assert time.monotonic() - started >= 0.9
    assert [r.key for r in fake_github.log].count(("GET", "/repos/octo/gitops/pulls/7/files")) == 2


def test_retry_after_is_capped(report, github_env, fast_options, fake_github, out):
    fake_github.fail("GET", r"/repos/octo/gitops/pulls/7/files", 429, {"message": "Too Many Requests"}, {"Retry-After": "3600"})
    started = time.monotonic()
    run(report, github_env, replace(fast_options, max_wait=0.2), out)
    assert time.monotonic() - started < 5


def test_secondary_rate_limit_is_retried_not_a_fallback(report, github_env, fast_options, fake_github, out):
    fake_github.fail("POST", r"/repos/octo/gitops/pulls/7/reviews", 403, {
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
    }, {"Retry-After": "0"})
    result = run(report, github_env, fast_options, out)
    assert not result.fallback and result.inline_created == 3
    assert [r.key for r in fake_github.log].count(("POST", "/repos/octo/gitops/pulls/7/reviews")) == 2


def test_persistent_5xx_ends_in_one_clear_line(report, github_env, fast_options, fake_github, out):
    fake_github.fail("POST", r"/repos/octo/gitops/issues/7/comments", 502, {"message": "Bad Gateway"}, times=10)
    result = run(report, github_env, fast_options, out)
    (message,) = result.warnings
    assert "\n" not in message
    assert message.startswith("summary comment not posted: GitHub API: POST /repos/octo/gitops/issues/7/comments: "
                              "gave up after 2 retries")
    assert [r.key for r in fake_github.log].count(("POST", "/repos/octo/gitops/issues/7/comments")) == 3
    # the status is still sent, and the results still reach the run's summary page
    assert result.statuses == ["prcheck"] and fake_github.statuses[0]["state"] == "failure"
    assert Path(github_env["GITHUB_STEP_SUMMARY"]).read_text() == SUMMARY + "\n"


def test_bodies_fit_the_65536_character_limit(report, github_env, fast_options, fake_github, out):
    huge = "## prcheck\n" + "\n".join(f"| row {n} | {'x' * 60} |" for n in range(4000))
    assert len(huge) > 200_000
    run(report, github_env, fast_options, out, summary=huge)

    check = fake_github.log[0].json["output"]["summary"]
    first, second = [r.json["body"] for r in fake_github.log if r.key == ("POST", "/repos/octo/gitops/issues/7/comments")]
    assert len(check) <= 65_535 and len(first) <= 65_536 and len(second) <= 65_536
    assert len(first) > 60_000 and first.startswith(SUMMARY_MARKER) and second.startswith("<!-- prcheck:summary:2 -->")
    assert "continued in the next comment" in first
    assert second.rstrip().endswith("the job log has the full report._")
    assert all(r.status < 400 for r in fake_github.log)  # the fake refuses bodies over the limit
    long_message = Report(findings=[replace(LATEST, message="y" * 100_000)])
    fake_github.log.clear()
    run(long_message, github_env, fast_options, out)
    edited = next(r.json["body"] for r in fake_github.log if r.method == "PATCH" and "/pulls/comments/" in r.path)
    assert 60_000 < len(edited) <= 65_536


def test_push_event_has_no_pull_request_steps(report, github_env, fast_options, fake_github, out, tmp_path):
    event = tmp_path / "push.json"
    event.write_text(json.dumps({"ref": "refs/heads/main", "after": "9" * 40}))
    env = dict(github_env, GITHUB_EVENT_NAME="push", GITHUB_EVENT_PATH=str(event))
    run(report, env, fast_options, out)
    assert [r.key for r in fake_github.log] == [
        ("POST", "/repos/octo/gitops/check-runs"), ("POST", f"/repos/octo/gitops/statuses/{'9' * 40}"),
    ]


def test_status_per_environment(github_env, fast_options, fake_github, out):
    report = Report(findings=[replace(LATEST, env="staging"), replace(ROFS, env="prod")])
    run(report, github_env, replace(fast_options, status_per_env=True), out, fail_on="error")
    statuses = {s["context"]: s["state"] for s in fake_github.statuses}
    assert statuses == {"prcheck": "failure", "prcheck/prod": "failure", "prcheck/staging": "success"}


def test_dry_run_prints_the_requests_a_real_run_sends(report, github_env, fast_options, fake_github, out, httpserver):
    options = replace(fast_options, changed_lines={PATH: [7, 12, 13, 14]})
    result = run(report, github_env, options, out, dry_run=True)

    assert fake_github.log == []  # nothing sent
    printed = [json.loads(line) for line in out.getvalue().splitlines()]
    assert printed == result.requests
    assert TOKEN not in out.getvalue()

    run(report, github_env, fast_options, out)
    prefix = fake_github.base
    sent = [(r.method, fake_github.base + r.path, r.json) for r in fake_github.log
            if r.method != "GET" and "graphql" not in r.path]
    planned = [(p["method"], p["url"], p["body"]) for p in printed if p["method"] != "GET" and "graphql" not in p["url"]]
    assert planned == sent
    assert all(p["url"].startswith(prefix) for p in printed if "graphql" not in p["url"])


def test_missing_token_is_one_clear_line(report, github_env, fast_options, fake_github, out):
    env = {k: v for k, v in github_env.items() if k != "GITHUB_TOKEN"}
    with pytest.raises(PublishError, match="set GITHUB_TOKEN or use --github-token"):
        run(report, env, fast_options, out)
    assert fake_github.log == []


def test_explicit_token_option_wins(report, github_env, fast_options, fake_github, out, httpserver):
    env = {k: v for k, v in github_env.items() if k != "GITHUB_TOKEN"}
    result = run(report, env, replace(fast_options, github_token=TOKEN), out)
    assert result.statuses == ["prcheck"]
    assert TOKEN not in out.getvalue()


def test_enterprise_api_url_is_used(report, github_env, fast_options, fake_github, out):
    assert fake_github.base.endswith("/api/v3")
    run(report, github_env, fast_options, out)
    assert fake_github.log  # every request above reached the /api/v3 prefix of the fake
