"""Name, at load time, the functions a template calls that nothing provides.

OPA refuses to compile a template that calls an unknown function, so gatekeeper
rejects it when it is created. regorus only notices when evaluation reaches
the call, which would turn a missing built-in (gatekeeper's `external_data`,
OPA built-ins this regorus build lacks) into a failure per object. Checking
every call against the template's own functions, its imports and the
built-ins regorus reports through `opa.runtime()` gives the gatekeeper answer,
once, with the function's name.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Iterable, Iterator

import regorus

from prcheck.checks.policy.rego_rewrite.ast import head_var, term_node

# Evaluated by the interpreter itself rather than listed as built-ins.
_LANGUAGE = frozenset({"print"})


@lru_cache(maxsize=1)
def regorus_builtins() -> frozenset[str]:
    """The built-in functions this regorus build provides."""
    engine = regorus.Engine()
    engine.add_policy("builtins.rego", "package prcheck_builtins\nnames := opa.runtime().builtins\n")
    return frozenset(json.loads(engine.eval_rule_as_json("data.prcheck_builtins.names"))) | _LANGUAGE


def _path(term: Any) -> list[str]:
    """`strings.any_prefix_match` → ["strings", "any_prefix_match"]; [] for computed refs."""
    kind, body = term_node(term)
    if kind == "Var":
        return [body.get("value", "")]
    if kind == "RefDot":
        base = _path(body.get("refr"))
        return base + [body["field"][1]] if base else []
    return []


def _calls(node: Any) -> Iterator[list[str]]:
    if isinstance(node, dict):
        kind, body = term_node(node)
        if kind == "Call":
            yield _path(body.get("fcn"))
        for value in node.values():
            yield from _calls(value)
    elif isinstance(node, list):
        for value in node:
            yield from _calls(value)


def _local_names(ast: dict, raw: bytes) -> set[str]:
    """Rule and function names of the module, and the names its imports bind."""
    names = set()
    for rule in ast.get("rules") or []:
        var = head_var(rule)
        if var is not None:
            names.add(str(var.get("value")))
    for imp in ast.get("imports") or []:
        span, path = imp.get("as"), _path(imp.get("refr"))
        if isinstance(span, dict):
            names.add(raw[span["start"]:span["end"]].decode("utf-8"))
        elif path and path[0] not in ("future", "rego"):
            names.add(path[-1])
    return names


def unknown_functions(modules: Iterable[tuple[dict, bytes]]) -> list[str]:
    """Functions called in these modules (ASTs with their source bytes) that nothing defines."""
    builtins = regorus_builtins()
    missing: set[str] = set()
    for ast, raw in modules:
        local = _local_names(ast, raw)
        for path in _calls(ast.get("rules")):
            if not path or path[0] in ("data", "input") or path[0] in local:
                continue  # a user function (resolved by regorus against the loaded modules) or computed
            name = ".".join(path)
            if name not in builtins:
                missing.add(name)
    return sorted(missing)
