"""A ConstraintTemplate's Rego, compiled once and queried per (object, constraint).

Gatekeeper gives every template its own Rego compiler, so two templates may
both say `package k8srequiredlabels` or ship different `package lib.helpers`
libraries without clashing. A regorus `Engine` per template gives the same
isolation without rewriting package paths, and lets the inventory be handed
only to the templates that can read it.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from typing import Any, Sequence

import regorus

from prcheck.checks.policy.base import PolicyError
from prcheck.checks.policy.rego_builtins import new_engine
from prcheck.checks.policy.rego_calls import unknown_functions
from prcheck.checks.policy.rego_rewrite.definitions import rename_definitions
from prcheck.checks.policy.gatekeeper.load import RegoText, TemplateSource
from prcheck.checks.policy.rego_rewrite.chains import data_roots
from prcheck.checks.policy.rego_modules import RegoModule, parse_module, rego_error


def _parse_module(label: str, text: str, version: str) -> RegoModule:
    """Like parse_module, but a module that parses neither way is reported with its v0
    error: v0 is gatekeeper's default, and the v1 complaint would mislead."""
    try:
        return parse_module(label, text, version)
    except PolicyError:
        if version != "auto":
            raise
    return parse_module(label, text, "v0")


@dataclass(frozen=True)
class _Prepared:
    """A module as loaded into regorus: rewritten text, its Rego version, and the AST it came from."""

    label: str
    text: str
    v0: bool
    ast: dict = field(repr=False, compare=False)
    source: bytes = field(repr=False, compare=False)  # the text `ast` spans refer to


@dataclass
class Answer:
    """A template's `violation` results for one review, and the built-in failures left out."""

    results: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class CompiledTemplate:
    """One template's Rego in its own regorus engine, queried once per (object, constraint)."""

    def __init__(self, source: TemplateSource) -> None:
        if source.rego is None:
            raise PolicyError(source.path, source.line, 0, f"ConstraintTemplate '{source.name}' has no Rego source")
        self.source = source
        self.kind = source.kind
        self._modules: list[_Prepared] = []
        main = self._prepare(source.rego)
        if not any(head.name == "violation" for head in main.heads):
            raise PolicyError(source.path, source.rego.line, 0,
                              f"ConstraintTemplate '{source.name}': the Rego must define a `violation` rule")
        roots: set[str] = set(data_roots(main.text))
        for lib in source.libs:
            module = self._prepare(lib)
            if module.package != "lib" and not module.package.startswith("lib."):
                raise PolicyError(source.path, lib.line, 0, f"ConstraintTemplate '{source.name}': {lib.label} must be "
                                                            f"in a package under `lib`, not `{module.package}`")
            roots |= data_roots(module.text)
        unknown = roots - {"lib", "inventory"}
        if unknown:
            raise PolicyError(source.path, source.rego.line, 0, f"ConstraintTemplate '{source.name}': Rego may only "
                              f"read data.lib and data.inventory, not data.{sorted(unknown)[0] or '<all>'}")
        missing = unknown_functions((m.ast, m.source) for m in self._modules)
        if missing:
            raise PolicyError(source.path, source.rego.line, 0, f"ConstraintTemplate '{source.name}' calls "
                              f"{', '.join(missing)}, which the embedded Rego engine (regorus) does not provide")
        self.package = main.package
        self.reads_inventory = bool(roots - {"lib"})
        try:
            self._engine = self._load(self._modules)
        except RuntimeError as exc:
            raise PolicyError(source.path, source.rego.line, 0,
                              f"ConstraintTemplate '{source.name}': {rego_error(exc, source.path).message}") from None
        self._inventory = ""
        self._isolated: tuple[regorus.Engine, list[str]] | None = None

    def _prepare(self, rego: RegoText) -> RegoModule:
        """Parse (v1 first, then v0, unless the source names its version) and rewrite one module
        where regorus' reading of Rego differs from OPA's (see rego_rewrite)."""
        label = f"{os.path.basename(self.source.path)}#{self.source.name}.{rego.label}"
        try:
            module = _parse_module(label, rego.text, self.source.version)
        except PolicyError as exc:
            raise self._located(exc, rego) from None
        self._modules.append(_Prepared(label, module.engine_text, module.v0, module.ast, module.parsed_text.encode("utf-8")))
        return module

    @staticmethod
    def _load(modules: Sequence[_Prepared]) -> regorus.Engine:
        engine = new_engine()
        for module in modules:
            engine.set_rego_v0(module.v0)
            engine.add_policy(module.label, module.text)
        return engine

    def _located(self, exc: PolicyError, rego: RegoText) -> PolicyError:
        return PolicyError(self.source.path, rego.file_line(exc.line), exc.column if rego.block else 0,
                           f"ConstraintTemplate '{self.source.name}' {rego.label}: {exc.message}")

    def set_inventory(self, inventory_json: str) -> None:
        """Replace `data.inventory`; a template that cannot read it is left alone."""
        if self.reads_inventory:
            self._inventory = inventory_json
            engines = [self._engine] + ([self._isolated[0]] if self._isolated else [])
            for engine in engines:
                self._set_data(engine)

    def _set_data(self, engine: regorus.Engine) -> None:
        engine.clear_data()
        if self._inventory:
            engine.add_data_json(f'{{"inventory":{self._inventory}}}')

    def violations(self, review_json: str, parameters_json: str) -> Answer:
        """The template's `violation` set for one review (see rego_rewrite.definitions for failing built-ins)."""
        input_json = f'{{"review":{review_json},"parameters":{parameters_json}}}'
        try:
            return Answer(_collection(_query(self._engine, input_json, f"data.{self.package}.violation")))
        except RuntimeError:
            pass
        engine, rules = self._isolated_engine()
        answer = Answer()
        for rule in rules:
            try:
                answer.results.extend(_collection(_query(engine, input_json, f"data.{self.package}.{rule}")))
            except RuntimeError as exc:
                answer.errors.append(_runtime_reason(exc))
        return answer

    def _isolated_engine(self) -> tuple[regorus.Engine, list[str]]:
        if self._isolated is None:
            main, libs = self._modules[0], self._modules[1:]
            text, rules = rename_definitions(main.text, main.v0)
            engine = self._load([dataclasses.replace(main, text=text), *libs])
            self._set_data(engine)
            self._isolated = (engine, rules)
        return self._isolated


def _query(engine: regorus.Engine, input_json: str, rule: str) -> Any:
    engine.set_input_json(input_json)
    return json.loads(engine.eval_rule_as_json(rule))


def _collection(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return []  # undefined (regorus says "<undefined>") or not a collection


def _runtime_reason(exc: RuntimeError) -> str:
    """regorus' one-line reason, without its source excerpt and Rust backtrace."""
    lines = str(exc).split("Stack backtrace:")[0].strip().splitlines()
    reason = next((line.removeprefix("error:").strip() for line in lines if line.startswith("error:")), None)
    return reason or (lines[0] if lines else "evaluation error")
