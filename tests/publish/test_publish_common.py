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
    cap,
    fingerprint_marker,
    is_summary,
    marker_fingerprint,
    plan_inline,
    summary_body,
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
    body = fingerprint_marker("abc123") + "\n**error**"
    assert marker_fingerprint(body) == "abc123"
    assert marker_fingerprint("> " + body) is None
    assert marker_fingerprint("thanks\n" + body) is None
    assert is_summary(SUMMARY_MARKER + "\nx") and not is_summary("quote: " + SUMMARY_MARKER)


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
    body = summary_body("# report", [LATEST, REPLICAS], total_inline=1)
    assert body.startswith(SUMMARY_MARKER + "\n# report\n")
    assert "<details><summary>2 findings outside the changed lines</summary>" in body
    assert "| warning | `image-tag-latest` | `apps/web/deployment.yaml:12` |" in body
    assert summary_body("# report", [], 0) == SUMMARY_MARKER + "\n# report\n"


def test_pipe_in_message_does_not_break_the_table():
    odd = finding("r", "info", 1, "a | b\nc")
    assert "| a \\| b c |" in summary_body("", [odd], 0)


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
    namespaced = replace(ROFS, rule="K8S/Read_Only_Root_Filesystem")
    assert suggestion_for(namespaced, checkout) == suggestion_for(ROFS, checkout)
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
