"""Renders run in child processes with nothing to steal and limits on what they use."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from prcheck.render.sandbox import SandboxPool, scrubbed_environment
from prcheck.render.worktree import remove_stale
from tests.conftest import git
from tests.render.conftest import needs_helm
from tests.trust.conftest import ALL_FORMATS, PACKAGE_ROOT, Canary, all_formats_args, commit_pr, run_prcheck

SECRETS = {"GITHUB_TOKEN": "t", "CI_JOB_TOKEN": "t", "GITLAB_TOKEN": "t", "NPM_TOKEN": "t", "MY_SECRET": "t",
           "AWS_SECRET_ACCESS_KEY": "t", "SSH_AUTH_SOCK": "/tmp/agent", "GIT_SSH_COMMAND": "ssh -i key",
           "GIT_ASKPASS": "/bin/echo", "CI_SERVER_URL": "u", "GITHUB_API_URL": "u"}


def test_scrubbed_environment_keeps_nothing_secret(tmp_path: Path) -> None:
    env = scrubbed_environment(tmp_path, source={**SECRETS, "PATH": "/usr/bin", "LANG": "C.UTF-8"})
    assert env["PATH"] == "/usr/bin" and env["LANG"] == "C.UTF-8"
    assert not {"GITHUB_TOKEN", "CI_JOB_TOKEN", "GITLAB_TOKEN", "NPM_TOKEN", "MY_SECRET", "AWS_SECRET_ACCESS_KEY",
                "SSH_AUTH_SOCK", "CI_SERVER_URL", "GITHUB_API_URL"} & env.keys()
    assert env["HOME"] == str(tmp_path) and env["GIT_SSH_COMMAND"] == "false" and env["GIT_ASKPASS"] == "false"
    assert env["GIT_ALLOW_PROTOCOL"] == "file" and env["GIT_CONFIG_NOSYSTEM"] == "1"
    remote = scrubbed_environment(tmp_path, allow_remote=True, source=SECRETS)
    assert "GIT_ALLOW_PROTOCOL" not in remote and "GITHUB_TOKEN" not in remote


def test_workers_see_the_scrubbed_environment_even_in_proc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "canary-in-parent")
    with SandboxPool(1) as pool:
        [env, home] = pool.map("subprocess:getoutput", [("cat /proc/self/environ",), ("echo $HOME",)], 30)
    assert env.value is not None and "canary-in-parent" not in env.value
    assert home.value.strip().startswith(os.environ.get("TMPDIR", "/tmp").rstrip("/")) or "prcheck-render-home" in home.value


def test_each_call_has_its_own_deadline() -> None:
    """Six 0.4 s calls on two workers take 1.2 s; each is within its 1 s deadline."""
    with SandboxPool(2) as pool:
        started = time.monotonic()
        outcomes = pool.map("time:sleep", [(0.4,)] * 6, 1.0)
        assert [o.timed_out or bool(o.error) for o in outcomes] == [False] * 6
        assert time.monotonic() - started > 1.0
        [late, after] = pool.map("time:sleep", [(5,), (0,)], 0.5)
    assert late.timed_out and not after.timed_out and not after.error


def test_a_dying_worker_is_one_failed_call_and_is_replaced() -> None:
    with SandboxPool(1) as pool:
        [died, fine] = pool.map("os:abort", [(), ()], 10)[:1] + pool.map("os:getpid", [()], 10)
    assert "SIGABRT" in died.error and fine.value


def test_memory_is_limited() -> None:
    with SandboxPool(1, memory_bytes=512 * 1024 ** 2) as pool:
        [outcome] = pool.map("builtins:bytearray", [(2 * 1024 ** 3,)], 30)
    assert "MemoryError" in outcome.error or "exited" in outcome.error


@needs_helm
def test_helm_memory_bomb_in_a_new_chart_is_a_render_failure(hostile_repo: Path, canary: Canary) -> None:
    commit_pr(hostile_repo, {
        "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n", "charts/app/values.yaml": "a: 1\n",
        "charts/app/values-prod.yaml": "a: 2\n",
        "charts/app/templates/cm.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n'
                                        'data: {a: {{ repeat 2000000000 "abcdefgh" | quote }}}\n'})
    run = run_prcheck(["check", ".", "--base", "main", *all_formats_args()], hostile_repo, env=canary.env,
                      outputs=ALL_FORMATS)
    assert run.returncode == 1, run.stderr
    assert "render/failed" in run.stdout and "out of memory" in run.stdout
    assert "goroutine" not in run.stderr and "Traceback" not in run.stderr
    assert set(run.files) == set(ALL_FORMATS)
    assert git(hostile_repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_stale_base_worktrees_are_removed_live_ones_kept(hostile_repo: Path, tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale, live = tmp_path / "prcheck-base-old" / "tree", tmp_path / "prcheck-base-live" / "tree"
    git(hostile_repo, "worktree", "add", "--detach", "--lock", "--reason", f"prcheck run, pid {dead.pid}", str(stale), "main")
    git(hostile_repo, "worktree", "add", "--detach", "--lock", "--reason", f"prcheck run, pid {os.getpid()}", str(live), "main")
    assert remove_stale(hostile_repo) == [str(stale)]
    listing = git(hostile_repo, "worktree", "list", "--porcelain")
    assert str(stale) not in listing and str(live) in listing and not stale.exists()


@needs_helm
def _worktrees_while_busy(repo: Path) -> str:
    """`git worktree list` fails while another process is half-way through adding one; that is "not yet"."""
    listed = subprocess.run(["git", "-C", str(repo), "worktree", "list"], capture_output=True, text=True)
    return listed.stdout if listed.returncode == 0 else ""


def test_sigterm_during_a_render_leaves_no_worktree_and_no_traceback(hostile_repo: Path) -> None:
    commit_pr(hostile_repo, {
        "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n", "charts/app/values.yaml": "a: 1\n",
        "charts/app/values-prod.yaml": "a: 2\n",
        "charts/app/templates/cm.yaml": "{{ range until 100000000 }}{{ . }}{{ end }}\n"})
    proc = subprocess.Popen([sys.executable, "-m", "prcheck", "check", ".", "--base", "main"], cwd=hostile_repo,
                            env={**os.environ, "PYTHONPATH": PACKAGE_ROOT}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while "prcheck-base-" not in _worktrees_while_busy(hostile_repo) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert git(hostile_repo, "worktree", "list", "--porcelain").count("worktree ") == 1
