"""OPA's compiler strict mode (`opa check --strict`, conftest's `--strict`).

What strict mode forbids, from OPA's documentation: duplicate imports,
unused imports, unused local assignments and function arguments, `some`
declarations never used, `input`/`data` used as a rule or variable name,
and the deprecated built-ins. regorus has no strict mode, so the checks run
here, on the parsed modules, before any document is evaluated; each failure
is a policy error with OPA's wording, file and line.
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence

from prcheck.checks.policy.base import PolicyError
from prcheck.checks.policy.rego_builtins import DEPRECATED
from prcheck.checks.policy.rego_calls import builtin_calls
from prcheck.checks.policy.rego_modules import RegoModule
from prcheck.checks.policy.rego_rewrite.ast import head_var, term_node
from prcheck.checks.policy.rego_rewrite.scoping import mentions, pattern_vars


def _line(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _walk(node: Any) -> Iterator[tuple[str, dict]]:
    if isinstance(node, dict):
        kind, body = term_node(node)
        if kind:
            yield kind, body
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _import_errors(module: RegoModule, raw: bytes) -> Iterator[tuple[int, str]]:
    ast = module.ast
    used = {name for rule in ast.get("rules") or [] for name, _ in mentions(rule, raw)}
    seen: set[str] = set()
    for imp in ast.get("imports") or []:
        kind, ref = term_node(imp.get("refr"))
        text = raw[imp["span"]["start"]:imp["span"]["end"]].decode("utf-8")
        path = text.removeprefix("import").strip().split(" as ")[0].strip()
        if path.split(".")[0] in ("future", "rego"):
            continue
        alias = imp.get("as")
        name = raw[alias["start"]:alias["end"]].decode("utf-8") if isinstance(alias, dict) else path.split(".")[-1]
        line = imp["span"]["line"]
        if name in seen:
            yield line, f"rego_compile_error: import must not shadow import {name}"
        seen.add(name)
        if name not in used:
            yield line, f"rego_compile_error: import {path} unused"


def _rule_errors(rule: dict, raw: bytes) -> Iterator[tuple[int, str]]:
    counts: dict[str, int] = {}
    for name, _ in mentions(rule, raw):
        counts[name] = counts.get(name, 0) + 1
    var = head_var(rule)
    if var is not None and var.get("value") in ("input", "data"):
        yield var["span"]["line"], f"rego_compile_error: rules must not shadow {var['value']} (use a different rule name)"
    spec = rule.get("Spec") or {}
    for kind, head in (spec.get("head") or {}).items():
        if kind == "Func":
            for arg in head.get("args") or []:
                for name in pattern_vars(arg):
                    if counts.get(name, 0) == 1:
                        yield head["span"]["line"], f"rego_compile_error: unused argument {name}. (hint: use _ (wildcard variable) instead)"
    for kind, body in _walk(spec.get("bodies")):
        if kind == "AssignExpr" and body.get("op") == "ColEq":
            for name in pattern_vars(body.get("lhs")):
                if name in ("input", "data"):
                    yield body["span"]["line"], f"rego_compile_error: variables must not shadow {name} (use a different variable name)"
                elif counts.get(name, 0) == 1:
                    yield body["span"]["line"], f"rego_compile_error: assigned var {name} unused"
        elif kind == "SomeVars":
            for span in body.get("vars") or []:
                name = raw[span["start"]:span["end"]].decode("utf-8")
                if counts.get(name, 0) == 1:
                    yield span["line"], f"rego_compile_error: declared var {name} unused"


def check_strict(modules: Sequence[RegoModule]) -> None:
    """Raise PolicyError for the first strict-mode error (all of them counted in the message)."""
    errors: list[tuple[str, int, str]] = []
    for module in modules:
        if not module.ast:
            continue
        raw = module.parsed_text.encode("utf-8")
        errors += [(module.path, line, msg) for line, msg in _import_errors(module, raw)]
        for rule in module.ast.get("rules") or []:
            errors += [(module.path, line, msg) for line, msg in _rule_errors(rule, raw)]
    for call in builtin_calls((m.ast, m.parsed_text.encode("utf-8"), m.package, m.path, m.v0) for m in modules if m.ast):
        if call.name in DEPRECATED:
            errors.append((call.path, call.line, f"rego_type_error: deprecated built-in function calls in expression: {call.name}"))
    if errors:
        errors.sort()
        path, line, message = errors[0]
        more = f" (and {len(errors) - 1} more strict-mode error{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
        raise PolicyError(path, line, 0, message + more)
