"""Choosing surfaces: each can be switched off, line comments are capped, and a pull
request that never had findings gets no summary comment unless asked for one.

Asserted on the exact requests the fake GitHub and GitLab APIs receive."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from prcheck.model import Report
from prcheck.publish import publish
from tests.publish.conftest import ROFS

REPO = "/repos/octo/gitops"
MR = "/api/v4/projects/42/merge_requests/3"
SUMMARY = "## prcheck\n\nsee below"


def run(report, env, options, out, platform="github"):
    return publish(report, platform, summary_markdown=SUMMARY, fail_on="error", options=options, environ=env,
                   stdout=out)


def keys(api) -> list[tuple[str, str]]:
    return [r.key for r in api.log]


@pytest.mark.parametrize("surface, gone", [
    ("check-run", [("POST", f"{REPO}/check-runs")]),
    ("review-comments", [("GET", f"{REPO}/pulls/7/files"), ("GET", f"{REPO}/pulls/7/comments"),
                         ("POST", f"{REPO}/pulls/7/reviews")]),
    ("commit-status", [("POST", f"{REPO}/statuses/{'a' * 40}")]),
])
def test_github_surface_switched_off_sends_nothing_for_it(report, github_env, fast_options, fake_github, out,
                                                          surface, gone):
    run(report, github_env, fast_options, out)
    full = keys(fake_github)
    fake_github.log.clear()
    fake_github.review_comments.clear()
    fake_github.issue_comments.clear()
    result = run(report, github_env, replace(fast_options, off=frozenset({surface})), out)
    assert keys(fake_github) == [k for k in full if k not in gone]
    assert result.warnings == []
    assert Path(github_env["GITHUB_STEP_SUMMARY"]).read_text().count(SUMMARY) == 2  # the job summary stays on


def test_github_review_off_lists_every_finding_in_the_summary(report, github_env, fast_options, fake_github, out):
    run(report, github_env, replace(fast_options, off=frozenset({"review-comments"})), out)
    assert fake_github.review_comments == {}
    (summary,) = [c["body"] for c in fake_github.issue_comments.values()]
    assert "6 findings not commented inline</summary>" in summary


def test_github_job_summary_and_fallback_annotations_off(report, github_env, fast_options, fake_github, out):
    run(report, github_env, replace(fast_options, off=frozenset({"job-summary", "check-run"})), out)
    assert Path(github_env["GITHUB_STEP_SUMMARY"]).read_text() == ""
    assert "::error" not in out.getvalue()  # switched off is not "could not write": no annotations instead


def test_max_comments_caps_line_comments_and_says_how_many_were_left_out(report, github_env, fast_options,
                                                                          fake_github, out):
    result = run(report, github_env, replace(fast_options, max_inline=1), out)
    (review,) = [r.json for r in fake_github.log if r.key == ("POST", f"{REPO}/pulls/7/reviews")]
    assert [(c["line"]) for c in review["comments"]] == [ROFS.line]  # the most severe first
    (summary,) = [c["body"] for c in fake_github.issue_comments.values()]
    assert ("<details><summary>5 findings not commented inline (2 over the limit of 1 comments; "
            "3 outside the changed lines)</summary>") in summary
    assert result.inline_created == 1


def test_max_comments_zero_posts_no_review(report, github_env, fast_options, fake_github, out):
    run(report, github_env, replace(fast_options, max_inline=0), out)
    assert ("POST", f"{REPO}/pulls/7/reviews") not in keys(fake_github)
    (summary,) = [c["body"] for c in fake_github.issue_comments.values()]
    assert "6 findings not commented inline (3 over the limit of 0 comments; 3 outside the changed lines)" in summary


def test_a_clean_pull_request_that_never_had_findings_gets_no_summary(github_env, fast_options, fake_github, out):
    result = run(Report(), github_env, fast_options, out)
    assert [k for k in keys(fake_github) if k[0] != "GET"] == [
        ("POST", f"{REPO}/check-runs"), ("POST", "/api/graphql"), ("POST", f"{REPO}/statuses/{'a' * 40}")]
    assert ("GET", f"{REPO}/issues/7/comments") in keys(fake_github)  # it looked for an earlier one
    assert fake_github.issue_comments == {} and result.summary == "not needed"


def test_a_summary_posted_before_is_still_updated_when_the_findings_go(report, github_env, fast_options, fake_github,
                                                                       out):
    run(report, github_env, fast_options, out)
    (cid,) = fake_github.issue_comments
    fake_github.log.clear()
    result = run(Report(), github_env, fast_options, out)
    assert ("PATCH", f"{REPO}/issues/comments/{cid}") in keys(fake_github)
    assert result.summary == "edited" and SUMMARY in fake_github.issue_comments[cid]["body"]


def test_summary_always_and_never(report, github_env, fast_options, fake_github, out):
    run(Report(), github_env, replace(fast_options, summary_comment="always"), out)
    assert len(fake_github.issue_comments) == 1
    fake_github.log.clear()
    run(report, github_env, replace(fast_options, summary_comment="never"), out)
    assert not any("/issues/" in path for _, path in keys(fake_github))
    assert len(fake_github.review_comments) == 3  # the line comments still go out


@pytest.mark.parametrize("surface, gone", [
    ("review-comments", [("GET", f"{MR}/diffs"), ("GET", f"{MR}/discussions"), ("POST", f"{MR}/discussions")]),
    ("commit-status", [("POST", f"/api/v4/projects/42/statuses/{'d' * 40}")]),
])
def test_gitlab_surface_switched_off_sends_nothing_for_it(report, gitlab_env, fast_options, fake_gitlab, out,
                                                          surface, gone):
    run(report, gitlab_env, fast_options, out, "gitlab")
    full = keys(fake_gitlab)
    fake_gitlab.log.clear()
    fake_gitlab.discussions.clear()
    fake_gitlab.notes.clear()
    result = run(report, gitlab_env, replace(fast_options, off=frozenset({surface})), out, "gitlab")
    assert keys(fake_gitlab) == [k for k in full if k not in gone] and result.warnings == []


def test_gitlab_max_comments_and_clean_merge_request(report, gitlab_env, fast_options, fake_gitlab, out):
    run(report, gitlab_env, replace(fast_options, max_inline=2), out, "gitlab")
    assert sum(1 for k in keys(fake_gitlab) if k == ("POST", f"{MR}/discussions")) == 2
    (note,) = [n["body"] for n in fake_gitlab.notes.values()]
    assert "4 findings not commented inline (1 over the limit of 2 comments; 3 outside the changed lines)" in note
    fake_gitlab.notes.clear()
    fake_gitlab.discussions.clear()
    fake_gitlab.log.clear()
    result = run(Report(), gitlab_env, fast_options, out, "gitlab")
    assert ("POST", f"{MR}/notes") not in keys(fake_gitlab) and result.summary == "not needed"


def test_check_and_merge_take_the_same_surface_flags(tmp_path):
    """`prcheck merge --publish` (sharded runs) publishes with the same switches as `check`."""
    import json
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "--quiet", str(root)], check=True)
    (root / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                                   "    - {name: c, image: nginx:1.27, securityContext: {privileged: true}}\n")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "a" * 40}}}))
    env = {**os.environ, "PYTHONPATH": str(repo), "GITHUB_REPOSITORY": "octo/gitops", "GITHUB_EVENT_PATH": str(event),
           "GITHUB_SHA": "a" * 40, "GITHUB_API_URL": "https://api.github.example"}

    def cli(*args: str) -> list[dict]:
        done = subprocess.run([sys.executable, "-m", "prcheck", *args], cwd=root, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode in (0, 1), done.stderr
        return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]

    flags = ["--publish", "github", "--dry-run", "--no-publish", "check-run", "--no-publish", "commit-status",
             "--summary-comment", "always", "--max-comments", "0"]
    checked = cli("check", "--fail-on", "never", "--format", "json", "-o", str(tmp_path / "s.json"), *flags, ".")
    cli("check", "--shard", "1/1", "--fail-on", "never", "--format", "json", "-o", str(tmp_path / "shard.json"), ".")
    merged = cli("merge", str(tmp_path / "shard.json"), "--fail-on", "never", *flags)
    for requests in (checked, merged):
        calls = [(r["method"], r["url"].split("/repos/octo/gitops")[-1]) for r in requests]
        assert not any("check-runs" in url or "statuses" in url or url.endswith("/reviews") for _, url in calls)
        assert ("POST", "/issues/7/comments") in calls
        (summary,) = [r["body"]["body"] for r in requests if r["url"].endswith("/issues/7/comments") and r["body"]]
        assert "k8s/privileged-container" in summary
