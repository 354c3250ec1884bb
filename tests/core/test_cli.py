import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import write

GOOD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata: {k: v}\n"
BAD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata: {k: 1}\n"
WARN_POLICY = "package main\nimport rego.v1\nwarn contains \"configmaps are public\" if input.kind == \"ConfigMap\"\n"


def test_clean_repo_exits_zero(run_cli, repo: Path):
    write(repo, {"a.yaml": GOOD})
    result = run_cli(["check"], repo)
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 errors, 0 warnings, 0 info in 0 of 1 file checked (1 document)")


def test_findings_exit_one_and_text_groups_by_file(run_cli, repo: Path):
    write(repo, {"a.yaml": GOOD, "b.yaml": BAD})
    result = run_cli(["check", "."], repo)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "b.yaml"
    assert "schema/invalid" in lines[1] and lines[1].split()[0] == "5"
    assert lines[-1] == "1 error, 0 warnings, 0 info in 1 of 2 files checked (2 documents)"
    assert "\033[" not in result.output  # not a terminal: no colour


def test_fail_on_threshold(run_cli, repo: Path):
    write(repo, {"a.yaml": GOOD, "policy/p.rego": WARN_POLICY})
    assert run_cli(["check", "a.yaml", "--policy", "policy"], repo).exit_code == 0
    assert run_cli(["check", "a.yaml", "--policy", "policy", "--fail-on", "warning"], repo).exit_code == 1
    write(repo, {"b.yaml": BAD})
    assert run_cli(["check", ".", "--fail-on", "never"], repo).exit_code == 0


def test_formats_pair_with_output_files(run_cli, repo: Path):
    write(repo, {"b.yaml": BAD})
    result = run_cli(["check", ".", "--format", "sarif", "-o", "out.sarif", "--format", "json"], repo)
    assert result.exit_code == 1
    assert json.loads((repo / "out.sarif").read_text())["version"] == "2.1.0"
    assert json.loads(result.stdout)["summary"]["errors"] == 1


def test_policy_syntax_error_exits_two_with_location(run_cli, repo: Path):
    write(repo, {"a.yaml": GOOD, "policy/bad.rego": "package main\ndeny contains msg if {\n  msg :=\n}\n"})
    result = run_cli(["check", "a.yaml", "--policy", "policy"], repo)
    assert result.exit_code == 2
    assert result.stderr.startswith("prcheck: error: ") and "policy/bad.rego:3:7: " in result.stderr
    assert "Traceback" not in result.output


def test_config_file_is_discovered_and_validated(run_cli, repo: Path):
    write(repo, {"b.yaml": BAD, ".prcheck.yaml": "fail_on: never\n"})
    (repo / "sub").mkdir()
    assert run_cli(["check", ".."], repo / "sub").exit_code == 0
    write(repo, {".prcheck.yaml": "fail_on: never\nenvironmnets: []\n"})
    result = run_cli(["check", "."], repo)
    assert result.exit_code == 2 and "unknown key 'environmnets'" in result.stderr
    write(repo, {".prcheck.yaml": "kube_version: latest\n"})
    result = run_cli(["check", "."], repo)
    assert result.exit_code == 2 and "kube_version" in result.stderr


def test_config_supplies_policies_relative_to_itself(run_cli, repo: Path):
    write(repo, {"a.yaml": GOOD, "corp/p.rego": WARN_POLICY, ".prcheck.yaml": "policies: [corp]\nfail_on: warning\n"})
    assert run_cli(["check", "a.yaml"], repo / ".").exit_code == 1


def test_usage_errors_exit_two(run_cli, repo: Path):
    assert run_cli(["check", "--format", "nope"], repo).exit_code == 2
    result = run_cli(["check", "missing-dir"], repo)
    assert result.exit_code == 2 and "no such file" in result.stderr
    result = run_cli(["check", ".", "--kube-version", "1.10"], repo)
    assert result.exit_code == 2 and "not supported" in result.stderr
    result = run_cli(["check", ".", "--schema-location", "https://example.com/x"], repo)
    assert result.exit_code == 2 and "remote" in result.stderr


def test_hostile_files_never_crash_the_run(run_cli, repo: Path):
    write(repo, {
        "ok.yaml": GOOD,
        "broken.yaml": "a: [\n",
        "bin.yaml": b"\x00\x01\x02",
        "latin.yaml": b"a: \xff\n",
        "bomb.yaml": "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
            f"{n}: &{n} [" + ",".join([f"*{p}"] * 10) + "]\n" for p, n in zip("abcdefg", "bcdefgh")),
    })
    result = run_cli(["check", "."], repo)
    assert result.exit_code == 1
    for rule in ("yaml/syntax", "yaml/binary-file", "yaml/invalid-utf8", "yaml/alias-bomb"):
        assert rule in result.output
    assert "Traceback" not in result.output


def test_python_dash_m_and_version():
    out = subprocess.run([sys.executable, "-m", "prcheck", "version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("prcheck ")


KYVERNO_POLICY = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-team
spec:
  validationFailureAction: Audit
  rules:
    - name: check-team
      match:
        any:
          - resources:
              kinds: [ConfigMap]
      validate:
        message: "label 'team' is required"
        pattern:
          metadata:
            labels:
              team: "?*"
"""


def test_kyverno_policies_from_policy_flag_and_config(run_cli, repo: Path):
    write(repo, {"app/a.yaml": GOOD, "kyverno/p.yaml": KYVERNO_POLICY})
    result = run_cli(["check", "app", "--policy", "kyverno", "--no-builtin", "--fail-on", "warning"], repo)
    assert result.exit_code == 1 and "require-team/check-team" in result.output
    write(repo, {".prcheck.yaml": "kyverno: [kyverno]\nbuiltin: false\n"})
    result = run_cli(["check", "app", "--format", "json"], repo)
    findings = json.loads(result.stdout)["findings"]
    assert [(f["rule"], f["severity"], f["engine"]) for f in findings] == [("require-team/check-team", "warning", "kyverno")]


def test_a_removed_api_is_reported_once(run_cli, repo: Path):
    write(repo, {"old.yaml": "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: a\n"})
    with_pack = json.loads(run_cli(["check", ".", "--format", "json"], repo).stdout)["findings"]
    assert [f["rule"] for f in with_pack if f["rule"].endswith("-api")] == ["k8s/removed-api"]
    without = json.loads(run_cli(["check", ".", "--format", "json", "--no-builtin"], repo).stdout)["findings"]
    assert [f["rule"] for f in without] == ["schema/unknown-api"]


def test_policy_folder_without_policies_is_an_error(run_cli, repo: Path):
    write(repo, {"a.yaml": GOOD, "policy/README.md": "nothing here\n"})
    result = run_cli(["check", "a.yaml", "--policy", "policy"], repo)
    assert result.exit_code == 2 and "no policies found" in result.stderr


def test_oversized_file_is_refused_with_its_real_size(run_cli, repo: Path):
    write(repo, {".prcheck.yaml": "limits: {max_file_bytes: 100}\n", "big.yaml": GOOD * 10})
    result = run_cli(["check", ".", "--format", "json", "--no-builtin"], repo)
    (finding,) = json.loads(result.stdout)["findings"]
    size = len((repo / "big.yaml").read_bytes())
    assert finding["rule"] == "yaml/file-too-large" and f"file is {size:,} bytes, over the 100-byte limit" in finding["message"]
