"""A problem in a base shared by three overlays is one finding carrying its environments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prcheck.filter.merge import merge
from prcheck.model import Finding
from tests.conftest import write
from tests.render.conftest import commit, needs_kustomize

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.25
"""
ENVS = ("dev", "production", "staging")


def test_merge_keeps_one_finding_with_every_environment():
    raw = Finding("k8s/x", "warning", "bad", "base/d.yaml", 7, "Deployment/web")
    seen = [raw] + [Finding("k8s/x", "error" if e == "dev" else "warning", "bad", "base/d.yaml", 7,
                            f"Deployment/{e}/web", env=e) for e in ENVS]
    other = Finding("k8s/y", "warning", "bad", "base/d.yaml", 7, "Deployment/web", env="dev")
    merged = merge(seen + [other])
    assert len(merged) == 2
    one = merged[0]
    assert one.envs == ENVS and one.env == "" and one.severity == "error"
    assert one.resource == "Deployment/web" and one.fingerprint == raw.fingerprint  # stable with or without renders
    assert merged[1].env == "dev" and merged[1].envs == ("dev",)


@pytest.fixture
def three_overlays(repo: Path) -> Path:
    write(repo, {"base/kustomization.yaml": "resources: [deploy.yaml]\n", "base/deploy.yaml": DEPLOYMENT})
    for env in ENVS:
        write(repo, {f"overlays/{env}/kustomization.yaml": f"namespace: {env}\nresources: [../../base]\n"})
    commit(repo, "base")
    deploy = repo / "base/deploy.yaml"
    deploy.write_text(deploy.read_text() + "          securityContext: {privileged: true}\n")
    commit(repo, "head")
    return repo


@needs_kustomize
def test_check_base_reports_each_problem_once_with_its_envs(three_overlays: Path, run_cli):
    result = run_cli(["check", "--base", "HEAD~1", "--format", "json"], three_overlays)
    findings = json.loads(result.output)["findings"]
    problems = [(f["rule"], f["path"], f["line"], f["message"]) for f in findings]
    assert len(problems) == len(set(problems))  # nothing twice
    privileged = [f for f in findings if f["rule"] == "k8s/privileged-container"]
    assert len(privileged) == 1 and privileged[0]["envs"] == list(ENVS)
    text = run_cli(["check", "--base", "HEAD~1"], three_overlays).output
    assert text.count("k8s/privileged-container") == 1 and "[dev, production, staging]" in text


@needs_kustomize
def test_github_dry_run_plans_one_comment_per_problem(three_overlays: Path, run_cli, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    event = {"action": "synchronize", "number": 7, "repository": {"full_name": "octo/gitops"},
             "pull_request": {"number": 7, "head": {"sha": "a" * 40, "ref": "f", "repo": {"full_name": "octo/gitops", "fork": False}},
                              "base": {"sha": "f" * 40, "ref": "main", "repo": {"full_name": "octo/gitops"}}}}
    (tmp_path / "event.json").write_text(json.dumps(event))
    for key, value in {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_REPOSITORY": "octo/gitops",
                       "GITHUB_EVENT_PATH": str(tmp_path / "event.json"), "GITHUB_SHA": "9" * 40,
                       "GITHUB_API_URL": "http://127.0.0.1:9"}.items():
        monkeypatch.setenv(key, value)
    report_file = tmp_path / "report.json"
    result = run_cli(["check", "--base", "HEAD~1", "--publish", "github", "--dry-run", "--format", "json",
                      "-o", str(report_file)], three_overlays)
    planned = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    reviews = [r for r in planned if r.get("method") == "POST" and str(r.get("url", "")).endswith("/pulls/7/reviews")]
    comments = [c for r in reviews for c in r["body"]["comments"]]
    findings = json.loads(report_file.read_text())["findings"]
    assert len(comments) == len(findings) == len({(c["path"], c["line"], c["body"]) for c in comments})
    privileged = [c for c in comments if "k8s/privileged-container" in c["body"]]
    assert len(privileged) == 1 and "envs `dev`, `production`, `staging`" in privileged[0]["body"]


def _merge_at_once(findings, generated=None):
    """The merge as one table of every problem key (what `merge` did before it compared path by path)."""
    from dataclasses import replace

    from prcheck.filter.merge import _stable, problem_key
    from prcheck.model import SEVERITY_RANK

    groups: dict = {}
    for finding in findings:
        groups.setdefault(problem_key(finding, generated), []).append(finding)
    out = []
    for group in groups.values():
        if len(group) == 1:
            envs = tuple(sorted(set(group[0].environments)))
            out.append(_stable(replace(group[0], envs=envs) if envs != group[0].envs else group[0], group[0], generated))
            continue
        envs = tuple(sorted({e for f in group for e in f.environments}))
        first = min(group, key=lambda f: (bool(f.env), f.env))
        severity = max((f.severity for f in group), key=SEVERITY_RANK.__getitem__)
        out.append(_stable(replace(first, env="", envs=envs, severity=severity, fingerprint=""), first, generated))
    return out


def test_merge_path_by_path_equals_one_table_of_every_problem():
    import random

    rng = random.Random(7)
    findings = [Finding(rng.choice(["k8s/x", "k8s/y"]), rng.choice(["info", "warning", "error"]),
                        rng.choice(["bad", "worse", "bad-gen-7"]), rng.choice(["a.yaml", "b.yaml", ""]),
                        rng.choice([0, 3, 9]), rng.choice(["Deployment/web", "Deployment/ns/web", "Pod/gen-7", ""]),
                        env=rng.choice(["", "", "dev", "prod"]), envs=rng.choice([(), (), ("qa",)]))
                for _ in range(600)]
    findings += findings[:5]  # the same finding object listed twice
    generated = {("dev", "Pod/gen-7"): ("gen-7", "Pod/<gen>")}
    for gen in (None, generated):
        assert merge(findings, gen) == _merge_at_once(findings, gen)
        assert merge(iter(findings), gen) == _merge_at_once(findings, gen)
    assert len(merge(findings)) < len(findings)
