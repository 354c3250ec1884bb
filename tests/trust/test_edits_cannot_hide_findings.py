"""With `--base`, a finding is new when the same checks on the base tree did not
have it, wherever its line lands; the filter mode no longer decides the verdict."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from tests.conftest import git
from tests.trust.helpers import base_then_pr

DEPLOY = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: prod}
    spec:
      selector:
        matchLabels: {app: web}
      template:
        metadata:
          labels: {app: web, tier: front}
        spec:
          automountServiceAccountToken: false
          containers:
          - name: web
            image: nginx:1.27@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
            resources:
              requests: {cpu: 100m, memory: 64Mi}
              limits: {cpu: 200m, memory: 128Mi}
            livenessProbe: {httpGet: {path: /, port: 80}}
            readinessProbe: {httpGet: {path: /, port: 80}}
            securityContext:
              runAsNonRoot: true
              readOnlyRootFilesystem: true
              allowPrivilegeEscalation: false
              capabilities: {drop: [ALL]}
"""


def token() -> str:
    return "ghp_" + secrets.token_hex(18)


def run(run_cli, repo: Path, *args: str) -> tuple[int, dict]:
    result = run_cli(["check", ".", "--base", "main", "--no-render", "--format", "json", *args], repo)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.output)


def new_rules(report: dict) -> set[str]:
    return {f["rule"] for f in report["findings"]}


def test_token_typed_into_a_block_scalar_is_new(repo: Path, run_cli) -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  app.conf: |\n    mode=prod\n    token=CHANGEME\n"
    base_then_pr(repo, {"c.yaml": text}, {"c.yaml": text.replace("CHANGEME", token())})
    code, report = run(run_cli, repo)
    assert code == 1 and any(r.startswith("secrets/") for r in new_rules(report)), report


def test_token_typed_into_a_folded_scalar_is_new(repo: Path, run_cli) -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  note: >\n    the key is\n    CHANGEME here\n"
    base_then_pr(repo, {"c.yaml": text}, {"c.yaml": text.replace("CHANGEME", token())})
    code, _ = run(run_cli, repo)
    assert code == 1


@pytest.mark.parametrize("line", ["runAsNonRoot: true", "readOnlyRootFilesystem: true",
                                  "allowPrivilegeEscalation: false", "capabilities: {drop: [ALL]}"])
def test_deleting_a_hardening_line_is_new(repo: Path, run_cli, line: str) -> None:
    after = "\n".join(x for x in DEPLOY.splitlines() if x.strip() != line)
    base_then_pr(repo, {"d.yaml": DEPLOY}, {"d.yaml": after})
    code, report = run(run_cli, repo, "--fail-on", "warning")
    assert code == 1, report
    assert report["findings"], "a deletion-only change introduced a warning"


def test_deleting_a_template_label_is_a_new_error(repo: Path, run_cli) -> None:
    base_then_pr(repo, {"d.yaml": DEPLOY}, {"d.yaml": DEPLOY.replace("labels: {app: web, tier: front}", "labels: {tier: front}")})
    code, report = run(run_cli, repo)
    assert code == 1, report
    assert "k8s/selector-mismatch" in new_rules(report)


def test_switching_an_alias_is_new(repo: Path, run_cli) -> None:
    text = ("x-defaults:\n  safe: &safe {privileged: false}\n  debug: &debug {privileged: true}\n"
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx:1\n"
            "    securityContext: *safe\n")
    base_then_pr(repo, {"p.yaml": text}, {"p.yaml": text.replace("securityContext: *safe", "securityContext: *debug")})
    code, report = run(run_cli, repo)
    assert code == 1 and "k8s/privileged-container" in new_rules(report)


def test_pre_existing_findings_stay_pre_existing_on_edited_lines(repo: Path, run_cli) -> None:
    """The other direction: editing a line that already had a finding does not make it new."""
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {a: b}}\nspec:\n  containers:\n  - name: c\n" \
          "    image: nginx:1\n    securityContext: {privileged: true}\n"
    base_then_pr(repo, {"p.yaml": pod}, {"p.yaml": pod.replace("labels: {a: b}", "labels: {a: c}").replace(
        "securityContext: {privileged: true}", "securityContext: {privileged: true}  # still")})
    code, report = run(run_cli, repo)
    assert code == 0, report["findings"]
    assert any(f["rule"] == "k8s/privileged-container" for f in report["stats"]["pre_existing"])


def test_a_renamed_file_keeps_its_findings_pre_existing(repo: Path, run_cli) -> None:
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx:1\n" \
          "    securityContext: {privileged: true}\n"
    base_then_pr(repo, {"a.yaml": pod}, {"notes.txt": "x\n"})
    git(repo, "mv", "a.yaml", "b.yaml")
    git(repo, "commit", "-q", "-m", "move")
    code, report = run(run_cli, repo)
    assert code == 0, report["findings"]


def test_a_second_copy_of_a_finding_is_new(repo: Path, run_cli) -> None:
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx:1\n" \
          "    securityContext: {privileged: true}\n"
    base_then_pr(repo, {"a.yaml": pod}, {"a.yaml": pod + "---\n" + pod.replace("name: p", "name: q")})
    code, report = run(run_cli, repo)
    assert code == 1
    assert [f["resource"] for f in report["findings"] if f["rule"] == "k8s/privileged-container"] == ["Pod/q"]


def test_base_objects_are_exposed_for_old_object(repo: Path) -> None:
    from prcheck.sources.base_tree import load
    from prcheck.sources.collect import collect
    from prcheck.sources.gitdiff import changes
    from prcheck.sources.yaml_loader import Limits

    base_then_pr(repo, {"d.yaml": DEPLOY}, {"d.yaml": DEPLOY.replace("name: web, namespace", "name: web, namespace")
                                            .replace("cpu: 100m", "cpu: 150m")})
    entries, _ = collect([repo], repo)
    tree = load(repo, changes(repo, "main"), entries, Limits())
    old = tree.objects[("apps", "Deployment", "prod", "web")]
    assert old["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "100m"
