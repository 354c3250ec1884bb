"""The GitLab template's install cache lives in `.prcheck-cache/` inside the project
(GitLab caches only paths there). prcheck lists files with `git ls-files --cached
--others --exclude-standard`, so untracked files are collected: the template lists
the folder in `.git/info/exclude`, and these tests show both halves, on real clones
with the real CLI. Files a merge request commits there are still checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from prcheck.sources.gitdiff import changes
from tests.publish.checkouts import BAD_POD, author_and_origin, git
from tests.publish.ci_harness import REPO, real_cli_env, run_gitlab_job

VENV_FILE = ".prcheck-cache/venv/lib/python3.12/site-packages/pkg/data/pod.yaml"


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    return {**real_cli_env(tmp_path), "GITLAB_CI": "true", "PRCHECK_INSTALL": "false"}


def merge_request(tmp_path: Path, committed: dict[str, str] | None = None):
    """origin with main and a feature branch, and the runner's clone of the feature."""
    work, origin = author_and_origin(tmp_path)
    (work / "apps").mkdir()
    (work / "apps/web.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {n: \"1\"}\n")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "base")
    base = git(work, "rev-parse", "HEAD")
    git(work, "checkout", "--quiet", "-b", "feature")
    (work / "apps/web.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {n: \"2\"}\n")
    for path, text in (committed or {}).items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "feature")
    git(work, "push", "--quiet", "origin", "main", "feature")
    clone = tmp_path / "builds/group/gitops"
    clone.mkdir(parents=True)
    git(clone, "init", "--quiet")
    git(clone, "remote", "add", "origin", origin.as_uri())
    git(clone, "fetch", "--quiet", "--no-tags", "origin", "+refs/heads/feature:refs/pipelines/1", "main")
    git(clone, "checkout", "--quiet", "--detach", "refs/pipelines/1")
    return clone, base


def restore_cache(project: Path) -> None:
    """What GitLab's cache restore leaves: a virtualenv, with YAML and JSON among its files."""
    (project / VENV_FILE).parent.mkdir(parents=True, exist_ok=True)
    (project / VENV_FILE).write_text(BAD_POD)
    (project / ".prcheck-cache/venv/.prcheck-stamp").write_text("stamp\n")
    (project / ".prcheck-cache/pip/http-v2/selfcheck.json").parent.mkdir(parents=True)
    (project / ".prcheck-cache/pip/http-v2/selfcheck.json").write_text("{}")


def job_env(cli_env: dict[str, str], project: Path, base: str) -> dict[str, str]:
    return {**cli_env, "CI_PROJECT_DIR": str(project), "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_MERGE_REQUEST_IID": "3", "CI_MERGE_REQUEST_EVENT_TYPE": "detached",
            "CI_MERGE_REQUEST_DIFF_BASE_SHA": base, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
            "PRCHECK_FAIL_ON": "never"}


def paths_in(report: Path) -> set[str]:
    return {i["location"]["path"] for i in json.loads(report.read_text())}


def test_the_cache_paths_are_inside_the_project():
    template = yaml.safe_load((REPO / ".gitlab-ci-template.yml").read_text())
    cache = template[".prcheck"]["cache"]
    assert cache["paths"] == [".prcheck-cache/"] and cache["when"] == "always"
    assert cache["key"] == "prcheck-venv-$PRCHECK_REF"  # the commit that fixes requirements/ci.txt


def test_collection_sees_untracked_files_so_the_folder_must_be_excluded(tmp_path, cli_env):
    project, base = merge_request(tmp_path)
    restore_cache(project)
    plain = subprocess.run([sys.executable, "-m", "prcheck", "check", "--format", "json", "."], cwd=project,
                           env={**os.environ, **cli_env}, capture_output=True, text=True, timeout=300)
    assert VENV_FILE in {f["path"] for f in json.loads(plain.stdout)["findings"]}  # untracked files are collected
    assert VENV_FILE in changes(project, base).changed_paths()  # and count as added by the change


def test_the_jobs_never_collect_the_cached_virtualenv(tmp_path, cli_env):
    project, base = merge_request(tmp_path)
    restore_cache(project)
    done = run_gitlab_job(project, "prcheck", job_env(cli_env, project, base))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "/.prcheck-cache/" in (project / ".git/info/exclude").read_text().splitlines()
    assert not any(p.startswith(".prcheck-cache") for p in paths_in(project / "gl-code-quality-report.json"))
    assert "prcheck-cache" not in (project / "prcheck-junit.xml").read_text()
    assert VENV_FILE not in changes(project, base).changed_paths()
    assert (project / VENV_FILE).exists()  # the cache itself is left for the next job
    again = run_gitlab_job(project, "prcheck", job_env(cli_env, project, base))  # idempotent: one exclude line
    assert again.returncode == 0 and (project / ".git/info/exclude").read_text().count("/.prcheck-cache/") == 1


def test_files_a_merge_request_commits_there_are_checked_as_committed(tmp_path, cli_env):
    committed = ".prcheck-cache/venv/lib/python3.12/site-packages/pkg/data/pod.yaml"
    project, base = merge_request(tmp_path, {committed: BAD_POD})
    restore_cache(project)  # the restore overwrote the committed file with the cache's copy
    (project / committed).write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: harmless}\n")
    done = run_gitlab_job(project, "prcheck", dict(job_env(cli_env, project, base), PRCHECK_FAIL_ON="error"))
    assert "checked as committed, the install cache is not used" in done.stdout
    assert done.returncode == 1, done.stdout + done.stderr  # the committed privileged Pod counts
    assert (project / committed).read_text() == BAD_POD
    assert committed in paths_in(project / "gl-code-quality-report.json")
    assert not (project / ".prcheck-cache/pip").exists()  # what the cache restored is gone
