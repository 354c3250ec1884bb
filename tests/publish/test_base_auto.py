"""`--base auto` (pre-commit and local runs) on real clones of an origin whose main
moved on after the branch was cut (a privileged Pod landed there): the merge base
with the branch's upstream, else with origin/HEAD, else one line saying what to pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from prcheck.publish.cibase import BaseError, auto_base
from prcheck.sources.gitdiff import changes
from tests.publish.checkouts import advanced_origin, git

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def origin(tmp_path):
    return advanced_origin(tmp_path)


def clone(origin, dest: Path) -> Path:
    git(dest.parent, "clone", "--quiet", origin.path.as_uri(), str(dest))  # sets origin/HEAD -> origin/main
    for key, value in (("user.name", "Dev"), ("user.email", "dev@example.com"), ("commit.gpgsign", "false")):
        git(dest, "config", key, value)
    return dest


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "prcheck", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_upstream_of_the_current_branch_wins(tmp_path, origin):
    work = clone(origin, tmp_path / "work")
    git(work, "checkout", "--quiet", "-b", "mine", "--track", "origin/feature")
    (work / "apps/extra.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "local work")
    base, ref = auto_base(work)
    assert (base, ref) == (origin.head, "origin/feature")  # what is not pushed yet
    assert changes(work, base).changed_paths() == {"apps/extra.yaml"}


def test_without_an_upstream_the_default_branch_merge_base(tmp_path, origin):
    work = clone(origin, tmp_path / "work")
    git(work, "checkout", "--quiet", "-b", "local", origin.head)  # no upstream
    (work / "apps/web.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {count: \"8\"}\n")
    base, ref = auto_base(work)
    assert (base, ref) == (origin.branch_point, "origin/main")  # not main's tip: its Pod is not this change
    assert changes(work, base).changed_paths() == {"apps/web.yaml"}


def test_a_detached_head_uses_the_default_branch(tmp_path, origin):
    work = clone(origin, tmp_path / "work")
    git(work, "checkout", "--quiet", "--detach", origin.head)
    assert auto_base(work) == (origin.branch_point, "origin/main")


def test_another_remote_s_default_branch_when_origin_has_none(tmp_path, origin):
    work = clone(origin, tmp_path / "work")
    git(work, "remote", "rename", "origin", "upstream")
    git(work, "checkout", "--quiet", "-b", "local", origin.head)
    assert auto_base(work) == (origin.branch_point, "upstream/main")


def test_no_upstream_and_no_default_branch_is_one_line_saying_what_to_pass(tmp_path, origin):
    work = tmp_path / "solo"
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(work))
    with pytest.raises(BaseError, match="no commit yet"):
        auto_base(work)
    (work / "a.yaml").write_text("a: 1\n")
    git(work, "add", "-A")
    git(work, "-c", "user.name=x", "-c", "user.email=x@example.com", "commit", "--quiet", "-m", "one")
    with pytest.raises(BaseError, match=r"use --base <ref> \(e\.g\. --base origin/main\)"):
        auto_base(work)
    done = cli(work, "check", "--base", "auto", ".")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "--base auto: the current branch has no upstream" in done.stderr
    assert "use --base <ref> (e.g. --base origin/main)" in done.stderr  # the whole advice reaches the user


def test_outside_a_repository_it_says_so(tmp_path):
    (tmp_path / "a.yaml").write_text("a: 1\n")
    done = cli(tmp_path, "check", "--base", "auto", ".")
    assert done.returncode == 2
    assert done.stderr.strip() == "prcheck: error: --base auto needs a git repository: run it inside one, or use --base <ref>"


def test_the_cli_checks_only_the_branch_s_change(tmp_path, origin):
    work = clone(origin, tmp_path / "work")
    git(work, "checkout", "--quiet", "-b", "local", origin.head)
    git(work, "merge", "--quiet", "--no-edit", "origin/main")  # the privileged Pod is now in the tree
    (work / "apps/web.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {count: \"9\"}\n")
    done = cli(work, "check", "--base", "auto", "--format", "json", ".")
    assert done.returncode == 0, done.stderr
    assert f"--base auto: merge base {origin.main_tip[:12]} with origin/main" in done.stderr
    report = json.loads(done.stdout)
    assert not [f for f in report["findings"] if f["path"] == "ops/pod.yaml"]  # main's, not this change's
    plain = cli(work, "check", "--format", "json", ".")
    assert any(f["path"] == "ops/pod.yaml" for f in json.loads(plain.stdout)["findings"])  # the Pod does fail
