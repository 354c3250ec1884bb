"""GitLab's Code Quality widget compares a merge request's report with the default
branch's, fingerprint by fingerprint. Both template jobs run with the real CLI on
real clones of a repository with a kustomize overlay whose patch gives a finding
only the render sees: the widget's "new" must be exactly what the merge request
added, and nothing may show as fixed that was not."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.publish.checkouts import author_and_origin, git
from tests.publish.ci_harness import real_cli_env, run_gitlab_job

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("kubectl") is None, reason="kustomize renders need kubectl")]

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""
PATCH = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      {key}: true\n"
OTHER = "apiVersion: v1\nkind: Pod\nmetadata: {name: tool}\nspec:\n  containers:\n    - {name: c, image: busybox:1.36}\n"


def overlay(patches: list[str], annotate: bool = False) -> str:
    text = "resources:\n  - ../../base\nnamePrefix: prod-\n"
    if annotate:
        text += "commonAnnotations:\n  team: shop\n"
    return text + "patches:\n" + "".join(f"  - path: {p}\n" for p in patches)


def clone(origin: Path, dest: Path, ref: str) -> Path:
    """A GitLab runner's fetch of one ref, detached."""
    dest.mkdir(parents=True)
    git(dest, "init", "--quiet")
    git(dest, "remote", "add", "origin", origin.as_uri())
    git(dest, "fetch", "--no-tags", "--quiet", "--depth=20", "origin", f"+refs/heads/{ref}:refs/pipelines/1")
    git(dest, "checkout", "--quiet", "--detach", "refs/pipelines/1")
    return dest


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    return {**real_cli_env(tmp_path), "GITLAB_CI": "true", "PRCHECK_INSTALL": "false"}


@pytest.fixture
def repository(tmp_path: Path):
    work, origin = author_and_origin(tmp_path)
    (work / "base").mkdir()
    (work / "base/deploy.yaml").write_text(DEPLOY)
    (work / "base/kustomization.yaml").write_text("resources:\n  - deploy.yaml\n")
    (work / "overlays/prod").mkdir(parents=True)
    (work / "overlays/prod/host-network.yaml").write_text(PATCH.format(key="hostNetwork"))
    (work / "overlays/prod/kustomization.yaml").write_text(overlay(["host-network.yaml"]))
    (work / "tools").mkdir()
    (work / "tools/pod.yaml").write_text(OTHER)
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "base")
    base = git(work, "rev-parse", "HEAD")
    git(work, "checkout", "--quiet", "-b", "feature")
    (work / "overlays/prod/host-pid.yaml").write_text(PATCH.format(key="hostPID"))
    (work / "overlays/prod/kustomization.yaml").write_text(overlay(["host-network.yaml", "host-pid.yaml"], True))
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "feature: annotate prod, share the PID namespace")
    head = git(work, "rev-parse", "HEAD")
    git(work, "push", "--quiet", "origin", "main", "feature")
    return origin, base, head


def issues(path: Path) -> dict[str, dict]:
    return {i["fingerprint"]: i for i in json.loads(path.read_text())}


def test_the_widget_shows_only_what_the_merge_request_added(tmp_path, repository, cli_env):
    origin, base, head = repository
    main = clone(origin, tmp_path / "main", "main")
    done = run_gitlab_job(main, "prcheck-codequality-base", {
        **cli_env, "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main", "CI_DEFAULT_BRANCH": "main",
        "CI_COMMIT_SHA": base})
    assert done.returncode == 0, done.stdout + done.stderr
    before = issues(main / "gl-code-quality-report.json")
    assert any("network namespace" in i["description"] for i in before.values())  # a rendered-only finding

    mr = clone(origin, tmp_path / "mr", "feature")
    done = run_gitlab_job(mr, "prcheck", {
        **cli_env, "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "3",
        "CI_MERGE_REQUEST_EVENT_TYPE": "detached", "CI_MERGE_REQUEST_DIFF_BASE_SHA": base,
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "CI_COMMIT_SHA": head, "PRCHECK_FAIL_ON": "never"})
    assert done.returncode == 0, done.stdout + done.stderr
    after = issues(mr / "gl-code-quality-report.json")

    new = [after[k] for k in after.keys() - before.keys()]
    fixed = [before[k] for k in before.keys() - after.keys()]
    assert [(i["check_name"], i["location"]["path"]) for i in new] == [("k8s/host-namespaces", "base/deploy.yaml")]
    assert "hostPID" in new[0]["description"] and "[env prod]" in new[0]["description"]
    assert fixed == []
    assert any(i["location"]["path"] == "tools/pod.yaml" for i in after.values())  # untouched files are in it too

    # the report of a plain run (no render) would not hold the overlay's findings: they would show as new
    plain = subprocess.run([sys.executable, "-m", "prcheck", "check", "--fail-on", "never", "--format", "codequality",
                            "-o", str(tmp_path / "plain.json"), "."], cwd=main, env={**os.environ, **cli_env},
                           capture_output=True, text=True, timeout=300)
    assert plain.returncode == 0, plain.stderr
    plain_new = after.keys() - issues(tmp_path / "plain.json").keys()
    assert any("network namespace" in after[k]["description"] for k in plain_new)
