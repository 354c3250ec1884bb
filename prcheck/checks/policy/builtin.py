"""The built-in policy pack as one policy engine, on by default.

The pack's Kubernetes rules are Python (prcheck/checks/policy/builtin_k8s/,
one module per rule): in Rego they were most of a run's cost. Its CI rules
(GitHub Actions, GitLab CI) are Rego and run in their own regorus instance
(user policies never share its namespace or data) through `RegoEngine`, with
one difference from conftest: `input` wraps the document with what the
pack's rules need to know about it (its file's kind and path, the target
Kubernetes version). One rule, `data.prcheck.main.deny`, is queried per CI
document; the Rego is compiled on the first one, so a run without CI files
never pays for it.

The Python pin-comment rule runs beside them on the same documents; its
findings take the same shape. Secret detection is an engine of its own
(prcheck/checks/secrets/), enabled with the pack. Severities come from
the catalog (the rules' METADATA or RuleInfo); `.prcheck.yaml` `rules:`
overrides are applied later, with the other filters, so they work for every
engine alike.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prcheck import shipped_yaml
from prcheck.checks.context import CheckContext
from prcheck.checks.policy import builtin_k8s, builtin_pins
from prcheck.checks.policy.base import Evaluation, PolicyError
from prcheck.checks.policy.builtin_catalog import (
    RuleInfo,
    load_catalog,
    pack_dir,
    pack_modules,
)
from prcheck.model import Document, Finding
from prcheck.pyyaml_import import safe_load, yaml_error

if TYPE_CHECKING:  # the Rego stack loads with the first CI document (most runs hold none)
    from prcheck.checks.policy.rego import EmbeddedBackend, RegoEngine
    from prcheck.checks.policy.rego_modules import RegoModule

_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.MULTILINE)

ENGINE_LABEL = "builtin"
ENTRY_PACKAGE = "prcheck.main"
EVALUATION_ERROR = "builtin/evaluation-error"
# The file kinds main.rego has rule families for (a test keeps the two equal).
REGO_FILE_KINDS = frozenset({"github-workflow", "github-action", "gitlab-ci"})


def pack_rego(files: Sequence[Path]) -> list[RegoModule]:
    """The pack's modules, all Rego v1. Only the entry module is parsed here
    (RegoEngine needs its rule heads); the others are compiled once, by the
    backend, which reports their syntax errors the same way."""
    from prcheck.checks.policy.rego_modules import RegoModule, parse_module

    modules: list[RegoModule] = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyError(str(file), 0, 0, f"cannot read policy: {exc}") from None
        package = _PACKAGE.search(text)
        name = package.group(1) if package else ""
        if name == ENTRY_PACKAGE:
            modules.append(parse_module(str(file), text, "v1"))
        else:
            modules.append(RegoModule(path=str(file), text=text, v0=False, package=name))
    return modules


def pack_data(root: Path) -> dict[str, Any]:
    """The pack's data files (`data/*.yaml`), merged at the root of `data` as conftest does."""
    data: dict[str, Any] = {}
    for file in sorted((root / "data").glob("*.yaml")) if (root / "data").is_dir() else []:
        try:
            loaded = shipped_yaml.parsed(file.read_text(encoding="utf-8"), safe_load)
        except (OSError, UnicodeDecodeError, yaml_error()) as exc:
            raise PolicyError(str(file), 0, 0, f"invalid pack data: {exc}") from None
        if not isinstance(loaded, dict):
            raise PolicyError(str(file), 0, 0, "pack data files must be mappings")
        data.update(loaded)
    return data


def file_kind_of(doc: Document) -> str:
    """Rendered documents may come without a file kind: objects with apiVersion and kind are manifests."""
    if doc.file_kind:
        return doc.file_kind
    if isinstance(doc.obj, dict) and "apiVersion" in doc.obj and "kind" in doc.obj:
        return "kubernetes"
    return "yaml"


class _LineCache:
    """`Document.line_of` for many key paths of one document that share prefixes (a container's
    path, its securityContext): a trie of the steps taken, so each (node, key) step -- one scan of
    a mapping's keys -- is made once per document, and a later path only follows dict links.
    A step is [node, line, next steps]; `_MISSING` ends a path at its deepest existing prefix."""

    __slots__ = ("_doc", "_root")

    def __init__(self, doc: Document) -> None:
        self._doc = doc
        self._root: list[Any] | None = None

    def line_of(self, keypath: Sequence[Any]) -> int:
        entry = self._root
        if entry is None:
            doc = self._doc
            if doc.node is None:
                return doc.line
            entry = self._root = [doc.node, doc.line, {}]
        for key in keypath:
            steps = entry[2]
            step = steps.get(key)
            if step is None:
                step = steps[key] = _step(entry[0], key)
            if step is _MISSING:
                break
            entry = step
        return entry[1]


_MISSING: list[Any] = [None, 0, {}]


def _step(node: Any, key: Any) -> list[Any]:
    """The child of a node tree's `node` at `key`, as `Document.line_of` finds it (a mapping key's
    line, a list item's own); works on PyYAML nodes and on line trees (`id`, `value`, `start_mark`)."""
    if key.__class__ is str and key.isdecimal():
        key = int(key)  # a digit string is a list index, as RegoEngine reads a Rego finding's path
    tag = getattr(node, "id", "")
    if tag == "mapping":
        if isinstance(key, str):
            for key_node, value_node in node.value:
                if key_node.value == key:
                    return [value_node, key_node.start_mark.line + 1, {}]
    elif tag == "sequence" and isinstance(key, int) and 0 <= key < len(node.value):
        item = node.value[key]
        return [item, item.start_mark.line + 1, {}]
    return _MISSING


class _RegoPack:
    """The pack's Rego modules and regorus instance, shared by every copy of the engine.
    Found (a walk of the pack's folder), read on the first CI document and compiled on its
    first query: most runs hold no CI file, and those never load the Rego stack."""

    def __init__(self, root: Path, data: dict[str, Any]) -> None:
        self._root = root
        self._data = data
        self._modules: list[RegoModule] | None = None
        self._backend: EmbeddedBackend | None = None

    @property
    def modules(self) -> list[RegoModule]:
        if self._modules is None:
            self._modules = pack_rego(pack_modules(self._root))
        return self._modules

    def query(self, package: str, rule: str, input_json: str) -> Any:
        if self._backend is None:
            from prcheck.checks.policy.rego import EmbeddedBackend

            self._backend = EmbeddedBackend(self.modules, self._data)
        return self._backend.query(package, rule, input_json)

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()


class BuiltinEngine:
    """Rego pack + Python secret and pin checks, with catalog severities."""

    name = "builtin"
    per_document = True

    def __init__(self, root: Path | None = None, kube_version: str = "1.32",
                 rule_config: Mapping[str, Any] | None = None) -> None:
        """A pack given by `root` (`prcheck policy test`) is read and checked here; the
        shipped one, which the test suite checks, only as far as a run needs it: its
        Kubernetes rules' data now, its Rego and catalog on the first CI document."""
        self.root = root or pack_dir()
        self.kube_version = kube_version
        self._catalog: dict[str, RuleInfo] | None = None
        data = pack_data(self.root)
        self._data = data
        settings = {"rules": {k: v for k, v in (rule_config or {}).items() if isinstance(v, dict)}}
        self._backend = _RegoPack(self.root, {**data, "settings": settings})
        self._rego: RegoEngine | None = None
        if root is not None:
            self._catalog = self._read_catalog()
            self._rego_engine()

    def _read_catalog(self) -> dict[str, RuleInfo]:
        return {r.id: r for r in load_catalog(self.root)}

    @property
    def catalog(self) -> dict[str, RuleInfo]:
        if self._catalog is None:
            self._catalog = self._read_catalog()
        return self._catalog

    def _rego_engine(self) -> RegoEngine:
        if self._rego is None:
            from prcheck.checks.policy.rego import RegoEngine

            rego = RegoEngine(self._backend.modules, self._backend, namespaces=[ENTRY_PACKAGE],
                              engine_label=ENGINE_LABEL, input_for=self._input)
            if not rego.rules:
                raise PolicyError(str(self.root), 0, 0, f"the policy pack has no package {ENTRY_PACKAGE} with a deny rule")
            self._rego = rego
        return self._rego

    def with_kube_version(self, kube_version: str) -> BuiltinEngine:
        """The same compiled pack judged against another Kubernetes version (per environment)."""
        other = copy.copy(self)
        other.kube_version = kube_version
        other._rego = None  # bound to `other._input` when first needed
        return other

    def close(self) -> None:
        self._backend.close()

    def _input(self, doc: Document) -> dict[str, Any]:
        return {"document": doc.obj, "path": doc.path, "file_kind": file_kind_of(doc), "kube_version": self.kube_version}

    def for_context(self, ctx: CheckContext) -> BuiltinEngine:
        """An environment may target another Kubernetes version than the run."""
        return self if ctx.kube_version == self.kube_version else self.with_kube_version(ctx.kube_version)

    def evaluate(self, docs: Sequence[Document]) -> Evaluation:
        result = Evaluation()
        lines: dict[str, list[str]] = {}
        for doc in docs:
            if not isinstance(doc.obj, dict):
                continue
            kind = file_kind_of(doc)
            found: list[Finding] = []
            if kind in REGO_FILE_KINDS:
                rego = self._rego_engine()  # a broken pack stops the run, as it did when read up front
                try:
                    evaluation = rego.evaluate([doc])
                except PolicyError as exc:
                    found.append(self._error(doc, exc))
                else:
                    found.extend(evaluation.findings)
                    result.passed += evaluation.passed
            else:
                # one pass per document no rule fires on, as the pack's one Rego query per document counted it
                found.extend(self._kubernetes(doc) if kind == "kubernetes" else ())
                result.passed += not found
            if doc.source and doc.file_kind in builtin_pins.GHA_KINDS:
                if doc.path not in lines:
                    lines[doc.path] = doc.source.splitlines()
                found.extend(builtin_pins.check(doc, lines[doc.path], ENGINE_LABEL))
            # the Python rules' findings carry their catalog severity already
            result.findings.extend(found if kind == "kubernetes" else self._settle(found))
        return result

    def _kubernetes(self, doc: Document) -> list[Finding]:
        """The Python Kubernetes rules; a failure on an odd document is a finding on it, the run goes on."""
        try:
            found = builtin_k8s.hits(doc.obj, self.kube_version, self._data)
        except Exception as exc:  # noqa: BLE001 - hostile input must never stop the run
            return [self._error(doc, PolicyError(doc.path, 0, 0, f"{type(exc).__name__}: {exc}"))]
        if not found:
            return []
        path, resource, line_of = doc.path, doc.resource, _LineCache(doc).line_of
        return [Finding(rule.info.id, rule.info.severity, message, path, line_of(keypath), resource, ENGINE_LABEL)
                for rule, (message, keypath) in found]

    def _error(self, doc: Document, exc: PolicyError) -> Finding:
        return Finding(rule=EVALUATION_ERROR, severity="warning", path=doc.path, line=doc.line,
                       resource=doc.resource, engine=ENGINE_LABEL,
                       message=f"built-in rules could not evaluate this document: {exc.message}")

    def _settle(self, found: list[Finding]) -> list[Finding]:
        """Catalog severities."""
        out: list[Finding] = []
        for finding in found:
            info = self.catalog.get(finding.rule)
            if info is not None and finding.severity != info.severity:
                finding = replace(finding, severity=info.severity)  # type: ignore[arg-type]  # catalog checks the value
            out.append(finding)
        return out
