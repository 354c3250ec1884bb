"""Titles and default severities of known rules, for formats that describe rules (SARIF)."""

from __future__ import annotations

from prcheck.checks.lint import ALL_RULES

SCHEMA_RULES = {
    "schema/invalid": "manifest does not match its Kubernetes JSON schema",
    "schema/unknown-api": "apiVersion/kind not served by the target Kubernetes version",
    "schema/missing": "no JSON schema known for this kind",
}


def rule_title(rule_id: str) -> str:
    for rule in ALL_RULES:
        if rule.id == rule_id:
            return rule.title
    return SCHEMA_RULES.get(rule_id, rule_id)
