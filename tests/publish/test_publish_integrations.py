"""action.yml, .gitlab-ci-template.yml and .pre-commit-hooks.yaml: valid against
their published schemas, and their scripts run for real against real git
repositories. A stand-in `prcheck` checks the wiring (flags, outputs, token
handling); the tests marked `cli` run the real CLI and skip until it has the
flags these files use."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.publish.ci_harness import (
    CHECK_FLAGS,
    REPO,
    cli_missing,
    real_cli_env,
    git,
    git_fixture,
    pull_request_event,
    run_action,
    run_gitlab_job,
    shallow_checkout,
    write_shim,
)
from tests.publish.conftest import TOKEN

SCHEMAS = Path(__file__).parent / "schemas"
ISSUES = [
    {"description": "d1", "check_name": "r1", "fingerprint": "f1", "severity": "critical",
     "location": {"path": "apps/web.yaml", "lines": {"begin": 6}}},
    {"description": "d2", "check_name": "r2", "fingerprint": "f2", "severity": "major",
     "location": {"path": "apps/web.yaml", "lines": {"begin": 7}}},
]


def load(name: str) -> object:
    return yaml.safe_load((REPO / name).read_text())


def schema_errors(schema: str, document: object) -> list[str]:
    validator = jsonschema.Draft7Validator(json.loads((SCHEMAS / schema).read_text()))
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(document)]


def test_action_matches_the_published_schema():
    assert schema_errors("github-action.json", load("action.yml")) == []
    broken = dict(load("action.yml"), runs={"using": "composite", "steps": [{"run": "true"}]})  # no shell
    assert schema_errors("github-action.json", broken)


def test_gitlab_template_matches_the_published_schema():
    assert schema_errors("gitlab-ci.json", load(".gitlab-ci-template.yml")) == []
    broken = {"prcheck": {"script": ["true"], "rules": [{"iff": "$CI"}]}}
    assert schema_errors("gitlab-ci.json", broken)


def test_action_interface():
    action = load("action.yml")
    assert set(action["inputs"]) == {
        "paths", "config", "base-ref", "trusted-ref", "name", "fail-on", "filter-mode", "policies", "kube-version",
        "install", "github-token", "sarif-file", "check-run", "review-comments", "summary-comment", "commit-status",
        "job-summary", "max-comments",
    }
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert set(action["outputs"]) == {"findings", "errors", "warnings", "conclusion", "base", "sarif-file", "json-file",
                                      "summary-file"}
    for step in action["runs"]["steps"]:
        if "uses" in step:  # the actions it uses are pinned by SHA, with the version as a comment
            assert re.fullmatch(r"actions/cache/(restore|save)@[0-9a-f]{40}", step["uses"]), step["uses"]
            continue
        assert "${{" not in step["run"], f"step {step['id']} splices an expression into its script"
        assert "set -x" not in step["run"]
    token_users = [s["id"] for s in action["runs"]["steps"] if "inputs.github-token" in json.dumps(s.get("env", {}))]
    assert token_users == ["run"]
    assert "# v4.2.3" in (REPO / "action.yml").read_text()


def test_gitlab_template_jobs():
    template = load(".gitlab-ci-template.yml")
    assert template["prcheck"] == {
        "extends": ".prcheck", "rules": [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}],
    }
    hidden = template[".prcheck"]
    assert hidden["artifacts"]["reports"] == {"codequality": "gl-code-quality-report.json", "junit": "prcheck-junit.xml"}
    assert hidden["artifacts"]["when"] == "always"
    # no job-level defaults: they would win over the user's top-level `variables:`
    assert "variables" not in hidden
    base_job = template["prcheck-codequality-base"]
    assert base_job["rules"] == [{"if": '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE != "merge_request_event"'}]
    assert base_job["variables"] == {"PRCHECK_TRUSTED_REF": "none"}
    assert base_job["script"] == [hidden["script"][1]]  # the merge requests' Code Quality run, alone
    assert base_job["artifacts"]["reports"] == {"codequality": "gl-code-quality-report.json"}


def test_pre_commit_manifest_is_valid():
    clientlib = pytest.importorskip("pre_commit.clientlib")
    hooks = {hook["id"]: hook for hook in clientlib.load_manifest(str(REPO / ".pre-commit-hooks.yaml"))}
    assert set(hooks) == {"prcheck", "prcheck-diff"}
    assert hooks["prcheck"]["entry"] == "prcheck check --no-render --" and hooks["prcheck"]["pass_filenames"]
    assert hooks["prcheck"]["types_or"] == ["yaml", "json"]
    assert hooks["prcheck-diff"]["entry"] == "prcheck check" and hooks["prcheck-diff"]["args"] == ["--base", "auto"]
    assert not hooks["prcheck-diff"]["pass_filenames"] and hooks["prcheck-diff"]["always_run"]


@pytest.fixture
def repos(tmp_path: Path):
    fixture = git_fixture(tmp_path)
    workspace = shallow_checkout(fixture, tmp_path / "workspace")
    return fixture, workspace


@pytest.fixture
def shim_env(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    write_shim(bin_dir)
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "SHIM_LOG": str(tmp_path / "shim.log"),
        "SHIM_ISSUES": json.dumps(ISSUES),
    }


def shim_calls(env: dict[str, str]) -> list[dict]:
    path = Path(env["SHIM_LOG"])
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def main_argv(env: dict[str, str]) -> list[str]:
    """The GitLab job's checking run (the other `check` call is the Code Quality report's `--render` run)."""
    (argv,) = [c["argv"] for c in shim_calls(env) if c["argv"][0] == "check" and "--render" not in c["argv"]]
    return argv


def actions_env(tmp_path: Path, fixture, event_name: str, shim_env: dict[str, str]) -> dict[str, str]:
    event = pull_request_event(tmp_path / "event.json", fixture)
    return {
        **shim_env,
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "octo/gitops",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_TOKEN": TOKEN,
    }


def test_action_steps_on_a_pull_request(tmp_path, repos, shim_env):
    fixture, workspace = repos
    env = actions_env(tmp_path, fixture, "pull_request", shim_env)
    temp = tmp_path / "runner-temp"
    sarif = str(tmp_path / "out.sarif")
    run = run_action(workspace, temp, {"install": "false", "policies": "policies", "kube-version": "1.31",
                                       "sarif-file": sarif, "name": "infra/prod"}, env)

    assert run.returncode == 0, run.log
    git(workspace, "cat-file", "-e", f"{fixture.base_sha}^{{commit}}")  # the base commit was fetched
    (call,) = shim_calls(env)
    out = temp / "prcheck-infra-prod"
    assert call["argv"] == [
        "check", "--name", "infra/prod", "--fail-on", "error", "--filter-mode", "added",
        "--summary-comment", "on-findings", "--max-comments", "50", "--add-policy", "policies",
        "--base", fixture.base_sha, "--trusted-ref", fixture.base_sha, "--kube-version", "1.31",
        "--format", "json", "-o", f"{out}/report.json", "--format", "markdown", "-o", f"{out}/summary.md",
        "--format", "sarif", "-o", sarif, "--format", "text", "--publish", "github", "--", ".",
    ]
    assert call["token"] == TOKEN and TOKEN not in json.dumps(call["argv"])
    assert TOKEN not in run.log
    assert run.outputs == {"findings": "2", "errors": "1", "warnings": "1", "conclusion": "success",
                           "base": fixture.base_sha, "sarif-file": sarif, "json-file": f"{out}/report.json",
                           "summary-file": f"{out}/summary.md"}
    assert Path(sarif).read_text() == "shim sarif report\n"
    assert "shim text report" in run.log
    assert set(run.steps["restore"]) == set() and set(run.steps["install"]) == set()  # install: false skips them


def test_action_fails_by_the_findings_and_still_sets_outputs(tmp_path, repos, shim_env):
    fixture, workspace = repos
    env = dict(actions_env(tmp_path, fixture, "pull_request", shim_env), SHIM_EXIT="1")
    run = run_action(workspace, tmp_path / "runner-temp", {"install": "false", "paths": "apps\n-weird dir"}, env)
    assert run.returncode == 1
    assert run.steps["run"]["findings"] == "2" and run.steps["run"]["conclusion"] == "failure"
    argv = shim_calls(env)[0]["argv"]
    assert argv[argv.index("--"):] == ["--", "apps", "-weird", "dir"]  # paths can never be read as options


def test_action_trusted_ref_can_be_set_or_switched_off(tmp_path, repos, shim_env):
    fixture, workspace = repos
    env = actions_env(tmp_path, fixture, "pull_request_target", shim_env)
    run_action(workspace, tmp_path / "t1", {"install": "false", "trusted-ref": "none"}, env)
    run_action(workspace, tmp_path / "t2", {"install": "false", "trusted-ref": "main"}, env)
    first, second = (c["argv"] for c in shim_calls(env))
    assert "--trusted-ref" not in first
    assert second[second.index("--trusted-ref") + 1] == "main"


def test_action_on_pull_request_target_refuses_the_base_checkout(tmp_path, repos, shim_env):
    fixture, _ = repos
    base_checkout = shallow_checkout(fixture, tmp_path / "base-ws", branch="main")
    env = actions_env(tmp_path, fixture, "pull_request_target", shim_env)
    run = run_action(base_checkout, tmp_path / "runner-temp", {"install": "false"}, env)
    assert run.returncode == 2 and "github.event.pull_request.head.sha" in run.log
    assert shim_calls(env) == []  # nothing was checked, so nothing could pass


def test_action_on_a_push_compares_before_and_after(tmp_path, repos, shim_env):
    fixture, workspace = repos
    env = actions_env(tmp_path, fixture, "push", shim_env)
    Path(env["GITHUB_EVENT_PATH"]).write_text(json.dumps(
        {"ref": "refs/heads/feature", "before": fixture.base_sha, "after": fixture.head_sha}))
    run = run_action(workspace, tmp_path / "runner-temp", {"install": "false"}, env)
    assert run.returncode == 0, run.log
    argv = shim_calls(env)[0]["argv"]
    assert argv[argv.index("--base") + 1] == fixture.base_sha and "--trusted-ref" not in argv


def test_action_on_workflow_dispatch_checks_everything(tmp_path, repos, shim_env):
    fixture, workspace = repos
    env = actions_env(tmp_path, fixture, "workflow_dispatch", shim_env)
    Path(env["GITHUB_EVENT_PATH"]).write_text("{}")
    run = run_action(workspace, tmp_path / "runner-temp", {"install": "false"}, env)
    assert run.returncode == 0, run.log
    assert "--base" not in shim_calls(env)[0]["argv"] and run.outputs["base"] == ""


def gitlab_env(fixture, shim_env: dict[str, str], **extra: str) -> dict[str, str]:
    return {
        **shim_env,
        "GITLAB_CI": "true",
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_IID": "3",
        "CI_MERGE_REQUEST_EVENT_TYPE": "detached",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": fixture.base_sha,
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_COMMIT_SHA": fixture.head_sha,
        "PRCHECK_INSTALL": "false",
        **extra,
    }


def test_gitlab_job_script(tmp_path, repos, shim_env):
    fixture, workspace = repos
    env = gitlab_env(fixture, shim_env, PRCHECK_GITLAB_TOKEN="glpat-secret", PRCHECK_POLICIES="policies")
    done = run_gitlab_job(workspace, "prcheck", env)
    assert done.returncode == 0, done.stdout + done.stderr
    version, call, codequality = shim_calls(env)
    assert version["argv"] == ["version"]
    argv = call["argv"]
    junit = argv[argv.index("-o") + 1]
    assert argv == [
        "check", "--name", "prcheck", "--fail-on", "error", "--filter-mode", "added", "--add-policy", "policies",
        "--base", fixture.base_sha, "--trusted-ref", fixture.base_sha,
        "--format", "junit", "-o", junit, "--format", "text",
        "--publish", "gitlab", "--summary-comment", "on-findings", "--max-comments", "50",
        "--", ".",
    ]
    # the Code Quality report: every file and environment at head, judged by the same trusted rules
    report = codequality["argv"][codequality["argv"].index("-o") + 1]
    assert codequality["argv"] == [
        "check", "--render", "--fail-on", "never", "--quiet", "--name", "prcheck", "--add-policy", "policies",
        "--trusted-ref", fixture.base_sha, "--format", "codequality", "-o", report, "--", ".",
    ]
    reports = [junit, report]
    # written outside the checkout, then copied in as new files (never through a committed link)
    assert [Path(r).name for r in reports] == ["prcheck-junit.xml", "gl-code-quality-report.json"]
    assert not any(Path(r).resolve().is_relative_to(workspace.resolve()) for r in reports)
    assert (workspace / "gl-code-quality-report.json").exists() and (workspace / "prcheck-junit.xml").exists()
    git(workspace, "cat-file", "-e", f"{fixture.base_sha}^{{commit}}")
    assert "glpat-secret" not in done.stdout + done.stderr


def test_gitlab_surface_variables(tmp_path, repos, shim_env):
    fixture, workspace = repos
    env = gitlab_env(fixture, shim_env, PRCHECK_GITLAB_TOKEN="glpat-secret", PRCHECK_THREADS="false",
                     PRCHECK_STATUS="false", PRCHECK_SUMMARY_NOTE="never", PRCHECK_MAX_COMMENTS="5")
    assert run_gitlab_job(workspace, "prcheck", env).returncode == 0
    argv = main_argv(env)
    tail = argv[argv.index("--publish"):argv.index("--")]
    assert tail == ["--publish", "gitlab", "--summary-comment", "never", "--max-comments", "5",
                    "--no-publish", "review-comments", "--no-publish", "commit-status"]
    bad = run_gitlab_job(workspace, "prcheck", dict(env, PRCHECK_STATUS="off"))
    assert bad.returncode == 2 and "not 'off'" in bad.stdout


def test_gitlab_job_without_token_still_reports_to_the_widgets(tmp_path, repos, shim_env):
    fixture, workspace = repos
    env = gitlab_env(fixture, shim_env, SHIM_EXIT="1", PRCHECK_EXTRA_ARGS="--strict *", PRCHECK_PATHS="apps -x")
    done = run_gitlab_job(workspace, "prcheck", env)
    assert done.returncode == 1
    argv = main_argv(env)
    assert "--publish" not in argv and argv[argv.index("--strict") + 1] == "*"  # no globbing of extra args
    assert argv[-3:] == ["--", "apps", "-x"]
    assert "PRCHECK_GITLAB_TOKEN is not set" in done.stdout


def test_gitlab_top_level_variables_reach_the_job(tmp_path, repos, shim_env):
    """GitLab gives job-level `variables:` precedence over top-level ones: the template has none."""
    fixture, workspace = repos
    env = gitlab_env(fixture, shim_env, PRCHECK_PATHS="apps", PRCHECK_FAIL_ON="warning", PRCHECK_NAME="gitops")
    assert run_gitlab_job(workspace, "prcheck", env).returncode == 0
    argv = main_argv(env)
    assert argv[:6] == ["check", "--name", "gitops", "--fail-on", "warning", "--filter-mode"] and argv[-1] == "apps"


def test_gitlab_merged_results_pipeline_compares_with_the_target_head(tmp_path, shim_env):
    from tests.publish.checkouts import advanced_origin, gitlab_clone

    origin = advanced_origin(tmp_path)
    workspace = gitlab_clone(origin, tmp_path / "ws", depth=1, merged_result=True)
    env = {**shim_env, "GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "3",
           "CI_MERGE_REQUEST_EVENT_TYPE": "merged_result", "CI_MERGE_REQUEST_DIFF_BASE_SHA": origin.branch_point,
           "CI_MERGE_REQUEST_TARGET_BRANCH_SHA": origin.main_tip, "PRCHECK_INSTALL": "false"}
    done = run_gitlab_job(workspace, "prcheck", env)
    assert done.returncode == 0, done.stdout + done.stderr
    argv = main_argv(env)
    assert argv[argv.index("--base") + 1] == origin.main_tip


def test_gitlab_codequality_base_job_checks_everything(tmp_path, repos, shim_env):
    fixture, workspace = repos
    env = {k: v for k, v in gitlab_env(fixture, shim_env).items() if not k.startswith("CI_MERGE_REQUEST")}
    env.update(CI_PIPELINE_SOURCE="push", CI_COMMIT_BRANCH="main", CI_DEFAULT_BRANCH="main",
               CI_COMMIT_BEFORE_SHA=fixture.base_sha)
    done = run_gitlab_job(workspace, "prcheck-codequality-base", env)
    assert done.returncode == 0, done.stdout + done.stderr
    (call,) = [c["argv"] for c in shim_calls(env) if c["argv"][0] == "check"]  # the report run only
    assert call[:2] == ["check", "--render"] and "--base" not in call and "--trusted-ref" not in call
    assert "--publish" not in call and call[call.index("--fail-on") + 1] == "never"
    assert (workspace / "gl-code-quality-report.json").exists() and not (workspace / "prcheck-junit.xml").exists()


# ---- with the real CLI ---------------------------------------------------------------------------

PR_PATCH = '@@ -3,4 +3,5 @@ metadata:\n   name: web\n data:\n-  replicas: "1"\n+  replicas: "2"\n+  image: nginx:latest'
CLI_REASON = cli_missing(*CHECK_FLAGS, "-o")
needs_cli = pytest.mark.skipif(bool(CLI_REASON), reason=CLI_REASON or "prcheck CLI ready")


@pytest.fixture(name="real_cli_env")
def real_cli_env_fixture(tmp_path: Path) -> dict[str, str]:
    return real_cli_env(tmp_path)


@pytest.mark.slow
@needs_cli
def test_action_end_to_end_with_the_real_cli(tmp_path, repos, real_cli_env, httpserver):
    from tests.publish.publish_fakes import FakeGitHub

    fixture, workspace = repos
    api = FakeGitHub(httpserver, head_sha=fixture.head_sha)
    api.add_file("apps/web.yaml", PR_PATCH)
    env = {**actions_env(tmp_path, fixture, "pull_request", {**real_cli_env, "SHIM_LOG": str(tmp_path / "unused")}),
           "GITHUB_API_URL": api.base}
    run = run_action(workspace, tmp_path / "runner-temp", {"install": "false", "fail-on": "never",
                                                           "summary-comment": "always"}, env)
    assert run.returncode == 0, run.log
    assert [r.key for r in api.log][0] == ("POST", "/repos/octo/gitops/check-runs")
    assert len(api.issue_comments) == 1 and TOKEN not in run.log
    assert run.outputs["findings"].isdigit()


@pytest.mark.slow
@needs_cli
def test_action_surface_inputs_switch_surfaces_off(tmp_path, repos, real_cli_env, httpserver):
    """check-run, commit-status and job-summary off, at most one line comment: exactly these requests."""
    from tests.publish.publish_fakes import FakeGitHub

    fixture, workspace = repos
    api = FakeGitHub(httpserver, head_sha=fixture.head_sha)
    api.add_file("apps/web.yaml", PR_PATCH)
    env = {**actions_env(tmp_path, fixture, "pull_request", {**real_cli_env, "SHIM_LOG": str(tmp_path / "unused")}),
           "GITHUB_API_URL": api.base}
    inputs = {"install": "false", "fail-on": "never", "filter-mode": "file", "check-run": "false",
              "commit-status": "false", "job-summary": "false", "max-comments": "0", "summary-comment": "always"}
    run = run_action(workspace, tmp_path / "runner-temp", inputs, env)
    assert run.returncode == 0, run.log
    repo = "/repos/octo/gitops"
    assert [r.key for r in api.log] == [
        ("POST", "/api/graphql"), ("GET", f"{repo}/pulls/7"), ("GET", f"{repo}/pulls/7/files"),
        ("GET", f"{repo}/pulls/7/comments"), ("GET", f"{repo}/issues/7/comments"),
        ("POST", f"{repo}/issues/7/comments"), ("GET", f"{repo}/issues/7/comments"),
    ]
    assert not Path(env["GITHUB_STEP_SUMMARY"]).exists() or Path(env["GITHUB_STEP_SUMMARY"]).read_text() == ""
    bad = run_action(workspace, tmp_path / "runner-temp-2", {"install": "false", "check-run": "no"}, env)
    assert bad.returncode == 2 and "input check-run must be true or false, not 'no'" in bad.log


@pytest.mark.slow
@needs_cli
def test_gitlab_job_end_to_end_with_the_real_cli(tmp_path, repos, real_cli_env, httpserver):
    from tests.publish.publish_fakes import FakeGitLab

    fixture, workspace = repos
    api = FakeGitLab(httpserver)
    api.diff_refs = {"base_sha": fixture.base_sha, "start_sha": fixture.base_sha, "head_sha": fixture.head_sha}
    api.add_diff("apps/web.yaml", PR_PATCH)
    env = gitlab_env(fixture, {**real_cli_env, "SHIM_LOG": str(tmp_path / "unused")}, CI_SERVER_URL=api.base,
                     CI_PROJECT_ID="42", CI_MERGE_REQUEST_PROJECT_ID="42", PRCHECK_GITLAB_TOKEN="glpat-secret",
                     PRCHECK_FAIL_ON="never", PRCHECK_SUMMARY_NOTE="always")
    done = run_gitlab_job(workspace, "prcheck", env)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((workspace / "gl-code-quality-report.json").read_text())
    jsonschema.Draft202012Validator(json.loads((SCHEMAS / "gitlab-codequality.json").read_text())).validate(report)
    assert len(api.notes) == 1 and api.statuses


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit is not installed")
@pytest.mark.skipif(bool(cli_missing("--no-render")), reason=cli_missing("--no-render") or "ready")
@pytest.mark.skipif(not (REPO / "README.md").exists(), reason="the package needs README.md to build")
def test_pre_commit_try_repo(tmp_path):
    """pre-commit builds this repository into its own virtualenv from PyPI, as a user's machine would.
    JSON manifests are checked, and a file named like an option stays a file name."""
    project = tmp_path / "project"
    git(tmp_path, "init", "--quiet", str(project))
    (project / "deploy.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\ndata: {}\n")
    (project / "pod.json").write_text(json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
        "containers": [{"name": "c", "image": "nginx:1.27", "securityContext": {"privileged": True}}]}}))
    (project / "evil.yaml").write_text("exclude: ['**']\nfail_on: never\n")
    (project / "--config=evil.yaml").write_text("a: b\n")
    git(project, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    done = subprocess.run(["pre-commit", "try-repo", str(REPO), "prcheck", "--all-files", "--verbose"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "pod.json" in done.stdout and "k8s/privileged-container" in done.stdout

    # prcheck-diff's default `--base auto`: a clone's branch is compared with origin/HEAD's merge base,
    # so the privileged Pod already on main is not this branch's change (same hook environment: no rebuild)
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    git(project, "-c", "user.name=a", "-c", "user.email=a@example.com", "commit", "--quiet", "-m", "main")
    git(project, "push", "--quiet", origin.as_uri(), "HEAD:main")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", origin.as_uri(), str(clone))
    git(clone, "checkout", "--quiet", "-b", "change")
    (clone / "deploy.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\ndata: {a: b}\n")
    git(clone, "add", "-A")
    diff = subprocess.run(["pre-commit", "try-repo", str(REPO), "prcheck-diff", "--hook-stage", "manual", "--verbose"],
                          cwd=clone, env=env, capture_output=True, text=True, timeout=900)
    assert diff.returncode == 0, diff.stdout + diff.stderr
    assert "--base auto: merge base" in diff.stdout + diff.stderr and "privileged" not in diff.stdout
