"""CRD `x-kubernetes-validations`: CEL rules at schema nodes, run on custom resources.

The API server evaluates each rule with `self` bound to the value at the
schema node that carries it (the whole object at the root, each element
under `items`, each value under `additionalProperties`), and only where
that value is present. A rule that reads `oldSelf` is a transition rule:
it runs only on an update, with `oldSelf` the same node of the previous
version, and only where the old value can be correlated (object
properties, map values by key, `x-kubernetes-list-type: map` items by
their keys); with `optionalOldSelf: true` it also runs on create, with
`oldSelf` an optional. A false rule is
`<path>: Invalid value: "<type>": <message>` with `messageExpression`, else
`message`, else `failed rule: <rule>`; `fieldPath` is appended to the path
and `reason` kept. prcheck takes the previous version from the base of the
change, which no admission-time tool has.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prcheck.model import Document, Finding

from .program import Problem
from .runtime import CelCompileError, Program, Runtime, plain
from .source import lenient_optionals, mentions_old_self, optional_old_self

RULE_ID = "crd/validation-rule"
ENGINE = "cel"


@dataclass
class Rule:
    source: str
    program: Program
    message: str = ""
    message_expression: "Program | None" = None
    reason: str = "FieldValueInvalid"
    field_path: str = ""
    transition: bool = False
    optional_old_self: bool = False


@dataclass
class Node:
    rules: list[Rule] = field(default_factory=list)
    properties: dict[str, "Node"] = field(default_factory=dict)
    items: "Node | None" = None
    additional: "Node | None" = None
    map_keys: tuple[str, ...] = ()  # x-kubernetes-list-type: map


@dataclass
class CompiledSchema:
    root: "Node | None"
    problems: list[Problem] = field(default_factory=list)


class _Locator:
    """Where a rule sits, for compile errors: a CRD document with a key path, or a schema file."""

    def __init__(self, doc: "Document | None", base: Sequence["str | int"], path: str) -> None:
        self.doc, self.base, self.path = doc, list(base), path

    def line(self, keypath: Sequence["str | int"]) -> int:
        return self.doc.line_of([*self.base, *keypath]) if self.doc is not None else 0


def compile_schema(runtime: Runtime, schema: Any, doc: "Document | None" = None,
                   base: Sequence["str | int"] = (), path: str = "") -> CompiledSchema:
    """The rule tree of one version's schema; `root` is None when it holds no rule."""
    compiled = CompiledSchema(None)
    compiled.root = _node(runtime, schema, [], _Locator(doc, base, path or (doc.path if doc else "")), compiled)
    return compiled


def _node(runtime: Runtime, schema: Any, where: list, loc: _Locator, out: CompiledSchema) -> "Node | None":
    if not isinstance(schema, Mapping):
        return None
    node = Node()
    for index, raw in enumerate(schema.get("x-kubernetes-validations") or []):
        rule = _rule(runtime, raw, [*where, "x-kubernetes-validations", index], loc, out)
        if rule is not None:
            node.rules.append(rule)
    for name, sub in (schema.get("properties") or {}).items() if isinstance(schema.get("properties"), Mapping) else ():
        child = _node(runtime, sub, [*where, "properties", name], loc, out)
        if child is not None:
            node.properties[str(name)] = child
    node.items = _node(runtime, schema.get("items"), [*where, "items"], loc, out)
    node.additional = _node(runtime, schema.get("additionalProperties"), [*where, "additionalProperties"], loc, out)
    if schema.get("x-kubernetes-list-type") == "map":
        node.map_keys = tuple(str(k) for k in schema.get("x-kubernetes-list-map-keys") or [])
    if not (node.rules or node.properties or node.items or node.additional):
        return None
    return node


def _rule(runtime: Runtime, raw: Any, where: list, loc: _Locator, out: CompiledSchema) -> "Rule | None":
    if not isinstance(raw, Mapping) or not isinstance(raw.get("rule"), str):
        out.problems.append(Problem(loc.path, loc.line(where), "x-kubernetes-validations entry needs a rule"))
        return None
    source = raw["rule"]
    optional = raw.get("optionalOldSelf") is True
    transition = mentions_old_self(source)
    try:
        runtime.compile(source)  # diagnostics against the text as written
        program = runtime.compile(lenient_optionals(optional_old_self(source) if optional else source))
        message_expression = None
        if isinstance(raw.get("messageExpression"), str):
            message_expression = runtime.compile(raw["messageExpression"])
    except CelCompileError as exc:
        out.problems.append(Problem(loc.path, loc.line([*where, "rule"]), f"x-kubernetes-validations rule "
                                    f"does not compile: {exc.message}"))
        return None
    return Rule(source, program, str(raw.get("message") or ""), message_expression,
                str(raw.get("reason") or "FieldValueInvalid"), str(raw.get("fieldPath") or ""), transition, optional)


_TYPE_NAMES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (list, "array"),
               (dict, "object"))


def _type_name(value: Any) -> str:
    return next((name for kind, name in _TYPE_NAMES if isinstance(value, kind)), "null")


def _path(keys: Sequence["str | int"]) -> str:
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else ("." if text else "") + key
    return text or "<root>"


class Evaluator:
    """Runs a compiled schema over one object (and its base version)."""

    def __init__(self, runtime: Runtime, doc: Document) -> None:
        self.runtime, self.doc = runtime, doc
        self.findings: list[Finding] = []
        self.passed = 0

    def check(self, root: Node, obj: Any, old: Any) -> None:
        self._walk(root, plain(obj), plain(old), old is not None, [])

    def _walk(self, node: Node, value: Any, old: Any, has_old: bool, keys: list) -> None:
        if value is None:
            return
        for rule in node.rules:
            self._run(rule, value, old, has_old, keys)
        if isinstance(value, dict):
            for name, child in node.properties.items():
                if name in value:
                    present = has_old and isinstance(old, dict) and name in old
                    self._walk(child, value[name], old.get(name) if present else None, present, [*keys, name])
            if node.additional is not None:
                for name, item in value.items():
                    if name in node.properties:
                        continue
                    present = has_old and isinstance(old, dict) and name in old
                    self._walk(node.additional, item, old.get(name) if present else None, present, [*keys, name])
        elif isinstance(value, list) and node.items is not None:
            olds = self._correlate(node, value, old if has_old else None)
            for index, item in enumerate(value):
                match = olds[index]
                self._walk(node.items, item, match[0], match[1], [*keys, index])

    @staticmethod
    def _correlate(node: Node, items: list, old: Any) -> list[tuple[Any, bool]]:
        """Old list items match new ones only in a list-type map, by its keys."""
        if not node.map_keys or not isinstance(old, list):
            return [(None, False)] * len(items)
        def key(item: Any) -> Any:
            return tuple(item.get(k) for k in node.map_keys) if isinstance(item, dict) else None
        by_key = {key(o): o for o in old if key(o) is not None}
        return [(by_key[key(i)], True) if key(i) in by_key else (None, False) for i in items]

    def _run(self, rule: Rule, value: Any, old: Any, has_old: bool, keys: list) -> None:
        if rule.transition and not has_old and not rule.optional_old_self:
            return
        bindings: dict[str, Any] = {"self": value}
        if rule.optional_old_self:
            bindings["oldSelfList"] = [old] if has_old else []
        elif rule.transition:
            bindings["oldSelf"] = old
        activation = self.runtime.activation(bindings)
        outcome = rule.program.run(activation)
        where = _path([*keys]) + rule.field_path
        if not outcome.ok:
            self._add(keys, f"{where}: Internal error: rule '{rule.source}' failed to evaluate: {outcome.error}")
            return
        if outcome.value is True:
            self.passed += 1
            return
        message = rule.message or f"failed rule: {' '.join(rule.source.split())}"
        if rule.message_expression is not None:
            made = rule.message_expression.run(activation)
            if made.ok and isinstance(made.value, str) and made.value.strip():
                message = made.value
        field_keys = [*keys, *(k for k in rule.field_path.split(".") if k and k.isidentifier())]
        self._add(field_keys, f"{where}: Invalid value: \"{_type_name(value)}\": {message}"
                  + (f" (reason: {rule.reason})" if rule.reason != "FieldValueInvalid" else ""))

    def _add(self, keys: list, message: str) -> None:
        self.findings.append(Finding(rule=RULE_ID, severity="error", message=message, path=self.doc.path,
                                     line=self.doc.line_of(keys), resource=self.doc.resource, engine=ENGINE))


class RuleCatalog:
    """Compiled rules per (apiVersion, kind): the run's own CRDs first, then
    `--schema-location` schemas, then the CRD schemas shipped with prcheck
    (the schema store's order). Each schema is compiled once per run."""

    def __init__(self, runtime: Runtime, kube_version: str = "1.32", strict: bool = False,
                 locations: Sequence[str] = ()) -> None:
        self.runtime, self.kube_version, self.strict, self.locations = runtime, kube_version, strict, list(locations)
        self._cache: dict[tuple[str, str], "CompiledSchema | None"] = {}
        self.problems: list[Problem] = []

    def add_crds(self, docs: Sequence[Document]) -> None:
        for doc in docs:
            obj = doc.obj
            if not isinstance(obj, dict) or obj.get("kind") != "CustomResourceDefinition":
                continue
            spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
            names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
            group, kind = spec.get("group"), names.get("kind")
            if not isinstance(group, str) or not isinstance(kind, str):
                continue
            for index, version in enumerate(spec.get("versions") or []):
                if not isinstance(version, dict) or not isinstance(version.get("name"), str):
                    continue
                where: list = ["spec", "versions", index, "schema", "openAPIV3Schema"]
                schema = (version.get("schema") or {}).get("openAPIV3Schema") if isinstance(version.get("schema"), dict) else None
                if schema is None and isinstance(spec.get("validation"), dict):
                    where, schema = ["spec", "validation", "openAPIV3Schema"], spec["validation"].get("openAPIV3Schema")
                key = (f"{group}/{version['name']}", kind)
                if key in self._cache or not isinstance(schema, dict):
                    continue
                compiled = compile_schema(self.runtime, schema, doc, where)
                self.problems.extend(compiled.problems)
                self._cache[key] = compiled if compiled.root is not None else None

    def add_schemas(self, schemas: Mapping[tuple[str, str], Any]) -> None:
        """Converted CRD schemas of the run (from files outside this share of the documents)."""
        for key, schema in schemas.items():
            if key not in self._cache and isinstance(schema, dict) and "x-kubernetes-validations" in str(schema):
                compiled = compile_schema(self.runtime, schema, path=f"CustomResourceDefinition {key[1]}")
                self.problems.extend(compiled.problems)
                self._cache[key] = compiled if compiled.root is not None else None

    def lookup(self, api_version: str, kind: str) -> "CompiledSchema | None":
        key = (api_version, kind)
        if key not in self._cache:
            self._cache[key] = self._from_files(api_version, kind)
        return self._cache[key]

    def _from_files(self, api_version: str, kind: str) -> "CompiledSchema | None":
        import json
        from pathlib import Path

        from prcheck.checks.schema_store import SHIPPED_CRD_TEMPLATE, expand_template
        from prcheck.model import GVK
        from prcheck.resources import data_dir

        gvk = GVK.parse(api_version, kind)
        if "." not in gvk.group or gvk.group.endswith(".k8s.io"):
            return None  # built-in kinds carry no CEL rules in their published schemas
        candidates = [Path(expand_template(t, gvk, self.kube_version, self.strict)) for t in self.locations]
        candidates.append(data_dir("schemas") / "crds" / expand_template(SHIPPED_CRD_TEMPLATE, gvk, self.kube_version,
                                                                          self.strict))
        for path in candidates:
            if not path.is_file():
                continue
            try:
                text = path.read_text(encoding="utf-8")
                if "x-kubernetes-validations" not in text:
                    return None
                schema = json.loads(text)
            except (OSError, ValueError):
                return None
            compiled = compile_schema(self.runtime, schema, path=str(path))
            self.problems.extend(compiled.problems)
            return compiled if compiled.root is not None else None
        return None


def check(catalog: RuleCatalog, runtime: Runtime, docs: Sequence[Document], base: Mapping[Any, Any]) -> tuple[list[Finding], int]:
    """Rule findings for every custom resource among `docs`, and the count of rules that held."""
    from prcheck.sources.base_tree import object_key

    findings: list[Finding] = []
    passed = 0
    for doc in docs:
        obj = doc.obj
        if not isinstance(obj, dict) or not isinstance(obj.get("apiVersion"), str) or not isinstance(obj.get("kind"), str):
            continue
        compiled = catalog.lookup(obj["apiVersion"], obj["kind"])
        if compiled is None or compiled.root is None:
            continue
        evaluator = Evaluator(runtime, doc)
        evaluator.check(compiled.root, obj, base.get(object_key(obj)) if base else None)
        findings.extend(evaluator.findings)
        passed += evaluator.passed
    return findings, passed
