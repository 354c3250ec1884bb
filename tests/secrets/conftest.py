"""Shared fixtures for the built-in pack tests: the pack is compiled once per session."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

import pytest

from prcheck.checks.policy.builtin import BuiltinEngine
from prcheck.model import Finding
from prcheck.sources.yaml_loader import load_text


@pytest.fixture(scope="session")
def pack() -> Iterator[BuiltinEngine]:
    engine = BuiltinEngine()
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def evaluate(pack: BuiltinEngine):
    """Findings of the whole pack for one YAML text, as `prcheck check` would report them."""

    def run(text: str, kind: str = "kubernetes", path: str = "file.yaml", kube_version: str | None = None) -> list[Finding]:
        text = textwrap.dedent(text).lstrip("\n")
        loaded = load_text(text, path, kind)
        engine = pack.with_kube_version(kube_version) if kube_version else pack
        return engine.evaluate([d for d in loaded.docs if d.obj is not None]).findings

    return run


def rules_of(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}
