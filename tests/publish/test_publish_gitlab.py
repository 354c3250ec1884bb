"""python-gitlab against a local GitLab API: discussion positions, the sticky
note, resolving, commit status, retries and token handling."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from prcheck.model import Report
from prcheck.publish import PublishError, PublishOptions, publish
from prcheck.publish.base import SUMMARY_MARKER, Markers
from prcheck.publish.gitlab import JOB_TOKEN_CANNOT
from tests.publish.conftest import LATEST, PATH, REPLICAS, ROFS, finding
from tests.publish.publish_fakes import GL_BOT, FakeGitLab

fingerprint_marker = Markers().fingerprint

SUMMARY = "## prcheck\n\nsee below"
MR = "/api/v4/projects/42/merge_requests/3"


def run(report, env, options, out, **kw):
    return publish(
        report, kw.pop("platform", "gitlab"), summary_markdown=kw.pop("summary", SUMMARY), fail_on="error",
        dry_run=kw.pop("dry_run", False), options=options, environ=env, stdout=out,
    )


def state(api: FakeGitLab) -> tuple:
    discussions = sorted(
        (did, n["body"], n.get("resolved"), json.dumps(n.get("position"), sort_keys=True))
        for did, d in api.discussions.items() for n in d["notes"]
    )
    return discussions, sorted((nid, n["body"]) for nid, n in api.notes.items())


def test_first_run_sends_exactly_these_requests(report, gitlab_env, fast_options, fake_gitlab, out):
    result = run(report, gitlab_env, fast_options, out)

    assert [r.key for r in fake_gitlab.log] == [
        ("GET", "/api/v4/user"),  # whose threads and notes are prcheck's
        ("GET", MR),
        ("GET", f"{MR}/diffs"),
        ("GET", f"{MR}/discussions"),
        ("POST", f"{MR}/discussions"),
        ("POST", f"{MR}/discussions"),
        ("POST", f"{MR}/discussions"),
        ("GET", f"{MR}/notes"),
        ("POST", f"{MR}/notes"),
        ("GET", f"{MR}/notes"),  # a racing run's copy is dropped
        ("POST", f"/api/v4/projects/42/statuses/{'d' * 40}"),
    ]
    posted = [r.json for r in fake_gitlab.log if r.key == ("POST", f"{MR}/discussions")]
    assert [p["position"] for p in posted] == [
        {
            "position_type": "text", "base_sha": "c" * 40, "start_sha": "e" * 40, "head_sha": "d" * 40,
            "old_path": PATH, "new_path": PATH, "new_line": line,
        }
        for line in (13, 12, 7)
    ]
    assert posted[0]["body"].startswith(fingerprint_marker(ROFS.fingerprint))
    assert "```suggestion:-0+0\n          securityContext:\n            readOnlyRootFilesystem: true\n```" in posted[0]["body"]
    note = fake_gitlab.log[8].json["body"]
    assert note.startswith(SUMMARY_MARKER + "\n" + SUMMARY) and "3 findings not commented inline" in note
    assert fake_gitlab.log[10].json == {
        "state": "failed", "name": "prcheck/result", "description": "3 errors, 2 warnings, 1 info",
        "target_url": "https://gitlab.example/group/gitops/-/jobs/888", "pipeline_id": 777,
    }
    assert fake_gitlab.tokens_seen == {"glpat-" + "x" * 20}
    assert (result.inline_created, result.summary, result.statuses) == (3, "created", ["prcheck/result"])
    assert result.warnings == []


def test_three_identical_runs_leave_what_one_run_leaves(report, gitlab_env, fast_options, fake_gitlab, out):
    run(report, gitlab_env, fast_options, out)
    after_one = state(fake_gitlab)
    mark = len(fake_gitlab.log)
    for _ in range(2):
        result = run(report, gitlab_env, fast_options, out)
        assert (result.inline_created, result.inline_kept, result.inline_removed) == (0, 3, 0)
        assert result.summary == "unchanged"
    assert state(fake_gitlab) == after_one
    # the only writes are the status, which GitLab refuses to set to the state it has (400), and that is fine
    assert [r.key for r in fake_gitlab.log[mark:] if r.method != "GET"] == [
        ("POST", f"/api/v4/projects/42/statuses/{'d' * 40}"),
    ] * 2
    assert len(fake_gitlab.statuses) == 1


def test_gone_findings_are_resolved_and_returning_ones_reopened(report, gitlab_env, fast_options, fake_gitlab, out):
    run(report, gitlab_env, fast_options, out)
    by_fp = {d["notes"][0]["body"].split("\n")[0]: did for did, d in fake_gitlab.discussions.items()}
    rofs = by_fp[fingerprint_marker(ROFS.fingerprint)]
    fake_gitlab.log.clear()

    result = run(Report(findings=[LATEST, REPLICAS]), gitlab_env, fast_options, out)
    assert [(r.key, r.json) for r in fake_gitlab.log if r.method == "PUT" and "/discussions/" in r.path] == [
        (("PUT", f"{MR}/discussions/{rofs}"), {"resolved": True}),
    ]
    assert result.inline_removed == 1 and fake_gitlab.discussions[rofs]["notes"][0]["resolved"] is True

    fake_gitlab.log.clear()
    result = run(Report(findings=[LATEST, REPLICAS]), gitlab_env, fast_options, out)
    assert not [r for r in fake_gitlab.log if r.method == "PUT"]  # already resolved: nothing to do

    result = run(report, gitlab_env, fast_options, out)
    assert result.inline_reopened == 1 and fake_gitlab.discussions[rofs]["notes"][0]["resolved"] is False
    assert len(fake_gitlab.discussions) == 3


def test_sticky_note_is_edited_in_place(report, gitlab_env, fast_options, fake_gitlab, out):
    system = fake_gitlab.add_note(SUMMARY_MARKER + " mentioned in commit abc", system=True)
    old = fake_gitlab.add_note(SUMMARY_MARKER + "\nan older report", author=GL_BOT)
    result = run(report, gitlab_env, fast_options, out)
    assert result.summary == "edited"
    assert ("POST", f"{MR}/notes") not in [r.key for r in fake_gitlab.log]
    put = [r for r in fake_gitlab.log if r.key == ("PUT", f"{MR}/notes/{old}")]
    assert len(put) == 1 and put[0].json["body"].startswith(SUMMARY_MARKER + "\n" + SUMMARY)
    assert fake_gitlab.notes[system]["body"].endswith("mentioned in commit abc")


def test_job_token_alone_cannot_post(report, gitlab_env, fast_options, fake_gitlab, out):
    env = {k: v for k, v in gitlab_env.items() if k != "PRCHECK_GITLAB_TOKEN"}
    with pytest.raises(PublishError) as caught:
        run(report, env, fast_options, out)
    assert str(caught.value) == JOB_TOKEN_CANNOT and "CI_JOB_TOKEN cannot post" in str(caught.value)
    assert fake_gitlab.log == []


def test_prcheck_token_wins_over_gitlab_token(report, gitlab_env, fast_options, fake_gitlab, out):
    env = dict(gitlab_env, GITLAB_TOKEN="glpat-general")
    run(report, env, fast_options, out)
    assert fake_gitlab.tokens_seen == {"glpat-" + "x" * 20}
    env = {k: v for k, v in env.items() if k != "PRCHECK_GITLAB_TOKEN"}
    fake_gitlab.tokens_seen.clear()
    run(report, env, fast_options, out)
    assert fake_gitlab.tokens_seen == {"glpat-general"}


def test_502_then_200_is_retried(report, gitlab_env, fast_options, fake_gitlab, out):
    fake_gitlab.fail("POST", rf"{MR}/discussions", 502, {"message": "502 Bad Gateway"})
    result = run(report, gitlab_env, fast_options, out)
    assert [r.key for r in fake_gitlab.log].count(("POST", f"{MR}/discussions")) == 4
    assert result.inline_created == 3 and len(fake_gitlab.discussions) == 3


def test_persistent_failure_is_one_clear_line(report, gitlab_env, fast_options, fake_gitlab, out):
    fake_gitlab.fail("GET", rf"{MR}/diffs", 500, {"message": "500 Internal Server Error"}, times=10)
    result = run(report, gitlab_env, fast_options, out)
    assert result.warnings == [
        "threads not posted: GitLab API: GET /projects/42/merge_requests/3/diffs: gave up after 2 retries "
        "(too many 500 error responses)"
    ]
    # the note still lists every finding, and the status still goes out
    assert result.summary == "created" and result.statuses == ["prcheck/result"]
    assert ROFS.message in next(iter(fake_gitlab.notes.values()))["body"]


def test_forbidden_says_which_role_is_needed(report, gitlab_env, fast_options, fake_gitlab, out):
    fake_gitlab.fail("POST", rf"{MR}/discussions", 403, {"message": "403 Forbidden"})
    result = run(report, gitlab_env, fast_options, out)
    assert result.warnings[0].startswith("threads not posted: GitLab API: POST /projects/42/merge_requests/3/discussions: 403")
    assert "needs the `api` scope and at least the Reporter role" in result.warnings[0]


def test_context_lines_carry_old_line_in_diff_context_mode(gitlab_env, fast_options, fake_gitlab, out):
    on_context = finding("replicas-min", "info", 9, "spec on an unchanged line")
    run(Report(findings=[on_context]), gitlab_env, replace(fast_options, comment_scope="diff_context"), out)
    position = next(r.json["position"] for r in fake_gitlab.log if r.key == ("POST", f"{MR}/discussions"))
    assert (position["new_line"], position["old_line"]) == (9, 9)
    fake_gitlab.log.clear()
    run(Report(findings=[on_context]), gitlab_env, fast_options, out)  # "added" scope: summary only
    assert ("POST", f"{MR}/discussions") not in [r.key for r in fake_gitlab.log]


def test_renamed_file_keeps_its_old_path(gitlab_env, fast_options, fake_gitlab, out):
    fake_gitlab.add_diff("apps/new/app.yaml", "@@ -1,2 +1,2 @@\n kind: Service\n-x: 1\n+x: 2", old_path="apps/old/app.yaml")
    run(Report(findings=[finding("r", "error", 2, "m", path="apps/new/app.yaml")]), gitlab_env, fast_options, out)
    position = next(r.json["position"] for r in fake_gitlab.log if r.key == ("POST", f"{MR}/discussions"))
    assert (position["old_path"], position["new_path"], position["new_line"]) == ("apps/old/app.yaml", "apps/new/app.yaml", 2)


def test_older_gitlab_without_diffs_endpoint_uses_changes(report, gitlab_env, fast_options, fake_gitlab, out):
    fake_gitlab.fail("GET", rf"{MR}/diffs", 404, {"message": "404 Not Found"})
    result = run(report, gitlab_env, fast_options, out)
    assert ("GET", f"{MR}/changes") in [r.key for r in fake_gitlab.log]
    assert result.inline_created == 3


def test_a_refused_position_goes_to_the_note(report, gitlab_env, fast_options, fake_gitlab, out):
    fake_gitlab.fail("POST", rf"{MR}/discussions", 400, {"message": {"base": ["line_code must be a valid line code"]}})
    result = run(report, gitlab_env, fast_options, out)
    assert (result.inline_created, len(fake_gitlab.discussions)) == (2, 2)
    assert "400" in result.notes[0] and "line_code" in result.notes[0]
    note = next(r.json["body"] for r in fake_gitlab.log if r.key == ("POST", f"{MR}/notes"))
    assert "4 findings not commented inline" in note and ROFS.message in note


def test_note_fits_the_65536_character_limit(report, gitlab_env, fast_options, fake_gitlab, out):
    run(report, gitlab_env, fast_options, out, summary="x" * 300_000)
    bodies = [r.json["body"] for r in fake_gitlab.log if r.key == ("POST", f"{MR}/notes")]
    assert len(bodies) == 2 and all(60_000 < len(body) <= 65_536 for body in bodies)


def test_status_per_environment_and_branch_pipelines(gitlab_env, fast_options, fake_gitlab, out):
    env = {k: v for k, v in gitlab_env.items() if k != "CI_MERGE_REQUEST_IID"}
    report = Report(findings=[replace(ROFS, env="prod"), replace(LATEST, env="dev")])
    run(report, env, replace(fast_options, status_per_env=True), out)
    assert [r.key[0] for r in fake_gitlab.log] == ["POST"] * 3  # no merge request: statuses only
    assert {s["name"]: s["status"] for s in fake_gitlab.statuses} == {
        "prcheck/result": "failed", "prcheck/dev": "success", "prcheck/prod": "failed",
    }


def test_auto_detects_a_merge_request_pipeline(report, gitlab_env, fast_options, fake_gitlab, out):
    result = run(report, gitlab_env, fast_options, out, platform="auto")
    assert result.platform == "gitlab"


def test_dry_run_prints_the_requests_a_real_run_sends(report, gitlab_env, fast_options, fake_gitlab, out):
    env = dict(gitlab_env, CI_MERGE_REQUEST_DIFF_BASE_SHA="c" * 40)
    fake_gitlab.diff_refs["start_sha"] = "c" * 40  # the dry run knows one base SHA from the CI variables
    options = replace(fast_options, changed_lines={PATH: [7, 12, 13, 14]})
    result = run(report, env, options, out, dry_run=True)
    assert fake_gitlab.log == []
    printed = [json.loads(line) for line in out.getvalue().splitlines()]
    assert printed == result.requests and "glpat-" not in out.getvalue()

    run(report, env, fast_options, out)
    sent = [(r.method, fake_gitlab.base + r.path, r.json) for r in fake_gitlab.log if r.method != "GET"]
    planned = [(p["method"], p["url"], p["body"]) for p in printed if p["method"] != "GET"]
    assert planned == sent


def test_dry_run_needs_no_token(report, gitlab_env, out):
    env = {k: v for k, v in gitlab_env.items() if k not in ("PRCHECK_GITLAB_TOKEN", "CI_JOB_TOKEN")}
    result = run(report, env, PublishOptions(), out, dry_run=True)
    assert result.dry_run and result.requests[-1]["method"] == "POST"
