"""Lint rules: the registry is a list; a rule is data plus one function."""

from __future__ import annotations

from typing import Collection, Iterator, Sequence

from prcheck.checks.context import CheckContext
from prcheck.checks.lint import duplicate_resource, empty_document, missing_fields, non_mapping
from prcheck.checks.lint.parser_rules import PARSER_RULES
from prcheck.checks.lint.rule import LintRule
from prcheck.model import Finding
from prcheck.sources.yaml_loader import LoadedFile

RULES: list[LintRule] = [
    missing_fields.RULE,
    non_mapping.RULE,
    empty_document.RULE,
    duplicate_resource.RULE,
]
ALL_RULES: list[LintRule] = PARSER_RULES + RULES


def check(files: Sequence[LoadedFile], ctx: CheckContext, scopes: Collection[str] = ("file", "run")) -> Iterator[Finding]:
    for rule in RULES:
        if rule.check is not None and rule.scope in scopes:
            yield from rule.check(files, ctx)
