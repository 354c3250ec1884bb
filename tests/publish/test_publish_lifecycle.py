"""The life of a pull request as reviewers see it: several prcheck jobs sharing
it, other people's comments that look like prcheck's, runs that race or are
overtaken by a push, and tokens whose role or permissions cover only part of
what prcheck posts. Each runs against the stateful fakes, over several runs."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

from prcheck.model import Report
from prcheck.publish import publish
from prcheck.publish.base import SUMMARY_MARKER, Markers
from tests.publish.conftest import LATEST, PATH, REPLICAS, ROFS
from tests.publish.publish_fakes import ALICE, GL_ALICE, USER

SUMMARY = "## prcheck\n\nfindings below"
MR = "/api/v4/projects/42/merge_requests/3"


def run(report, env, options, out, platform="github", **kw):
    return publish(report, platform, summary_markdown=kw.pop("summary", SUMMARY), fail_on="error",
                   options=options, environ=env, stdout=out)


def own_bodies(comments: dict, user: dict) -> list[str]:
    return sorted(c["body"] for c in comments.values() if c["user"]["id"] == user["id"])


# ---- GitHub ----------------------------------------------------------------------------------------


def test_two_jobs_with_different_names_leave_each_other_alone(report, github_env, fast_options, fake_github, out):
    infra = replace(fast_options, name="infra")
    run(report, github_env, fast_options, out)
    run(Report(findings=[LATEST]), github_env, infra, out)
    first = {cid: c["body"] for cid, c in fake_github.review_comments.items() if c["body"].startswith("<!-- prcheck:")}

    # the default job's findings are fixed; the infra job runs again with its one finding
    run(Report(findings=[]), github_env, fast_options, out)
    run(Report(findings=[LATEST]), github_env, infra, out)

    names = {run["name"] for run in fake_github.check_runs.values()}
    assert names == {"prcheck", "infra"}
    assert {s["context"] for s in fake_github.statuses} == {"prcheck", "infra"}
    assert len(first) == 3  # the default job's three; infra's sits under its own marker
    remaining = [c["body"] for c in fake_github.review_comments.values()]
    assert [b.split("\n")[0] for b in remaining] == [Markers("infra").fingerprint(LATEST.fingerprint)]
    summaries = sorted(c["body"].split("\n")[0] for c in fake_github.issue_comments.values())
    assert summaries == ["<!-- prcheck:summary -->", "<!-- prcheck@infra:summary -->"]
    infra_check = [r for r in fake_github.check_runs.values() if r["name"] == "infra"]
    assert all(r["conclusion"] == "success" for r in infra_check)  # LATEST is a warning


def test_comments_that_only_look_like_prcheck_are_never_taken_as_its_own(report, github_env, fast_options, fake_github,
                                                                         out):
    """A pull request author can compute a fingerprint offline and post its marker first."""
    markers = Markers()
    spoof_line = fake_github.add_review_comment(PATH, 13, markers.fingerprint(ROFS.fingerprint) + "\nnothing to see",
                                                user=ALICE)
    spoof_summary = fake_github.add_issue_comment(SUMMARY_MARKER + "\n✅ all fine", user=ALICE)

    result = run(report, github_env, fast_options, out)

    assert (result.inline_created, result.inline_kept) == (3, 0)
    assert fake_github.review_comments[spoof_line]["body"].endswith("nothing to see")  # not edited, not deleted
    assert fake_github.issue_comments[spoof_summary]["body"] == SUMMARY_MARKER + "\n✅ all fine"
    assert result.summary == "created" and len(own_bodies(fake_github.issue_comments, USER)) == 1
    assert all(r.status < 400 for r in fake_github.log)  # it never even tried to touch them

    fake_github.log.clear()
    run(Report(findings=[]), github_env, fast_options, out)  # everything fixed: only its own comments go
    assert spoof_line in fake_github.review_comments and spoof_summary in fake_github.issue_comments
    assert not own_bodies(fake_github.review_comments, USER)


def test_a_run_overtaken_by_a_push_leaves_comments_to_the_newer_run(report, github_env, fast_options, fake_github, out):
    run(report, github_env, fast_options, out)
    before = {cid: c["body"] for cid, c in fake_github.review_comments.items()}
    summary_before = [c["body"] for c in fake_github.issue_comments.values()]
    fake_github.move_head("b" * 40, fake_github.files)  # a new commit landed while this run was checking

    result = run(Report(findings=[REPLICAS]), github_env, fast_options, out)

    assert {cid: c["body"] for cid, c in fake_github.review_comments.items()} == before
    assert [c["body"] for c in fake_github.issue_comments.values()] == summary_before
    assert "moved on to bbbbbbbbbbbb" in result.notes[0]
    assert result.statuses == ["prcheck"]  # the status and check run belong to the commit it checked


def test_racing_runs_converge_on_one_summary_and_one_comment_per_finding(report, github_env, fast_options, fake_github,
                                                                         out):
    import io

    start = threading.Barrier(2)

    def one() -> None:
        start.wait()
        run(report, github_env, fast_options, io.StringIO())

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run(report, github_env, fast_options, out)  # a third run finds one of each, whatever the interleaving was

    assert len(own_bodies(fake_github.issue_comments, USER)) == 1
    lines = sorted((c["path"], c["line"]) for c in fake_github.review_comments.values())
    assert lines == [(PATH, 7), (PATH, 12), (PATH, 13)]


def test_outdated_comments_with_replies_are_kept_marked_fixed(report, github_env, fast_options, fake_github, out):
    """A push moves the finding's line out of the diff: the API shows the comment with
    `line: null`; nobody replied to LATEST's (deleted), someone replied to ROFS's (kept)."""
    run(report, github_env, fast_options, out)
    by_fp = {Markers().fingerprint_of(c["body"]): cid for cid, c in fake_github.review_comments.items()}
    fake_github.replies_to(by_fp[ROFS.fingerprint], "why is this needed?")
    fake_github.move_head("c" * 40, [dict(fake_github.files[0], patch="@@ -7 +7 @@\n-  replicas: 1\n+  replicas: 2")])
    event_path = Path(github_env["GITHUB_EVENT_PATH"])
    event = json.loads(event_path.read_text())
    event["pull_request"]["head"]["sha"] = "c" * 40
    event_path.write_text(json.dumps(event))

    result = run(Report(findings=[REPLICAS]), github_env, fast_options, out)

    assert (result.inline_kept, result.inline_removed, result.inline_fixed) == (1, 1, 1)
    assert by_fp[LATEST.fingerprint] not in fake_github.review_comments
    kept = fake_github.review_comments[by_fp[ROFS.fingerprint]]
    assert "<!-- prcheck:fixed -->" in kept["body"] and kept["minimized"] is True


def test_annotations_over_50_and_bodies_over_the_limit_are_refused_by_the_fake(github_env, fake_github):
    """The fake refuses what GitHub refuses, so the publisher tests above mean something."""
    import requests

    base = fake_github.base
    auth = {"Authorization": "token x"}
    run_body = {"name": "x", "head_sha": "a" * 40, "output": {"title": "t", "summary": "s",
                                                            "annotations": [{"path": "a", "start_line": 1}] * 51}}
    assert requests.post(f"{base}/repos/octo/gitops/check-runs", json=run_body, headers=auth).status_code == 422
    long = {"body": "x" * 65_537}
    assert requests.post(f"{base}/repos/octo/gitops/issues/7/comments", json=long, headers=auth).status_code == 422
    review = {"commit_id": "a" * 40, "event": "COMMENT", "body": "",
              "comments": [{"path": PATH, "line": 1, "side": "RIGHT", "body": "outside the diff"}]}
    assert requests.post(f"{base}/repos/octo/gitops/pulls/7/reviews", json=review, headers=auth).status_code == 422
    assert requests.get(f"{base}/user", headers=auth).status_code == 403  # an installation token has no /user


# ---- GitLab ----------------------------------------------------------------------------------------


def test_gitlab_reporter_token_posts_threads_and_note_and_warns_for_the_rest(report, gitlab_env, fast_options,
                                                                            fake_gitlab, out):
    env = dict(gitlab_env, PRCHECK_GITLAB_TOKEN="glpat-reporter-" + "x" * 10)
    first = run(report, env, fast_options, out, platform="gitlab")
    assert first.inline_created == 3 and first.summary == "created"
    assert first.warnings == [
        "commit status not posted: GitLab API: POST /projects/42/statuses/" + "d" * 40 + ": 403 403 Forbidden "
        "(commit statuses need the Developer role (Maintainer on protected branches))"
    ]

    second = run(Report(findings=[LATEST, REPLICAS]), env, fast_options, out, platform="gitlab")
    assert second.inline_removed == 0  # a Reporter cannot resolve: the thread stays open, and it says so
    assert any("not resolved" in w and "resolving threads needs the Developer role" in w for w in second.warnings)
    assert second.summary == "edited"


def test_gitlab_protected_branch_status_needs_maintainer(report, gitlab_env, fast_options, fake_gitlab, out):
    fake_gitlab.protected_ref = True
    result = run(report, gitlab_env, fast_options, out, platform="gitlab")
    assert result.statuses == [] and "Maintainer on protected branches" in result.warnings[0]
    assert result.inline_created == 3


def test_gitlab_foreign_notes_and_threads_are_not_prcheck_s(report, gitlab_env, fast_options, fake_gitlab, out):
    markers = Markers()
    fake_gitlab.add_note(SUMMARY_MARKER + "\n✅ fine", author=GL_ALICE)
    spoof = fake_gitlab.add_discussion(markers.fingerprint(ROFS.fingerprint) + "\nignore", PATH, 13, author=GL_ALICE)
    result = run(report, gitlab_env, fast_options, out, platform="gitlab")
    assert (result.inline_created, result.inline_kept, result.summary) == (3, 0, "created")
    assert fake_gitlab.discussions[spoof]["notes"][0]["body"].endswith("ignore")
    run(Report(findings=[]), gitlab_env, fast_options, out, platform="gitlab")
    assert fake_gitlab.discussions[spoof]["notes"][0].get("resolved") is False  # never resolved by prcheck


def test_gitlab_two_names_and_thread_with_reply_resolved_not_deleted(report, gitlab_env, fast_options, fake_gitlab, out):
    infra = replace(fast_options, name="infra")
    run(report, gitlab_env, fast_options, out, platform="gitlab")
    run(Report(findings=[LATEST]), gitlab_env, infra, out, platform="gitlab")
    rofs = next(did for did, d in fake_gitlab.discussions.items()
                if d["notes"][0]["body"].startswith(Markers().fingerprint(ROFS.fingerprint)))
    fake_gitlab.reply(rofs, "done?")

    run(Report(findings=[]), gitlab_env, fast_options, out, platform="gitlab")

    infra_threads = [d for d in fake_gitlab.discussions.values() if d["notes"][0]["body"].startswith("<!-- prcheck@infra:")]
    assert len(infra_threads) == 1 and infra_threads[0]["notes"][0]["resolved"] is False
    assert fake_gitlab.discussions[rofs]["notes"][0]["resolved"] is True
    assert [n["body"] for n in fake_gitlab.discussions[rofs]["notes"]][1] == "done?"
    assert {s["name"] for s in fake_gitlab.statuses} == {"prcheck/result", "infra/result"}
