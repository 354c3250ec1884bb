"""Helpers for the Kyverno engine tests: policies and resources as YAML strings."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
import yaml

from prcheck.checks.policy.kyverno.engine import KyvernoEngine
from prcheck.checks.policy.kyverno.rules import compile_policy
from prcheck.checks.policy.kyverno.valuesfile import parse_values
from prcheck.sources.yaml_loader import load_text


def policy_doc(text: str, path: str = "policy.yaml"):
    loaded = load_text(textwrap.dedent(text).lstrip("\n"), path)
    assert not loaded.findings, loaded.findings
    return loaded.docs[0]


def engine(*policies: str, values: "dict | None" = None, offline: str = "skip") -> KyvernoEngine:
    compiled = [compile_policy(policy_doc(p, f"policy{i}.yaml")) for i, p in enumerate(policies)]
    return KyvernoEngine(compiled, parse_values(values) if values else None, offline=offline)


def resource(text: str) -> Any:
    return yaml.safe_load(textwrap.dedent(text))


def results(eng: KyvernoEngine, res: "str | dict", **kwargs: Any) -> dict[str, str]:
    """rule name → status for one resource."""
    obj = resource(res) if isinstance(res, str) else res
    return {r.rule.name: r.result.status for r in eng.apply(obj, **kwargs)}


def messages(eng: KyvernoEngine, res: "str | dict") -> dict[str, str]:
    obj = resource(res) if isinstance(res, str) else res
    return {r.rule.name: r.result.message for r in eng.apply(obj)}


def pattern_policy(pattern: str, kinds: str = "Pod", message: str = "bad", extra: str = "") -> str:
    """A one-rule ClusterPolicy validating `pattern` (YAML, indented freely)."""
    body = textwrap.indent(textwrap.dedent(pattern).strip("\n"), " " * 8)
    return f"""
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: p
  annotations:
    pod-policies.kyverno.io/autogen-controllers: none
spec:
  validationFailureAction: Enforce
  rules:
  - name: r
    match:
      any:
      - resources:
          kinds: [{kinds}]
{extra}    validate:
      message: "{message}"
      pattern:
{body}
"""


@pytest.fixture
def check_pattern():
    """`check_pattern(pattern_yaml, resource_yaml) -> status` for a Pod rule."""

    def run(pattern: str, res: str, kinds: str = "Pod") -> str:
        eng = engine(pattern_policy(pattern, kinds))
        obj = resource(res)
        obj.setdefault("apiVersion", "v1")
        obj.setdefault("kind", kinds)
        obj.setdefault("metadata", {"name": "x"})
        return results(eng, obj).get("r", "no-match")

    return run
