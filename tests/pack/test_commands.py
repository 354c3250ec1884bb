"""`prcheck check` with and without the pack, `prcheck rules`, `prcheck policy test`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import write

PRIVILEGED = """\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  containers:
    - name: a
      image: a:1
      securityContext: {privileged: true}
"""


def builtin_rules(run_cli, repo: Path, *args: str) -> set[str]:
    result = run_cli(["check", ".", "--format", "json", "--fail-on", "never", *args], repo)
    assert result.exit_code == 0, result.output
    return {f["rule"] for f in json.loads(result.output)["findings"] if f["engine"] == "builtin"}


def test_pack_is_on_by_default_and_fails_the_run(run_cli, repo: Path):
    write(repo, {"pod.yaml": PRIVILEGED})
    assert "k8s/privileged-container" in builtin_rules(run_cli, repo)
    result = run_cli(["check", "."], repo)
    assert result.exit_code == 1
    assert "runs privileged: set securityContext.privileged to false" in result.output


def test_no_builtin_flag_and_config_turn_it_off(run_cli, repo: Path):
    write(repo, {"pod.yaml": PRIVILEGED})
    assert builtin_rules(run_cli, repo, "--no-builtin") == set()
    assert run_cli(["check", ".", "--no-builtin"], repo).exit_code == 0
    write(repo, {".prcheck.yaml": "builtin: false\n"})
    assert builtin_rules(run_cli, repo) == set()
    assert "k8s/privileged-container" in builtin_rules(run_cli, repo, "--builtin")


def test_kube_version_flag_reaches_the_pack(run_cli, repo: Path):
    write(repo, {"hpa.yaml": "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h, namespace: x}\nspec: {}\n"})
    assert builtin_rules(run_cli, repo, "--kube-version", "1.25") == {"k8s/deprecated-api"}
    assert builtin_rules(run_cli, repo, "--kube-version", "1.26") == {"k8s/removed-api"}


def test_rules_lists_every_engine(run_cli, repo: Path):
    result = run_cli(["rules"], repo)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["ID", "SEVERITY", "ENGINE", "TITLE"]
    table = {line.split()[0]: line.split()[1:3] for line in lines[1:]}
    assert table["gha/unpinned-uses"] == ["error", "rego"]
    assert table["secrets/high-entropy"] == ["warning", "python"]
    assert table["yaml/duplicate-key"] == ["error", "lint"]
    assert table["schema/invalid"] == ["error", "schema"]
    assert table["suppress/missing-reason"] == ["warning", "prcheck"]


def test_rules_shows_one_rule(run_cli, repo: Path):
    result = run_cli(["rules", "k8s/removed-api"], repo)
    assert result.exit_code == 0
    assert result.output.startswith("k8s/removed-api  (error, python)\nAPI version removed\n")
    assert "\nFix: Move the manifest to the replacement apiVersion" in result.output
    data = json.loads(run_cli(["rules", "k8s/removed-api", "--format", "json"], repo).output)
    assert data[0]["id"] == "k8s/removed-api" and data[0]["remediation"]


def test_rules_unknown_id_exits_2(run_cli, repo: Path):
    result = run_cli(["rules", "nope/nothing"], repo)
    assert result.exit_code == 2
    assert "unknown rule 'nope/nothing'" in result.output


def test_policy_test_runs_the_pack_by_default(run_cli, repo: Path):
    result = run_cli(["policy", "test"], repo)
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 failed, 0 errors, 0 skipped")


def test_policy_test_on_user_policies(run_cli, repo: Path):
    write(repo, {
        "policy/deny.rego": """
            package main
            import rego.v1
            deny contains "no latest" if endswith(input.spec.containers[_].image, ":latest")
        """,
        "policy/deny_test.rego": """
            package main
            import rego.v1
            test_latest_denied if count(deny) == 1 with input as {"spec": {"containers": [{"image": "a:latest"}]}}
            test_pinned_allowed if count(deny) == 0 with input as {"spec": {"containers": [{"image": "a:1"}]}}
            test_wrong if count(deny) == 5 with input as {"spec": {"containers": []}}
            todo_test_later if false
        """,
        "policy/testdata/latest-fail.yaml": """
            # prcheck-test: rule=main/deny
            spec:  # expect
              containers: [{image: "a:latest"}]
        """,
    })
    result = run_cli(["policy", "test", "policy", "-v"], repo)
    assert result.exit_code == 1
    out = result.output
    assert "PASS: data.main.test_latest_denied" in out
    assert "FAIL: data.main.test_wrong" in out and "rule is undefined" in out
    assert "SKIP: data.main.todo_test_later" in out
    assert "latest-fail.yaml [main/deny]" in out
    assert "PASS: " in out.split("latest-fail.yaml")[0].splitlines()[-1]
    assert out.strip().endswith("3/5 passed, 1 failed, 0 errors, 1 skipped")


def test_policy_test_compile_error_exits_2(run_cli, repo: Path):
    write(repo, {"policy/broken.rego": "package main\nimport rego.v1\ndeny contains x if {\n"})
    result = run_cli(["policy", "test", "policy"], repo)
    assert result.exit_code == 2
    assert "broken.rego" in result.output


def test_policy_test_fixture_that_does_not_load_is_an_error(run_cli, repo: Path):
    # A passing fixture (no marks) whose YAML breaks would otherwise "pass": no rule saw it.
    write(repo, {
        "policy/deny.rego": """
            package main
            import rego.v1
            deny contains "no latest" if endswith(input.spec.containers[_].image, ":latest")
        """,
        "policy/testdata/pinned-pass.yaml": "# prcheck-test: rule=main/deny\nspec: {containers: [{image: a:1}\n",
    })
    result = run_cli(["policy", "test", "policy", "-v"], repo)
    assert result.exit_code == 1
    assert "fixture does not load" in result.output and "yaml/syntax" in result.output
    assert result.output.strip().endswith("0/1 passed, 0 failed, 1 errors, 0 skipped")


def test_policy_test_output_cannot_start_a_workflow_command(run_cli, repo: Path):
    # Fixture names come from the tested tree: a newline in one must not start a `::` line in the CI log.
    write(repo, {
        "policy/deny.rego": "package main\nimport rego.v1\ndeny contains \"x\" if input.bad\n",
        "policy/testdata/a\n::error file=x::forged-fail.yaml": "# prcheck-test: rule=main/deny\nbad: false\n",
    })
    result = run_cli(["policy", "test", "policy"], repo)
    assert result.exit_code == 1
    assert "forged-fail.yaml" in result.output
    assert not any(line.lstrip().startswith("::") for line in result.output.splitlines())
