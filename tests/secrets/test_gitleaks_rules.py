"""Every rule of the shipped gitleaks rule set: compiled by RE2, fires on a value built from its own
pattern (placed in a ConfigMap, as a secret usually lands in a GitOps repository), and stays quiet on
look-alikes its definition excludes."""

from __future__ import annotations

import yaml
import pytest

from prcheck.checks.secrets import SecretsEngine, SecretsSettings
from prcheck.checks.secrets.engine import _default_matcher
from prcheck.checks.secrets.gitleaks import load_default
from prcheck.sources.yaml_loader import load_text
from tests.secrets.samples import negatives, positive

RULES = [r for r in load_default().rules if r.regex is not None and r.path is None]


@pytest.fixture(scope="module")
def engine() -> SecretsEngine:
    return SecretsEngine.from_settings(SecretsSettings())


def in_configmap(engine: SecretsEngine, value: str) -> list:
    text = yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                           "data": {"sample": value}}, width=10**6)
    return [f for d in load_text(text, "cm.yaml", "kubernetes").docs for f in engine.scan(d)]


def test_the_shipped_rules_all_run_on_re2():
    engines = _default_matcher().engines()
    assert len(engines) >= 200
    assert {e for rule, e in engines.items() if rule != "pkcs12-file"} == {"re2"}


def test_nearly_every_rule_yields_a_sample_from_its_own_pattern():
    built = [r.id for r in RULES if positive(r) is not None]
    assert len(built) >= 0.97 * len(RULES), sorted({r.id for r in RULES} - set(built))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_fires_on_its_sample_and_not_on_look_alikes(engine: SecretsEngine, rule):
    sample = positive(rule)
    if sample is None:
        pytest.skip("no sample built from this pattern")
    found = in_configmap(engine, sample)
    assert found, f"{rule.id}: nothing found in {sample!r}"
    assert all(sample not in f.message for f in found)
    for look_alike in negatives(rule, sample):
        assert f"secrets/{rule.id}" not in {f.rule for f in in_configmap(engine, look_alike)}, look_alike
