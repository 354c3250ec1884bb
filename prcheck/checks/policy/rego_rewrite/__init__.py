"""Rego as OPA means it, spelled so that regorus reads it the same way.

regorus parses and evaluates a few constructs differently from OPA. Rather
than patch the engine, each difference is one source-to-source rewrite that
produces the Rego OPA's own compiler would evaluate:

- `chains`: v0's `p { a } { b }` is two definitions, not an `else`;
- `scoping`: a `some`/`:=` in a comprehension or `every` body declares a new
  variable even when the enclosing body has one of that name;
- `negation`: the operands of a negated call are bound before the `not`.

Every Rego engine in prcheck (conftest policies, the built-in pack,
Gatekeeper templates) loads the rewritten text; an OPA server receives the
module as written.
"""

from __future__ import annotations

from prcheck.checks.policy.rego_rewrite.ast import parse_ast
from prcheck.checks.policy.rego_rewrite.chains import split_chained_bodies
from prcheck.checks.policy.rego_rewrite.negation import hoist_negated_operands
from prcheck.checks.policy.rego_rewrite.scoping import scope_nested_declarations

__all__ = ["for_regorus", "parse_ast", "split_chained_bodies"]


def for_regorus(text: str, v0: bool, ast: dict | None = None) -> str:
    """The module after the AST rewrites; `text` must already parse (chains split).

    `ast` is regorus' AST of `text` when the caller has it; raises RuntimeError
    as regorus does when `text` does not parse.
    """
    scoped = scope_nested_declarations(text, v0, ast)
    if scoped != text:
        ast = None  # the spans moved
    return hoist_negated_operands(scoped, v0, ast)
