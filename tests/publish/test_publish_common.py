"""The platform-neutral pieces: diff hunks, inline planning, markers, the body
cap, platform detection, suggestions and workflow-command escaping."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from prcheck.model import Finding
from prcheck.publish import PublishError, detect_platform
from prcheck.publish.base import (
    BODY_LIMIT,
    SUMMARY_MARKER,
    Markers,
    cap,
    open_blocks,
    plan_inline,
    summary_bodies,
    valid_name,
)
from prcheck.publish.diffparse import parse_patch
from prcheck.publish.suggestions import security_context_field, suggestion_for
from prcheck.publish.workflow import annotation_command, append_step_summary, escape_property
from tests.publish.conftest import LATEST, MANIFEST, PATH, REPLICAS, ROFS, finding


def test_patch_lines_across_hunks():
    patch = (
        "diff --git a/x.yaml b/x.yaml\n--- a/x.yaml\n+++ b/x.yaml\n"
        "@@ -1,3 +1,3 @@\n a: 1\n-b: 1\n+b: 2\n c: 3\n"
        "@@ -10,2 +10,4 @@ spec:\n x: 1\n+y: 2\n+++z: 3\n w: 4\n\\ No newline at end of file"
    )
    lines = parse_patch(patch)
    assert lines.added == {2, 11, 12}
    assert dict(lines.context) == {1: 1, 3: 3, 10: 10, 13: 11}
    assert lines.commentable("added") == {2, 11, 12}
    assert lines.commentable("diff_context") == {1, 2, 3, 10, 11, 12, 13}


def test_patch_of_a_deletion_or_none_has_no_added_line():
    assert parse_patch("@@ -1,2 +0,0 @@\n-a\n-b").added == frozenset()
    assert parse_patch(None).added == frozenset()


def test_plan_inline_dedupes_caps_and_orders():
    same_fp = replace(LATEST, line=14)
    commentable = {PATH: frozenset({7, 12, 13, 14})}
    plan = plan_inline([REPLICAS, same_fp, LATEST, ROFS], commentable, max_inline=2)
    assert plan.inline == [ROFS, LATEST]  # errors first, then by line; one per fingerprint
    assert plan.outside == [REPLICAS]  # over the cap; the repeat of LATEST is not listed twice


def test_plan_inline_normalises_paths():
    dotted = finding("r", "error", 7, "m", path="./apps\\web/deployment.yaml")
    assert plan_inline([dotted], {PATH: frozenset({7})}, 50).inline == [dotted]


def test_markers_only_count_at_the_start():
    markers = Markers()
    body = markers.fingerprint("abc123") + "\n**error**"
    assert markers.fingerprint_of(body) == "abc123"
    assert markers.fingerprint_of("> " + body) is None
    assert markers.fingerprint_of("thanks\n" + body) is None
    assert markers.summary_part(SUMMARY_MARKER + "\nx") == 1 and markers.summary_part("quote: " + SUMMARY_MARKER) is None
    assert SUMMARY_MARKER == "<!-- prcheck:summary -->"  # what earlier versions wrote: upgrades find it


def test_markers_are_namespaced_by_name():
    default, infra = Markers(), Markers("infra/prod")
    assert infra.summary() == "<!-- prcheck@infra/prod:summary -->" and infra.summary(2) == "<!-- prcheck@infra/prod:summary:2 -->"
    for own, other in ((default, infra), (infra, default)):
        assert own.fingerprint_of(own.fingerprint("f1")) == "f1" and other.fingerprint_of(own.fingerprint("f1")) is None
        assert own.summary_part(own.summary(2)) == 2 and other.summary_part(own.summary()) is None
    assert Markers("infra").summary_part(infra.summary()) is None  # a prefix of another name is not that name


@pytest.mark.parametrize("name", ["", "-x", "a b", "x" * 65, "a-->b", "名"])
def test_names_that_cannot_be_markers_are_refused(name):
    with pytest.raises(PublishError, match="--name"):
        valid_name(name)


def test_cap_cuts_at_a_line_end_and_says_so():
    body = "\n".join("line %05d" % n for n in range(20_000))
    capped = cap(body)
    assert len(capped) <= BODY_LIMIT
    kept = capped.split("\n\n_…")[0]
    assert kept.split("\n")[-1] == "line %05d" % (len(kept.split("\n")) - 1)  # no half line
    assert capped.endswith("the job log has the full report._")
    assert cap("short") == "short"
    exact = "x" * BODY_LIMIT
    assert cap(exact) == exact


def test_summary_lists_outside_findings_folded():
    (body,) = summary_bodies("# report", [LATEST, REPLICAS], total_inline=1)
    assert body.startswith(SUMMARY_MARKER + "\n# report\n")
    assert "<details><summary>2 findings not commented inline (2 outside the changed lines)" in body
    assert "| warning | `k8s/image-latest-tag` | `apps/web/deployment.yaml:12` |" in body
    assert summary_bodies("# report", [], 0) == [SUMMARY_MARKER + "\n# report"]
    assert summary_bodies("# report", [], 0, footer="<sub>x</sub>") == [SUMMARY_MARKER + "\n# report\n\n<sub>x</sub>"]


def test_pipe_in_message_does_not_break_the_table():
    odd = finding("r", "info", 1, "a | b\nc")
    assert "| a \\| b c |" in summary_bodies("", [odd], 0)[0]


def big_markdown(folds: int = 30, rows: int = 400) -> str:
    """Many environments, each a fold holding a long diff in a code fence."""
    parts = ["## prcheck", "", "❌ **prcheck failed**"]
    for n in range(folds):
        parts += [f"<details><summary>env {n}</summary>", "", "```diff", *(f"+  line {n}.{r}" for r in range(rows)), "```",
                  "", "</details>"]
    return "\n".join(parts)


def test_a_summary_too_long_for_one_comment_goes_on_in_a_second():
    text = big_markdown(folds=15)
    assert 65_536 < len(text) < 2 * 60_000
    bodies = summary_bodies(text, [], 0, Markers("infra"))
    assert len(bodies) == 2
    assert bodies[0].startswith("<!-- prcheck@infra:summary -->\n") and bodies[1].startswith("<!-- prcheck@infra:summary:2 -->\n")
    for body in bodies:
        assert len(body) <= BODY_LIMIT
        assert open_blocks(body) == ("", 0)  # every fence and fold closed
        assert body.count("<details>") == body.count("</details>")
    assert "continued in the next comment" in bodies[0]
    joined = bodies[0] + bodies[1]
    assert all(f"+  line {n}.399" in joined for n in range(15))  # nothing lost across the split


def test_a_summary_too_long_for_two_comments_is_cut_well_formed():
    bodies = summary_bodies(big_markdown(folds=40), [LATEST] * 3, 1)
    assert len(bodies) == 2
    for body in bodies:
        assert len(body) <= BODY_LIMIT and open_blocks(body) == ("", 0)
    assert bodies[1].rstrip().endswith("the job log has the full report._")


def test_cap_closes_what_the_cut_leaves_open():
    text = "<details><summary>x</summary>\n\n```yaml\n" + "\n".join("k: v" for _ in range(30_000)) + "\n```\n</details>"
    capped = cap(text)
    assert len(capped) <= BODY_LIMIT and open_blocks(capped) == ("", 0)
    assert "</details>" in capped.split("```\n")[-1]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": "/e.json"}, "github"),
        ({"GITLAB_CI": "true", "CI_MERGE_REQUEST_IID": "3"}, "gitlab"),
    ],
)
def test_auto_detection(env, expected):
    assert detect_platform("auto", env) == expected
    assert detect_platform("github", {}) == "github"


def test_auto_outside_ci_is_a_clear_error():
    with pytest.raises(PublishError, match="not running in GitHub Actions"):
        detect_platform("auto", {})
    with pytest.raises(PublishError, match="not a merge request pipeline"):
        detect_platform("auto", {"GITLAB_CI": "true"})
    with pytest.raises(PublishError, match="unknown --publish value 'bitbucket'"):
        detect_platform("bitbucket", {})


ROFS_FIX = security_context_field("readOnlyRootFilesystem", "true")


def lines_of(text: str) -> list[str]:
    return text.split("\n")


def at(line: int) -> Finding:
    return replace(ROFS, line=line)


def test_suggestion_adds_the_key_under_security_context():
    assert ROFS_FIX(at(13), lines_of(MANIFEST)) == "          securityContext:\n            readOnlyRootFilesystem: true"


def test_suggestion_flips_a_wrong_value_and_keeps_a_right_one():
    text = "spec:\n  securityContext:\n    readOnlyRootFilesystem: false  # temporary\n"
    assert ROFS_FIX(at(3), lines_of(text)) == "    readOnlyRootFilesystem: true"
    assert ROFS_FIX(at(3), lines_of(text.replace("false", "true"))) is None


def test_suggestion_on_a_container_without_security_context():
    text = "containers:\n  - name: web\n    image: nginx\n  - name: side\n"
    assert ROFS_FIX(at(2), lines_of(text)) == "  - name: web\n    securityContext:\n      readOnlyRootFilesystem: true"
    has_one = "containers:\n  - name: web\n    securityContext:\n      runAsUser: 1\n"
    assert ROFS_FIX(at(2), lines_of(has_one)) is None  # a second securityContext key would be invalid YAML


def test_suggestion_for_empty_mapping_and_unknown_lines():
    assert ROFS_FIX(at(1), ["securityContext: {}"]) == "securityContext:\n  readOnlyRootFilesystem: true"
    assert ROFS_FIX(at(1), ["image: nginx"]) is None
    assert ROFS_FIX(at(99), ["image: nginx"]) is None


def test_suggestion_lookup_by_rule_id_and_file(checkout: Path):
    assert suggestion_for(ROFS, checkout) is not None
    assert suggestion_for(replace(ROFS, rule="main/writable-root-filesystem"), checkout) is None  # only the pack's rule
    assert suggestion_for(LATEST, checkout) is None  # no fix known for a mutable tag
    escaping = replace(ROFS, path="../outside.yaml")
    (checkout.parent / "outside.yaml").write_text("securityContext:\n")
    assert suggestion_for(escaping, checkout) is None


def test_workflow_commands_are_escaped():
    odd = finding("a,b", "warning", 3, "50% done\nnext", path="dir:x/f,g.yaml")
    assert annotation_command(odd) == (
        "::warning file=dir%3Ax/f%2Cg.yaml,line=3,title=prcheck a%2Cb::50%25 done%0Anext (Deployment/shop/web)"
    )
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"


def test_step_summary_needs_the_variable(tmp_path: Path):
    assert append_step_summary("", "x") is False
    target = tmp_path / "summary.md"
    assert append_step_summary(str(target), "# one") and append_step_summary(str(target), "# two\n")
    assert target.read_text() == "# one\n# two\n"


@pytest.mark.parametrize("port", range(30_000, 40_000, 97))
def test_dry_run_urls_stay_readable_on_any_port(port):
    from prcheck.publish.dryrun import shown_url

    url = f"http://localhost:{port}/api/v4/projects/42/merge_requests/3/discussions"
    assert shown_url(url) == url


def test_dry_run_urls_hide_userinfo_and_query_tokens():
    from prcheck.publish.dryrun import shown_url

    token = "ghp_" + "A1b2C3d4" * 5
    assert shown_url(f"https://x-access-token:{token}@api.github.example/repos/o/r") == \
        "https://<masked>@api.github.example/repos/o/r"
    assert token not in shown_url(f"https://gitlab.example/api/v4/user?private_token={token}")
