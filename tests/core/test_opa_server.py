"""The OPA-server engine, through opa-python-client, against a local stand-in
server backed by the embedded engine: both engines must give identical findings."""

import os
import stat
import sys
from pathlib import Path

import pytest

from prcheck.checks.policy.base import PolicyError
from prcheck.checks.policy.rego import LocalOpaServer, RegoEngine
from prcheck.sources.yaml_loader import load_text
from tests.conftest import write
from tests.core.test_rego import POD, V0_POLICY, V1_POLICY
from tests.fake_opa import serve

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def opa():
    server, state = serve()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    exception = '\nexception contains rules if {\n  input.metadata.name == "skip-me"\n  rules := ["images"]\n}\n'
    write(tmp_path / "policy", {"v1.rego": V1_POLICY + exception, "v0.rego": V0_POLICY})
    write(tmp_path / "data", {"d.yaml": "allowed: [a]\n"})
    return tmp_path


def fixture_docs():
    text = POD + "---\n" + POD.replace("name: p\n", "name: skip-me\n") + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {a: b}\n"
    return load_text(text, "all.yaml", kind="kubernetes").docs


def outcome(evaluation):
    return (sorted((f.rule, f.severity, f.message, f.path, f.line, f.resource) for f in evaluation.findings),
            sorted((s.finding.rule, s.finding.resource) for s in evaluation.suppressed), evaluation.passed)


def test_server_engine_matches_embedded_engine(opa, policy_dir: Path):
    url, state = opa
    args = ([str(policy_dir / "policy")], [str(policy_dir / "data")])
    embedded = RegoEngine.from_paths(*args)
    server = RegoEngine.from_paths(*args, opa_url=url)
    try:
        assert outcome(server.evaluate(fixture_docs())) == outcome(embedded.evaluate(fixture_docs()))
        assert outcome(embedded.evaluate(fixture_docs()))[1] == [("corp/pinned", "Pod/skip-me")]
    finally:
        server.close()
    puts = [path for method, path in state.requests if method == "PUT"]
    assert sorted(p for p in puts if p.startswith("/v1/policies/")) == [
        "/v1/policies/prcheck/0/v0.rego", "/v1/policies/prcheck/1/v1.rego"]
    assert ("PATCH", "/v1/data/") in state.requests
    posts = [path for method, path in state.requests if method == "POST"]
    # one query per (document, rule) plus one exception query per document
    assert len(posts) == 3 * (4 + 1)
    assert "/v1/data/main/deny_images" in posts
    assert [m for m, _ in state.requests].count("DELETE") == 2  # policies removed after the run


def test_server_rejecting_a_policy_is_a_policy_error(opa, tmp_path: Path):
    url, _ = opa
    write(tmp_path / "policy", {"bad.rego": "package main\ndeny contains x if {\n"})
    with pytest.raises(PolicyError):
        RegoEngine.from_paths([str(tmp_path / "policy")], opa_url=url)


def test_unreachable_server_is_one_clear_error(tmp_path: Path):
    write(tmp_path / "policy", {"p.rego": V1_POLICY})
    with pytest.raises(PolicyError, match="OPA server refused"):
        RegoEngine.from_paths([str(tmp_path / "policy")], opa_url="http://127.0.0.1:9")


def test_local_opa_binary_is_started_and_stopped(tmp_path: Path, policy_dir: Path):
    fake = tmp_path / "bin" / "opa"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\ncd {REPO}\nexec {sys.executable} -m tests.fake_opa \"$@\"\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    server = LocalOpaServer(str(fake), timeout=20)
    try:
        engine = RegoEngine.from_paths([str(policy_dir / "policy")], opa_url=server.url)
        assert {f.message for f in engine.evaluate(fixture_docs()).findings} >= {"v0 says no", "pinned line"}
        engine.close()
    finally:
        server.close()
    assert server._proc.poll() is not None


def test_missing_opa_binary_is_a_clear_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", os.devnull)
    with pytest.raises(PolicyError, match="--opa-url"):
        LocalOpaServer()
