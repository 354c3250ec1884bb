"""Hostile pull requests as real git repositories, and a canary that must never show.

The canary is one random value planted where a CI job keeps its secrets: the
process environment (`GITHUB_TOKEN`, a `*_SECRET`, a GitLab `CI_JOB_TOKEN`),
the checkout's `.git/config` (the `http.extraheader` line actions/checkout
persists) and a file outside the repository. `Canary.leaks` looks for it raw,
base64-encoded (every alignment) and hex-encoded in whatever a run produced.
"""

from __future__ import annotations

import base64
import os
import secrets
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

import prcheck
from tests.conftest import git, write

PACKAGE_ROOT = str(Path(prcheck.__file__).resolve().parent.parent)


def encodings(value: str) -> list[str]:
    raw = value.encode()
    forms = {value, raw.hex()}
    for shift in range(3):  # base64 of the value at any offset inside a longer text:
        encoded = base64.b64encode(b"x" * shift + raw).decode()  # the characters that depend on
        forms.add(encoded[4 if shift else 0:-4])  # the value's bytes alone
    return sorted(forms)


@dataclass
class Canary:
    value: str
    outside: Path
    env: dict[str, str] = field(default_factory=dict)

    def leaks(self, *texts: str) -> list[str]:
        found = []
        for form in encodings(self.value):
            found.extend(form for text in texts if form in text)
        return found


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    files: dict[str, str]

    def everything(self) -> list[str]:
        return [self.stdout, self.stderr, *self.files.values()]


@pytest.fixture
def canary(tmp_path: Path) -> Canary:
    value = "canary" + secrets.token_hex(12)
    outside = tmp_path / "outside"
    write(outside, {
        "secret.txt": f"{value}\n",
        "cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: outside}}\ndata: {{canary: {value}}}\n",
        "dir/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: outside-dir}}\ndata: {{canary: {value}}}\n",
        "dir/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [cm.yaml]\n",
    })
    env = {"GITHUB_TOKEN": value, "DEPLOY_SECRET": value, "CI_JOB_TOKEN": value, "AWS_SECRET_ACCESS_KEY": value}
    return Canary(value, outside, env)


@pytest.fixture
def hostile_repo(repo: Path, canary: Canary) -> Path:
    """A repository whose `.git/config` holds the canary as actions/checkout stores a token."""
    header = base64.b64encode(f"x-access-token:{canary.value}".encode()).decode()
    git(repo, "config", "http.https://github.com/.extraheader", f"AUTHORIZATION: basic {header}")
    git(repo, "config", "remote.origin.url", "https://git.example.com/org/repo.git")
    write(repo, {"apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: b}\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-qb", "pr")
    return repo


def run_prcheck(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 120,
                outputs: tuple[str, ...] = ()) -> Run:
    """`prcheck ARGS` as its own process (renders, signals and exit codes as in CI)."""
    full_env = {**os.environ, **(env or {}), "PYTHONPATH": PACKAGE_ROOT}
    full_env.pop("RUST_BACKTRACE", None)
    proc = subprocess.run([sys.executable, "-m", "prcheck", *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)
    files = {name: (cwd / name).read_text(encoding="utf-8", errors="replace")
             for name in outputs if (cwd / name).is_file()}
    return Run(proc.returncode, proc.stdout, proc.stderr, files)


ALL_FORMATS = ("out.json", "out.md", "out.sarif", "out.xml", "out.cq.json")


def all_formats_args() -> list[str]:
    return ["--format", "json", "-o", "out.json", "--format", "markdown", "-o", "out.md",
            "--format", "sarif", "-o", "out.sarif", "--format", "junit", "-o", "out.xml",
            "--format", "codequality", "-o", "out.cq.json", "--format", "text"]


def commit_pr(repo: Path, files: dict[str, str], links: dict[str, str] | None = None) -> None:
    write(repo, files)
    for link, target in (links or {}).items():
        path = repo / link
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "pr")


@pytest.fixture
def listener() -> Iterator[list[str]]:
    """A TCP server on 127.0.0.1; the list collects one entry per connection it got."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    connections: list[str] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            connections.append("connection")
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    connections.append(str(server.getsockname()[1]))  # the first entry is the port
    yield connections
    stop.set()
    thread.join(1)
    server.close()


@pytest.fixture
def ssh_stub(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """GIT_SSH_COMMAND/GIT_SSH pointing at a script that logs each call."""
    log = tmp_path / "ssh.log"
    script = tmp_path / "ssh-stub.sh"
    script.write_text(f"#!/bin/sh\necho \"ssh $*\" >> {log}\nexit 255\n")
    script.chmod(0o755)
    return {"GIT_SSH_COMMAND": str(script), "GIT_SSH": str(script)}, log
