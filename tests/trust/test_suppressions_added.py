"""Suppressions a change adds are listed as such in every format; `--suppressions trusted` refuses them."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from tests.conftest import write
from tests.trust.helpers import base_then_pr

POD = """apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: prod
spec:
  containers:
  - name: c
    image: nginx:1.27
    securityContext:
      privileged: true{inline}
"""
FORMATS = ("text", "json", "sarif", "junit", "codequality", "markdown")


def check(run_cli, repo: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli(["check", ".", "--base", "main", "--no-render", *args], repo)


ADDED = {
    "inline": lambda: POD.format(inline="  # prcheck:ignore[*] trust me"),
    "inline-above": lambda: POD.format(inline="").replace("      privileged: true",
                                                          "      # prcheck:ignore[k8s/*] needed\n      privileged: true"),
    "annotation": lambda: POD.format(inline="").replace(
        "  namespace: prod\n", "  namespace: prod\n  annotations:\n    prcheck.dev/ignore: '*'\n"
                               "    prcheck.dev/ignore-reason: fine\n"),
}


@pytest.mark.parametrize("how", sorted(ADDED))
def test_added_suppression_is_listed_in_every_format(repo: Path, run_cli, how: str) -> None:
    base_then_pr(repo, {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"}, {"pod.yaml": ADDED[how]()})
    for fmt in FORMATS:
        result = check(run_cli, repo, "--format", fmt)
        assert "trust/suppression-added" in result.output, (fmt, result.output)
        assert "k8s/privileged-container" in result.output, fmt  # the summary names the silenced rules
    report = json.loads(check(run_cli, repo, "--format", "json").output)
    assert any(s["added_by_change"] and s["finding"]["rule"] == "k8s/privileged-container" for s in report["suppressed"])
    assert check(run_cli, repo).exit_code == 0  # honoured by default, but in plain sight
    refused = check(run_cli, repo, "--suppressions", "trusted", "--format", "json")
    assert refused.exit_code == 1
    rules = {f["rule"] for f in json.loads(refused.output)["findings"]}
    assert {"k8s/privileged-container", "trust/suppression-added"} <= rules


def test_edited_suppression_counts_as_added(repo: Path, run_cli) -> None:
    base_then_pr(repo, {"pod.yaml": POD.format(inline="  # prcheck:ignore[k8s/run-as-root] legacy")},
       {"pod.yaml": POD.format(inline="  # prcheck:ignore[k8s/*] legacy")})
    result = check(run_cli, repo, "--suppressions", "trusted", "--format", "json")
    report = json.loads(result.output)
    assert "trust/suppression-added" in {f["rule"] for f in report["findings"]}
    # refused: the privileged container (already there at the base) is not suppressed, only pre-existing
    assert not [s for s in report["suppressed"] if s["finding"]["rule"] == "k8s/privileged-container"]
    assert any(f["rule"] == "k8s/privileged-container" for f in report["stats"]["pre_existing"])


def test_a_suppression_already_on_the_base_is_not_added(repo: Path, run_cli) -> None:
    pod = POD.format(inline="  # prcheck:ignore[*] reviewed in 2024")
    base_then_pr(repo, {"pod.yaml": pod}, {"pod.yaml": pod.replace("nginx:1.27", "nginx:1.28")})
    result = check(run_cli, repo, "--suppressions", "trusted")
    assert result.exit_code == 0, result.output
    assert "trust/suppression-added" not in result.output


def test_a_directive_inside_a_block_scalar_is_data(repo: Path, run_cli) -> None:
    token = "ghp_" + secrets.token_hex(18)
    text = (f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata:\n  app.conf: |\n"
            f"    # prcheck:ignore[*] not a comment\n    token={token}\n")
    write(repo, {"c.yaml": text})
    result = run_cli(["check", ".", "--format", "json"], repo)
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["suppressed"] == [] and any(f["rule"].startswith("secrets/") for f in report["findings"])


def test_trusted_ref_with_base_refuses_pr_suppressions(repo: Path, run_cli) -> None:
    base_then_pr(repo, {".prcheck.yaml": "suppressions: trusted\n", "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"},
       {"pod.yaml": ADDED["inline"](), ".prcheck.yaml": "suppressions: all\n"})
    result = run_cli(["check", ".", "--base", "main", "--trusted-ref", "main", "--no-render"], repo)
    assert result.exit_code == 1, result.output
    assert "trust/config-changed" in result.output and "trust/suppression-added" in result.output


def test_a_base_suppression_does_not_hide_a_new_finding_when_trusted(repo: Path, run_cli) -> None:
    annotated = ADDED["annotation"]().replace("      privileged: true\n", "      privileged: false\n")
    base_then_pr(repo, {"pod.yaml": annotated}, {"pod.yaml": annotated.replace("privileged: false", "privileged: true")})
    assert check(run_cli, repo).exit_code == 0  # honoured by default: the annotation was reviewed on the base
    result = check(run_cli, repo, "--suppressions", "trusted", "--format", "json")
    assert result.exit_code == 1, result.output
    rules = {f["rule"] for f in json.loads(result.output)["findings"]}
    assert {"k8s/privileged-container", "trust/suppression-added"} <= rules


def test_a_copied_directive_on_a_new_line_counts_as_added(repo: Path, run_cli) -> None:
    pod = POD.format(inline="  # prcheck:ignore[*] reviewed").replace("privileged: true", "privileged: false")
    second = POD.format(inline="  # prcheck:ignore[*] reviewed").replace("name: p\n", "name: q\n")
    base_then_pr(repo, {"pod.yaml": pod}, {"pod.yaml": pod + "---\n" + second})
    result = check(run_cli, repo, "--suppressions", "trusted")
    assert result.exit_code == 1 and "trust/suppression-added" in result.output, result.output
