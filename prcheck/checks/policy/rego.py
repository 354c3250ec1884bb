"""conftest-compatible Rego evaluation behind one interface, two backends.

The conventions (which rules are queried, what a message may look like, how
`exception` rules suppress, what counts as a pass) live here once; a backend
only answers "value of data.<package>.<rule> for this input". That is what
lets the embedded engine and an OPA server be held to identical findings.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from typing import Any, Callable, Collection, Protocol, Sequence
from urllib.parse import urlparse

from prcheck.checks.policy.base import Evaluation, PolicyError
from prcheck.checks.policy.rego_builtins import is_refusal, new_engine
from prcheck.checks.policy.rego_calls import check_calls, load_capabilities
from prcheck.checks.policy.rego_input import MAX_DEPTH, InputRefused, plain_json, safe_json
from prcheck.checks.policy.rego_modules import RegoModule, load_data, load_modules, rego_error
from prcheck.checks.policy.rego_rewrite.definitions import rename_definitions
from prcheck.checks.policy.rego_strict import check_strict
from prcheck.model import Document, Finding, Suppressed

_SEVERITY = {"deny": "error", "violation": "error", "warn": "warning"}
_UNDEFINED = "<undefined>"


class Backend(Protocol):
    def query(self, package: str, rule: str, input_json: str) -> Any:
        """Value of `data.<package>.<rule>` for the input, or None when undefined."""
        ...

    def close(self) -> None: ...


def _json(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


def _set_input(engine: Any, input_json: str) -> None:
    try:
        engine.set_input_json(input_json)
    except RuntimeError as exc:  # nesting or a number regorus cannot read: the caller sanitises
        reason = str(exc).split("Stack backtrace:")[0].strip().splitlines()
        raise InputRefused("input", 0, 0, reason[0] if reason else "input refused") from None


class EmbeddedBackend:
    """regorus in-process: modules compiled once, one input swap per document."""

    def __init__(self, modules: Sequence[RegoModule], data: dict, allowed: Collection[str] | None = None) -> None:
        self._modules = list(modules)
        self._allowed = allowed
        self._data = _json(data) if data else ""
        self._engine = self._load(self._modules)
        self._input: str | None = None
        # (package, rule) -> engine with that rule's definitions renamed apart, and their names
        self._isolated: dict[tuple[str, str], tuple[Any, list[str]]] = {}

    def _load(self, modules: Sequence[RegoModule], texts: dict[str, str] | None = None) -> Any:
        engine = new_engine(self._allowed)
        for module in modules:
            engine.set_rego_v0(module.v0)
            try:
                engine.add_policy(module.path, (texts or {}).get(module.path, module.regorus_text))
            except RuntimeError as exc:
                raise rego_error(exc, module.path) from None
        engine.set_rego_v0(False)
        if self._data:
            engine.add_data_json(self._data)
        return engine

    def query(self, package: str, rule: str, input_json: str) -> Any:
        if input_json is not self._input:
            self._input = None
            _set_input(self._engine, input_json)
            self._input = input_json
        try:
            return _value(self._engine.eval_rule_as_json(f"data.{package}.{rule}"))
        except RuntimeError as exc:
            if "recursion limit" in str(exc):
                raise InputRefused(package, 0, 0, "the document nests too deeply for the Rego engine") from None
            if not is_refusal(exc):
                raise _evaluation_error(exc, package, rule) from None
        return self._query_definitions(package, rule, input_json)

    def _query_definitions(self, package: str, rule: str, input_json: str) -> Any:
        """A definition reaching a refused built-in (reported once at load time as
        policy/builtin-refused) produces nothing; the rule's other definitions still count."""
        key = (package, rule)
        if key not in self._isolated:
            texts: dict[str, str] = {}
            names: list[str] = []
            for module in self._modules:
                if module.package == package:
                    texts[module.path], more = rename_definitions(module.regorus_text, module.v0, rule, len(names))
                    names += more
            self._isolated[key] = (self._load(self._modules, texts), names)
        engine, names = self._isolated[key]
        _set_input(engine, input_json)
        results: list[Any] = []
        complete = None
        for name in names:
            try:
                value = _value(engine.eval_rule_as_json(f"data.{package}.{name}"))
            except RuntimeError as exc:
                if is_refusal(exc):
                    continue
                raise _evaluation_error(exc, package, rule) from None
            if isinstance(value, list):
                results.extend(v for v in value if v not in results)
            elif value is not None:
                complete = value
        return results or complete

    def close(self) -> None:
        pass


def _evaluation_error(exc: RuntimeError, package: str, rule: str) -> PolicyError:
    err = rego_error(exc, package)
    return PolicyError(err.path, err.line, err.column, f"evaluating data.{package}.{rule}: {err.message}")


def _value(raw: str) -> Any:
    value = json.loads(raw) if raw else None
    # regorus spells an undefined complete rule as this string
    return None if value == _UNDEFINED else value


class OpaServerBackend:
    """An OPA server via opa-python-client: policies and data uploaded once, one POST per query."""

    def __init__(self, url: str, modules: Sequence[RegoModule], data: dict, token: str | None = None) -> None:
        from opa_client import OpaClient  # imported here: only OPA-server mode needs it

        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise PolicyError(url, 0, 0, "--opa-url must be http(s)://host:port")
        self._client = OpaClient(
            host=parsed.hostname, port=parsed.port or (443 if parsed.scheme == "https" else 80),
            ssl=parsed.scheme == "https", token=token, timeout=10,
        )
        self._ids: list[str] = []
        try:
            for index, module in enumerate(modules):
                policy_id = f"prcheck/{index}/{os.path.basename(module.path)}"
                self._client.update_policy_from_string(module.text, policy_id, rego_compat=False)
                self._ids.append(policy_id)
            if data:
                # one JSON patch adds each top-level key of any type, leaving
                # whatever else the server holds untouched
                self._client.patch_data("", [
                    {"op": "add", "path": "/" + key.replace("~", "~0").replace("/", "~1"), "value": value}
                    for key, value in data.items()
                ])
        except Exception as exc:  # the client raises its own types and requests' ones
            self.close()
            raise PolicyError(url, 0, 0, f"OPA server refused the policies: {_one_line(exc)}") from None

    def query(self, package: str, rule: str, input_json: str) -> Any:
        try:
            answer = self._client.query_rule(json.loads(input_json), package, rule)
        except Exception as exc:
            raise PolicyError(f"data.{package}.{rule}", 0, 0, f"OPA server query failed: {_one_line(exc)}") from None
        return answer.get("result")

    def close(self) -> None:
        for policy_id in self._ids:
            try:
                self._client.delete_policy(policy_id)
            except Exception:
                pass  # best effort: the server may already be gone
        self._ids.clear()
        self._client.close_connection()


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


@dataclass(frozen=True)
class _Rule:
    package: str
    name: str
    severity: str
    suffix: str  # `foo` for `deny_foo`, `""` for a bare `deny`: what `exception` rules name


class RegoEngine:
    """conftest semantics over any backend."""

    name = "rego"

    def __init__(self, modules: Sequence[RegoModule], backend: Backend, namespaces: Sequence[str] = ("main",),
                 all_namespaces: bool = False, combine: bool = False, engine_label: str = "rego",
                 input_for: Callable[[Document], Any] | None = None) -> None:
        self.backend = backend
        self.combine = combine
        self.per_document = not combine
        self.engine_label = engine_label
        # What a policy sees as `input` for one document. conftest semantics
        # (user policies) is the document itself; the built-in pack wraps it
        # with the file's path, kind and the target Kubernetes version.
        self.input_for = input_for or _document_input
        packages = {m.package for m in modules}
        wanted = packages if all_namespaces else set(namespaces) & packages
        rules: dict[tuple[str, str], _Rule] = {}
        self.exception_packages: set[str] = set()
        for module in modules:
            if module.package not in wanted:
                continue
            for head in module.result_rules():
                prefix = head.name.split("_", 1)[0]
                suffix = head.name.split("_", 1)[1] if "_" in head.name else ""
                rules[(module.package, head.name)] = _Rule(module.package, head.name, _SEVERITY[prefix], suffix)
            if any(h.name == "exception" for h in module.heads):
                self.exception_packages.add(module.package)
        self.rules = sorted(rules.values(), key=lambda r: (r.package, r.name))
        # findings about the policies themselves (refused built-ins), reported once per run
        self.load_findings: list[Finding] = []
        # conftest evaluates a file without content once, with input null (user policies only)
        self.evaluates_empty_files = False

    @classmethod
    def from_paths(cls, policy_paths: Sequence[str], data_paths: Sequence[str] = (), *, namespaces: Sequence[str] = ("main",),
                   all_namespaces: bool = False, combine: bool = False, rego_version: str = "auto",
                   opa_url: str | None = None, label: str = "rego", capabilities: str | None = None,
                   strict: bool = False) -> "RegoEngine | None":
        """conftest's `test`: `capabilities` is an OPA capabilities file restricting the
        built-ins; `strict` is OPA's strict mode (see rego_strict)."""
        modules = load_modules(policy_paths, rego_version)
        if not modules:
            return None
        allowed = load_capabilities(capabilities) if capabilities else None
        load_findings = check_calls(modules, allowed)
        if strict:
            check_strict(modules)
        data = load_data(data_paths)
        backend: Backend = OpaServerBackend(opa_url, modules, data) if opa_url else EmbeddedBackend(modules, data, allowed)
        engine = cls(modules, backend, namespaces, all_namespaces, combine, label)
        engine.load_findings = load_findings
        engine.evaluates_empty_files = True
        return engine

    def close(self) -> None:
        self.backend.close()

    def evaluate(self, docs: Sequence[Document]) -> Evaluation:
        result = Evaluation()
        targets = [d for d in docs if isinstance(d.obj, (dict, list)) or (d.obj is None and self.evaluates_empty_files)]
        if self.combine:
            result.extend(self._evaluate_value([{"path": d.path, "contents": d.obj} for d in targets], None))
            return result
        for doc in targets:
            result.extend(self._evaluate_value(self.input_for(doc), doc))
        return result

    def _evaluate_value(self, value: Any, doc: Document | None) -> Evaluation:
        """One input; a document the engine refuses is retried sanitised, then is a
        finding on that document: one odd file never stops the run."""
        plain = plain_json(value)
        if plain is not None:
            try:
                return self._evaluate_input(plain, doc)
            except InputRefused:
                pass
        try:
            result = self._evaluate_input(safe_json(value), doc)
        except InputRefused as exc:
            if doc is None:
                raise
            return Evaluation(findings=[Finding(
                rule="policy/input-refused", severity="error", path=doc.path, line=doc.line, resource=doc.resource,
                engine=self.engine_label, message=f"policies could not evaluate this document: {exc.message}")])
        if doc is not None:
            result.findings.append(Finding(
                rule="policy/input-sanitised", severity="warning", path=doc.path, line=doc.line,
                resource=doc.resource, engine=self.engine_label,
                message=f"policies saw this document sanitised: what JSON cannot hold (.inf, .nan, integers beyond "
                        f"64 bits, non-string keys) as strings, nesting below {MAX_DEPTH} levels cut"))
        return result

    def _evaluate_input(self, input_json: str, doc: Document | None) -> Evaluation:
        out = Evaluation()
        excepted: dict[str, set[str]] = {}
        for package in self.exception_packages:
            excepted[package] = _exception_names(self.backend.query(package, "exception", input_json))
        for rule in self.rules:
            value = self.backend.query(rule.package, rule.name, input_json)
            messages = _messages(value)
            if not messages:
                out.passed += 1
                continue
            # conftest: the empty string excepts the bare `deny`/`violation`/`warn` rules
            skip = rule.suffix in excepted.get(rule.package, set())
            for message in messages:
                finding = self._finding(rule, message, doc)
                if skip:
                    out.suppressed.append(Suppressed(finding, "rego-exception", f"exception rule in {rule.package}"))
                else:
                    out.findings.append(finding)
        return out

    def _finding(self, rule: _Rule, message: Any, doc: Document | None) -> Finding:
        text, meta = _message_parts(message)
        line = doc.line if doc else 0
        path = doc.path if doc else ""
        keypath = meta.get("path")
        if doc is not None and isinstance(keypath, (list, str)):
            parts = keypath if isinstance(keypath, list) else [p for p in keypath.split(".") if p]
            line = doc.line_of([int(p) if isinstance(p, str) and p.isdigit() else p for p in parts])
        loc = meta.get("_loc")
        if isinstance(loc, dict):
            # conftest: the result is about the input file, its location may be elsewhere
            # (a Terraform module, a values file); the annotation goes to the location and
            # the message still names the file that was evaluated
            where = str(loc.get("file") or path)
            if doc is not None and where != doc.path:
                text = f"{text} (evaluating {doc.path})"
            path = where
            line = _int(loc.get("line"), line)
        severity = meta.get("severity") if meta.get("severity") in ("error", "warning", "info") else rule.severity
        rule_id = meta.get("rule") or meta.get("id") or f"{rule.package}/{rule.name}"
        return Finding(
            rule=str(rule_id), severity=severity, message=text, path=path, line=line,
            resource=doc.resource if doc else "", engine=self.engine_label,
        )


def _int(value: Any, default: int) -> int:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else default
    except (TypeError, ValueError):
        return default


def _document_input(doc: Document) -> Any:
    return doc.obj


def _messages(value: Any) -> list[Any]:
    """A set rule gives a list; conftest ignores booleans (a bare `deny if` is a pass)."""
    if isinstance(value, list):
        return value
    if isinstance(value, (str, dict)) and value:
        return [value]
    return []


def _message_parts(message: Any) -> tuple[str, dict]:
    if isinstance(message, dict):
        text = message.get("msg")
        return (text if isinstance(text, str) else _json(message)), message
    return (message if isinstance(message, str) else _json(message)), {}


def _exception_names(value: Any) -> set[str]:
    names: set[str] = set()
    for entry in value if isinstance(value, list) else []:
        if isinstance(entry, list):
            names.update(str(e) for e in entry)
        elif isinstance(entry, str):
            names.add(entry)
    return names


class LocalOpaServer:
    """`opa run --server` on 127.0.0.1 for the run, when an `opa` binary is on PATH."""

    def __init__(self, binary: str | None = None, timeout: float = 10.0) -> None:
        self.binary = binary or shutil.which("opa")
        if not self.binary:
            raise PolicyError("opa", 0, 0, "--rego-engine opa needs --opa-url or an `opa` binary on PATH")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self._proc = subprocess.Popen(
            [self.binary, "run", "--server", "--addr", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise PolicyError(self.binary, 0, 0, f"opa server exited with {self._proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.close()
        raise PolicyError(self.binary, 0, 0, f"opa server did not listen within {timeout:.0f}s")

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
