"""`prcheck rules` lists every rule id prcheck itself can emit.

The ids are collected from the source, not from a list kept beside the test:
every string given as a finding's `rule` (a `rule=` keyword, or the `rule`
parameter of a helper or exception that ends up in a finding, such as
`RenderError("render/failed", ...)`), resolved through the module constants
that hold them (`RULE_ID = "crd/validation-rule"`, `RULE = RuleInfo(id=...)`).
Ids built from a user's policies (`ValidatingAdmissionPolicy/<name>`, a Kyverno
`<policy>/<rule>`) are the user's, not prcheck's, and are not listed.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from click.testing import CliRunner

from prcheck.cli import main
from prcheck.commands.rules_cmd import all_rules
from prcheck.tool_rules import TOOL_RULES

PACKAGE = Path(__file__).resolve().parents[2] / "prcheck"
RULE_ID = re.compile(r"^[a-z][a-z0-9-]*/[a-z0-9][a-z0-9.-]*$")
RULE_PARAMS = ("rule", "rule_id")


def _trees() -> dict[Path, ast.Module]:
    return {p: ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in sorted(PACKAGE.rglob("*.py"))}


def _constants(tree: ast.AST, top_level: bool = False) -> dict[str, list[ast.expr]]:
    """NAME → the values assigned to it in one module (`top_level`: its module constants only)."""
    out: dict[str, list[ast.expr]] = {}
    for node in (tree.body if top_level and isinstance(tree, ast.Module) else ast.walk(tree)):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    out.setdefault(target.id, []).append(node.value)
                elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):  # rule, text = "x/y", ...
                    for name, value in zip(target.elts, node.value.elts):
                        if isinstance(name, ast.Name):
                            out.setdefault(name.id, []).append(value)
    return out


class _Scope(dict):
    """A module's own constants first, then any module's (for imported names)."""

    def __init__(self, local: dict[str, list[ast.expr]], everywhere: dict[str, list[ast.expr]]) -> None:
        super().__init__(everywhere)
        self.update(local)


def _forwarders(trees: dict[Path, ast.Module]) -> dict[str, int]:
    """Functions and classes that take a rule id as a parameter: name → its position."""
    out: dict[str, int] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                        names = [a.arg for a in item.args.args][1:]
                        for param in RULE_PARAMS:
                            if param in names:
                                out[node.name] = names.index(param)
            elif isinstance(node, ast.FunctionDef) and node.name != "__init__":
                names = [a.arg for a in node.args.args]
                if names and names[0] in ("self", "cls"):
                    names = names[1:]
                for param in RULE_PARAMS:
                    if param in names:
                        out[node.name] = names.index(param)
    return out


def _names_in_scope(tree: ast.Module) -> set[str]:
    """Functions and classes a module defines or imports by name: the callees that can
    be the rule-forwarding helpers (a method of the same name elsewhere is not)."""
    names = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    names |= {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    return names


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _strings(value: ast.expr, constants: dict[str, list[ast.expr]], depth: int = 0) -> set[str]:
    """The rule ids an expression can stand for (constants followed by name)."""
    if depth > 4:
        return set()
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return {value.value}
    if isinstance(value, ast.Name):
        return {s for v in constants.get(value.id, []) for s in _strings(v, constants, depth + 1)}
    if isinstance(value, ast.Attribute):
        if value.attr == "id" and isinstance(value.value, ast.Name):  # RULE.id of RULE = RuleInfo("x/y", ...)
            return {s for v in constants.get(value.value.id, []) if isinstance(v, ast.Call)
                    for s in _call_id(v, constants, depth + 1)}
        return {s for v in constants.get(value.attr, []) for s in _strings(v, constants, depth + 1)}
    return set()


def _call_id(call: ast.Call, constants: dict[str, list[ast.expr]], depth: int) -> set[str]:
    for kw in call.keywords:
        if kw.arg == "id":
            return _strings(kw.value, constants, depth)
    return _strings(call.args[0], constants, depth) if call.args else set()


def emitted_rule_ids() -> dict[str, str]:
    """rule id → the file that emits it."""
    trees = _trees()
    local = {path: _constants(tree) for path, tree in trees.items()}
    everywhere: dict[str, list[ast.expr]] = {}
    for tree in trees.values():
        for name, values in _constants(tree, top_level=True).items():
            everywhere.setdefault(name, []).extend(values)
    forwarders = _forwarders(trees)
    found: dict[str, str] = {}
    for path, tree in trees.items():
        constants = _Scope(local[path], everywhere)
        known = _names_in_scope(tree)
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            values = [kw.value for kw in call.keywords if kw.arg in RULE_PARAMS]
            callee = _callee(call)
            position = forwarders.get(callee) if callee in known else None
            if position is not None and len(call.args) > position:
                values.append(call.args[position])
            for value in values:
                for rule_id in _strings(value, constants):
                    if RULE_ID.match(rule_id):
                        found.setdefault(rule_id, str(path.relative_to(PACKAGE.parent)))
    return found


def test_the_collector_sees_every_way_the_code_emits_a_rule():
    emitted = emitted_rule_ids()
    # a literal keyword, a helper's parameter, an exception's parameter, a module constant, RULE.id
    for rule_id in ("path/symlink-loop", "render/timeout", "yaml/tab-indentation", "render/missing-dependency", "crd/validation-rule",
                    "trust/config-changed", "gha/pin-comment-mismatch", "yaml/syntax", "schema/invalid"):
        assert rule_id in emitted, rule_id


def test_every_emitted_rule_is_listed():
    listed = {r.id for r in all_rules()}
    missing = {rule_id: where for rule_id, where in emitted_rule_ids().items() if rule_id not in listed}
    assert not missing, f"emitted but not in `prcheck rules`: {missing}"


def test_no_listed_tool_rule_is_stale():
    emitted = emitted_rule_ids()
    assert [r.id for r in TOOL_RULES if r.id not in emitted] == []


def test_rules_command_shows_render_rules_with_severity_and_docs():
    runner = CliRunner()
    listing = runner.invoke(main, ["rules", "--format", "json"])
    assert listing.exit_code == 0
    rows = {r["id"]: r for r in json.loads(listing.output)}
    assert rows["render/failed"]["severity"] == "error" and rows["render/failed"]["engine"] == "render"
    assert rows["render/invalid-yaml"]["severity"] == "warning"
    one = runner.invoke(main, ["rules", "render/missing-dependency"])
    assert one.exit_code == 0
    assert "helm dependency build" in one.output


def test_sarif_describes_tool_rules():
    from prcheck.report.rules_meta import rule_titles

    assert rule_titles()["render/timeout"] == "Environment render timed out"


def test_an_unknown_rule_id_suggests_the_close_ones():
    result = CliRunner().invoke(main, ["rules", "render/fail"])
    assert result.exit_code == 2
    assert "unknown rule 'render/fail' (did you mean 'render/failed'" in result.output
