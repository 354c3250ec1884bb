"""Titles and default severities of known rules, for formats that describe rules (SARIF)."""

from __future__ import annotations

from prcheck.checks.lint import ALL_RULES

SCHEMA_RULES = {
    "schema/invalid": "Manifest does not match its Kubernetes JSON schema",
    "schema/unknown-api": "apiVersion/kind not served by the target Kubernetes version",
    "schema/missing": "No JSON schema known for this kind",
}


def rule_titles() -> dict[str, str]:
    """Every rule prcheck knows of: lint, schema, the built-in pack and the run's own."""
    from prcheck.checks.policy.builtin_catalog import load_catalog
    from prcheck.tool_rules import TOOL_RULES

    titles = {rule.id: rule.title for rule in load_catalog()}
    titles.update(SCHEMA_RULES)
    titles.update({rule.id: rule.title for rule in ALL_RULES})
    titles.update({rule.id: rule.title for rule in TOOL_RULES})
    return titles
