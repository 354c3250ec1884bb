"""`--trusted-ref`: a pull request cannot pick the rules it is judged by.

Every test builds a real repository: `main` holds the rules, a `pr` branch
adds a privileged Pod (fails the built-in pack) and the bare Pod that the
base's own policy forbids, plus one way of weakening the rules. With
`--trusted-ref main` the run must still fail and say what the change edits.
"""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest

from tests.conftest import git, write
from tests.render.conftest import needs_kustomize

POLICY = 'package main\n\ndeny contains msg if {\n  input.kind == "Pod"\n  msg := "pods are forbidden here"\n}\n'
POD = """
    apiVersion: v1
    kind: Pod
    metadata: {name: p, namespace: prod}
    spec:
      containers:
      - name: c
        image: nginx:1.27
        securityContext: {privileged: true}
"""
BASE_CONFIG = "exclude: [vendor]\npolicies: [policy]\n"


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


@pytest.fixture
def pr_repo(repo: Path) -> Path:
    write(repo, {".prcheck.yaml": BASE_CONFIG, "policy/deny.rego": POLICY,
                 "apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: prod}\n"})
    commit(repo, "base")
    git(repo, "checkout", "-q", "-b", "pr")
    write(repo, {"apps/pod.yaml": POD})
    return repo


def check_json(run_cli, repo: Path, *args: str):  # type: ignore[no-untyped-def]
    result = run_cli(["check", ".", "--format", "json", *args], repo)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.output)


def rules(report: dict) -> set[str]:
    return {f["rule"] for f in report["findings"]}


WEAKENINGS = {
    "exclude-everything": {".prcheck.yaml": "exclude: ['**']\npolicies: [policy]\n"},
    "exclude-star": {".prcheck.yaml": "exclude: ['*']\npolicies: [policy]\n"},
    "fail-on-never": {".prcheck.yaml": BASE_CONFIG + "fail_on: never\n"},
    "builtin-off": {".prcheck.yaml": BASE_CONFIG + "builtin: false\n"},
    "rules-disabled": {".prcheck.yaml": BASE_CONFIG + "rules:\n  k8s/privileged-container: {enabled: false}\n"},
    "rules-severity-info": {".prcheck.yaml": BASE_CONFIG + "rules:\n  k8s/privileged-container: {severity: info}\n"},
    "exceptions-all": {".prcheck.yaml": BASE_CONFIG + "exceptions:\n- {rule: '*', reason: trust me}\n"},
    "exceptions-own-path": {".prcheck.yaml": BASE_CONFIG + "exceptions:\n- {rule: '*', path: 'apps/*', reason: x}\n"},
    "config-deleted": {".prcheck.yaml": None},
    "swapped-policy-folder": {".prcheck.yaml": "exclude: [vendor]\npolicies: [mypol]\n",
                              "mypol/allow.rego": "package main\n\ndeny contains msg if {\n  false\n  msg := \"x\"\n}\n"},
    "edited-policy": {"policy/deny.rego": POLICY.replace('input.kind == "Pod"', 'input.kind == "Nothing"')},
    "added-rego-exception": {"policy/deny.rego": POLICY + '\nexception contains rules if {\n  rules := [""]\n}\n'},
    "policy-deleted": {"policy/deny.rego": None},
}


def apply(repo: Path, files: dict) -> None:
    for rel, content in files.items():
        if content is None:
            (repo / rel).unlink()
        else:
            write(repo, {rel: content})


def test_control_the_base_rules_fail_the_pr(pr_repo: Path, run_cli) -> None:
    code, report = check_json(run_cli, pr_repo, "--trusted-ref", "main")
    assert code == 1
    assert {"main/deny", "k8s/privileged-container"} <= rules(report)
    assert "trust/config-changed" not in rules(report)


@pytest.mark.parametrize("name", sorted(WEAKENINGS))
def test_a_pr_weakening_its_rules_still_fails(pr_repo: Path, run_cli, name: str) -> None:
    apply(pr_repo, WEAKENINGS[name])
    commit(pr_repo, name)
    code, report = check_json(run_cli, pr_repo, "--trusted-ref", "main")
    assert code == 1, report["findings"]
    assert {"main/deny", "k8s/privileged-container"} <= rules(report)
    changed = [f for f in report["findings"] if f["rule"] == "trust/config-changed"]
    assert changed and all(f["severity"] == "warning" for f in changed)


def test_without_trusted_ref_the_work_tree_config_is_used(pr_repo: Path, run_cli) -> None:
    """Local runs: the developer's own config applies (the weakening works, as it should locally)."""
    apply(pr_repo, WEAKENINGS["fail-on-never"])
    code, _ = check_json(run_cli, pr_repo)
    assert code == 0


def test_config_changed_names_keys_and_files(pr_repo: Path, run_cli) -> None:
    apply(pr_repo, {**WEAKENINGS["exceptions-all"], **WEAKENINGS["edited-policy"],
                    ".prcheck.yaml": BASE_CONFIG + "fail_on: never\nrules:\n  k8s/privileged-container: {enabled: false}\n"})
    _, report = check_json(run_cli, pr_repo, "--trusted-ref", "main")
    messages = [f["message"] for f in report["findings"] if f["rule"] == "trust/config-changed"]
    assert any("fail_on" in m and "rules.k8s/privileged-container" in m for m in messages), messages
    assert any("policy/deny.rego" in m for m in messages), messages
    paths = {f["path"] for f in report["findings"] if f["rule"] == "trust/config-changed"}
    assert paths == {".prcheck.yaml", "policy/deny.rego"}


def test_relative_paths_resolve_in_the_trusted_tree(pr_repo: Path, run_cli) -> None:
    """Run from a subfolder with a relative `--policy`: both read from the ref's tree."""
    apply(pr_repo, WEAKENINGS["edited-policy"])
    result = run_cli(["check", "..", "--format", "json", "--trusted-ref", "main", "--policy", "../policy"],
                     pr_repo / "apps")
    assert result.exit_code == 1, result.output
    assert "main/deny" in rules(json.loads(result.output))


def test_a_broken_head_config_is_a_finding_not_a_failed_run(pr_repo: Path, run_cli) -> None:
    write(pr_repo, {".prcheck.yaml": "environments: [1]\nbogus_key: 1\n"})
    code, report = check_json(run_cli, pr_repo, "--trusted-ref", "main")
    assert code == 1
    assert "trust/config-changed" in rules(report)


def test_unknown_trusted_ref_is_one_line_exit_2(pr_repo: Path, run_cli) -> None:
    result = run_cli(["check", ".", "--trusted-ref", "no-such-ref"], pr_repo)
    assert result.exit_code == 2
    assert "no-such-ref" in result.output and "Traceback" not in result.output


class Listener:
    """A TCP port on 127.0.0.1 that records every connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        self.sock.close()


@pytest.mark.parametrize("trusted", [True, False])
def test_a_pr_config_cannot_send_documents_to_a_server(pr_repo: Path, run_cli, trusted: bool) -> None:
    listener = Listener()
    try:
        write(pr_repo, {".prcheck.yaml": BASE_CONFIG + f"rego_engine: opa\nopa_url: http://127.0.0.1:{listener.port}\n"})
        commit(pr_repo, "opa")
        code, report = check_json(run_cli, pr_repo, *(["--trusted-ref", "main"] if trusted else []))
    finally:
        listener.close()
    assert listener.connections == 0
    assert code == 1 and "main/deny" in rules(report)
    expected = "trust/config-changed" if trusted else "trust/untrusted-setting"
    assert expected in rules(report)


def test_untrusted_config_cannot_raise_limits_or_read_outside(pr_repo: Path, run_cli, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, {"secret.json": '{"canary": "OUTSIDE-CANARY-31337"}'})
    write(pr_repo, {".prcheck.yaml": BASE_CONFIG + f"data: ['{outside}']\njobs: 5000\n"
                                                   "limits: {max_expanded_nodes: 1000000000000, max_depth: 10}\n"})
    result = run_cli(["check", ".", "--format", "json"], pr_repo)
    assert "OUTSIDE-CANARY-31337" not in result.output
    [notice] = [f for f in json.loads(result.output)["findings"] if f["rule"] == "trust/untrusted-setting"]
    assert "jobs" in notice["message"] and "limits.max_expanded_nodes" in notice["message"]
    assert "limits.max_depth" not in notice["message"]  # a tighter guard is kept


def test_trusted_ref_config_may_choose_routing(pr_repo: Path, run_cli) -> None:
    """The trusted config is trusted: its settings apply (no untrusted-setting notice)."""
    write(pr_repo, {".prcheck.yaml": BASE_CONFIG + "jobs: 1\n"})
    commit(pr_repo, "jobs")
    git(pr_repo, "branch", "-f", "main", "HEAD")
    _, report = check_json(run_cli, pr_repo, "--trusted-ref", "main")
    assert "trust/untrusted-setting" not in rules(report)
    assert "trust/config-changed" not in rules(report)


@needs_kustomize
@pytest.mark.parametrize("head_config", [
    "environments:\n- {name: prod, path: base}\n",  # points the environment away from the patched overlay
    "environments: [1]\n",  # malformed: must not crash a trusted run
    "environments:\n- {name: prod, path: base}\n- {name: prod, path: base}\n",  # duplicate names
])
def test_the_head_config_never_decides_what_is_rendered(repo: Path, run_cli, head_config: str) -> None:
    write(repo, {
        "base/kustomization.yaml": "resources: [dep.yaml]\n",
        "base/dep.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec: {containers: [{name: web, image: nginx:1.27}]}
        """,
        "overlays/prod/kustomization.yaml": "resources: [../../base]\nnamespace: prod\n",
    })
    commit(repo, "base")
    git(repo, "checkout", "-q", "-b", "pr")
    write(repo, {
        "overlays/prod/kustomization.yaml": "resources: [../../base]\nnamespace: prod\npatches: [{path: priv.yaml}]\n",
        "overlays/prod/priv.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              template:
                spec: {containers: [{name: web, securityContext: {privileged: true}}]}
        """,
        ".prcheck.yaml": head_config,
    })
    commit(repo, "pr")
    result = run_cli(["check", ".", "--base", "main", "--trusted-ref", "main", "--format", "json"], repo)
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert any(f["rule"] == "k8s/privileged-container" and f["env"] == "prod" for f in report["findings"])
    assert "trust/config-changed" in rules(report)


@pytest.mark.parametrize("trusted", [True, False])
def test_a_config_symlinked_outside_is_never_read(pr_repo: Path, run_cli, tmp_path: Path, trusted: bool) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("exclude: ['**']\nOUTSIDE-CANARY-4711: 1\n")
    (pr_repo / ".prcheck.yaml").unlink()
    (pr_repo / ".prcheck.yaml").symlink_to(outside)
    result = run_cli(["check", ".", *(["--trusted-ref", "main"] if trusted else [])], pr_repo)
    assert "OUTSIDE-CANARY-4711" not in result.output
    assert result.exit_code == (1 if trusted else 2), result.output
    assert "outside the repository" in result.output


def test_envs_and_diff_take_environments_from_the_trusted_ref(repo: Path, run_cli) -> None:
    write(repo, {".prcheck.yaml": "environments:\n- {name: prod, path: apps}\n",
                 "apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"})
    commit(repo, "base")
    write(repo, {".prcheck.yaml": "environments:\n- {name: evil, path: apps}\n"})
    assert "evil" in run_cli(["envs"], repo).output
    trusted = run_cli(["envs", "--trusted-ref", "HEAD"], repo)
    assert trusted.exit_code == 0 and "prod" in trusted.output and "evil" not in trusted.output
    diff = run_cli(["diff", "--base", "HEAD", "--trusted-ref", "HEAD", "--format", "json"], repo)
    assert diff.exit_code == 0, diff.output
    assert [d["env"] for d in json.loads(diff.output)["diffs"]] == ["prod"]
