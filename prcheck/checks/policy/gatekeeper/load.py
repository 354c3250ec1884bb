"""ConstraintTemplates and constraints as files hold them, refused where gatekeeper refuses them.

What gatekeeper checks when a template or constraint is created (the
template's name and target, a constraint's match and its parameters against
the template's schema, duplicates) is checked here, at load time, so that a
broken policy stops the run with its file and line instead of surfacing as odd
findings later.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

import jsonschema

from prcheck.checks.policy.base import PolicyError
from prcheck.checks.policy.gatekeeper.match import match_problems
from prcheck.model import Document, Severity
from prcheck.sources.yaml_loader import load_text

TARGET = "admission.k8s.gatekeeper.sh"
CEL_ENGINE = "K8sNativeValidation"
TEMPLATE_GROUP = "templates.gatekeeper.sh"
CONSTRAINT_GROUP = "constraints.gatekeeper.sh"
ACTIONS: dict[str, Severity] = {"deny": "error", "warn": "warning", "dryrun": "info"}
ACTION_RANK = {"dryrun": 0, "warn": 1, "deny": 2}
# Enforcement points a pull-request check stands in for: admission, gator, and "all".
ENFORCEMENT_POINTS = {"*", "validation.gatekeeper.sh", "gator.gatekeeper.sh"}
POLICY_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class RegoText:
    """One Rego module of a template and where its first line sits in the YAML file."""

    label: str  # "rego" or "libs[0]"
    text: str
    line: int  # YAML line of the key or list item
    block: bool = True  # a `|` or `>` block scalar: the module's line n is file line `line + n`

    def file_line(self, module_line: int) -> int:
        return self.line + module_line if self.block and module_line else self.line


@dataclass
class TemplateSource:
    name: str
    kind: str
    path: str
    line: int
    rego: RegoText | None
    libs: list[RegoText] = field(default_factory=list)
    version: str = "auto"  # `code[].source.version`, else detected per module
    parameters_schema: dict | None = None
    engines: tuple[str, ...] = ()
    cel: dict | None = None  # the K8sNativeValidation `source` (validations, variables, matchConditions)
    cel_keypath: tuple = ()  # where it sits in the document, for compile-error lines
    document: Any = field(default=None, repr=False, compare=False)

    def identity(self) -> tuple:
        """What makes two copies of a template the same template."""
        return (self.kind, self.rego and self.rego.text, tuple(lib.text for lib in self.libs), self.version,
                json.dumps(self.parameters_schema, sort_keys=True, default=str),
                json.dumps(self.cel, sort_keys=True, default=str))


@dataclass(frozen=True)
class Constraint:
    kind: str
    name: str
    path: str
    line: int
    match: Mapping[str, Any] | None
    parameters: Any
    action: str | None  # deny | warn | dryrun; None when no enforcement point here applies

    @property
    def rule(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def severity(self) -> Severity:
        return ACTIONS[self.action or "deny"]

    @cached_property
    def parameters_json(self) -> str:
        """`input.parameters` as gatekeeper stores it: `{}` when the constraint sets none."""
        return json.dumps(self.parameters if self.parameters is not None else {}, default=str, separators=(",", ":"))


def group_of(obj: Mapping[str, Any]) -> str:
    api_version = obj.get("apiVersion")
    return api_version.rpartition("/")[0] if isinstance(api_version, str) else ""


def is_template(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("kind") == "ConstraintTemplate" and group_of(obj) == TEMPLATE_GROUP


def is_constraint(obj: Any) -> bool:
    return isinstance(obj, dict) and group_of(obj) == CONSTRAINT_GROUP


def _get(obj: Any, *keys: str | int) -> Any:
    for key in keys:
        if isinstance(key, int):
            obj = obj[key] if isinstance(obj, list) and key < len(obj) else None
        else:
            obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _name(obj: Mapping[str, Any]) -> str:
    name = _get(obj, "metadata", "name")
    return name if isinstance(name, str) else ""


def _is_block_scalar(doc: Document, keypath: Sequence[str | int]) -> bool:
    """Whether the YAML node at `keypath` is a `|`/`>` block, whose text starts on the next line."""
    node = doc.node
    for key in keypath:
        kind = getattr(node, "id", "")
        if kind == "mapping":
            node = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
        elif kind == "sequence" and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            return False
    return getattr(node, "style", None) in ("|", ">")


def _rego_text(doc: Document, label: str, text: str, keypath: list[str | int]) -> RegoText:
    return RegoText(label, text, doc.line_of(keypath), _is_block_scalar(doc, keypath))


def _rego_texts(doc: Document, base: list[str | int], source: Mapping[str, Any]) -> tuple[RegoText | None, list[RegoText]]:
    rego = source.get("rego")
    main = _rego_text(doc, "rego", rego, [*base, "rego"]) if isinstance(rego, str) else None
    libs = []
    for index, lib in enumerate(source.get("libs") or []):
        if not isinstance(lib, str):
            raise PolicyError(doc.path, doc.line_of([*base, "libs", index]), 0, "template libs must be strings")
        libs.append(_rego_text(doc, f"libs[{index}]", lib, [*base, "libs", index]))
    return main, libs


def parse_template(doc: Document) -> TemplateSource:
    """The parts of a ConstraintTemplate that evaluation needs, refused the way gatekeeper refuses them."""
    obj = doc.obj
    name, kind = _name(obj), _get(obj, "spec", "crd", "spec", "names", "kind")
    if not isinstance(kind, str) or not kind:
        raise PolicyError(doc.path, doc.line, 0, f"ConstraintTemplate '{name}' does not set spec.crd.spec.names.kind")
    if name != kind.lower():
        raise PolicyError(doc.path, doc.line_of(["metadata", "name"]), 0,
                          f"ConstraintTemplate name '{name}' must be the lowercase of its kind '{kind}'")
    targets = _get(obj, "spec", "targets")
    if not isinstance(targets, list) or len(targets) != 1 or not isinstance(targets[0], dict):
        raise PolicyError(doc.path, doc.line_of(["spec", "targets"]), 0,
                          f"ConstraintTemplate '{name}' must have exactly one target")
    target = targets[0]
    if target.get("target") != TARGET:
        raise PolicyError(doc.path, doc.line_of(["spec", "targets", 0, "target"]), 0,
                          f"ConstraintTemplate '{name}': target {target.get('target')!r} is not {TARGET}")
    engines: list[str] = []
    cel: dict | None = None
    cel_keypath: tuple = ()
    rego: RegoText | None = None
    libs: list[RegoText] = []
    version = "auto"
    for index, code in enumerate(target.get("code") or []):
        engine = _get(code, "engine")
        engines.append(str(engine))
        source = _get(code, "source")
        if engine == "Rego" and isinstance(source, dict) and rego is None:
            rego, libs = _rego_texts(doc, ["spec", "targets", 0, "code", index, "source"], source)
            version = source.get("version") or "auto"
        if engine == CEL_ENGINE and isinstance(source, dict) and cel is None:
            cel, cel_keypath = source, ("spec", "targets", 0, "code", index, "source")
    if rego is None:
        rego, libs = _rego_texts(doc, ["spec", "targets", 0], target)
        if rego is not None:
            engines.append("Rego")
    if version not in ("auto", "v0", "v1"):
        raise PolicyError(doc.path, doc.line, 0, f"ConstraintTemplate '{name}': unknown Rego version {version!r}")
    schema = _get(obj, "spec", "crd", "spec", "validation", "openAPIV3Schema")
    return TemplateSource(
        name=name, kind=kind, path=doc.path, line=doc.line, rego=rego, libs=libs,
        version=version,
        parameters_schema=schema if isinstance(schema, dict) else None, engines=tuple(engines),
        cel=cel, cel_keypath=cel_keypath, document=doc,
    )


def _resolve_action(obj: Mapping[str, Any], doc: Document) -> str | None:
    action = _get(obj, "spec", "enforcementAction") or "deny"
    if action in ACTIONS:
        return action
    if action != "scoped":
        raise PolicyError(doc.path, doc.line_of(["spec", "enforcementAction"]), 0,
                          f"constraint '{_name(obj)}': enforcementAction {action!r} is not deny, warn, dryrun or scoped")
    chosen: str | None = None
    for entry in _get(obj, "spec", "scopedEnforcementActions") or []:
        scoped = _get(entry, "action")
        points = {_get(p, "name") for p in _get(entry, "enforcementPoints") or []}
        if scoped in ACTIONS and points & ENFORCEMENT_POINTS:
            if chosen is None or ACTION_RANK[scoped] > ACTION_RANK[chosen]:
                chosen = scoped
    return chosen


def parse_constraint(doc: Document) -> Constraint:
    obj = doc.obj
    name = _name(obj)
    if not name:
        raise PolicyError(doc.path, doc.line, 0, f"constraint of kind '{obj.get('kind')}' has no metadata.name")
    match = _get(obj, "spec", "match")
    problems = match_problems(match)
    if problems:
        raise PolicyError(doc.path, doc.line_of(["spec", "match"]), 0, f"constraint '{name}': spec.match: {problems[0]}")
    return Constraint(kind=str(obj.get("kind")), name=name, path=doc.path, line=doc.line,
                      match=match, parameters=_get(obj, "spec", "parameters"), action=_resolve_action(obj, doc))


def _json_schema(schema: Any) -> Any:
    """OpenAPI v3 → JSON Schema: `nullable` becomes a null type; the rest carries over."""
    if isinstance(schema, list):
        return [_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _json_schema(v) for k, v in schema.items() if not k.startswith("x-kubernetes-") and k != "nullable"}
    if schema.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def parameter_problems(template: TemplateSource, constraint: Constraint) -> list[str]:
    """Why the API server would refuse the constraint's spec.parameters, per the template's schema."""
    if template.parameters_schema is None or constraint.parameters is None:
        return []
    validator = jsonschema.Draft4Validator(_json_schema(copy.deepcopy(template.parameters_schema)))
    problems = []
    for error in sorted(validator.iter_errors(constraint.parameters), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in error.absolute_path)
        problems.append(f"spec.parameters{'.' + where if where else ''}: {error.message}")
    return problems


@dataclass
class PolicySet:
    templates: list[TemplateSource] = field(default_factory=list)
    constraints: list[tuple[Document, Constraint]] = field(default_factory=list)


def policy_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in POLICY_SUFFIXES and p.is_file())
        else:
            raise PolicyError(str(raw), 0, 0, "policy path does not exist")


def load_documents(path: Path) -> list[Document]:
    """Documents of one policy file; a broken file that mentions gatekeeper is a policy error."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(str(path), 0, 0, f"cannot read policy: {exc}") from None
    if "gatekeeper.sh" not in text:
        return []
    loaded = load_text(text, str(path))
    syntax = [f for f in loaded.findings if f.rule.startswith("yaml/") and f.rule != "yaml/duplicate-key"]
    if syntax:
        raise PolicyError(str(path), syntax[0].line, syntax[0].column, syntax[0].message)
    return loaded.docs


def read_policies(paths: Sequence[str | os.PathLike[str]]) -> PolicySet:
    """Every ConstraintTemplate and constraint under `paths`; anything else is ignored."""
    found = PolicySet()
    for file in policy_files(paths):
        for doc in load_documents(file):
            if is_template(doc.obj):
                found.templates.append(parse_template(doc))
            elif is_constraint(doc.obj):
                found.constraints.append((doc, parse_constraint(doc)))
    return found


def unique_templates(templates: Sequence[TemplateSource]) -> dict[str, TemplateSource]:
    """By kind; the same template twice (a copy in two folders) is fine, two different ones are not."""
    by_kind: dict[str, TemplateSource] = {}
    for template in templates:
        seen = by_kind.get(template.kind)
        if seen is not None and seen.identity() != template.identity():
            raise PolicyError(template.path, template.line, 0,
                              f"ConstraintTemplate for kind '{template.kind}' is also defined differently in {seen.path}")
        by_kind.setdefault(template.kind, template)
    return by_kind
