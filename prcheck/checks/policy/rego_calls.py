"""Check, at load time, every function a module calls, as OPA's compiler does.

OPA refuses to compile a module that calls an unknown function (and, with a
capabilities file, one the file does not list). regorus only notices when
evaluation reaches the call, which would turn a missing built-in into a
failure per document, or into a silent pass where the call is never reached.
Checking every call against the package's own rules and functions, the
imports and the built-ins this engine provides (regorus' own, reported by
`opa.runtime()`, plus prcheck's extensions) gives OPA's answer once, with
the function's name and line. Network built-ins are not errors but
`policy/builtin-refused` findings: the module loads, the rules that reach
the call produce nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Collection, Iterable, Iterator, Sequence

from prcheck.checks.policy.base import PolicyError
from prcheck.checks.policy.rego_builtins import ALL, DEPRECATED, REFUSED, new_engine, refusal_message
from prcheck.checks.policy.rego_rewrite.ast import head_var, term_node
from prcheck.model import Finding

# Evaluated by the interpreter itself rather than listed as built-ins.
_LANGUAGE = frozenset({"print"})
REFUSED_RULE = "policy/builtin-refused"


@lru_cache(maxsize=1)
def regorus_builtins() -> frozenset[str]:
    """The built-in functions this regorus build provides natively."""
    engine = new_engine(allowed=())
    engine.add_policy("builtins.rego", "package prcheck_builtins\nnames := opa.runtime().builtins\n")
    return frozenset(json.loads(engine.eval_rule_as_json("data.prcheck_builtins.names"))) - set(REFUSED)


def available_builtins(allowed: Collection[str] | None = None) -> frozenset[str]:
    """What a policy may call: regorus' built-ins and prcheck's, within `allowed` when given."""
    names = regorus_builtins() | {e.name for e in ALL}
    if allowed is not None:
        names &= set(allowed)
    return names | _LANGUAGE


def _path(term: Any) -> list[str]:
    """`strings.any_prefix_match` → ["strings", "any_prefix_match"]; [] for computed refs."""
    kind, body = term_node(term)
    if kind == "Var":
        return [body.get("value", "")]
    if kind == "RefDot":
        base = _path(body.get("refr"))
        return base + [body["field"][1]] if base else []
    return []


def _calls(node: Any) -> Iterator[tuple[list[str], int]]:
    """(function path, line) of every call."""
    if isinstance(node, dict):
        kind, body = term_node(node)
        if kind == "Call":
            yield _path(body.get("fcn")), body.get("span", {}).get("line", 0)
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


@dataclass(frozen=True)
class Call:
    name: str
    path: str  # the module's file
    line: int
    v0: bool


def builtin_calls(modules: Iterable[tuple[dict, bytes, str, str, bool]]) -> list[Call]:
    """Calls that no module defines, from (ast, source, package, file, v0) per module:
    a function of the same package may live in another file."""
    modules = list(modules)
    local: dict[str, set[str]] = {}
    for ast, raw, package, _, _ in modules:
        local.setdefault(package, set()).update(_local_names(ast, raw))
    found = []
    for ast, raw, package, path, v0 in modules:
        mine = local[package] | _local_names(ast, raw)
        for parts, line in _calls(ast.get("rules")):
            if parts and parts[0] not in ("data", "input") and parts[0] not in mine:
                found.append(Call(".".join(parts), path, line, v0))
    return found


def unknown_functions(modules: Iterable[tuple[dict, bytes]]) -> list[str]:
    """Functions called in these modules (ASTs with their source bytes, one package) that nothing defines."""
    builtins = available_builtins() | set(REFUSED)
    calls = builtin_calls((ast, raw, "", "", False) for ast, raw in modules)
    return sorted({c.name for c in calls if c.name not in builtins})


def load_capabilities(path: str) -> frozenset[str]:
    """The built-in names an OPA capabilities file (`{"builtins": [{"name": ...}]}`) allows."""
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError) as exc:
        raise PolicyError(path, 0, 0, f"cannot read capabilities file: {' '.join(str(exc).split())[:200]}") from None
    entries = doc.get("builtins") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("name"), str) for e in entries):
        raise PolicyError(path, 0, 0, 'capabilities file must hold {"builtins": [{"name": ...}, ...]}')
    return frozenset(e["name"] for e in entries)


def check_calls(modules: Sequence[Any], allowed: Collection[str] | None = None) -> list[Finding]:
    """OPA's compile-time verdict on the calls of conftest-style modules (RegoModules).

    Raises PolicyError for a function nothing provides (or the capabilities do
    not list) and for a deprecated built-in in a Rego v1 module; returns one
    `policy/builtin-refused` finding per call of a network built-in.
    """
    calls = builtin_calls((m.ast, m.parsed_text.encode("utf-8"), m.package, m.path, m.v0) for m in modules if m.ast)
    builtins = available_builtins(allowed)
    undefined = [c for c in calls if c.name not in builtins and (c.name not in REFUSED or allowed is not None)]
    if undefined:
        first = undefined[0]
        names = ", ".join(sorted({c.name for c in undefined}))
        raise PolicyError(first.path, first.line, 0, f"rego_type_error: undefined function {names}")
    for call in calls:
        if call.name in DEPRECATED and not call.v0:
            raise PolicyError(call.path, call.line, 0,
                              f"rego_type_error: deprecated built-in function calls in expression: {call.name}")
    return [
        Finding(rule=REFUSED_RULE, severity="error", message=f"{refusal_message(c.name)}; rules that call it produce no result",
                path=c.path, line=c.line, engine="rego")
        for c in calls if c.name in REFUSED
    ]
