"""The base of every CI event, on real clones made the way the platforms make
them, against an origin whose target branch moved on after the pull request
branched (a privileged Pod landed there): the right base never lets that Pod
count as the pull request's change."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from prcheck.publish.cibase import BaseError, ci_base
from prcheck.sources.gitdiff import changes
from tests.publish.checkouts import actions_checkout, advanced_origin, git, gitlab_clone

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def origin(tmp_path):
    return advanced_origin(tmp_path)


def github_env(tmp_path: Path, name: str, event: dict) -> dict[str, str]:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(event))
    return {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": str(path)}


def pr_event(origin, number: int = 7) -> dict:
    return {"number": number, "pull_request": {
        "number": number, "commits": origin.commits,
        "head": {"sha": origin.head, "ref": "feature"}, "base": {"sha": origin.main_tip, "ref": "main"}}}


def changed(workspace: Path, base: str) -> set[str]:
    return changes(workspace, base).changed_paths()


def test_pull_request_merge_ref_depth_1_uses_the_first_parent(tmp_path, origin):
    workspace = actions_checkout(origin.path, tmp_path / "ws", origin.merge)
    resolved = ci_base("github", github_env(tmp_path, "pull_request", pr_event(origin)), workspace)
    assert resolved.base == origin.main_tip and resolved.trusted_ref == origin.main_tip
    assert changed(workspace, resolved.base) == {"apps/web.yaml"}


@pytest.mark.parametrize("event_name", ["pull_request", "pull_request_target"])
def test_head_sha_depth_1_is_deepened_to_the_merge_base(tmp_path, origin, event_name):
    workspace = actions_checkout(origin.path, tmp_path / "ws", origin.head)
    assert git(workspace, "rev-parse", "--is-shallow-repository") == "true"
    resolved = ci_base("github", github_env(tmp_path, event_name, pr_event(origin)), workspace)
    assert resolved.base == origin.main_tip
    assert git(workspace, "merge-base", resolved.base, "HEAD") == origin.branch_point
    assert changed(workspace, resolved.base) == {"apps/web.yaml"}  # not ops/pod.yaml from main


def test_pull_request_target_on_the_base_checkout_is_refused(tmp_path, origin):
    workspace = actions_checkout(origin.path, tmp_path / "ws", origin.main_tip)  # actions/checkout's default there
    with pytest.raises(BaseError, match=r"ref: \$\{\{ github.event.pull_request.head.sha \}\}"):
        ci_base("github", github_env(tmp_path, "pull_request_target", pr_event(origin)), workspace)


def test_merge_group_uses_its_base_sha(tmp_path, origin):
    workspace = actions_checkout(origin.path, tmp_path / "ws", origin.merge)
    event = {"merge_group": {"base_sha": origin.main_tip, "head_sha": origin.merge, "base_ref": "refs/heads/main"}}
    resolved = ci_base("github", github_env(tmp_path, "merge_group", event), workspace)
    assert resolved.base == origin.main_tip and resolved.trusted_ref == ""
    assert changed(workspace, resolved.base) == {"apps/web.yaml"}


def test_push_compares_before_and_after(tmp_path, origin):
    workspace = actions_checkout(origin.path, tmp_path / "ws", origin.head)
    event = {"ref": "refs/heads/feature", "before": origin.branch_point, "after": origin.head,
             "repository": {"default_branch": "main"}}
    resolved = ci_base("github", github_env(tmp_path, "push", event), workspace)
    assert resolved.base == origin.branch_point and changed(workspace, resolved.base) == {"apps/web.yaml"}


def test_push_of_a_new_branch_uses_the_default_branch_merge_base(tmp_path, origin):
    workspace = actions_checkout(origin.path, tmp_path / "ws", origin.head)
    event = {"ref": "refs/heads/feature", "before": "0" * 40, "after": origin.head, "created": True,
             "repository": {"default_branch": "main"}}
    resolved = ci_base("github", github_env(tmp_path, "push", event), workspace)
    assert resolved.base == origin.main_tip
    assert changed(workspace, resolved.base) == {"apps/web.yaml"}


def test_first_push_of_the_default_branch_and_dispatch_check_everything(tmp_path, origin):
    workspace = actions_checkout(origin.path, tmp_path / "ws", origin.main_tip)
    event = {"ref": "refs/heads/main", "before": "0" * 40, "repository": {"default_branch": "main"}}
    assert ci_base("github", github_env(tmp_path, "push", event), workspace).base == ""
    dispatched = ci_base("github", github_env(tmp_path, "workflow_dispatch", {}), workspace)
    assert dispatched.base == "" and "every file" in dispatched.reason


def test_gitlab_detached_pipeline_uses_the_diff_base(tmp_path, origin):
    workspace = gitlab_clone(origin, tmp_path / "ws", depth=2)  # shallower than the branch: deepened
    env = {"GITLAB_CI": "true", "CI_MERGE_REQUEST_IID": "3", "CI_MERGE_REQUEST_EVENT_TYPE": "detached",
           "CI_MERGE_REQUEST_DIFF_BASE_SHA": origin.branch_point}
    resolved = ci_base("auto", env, workspace)
    assert resolved.base == origin.branch_point == resolved.trusted_ref
    assert changed(workspace, resolved.base) == {"apps/web.yaml"}


@pytest.mark.parametrize("kind", ["merged_result", "merge_train"])
def test_gitlab_merged_results_compare_with_the_target_head(tmp_path, origin, kind):
    workspace = gitlab_clone(origin, tmp_path / "ws", depth=1, merged_result=True)
    env = {"GITLAB_CI": "true", "CI_MERGE_REQUEST_IID": "3", "CI_MERGE_REQUEST_EVENT_TYPE": kind,
           "CI_MERGE_REQUEST_DIFF_BASE_SHA": origin.branch_point,
           "CI_MERGE_REQUEST_TARGET_BRANCH_SHA": origin.main_tip}
    resolved = ci_base("gitlab", env, workspace)
    assert resolved.base == origin.main_tip
    assert changed(workspace, resolved.base) == {"apps/web.yaml"}  # the DIFF_BASE would add ops/pod.yaml
    assert "ops/pod.yaml" in changed(workspace, origin.branch_point)


def test_gitlab_branch_pipeline_uses_the_before_sha(tmp_path, origin):
    workspace = gitlab_clone(origin, tmp_path / "ws", depth=5)
    env = {"GITLAB_CI": "true", "CI_COMMIT_BRANCH": "feature", "CI_DEFAULT_BRANCH": "main",
           "CI_COMMIT_BEFORE_SHA": "0" * 40}
    resolved = ci_base("gitlab", env, workspace)
    assert resolved.base == origin.main_tip and changed(workspace, resolved.base) == {"apps/web.yaml"}


def test_an_unreachable_base_says_exactly_what_to_set(tmp_path, origin):
    workspace = actions_checkout(origin.path, tmp_path / "ws", origin.head)
    git(workspace, "remote", "set-url", "origin", (tmp_path / "gone.git").as_uri())  # e.g. credentials not persisted
    with pytest.raises(BaseError) as caught:
        ci_base("github", github_env(tmp_path, "pull_request", pr_event(origin)), workspace)
    message = str(caught.value)
    assert "\n" not in message and "set `fetch-depth: 0` on actions/checkout" in message
    env = {"GITLAB_CI": "true", "CI_MERGE_REQUEST_IID": "3", "CI_MERGE_REQUEST_DIFF_BASE_SHA": origin.branch_point}
    with pytest.raises(BaseError, match="GIT_DEPTH: 0"):
        ci_base("gitlab", env, workspace)


def test_a_shallow_clone_without_a_merge_base_is_an_error_not_a_wrong_diff(tmp_path, origin):
    from prcheck.render.worktree import GitError

    workspace = actions_checkout(origin.path, tmp_path / "ws", origin.head)
    git(workspace, "fetch", "--quiet", "--depth=1", "origin", origin.main_tip)
    with pytest.raises(GitError, match="fetch-depth: 0"):
        changes(workspace, origin.main_tip)


def test_the_command_prints_github_output_lines(tmp_path, origin):
    workspace = actions_checkout(origin.path, tmp_path / "ws", origin.merge)
    env = {**github_env(tmp_path, "pull_request", pr_event(origin)), "PATH": __import__("os").environ["PATH"],
           "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "prcheck", "ci", "base"], cwd=workspace, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"base={origin.main_tip}" and lines[1] == f"trusted-ref={origin.main_tip}"
    assert lines[2].startswith("reason=merge of #7")
    assert done.stderr.startswith("prcheck: base: ")
