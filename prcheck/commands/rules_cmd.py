"""`prcheck rules [ID]`: every rule prcheck can report, or the docs of one.

Lists the built-in pack (Rego and Python rules, from their METADATA), the
lint and schema rules, the secret rules, and the findings prcheck raises about
the run itself (renders, paths, policy loading, trust, suppressions), so a
user can look up any rule id a report shows.
"""

from __future__ import annotations

import difflib
import json
import sys

import click

from prcheck.cli import EXIT_ERROR, guarded

_SCHEMA_SEVERITY = {"schema/invalid": "error", "schema/unknown-api": "error", "schema/missing": "info"}


def all_rules() -> list:
    """RuleInfo for every rule prcheck knows, sorted by id."""
    from prcheck.checks.lint import ALL_RULES
    from prcheck.checks.policy.builtin_catalog import META_RULES, RuleInfo, load_catalog
    from prcheck.checks.secrets import gitleaks_rules
    from prcheck.report.rules_meta import SCHEMA_RULES
    from prcheck.tool_rules import TOOL_RULES

    rules = list(load_catalog()) + list(META_RULES) + list(TOOL_RULES) + gitleaks_rules()
    rules += [RuleInfo(r.id, r.title, r.severity, "lint", r.description) for r in ALL_RULES]
    rules += [RuleInfo(rule_id, title, _SCHEMA_SEVERITY.get(rule_id, "error"), "schema")
              for rule_id, title in SCHEMA_RULES.items()]
    return sorted(rules, key=lambda r: r.id)


@click.command()
@click.argument("rule_id", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format.")
@guarded
def rules(rule_id: str | None, fmt: str) -> None:
    """List every rule (id, severity, engine, title), or describe RULE_ID."""
    known = all_rules()
    if rule_id:
        match = [r for r in known if r.id == rule_id]
        if not match:
            close = difflib.get_close_matches(rule_id, [r.id for r in known], n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
            click.echo(f"prcheck: error: unknown rule '{rule_id}' ({hint}see `prcheck rules`)", err=True)
            sys.exit(EXIT_ERROR)
        known = match
    if fmt == "json":
        click.echo(json.dumps([vars(r) for r in known], indent=2))
        return
    if rule_id:
        rule = known[0]
        click.echo(f"{rule.id}  ({rule.severity}, {rule.engine})")
        click.echo(rule.title)
        if rule.description:
            click.echo(f"\n{rule.description}")
        if rule.remediation:
            click.echo(f"\nFix: {rule.remediation}")
        if rule.source:
            click.echo(f"\nSource: {rule.source}")
        return
    width = max(len(r.id) for r in known)
    click.echo(f"{'ID':<{width}}  {'SEVERITY':<8}  {'ENGINE':<7}  TITLE")
    for rule in known:
        click.echo(f"{rule.id:<{width}}  {rule.severity:<8}  {rule.engine:<7}  {rule.title}")
