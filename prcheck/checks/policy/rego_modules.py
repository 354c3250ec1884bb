"""Find, parse and describe Rego modules before any engine sees them.

Both engines (embedded and OPA server) need the same facts about each module:
its Rego version, its package, and which conftest-style rules it defines.
Getting those from the parsed AST once, rather than by evaluating whole
packages per document, keeps evaluation to exactly the rules that matter.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import regorus
import yaml

from prcheck.checks.policy.base import PolicyError
from prcheck.checks.policy.rego_rewrite import for_regorus, split_chained_bodies

RESULT_RULE = re.compile(r"^(deny|violation|warn)(_[A-Za-z0-9_]+)?$")
_ERROR_AT = re.compile(r"-->\s*(?P<file>.+?):(?P<line>\d+):(?P<col>\d+)")
_ERROR_MSG = re.compile(r"^error:\s*(?P<msg>.+)$", re.MULTILINE)
_V0_IMPORT = re.compile(r"^\s*import\s+future\.keywords", re.MULTILINE)
_V1_IMPORT = re.compile(r"^\s*import\s+rego\.v1\s*$", re.MULTILINE)


@dataclass(frozen=True)
class RuleHead:
    name: str
    line: int
    kind: str  # "Set", "Compr" (complete or object), "Func"
    object_rule: bool  # `deny[msg] if {...}`: an object, not a set, in Rego v1


@dataclass
class RegoModule:
    path: str
    text: str  # as written: what an OPA server receives
    v0: bool
    package: str
    heads: list[RuleHead] = field(default_factory=list)
    # what regorus receives: `text` rewritten to OPA's meaning (see rego_rewrite)
    engine_text: str = ""
    # regorus' AST of `parsed_text` (`text` with chained bodies split), which
    # checks that need the module's structure read
    ast: dict = field(default_factory=dict, repr=False, compare=False)
    parsed_text: str = field(default="", repr=False, compare=False)

    @property
    def regorus_text(self) -> str:
        return self.engine_text or self.text

    def result_rules(self) -> list[RuleHead]:
        return [h for h in self.heads if RESULT_RULE.match(h.name) and h.kind != "Func"]


def rego_error(exc: Exception, fallback_path: str) -> PolicyError:
    """Turn regorus' multi-line diagnostic (with a Rust backtrace) into one line."""
    text = str(exc)
    text = text.split("Stack backtrace:")[0]
    where = _ERROR_AT.search(text)
    msg = _ERROR_MSG.search(text)
    message = msg.group("msg").strip() if msg else (text.strip().splitlines() or ["policy error"])[0]
    if where:
        return PolicyError(where.group("file"), int(where.group("line")), int(where.group("col")), message)
    return PolicyError(fallback_path, 0, 0, message)


def _parse(path: str, text: str, v0: bool) -> dict:
    """Parse in a throwaway engine. On failure the engine is dropped before the
    error propagates: regorus engines may not be freed from another thread, and
    a traceback would keep this frame (and the engine) alive until some GC."""
    engine = regorus.Engine()
    engine.set_rego_v0(v0)
    try:
        engine.add_policy(path, text)
        return json.loads(engine.get_ast_as_json())[0]
    except RuntimeError as exc:
        message = str(exc)
    del engine
    raise RuntimeError(message)


def _ref_parts(ref: Any) -> list[str]:
    """Flatten a regorus ref AST (`a.b.c`) into names."""
    if not isinstance(ref, dict):
        return []
    if "Var" in ref:
        return [ref["Var"]["value"]]
    if "RefDot" in ref:
        node = ref["RefDot"]
        return _ref_parts(node["refr"]) + [node["field"][1]]
    if "RefBrack" in ref:
        return _ref_parts(ref["RefBrack"]["refr"])
    return []


def _describe(path: str, text: str, parsed_text: str, ast: dict, v0: bool) -> RegoModule:
    package = ".".join(_ref_parts(ast["ast"]["package"]["refr"]))
    heads = []
    for rule in ast["ast"]["rules"]:
        spec = rule.get("Spec")
        if not spec:
            continue  # `default` rules: never a result rule worth querying on their own
        (kind, head), = spec["head"].items()
        refr = head.get("refr", {})
        names = _ref_parts(refr)
        if not names:
            continue
        heads.append(RuleHead(
            name=names[0] if len(names) == 1 or "RefBrack" in refr else ".".join(names),
            line=head["span"]["line"],
            kind=kind,
            object_rule=kind == "Compr" and "RefBrack" in refr and not v0,
        ))
    try:
        engine_text = for_regorus(parsed_text, v0, ast["ast"])
    except RuntimeError as exc:  # a rewrite that does not parse is a bug here, not in the policy
        raise PolicyError(path, 0, 0, f"internal error rewriting the module for regorus: {rego_error(exc, path).message}") from None
    return RegoModule(path=path, text=text, v0=v0, package=package, heads=heads, engine_text=engine_text,
                      ast=ast["ast"], parsed_text=parsed_text)


def parse_module(path: str, text: str, rego_version: str = "auto") -> RegoModule:
    """Parse one module, choosing its Rego version.

    `auto` reads what the module says of itself (`import rego.v1` is v1,
    `import future.keywords` only exists in v0), then tries v1 and falls back
    to v0: a v0 rule body without `if` never parses as v1, so the fallback
    cannot change the meaning of a module that parses both ways.
    """
    parsed_text = split_chained_bodies(text)
    if rego_version in ("v0", "v1"):
        v0 = rego_version == "v0"
        try:
            return _describe(path, text, parsed_text, _parse(path, parsed_text, v0), v0)
        except RuntimeError as exc:
            raise rego_error(exc, path) from None
    if _V1_IMPORT.search(text):
        order = [False]
    elif _V0_IMPORT.search(text):
        order = [True, False]
    else:
        order = [False, True]
    # keep the message, not the exception: a stored traceback would pin the
    # caller's frames (and any engine they hold) in a reference cycle
    first_error = ""
    for v0 in order:
        try:
            return _describe(path, text, parsed_text, _parse(path, parsed_text, v0), v0)
        except RuntimeError as exc:
            first_error = first_error or str(exc)
    raise rego_error(RuntimeError(first_error or "unparsable"), path)


def check_result_rules(module: RegoModule) -> None:
    """conftest refuses `deny[msg] if`: in Rego v1 it builds an object, so the
    messages would silently become keys. Refuse it the same way."""
    for head in module.result_rules():
        if head.object_rule:
            raise PolicyError(
                module.path, head.line, 1,
                f"rule '{head.name}': 'if' keyword without 'contains' keyword "
                f"(write `{head.name} contains msg if {{ ... }}`)",
            )


def find_policy_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.rego") if p.is_file()))
        else:
            raise PolicyError(str(raw), 0, 0, "policy path does not exist")
    return [f for f in files if f.suffix == ".rego"]


def load_modules(paths: Sequence[str | os.PathLike[str]], rego_version: str = "auto") -> list[RegoModule]:
    modules = []
    for file in find_policy_files(paths):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyError(str(file), 0, 0, f"cannot read policy: {exc}") from None
        module = parse_module(str(file), text, rego_version)
        check_result_rules(module)
        modules.append(module)
    return modules


def _merge(into: dict, new: dict) -> dict:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
    return into


def load_data(paths: Sequence[str | os.PathLike[str]]) -> dict:
    """conftest semantics: every JSON/YAML data document merges at the root of `data`."""
    data: dict = {}
    for raw in paths:
        path = Path(raw).expanduser()
        files = sorted(p for p in path.rglob("*") if p.suffix in (".json", ".yaml", ".yml")) if path.is_dir() else [path]
        for file in files:
            try:
                docs = list(yaml.safe_load_all(file.read_text(encoding="utf-8")))
            except FileNotFoundError:
                raise PolicyError(str(file), 0, 0, "data file does not exist") from None
            except (OSError, UnicodeDecodeError) as exc:
                raise PolicyError(str(file), 0, 0, f"cannot read data file: {exc}") from None
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark
                raise PolicyError(str(file), mark.line + 1 if mark else 0, mark.column + 1 if mark else 0,
                                  f"invalid data file: {exc.problem}") from None
            except yaml.YAMLError as exc:  # reader errors (control characters) carry no mark
                raise PolicyError(str(file), 0, 0, f"invalid data file: {str(exc).splitlines()[0]}") from None
            except RecursionError:  # the pure-Python composer recurses once per nesting level
                raise PolicyError(str(file), 0, 0, "invalid data file: nests too deeply to parse") from None
            for doc in docs:
                if isinstance(doc, dict):
                    _merge(data, doc)
                elif doc is not None:
                    raise PolicyError(str(file), 0, 0, "data documents must be mappings")
    return data
