"""`kyverno-test.yaml` files (the Kyverno CLI `Test` format), run offline.

A test names policy files, resource files, an optional values file
(`variables:`) and user info (`userinfo:`), and lists expected `results`
(policy, rule, kind, resources, result). Every listed result is compared the
way `kyverno test` does: results the test does not list are ignored, a rule
written for Pods is also found under its `autogen-` / `autogen-cronjob-`
names, an expected `skip` also holds when the rule did not apply at all, and
a result with no evaluation is "Not found". Context entries that need a
cluster are left unset unless the values file provides them, as in the CLI.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from prcheck.sources.yaml_loader import load_bytes

from ..base import PolicyError
from .engine import KyvernoEngine, RuleResponse
from .evaluate import Result
from .load import documents, is_policy, resource_documents, yaml_files
from .rules import compile_policy
from .valuesfile import Values, load_values

TEST_FILE_NAMES = ("kyverno-test.yaml", "kyverno-test.yml")


@dataclass
class Row:
    """One expected result for one resource."""

    policy: str
    rule: str
    kind: str
    resource: str  # name or namespace/name, as written in the test
    expected: str
    actual: str  # pass | fail | skip | error | "" (not found)
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.actual == self.expected or (self.expected == "skip" and self.actual == "")

    @property
    def reason(self) -> str:
        if self.ok:
            return "Ok"
        if not self.actual:
            return f"Not found ({self.message})" if self.message else "Not found"
        return f"Want {self.expected}, got {self.actual}"


@dataclass
class TestReport:
    path: Path
    name: str
    rows: list[Row] = field(default_factory=list)
    error: str = ""
    policies: int = 0
    resources: int = 0

    @property
    def failed(self) -> int:
        return sum(not r.ok for r in self.rows) + (1 if self.error else 0)


def find_test_files(root: "str | Path") -> list[Path]:
    """Test files under `root` (hidden `.kyverno-test` directories included) or `root` itself."""
    path = Path(root)
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and p.name in TEST_FILE_NAMES)


def _load_test(path: Path) -> dict:
    loaded = load_bytes(path.read_bytes(), str(path))
    if loaded.findings:
        first = loaded.findings[0]
        raise PolicyError(str(path), first.line, first.column, first.message)
    obj = loaded.docs[0].obj if loaded.docs else None
    if not isinstance(obj, dict):
        raise PolicyError(str(path), 1, 0, "test file is not a map")
    return obj


def _user_info(path: "Path | None") -> "dict | None":
    if path is None:
        return None
    loaded = load_bytes(path.read_bytes(), str(path))
    obj = loaded.docs[0].obj if loaded.docs else None
    return obj if isinstance(obj, dict) else None


def _resolve(base: Path, items: object) -> list[Path]:
    if isinstance(items, str):
        items = [items]
    return [base / str(item) for item in items or []]


def _refs(result: dict) -> list[str]:
    """`resources: [name | namespace/name]`, or the older `resource:` with an optional `namespace:`."""
    refs = result.get("resources")
    names = [str(r) for r in refs] if isinstance(refs, list) else ([str(result["resource"])] if result.get("resource") else [])
    namespace = result.get("namespace")
    if namespace:
        names = [n if "/" in n else f"{namespace}/{n}" for n in names]
    return names


def _resource_key(resource: dict) -> "tuple[str, str, str]":
    metadata = resource.get("metadata") if isinstance(resource.get("metadata"), dict) else {}
    return str(resource.get("kind") or ""), str(metadata.get("namespace") or ""), str(metadata.get("name") or "")


def _rule_names(rule: str) -> tuple[str, ...]:
    return rule, f"autogen-{rule}", f"autogen-cronjob-{rule}"


def _find(responses: list[tuple[tuple[str, str, str], RuleResponse]], policy: str, rule: str, kind: str,
          ref: str) -> "RuleResponse | None":
    namespace, _, name = ref.rpartition("/")
    for (r_kind, r_ns, r_name), response in responses:
        if kind and r_kind != kind:
            continue
        if r_name != name or (namespace and (r_ns or "default") != namespace):
            continue
        if policy not in (response.policy.name, response.policy.key):
            continue
        if response.rule.name in _rule_names(rule):
            return response
    return None


def _context_data(path: "Path | None") -> "tuple[list[dict], list[dict]]":
    """A `kind: Context` file: (spec.resources, spec.images) standing in for the cluster and registries."""
    if path is None:
        return [], []
    loaded = load_bytes(path.read_bytes(), str(path))
    resources: list[dict] = []
    images: list[dict] = []
    for doc in loaded.docs:
        spec = doc.obj.get("spec") if isinstance(doc.obj, dict) and isinstance(doc.obj.get("spec"), dict) else {}
        resources.extend(r for r in spec.get("resources") or [] if isinstance(r, dict))
        images.extend(i for i in spec.get("images") or [] if isinstance(i, dict))
    return resources, images


def _default_namespace(obj: dict, kinds: Any) -> dict:
    """The CLI puts a namespaced resource without a namespace into `default`."""
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
    if meta.get("namespace") or not kinds.namespaced(api_version.rpartition("/")[0], kind):
        return obj
    return {**obj, "metadata": {**meta, "namespace": "default"}}


def _cel_responses(test: dict, base: Path, values: Values, user: "dict | None", files: list, resources: list) -> list:
    """ValidatingPolicy results for every resource (empty without such policies)."""
    from prcheck.checks.policy.cel.kinds import KindTable
    from prcheck.checks.policy.cel.kyverno_policies import (
        PolicyResponse, PolicyRunner, _NoRule, compile_validating_policy, is_validating_policy, library_bindings)
    from prcheck.checks.policy.cel.runtime import Runtime

    docs = [doc for file in files for doc in documents(file) if is_validating_policy(doc)]
    if not docs:
        return []
    runtime = Runtime()
    policies = [compile_validating_policy(runtime, doc) for doc in docs]
    for policy in policies:
        if policy.problems:
            first = policy.problems[0]
            raise PolicyError(first.path, first.line, 0, first.message)
    context_path = test.get("context")
    cluster, images = _context_data(base / str(context_path) if context_path else None)
    kinds = KindTable(r.obj for r in resources)
    user_info = (user or {}).get("userInfo") or {}
    extra = library_bindings(runtime, cluster, images, kinds, username=str(user_info.get("username") or ""))
    runner = PolicyRunner(runtime, policies, kinds)
    responses = []
    for doc in resources:
        obj = _default_namespace(doc.obj, kinds)
        namespace = str(((obj.get("metadata") or {}).get("namespace")) or "")
        for policy in policies:
            variables = values.for_resource(policy.name, str((obj.get("metadata") or {}).get("name") or ""))
            operation = str(variables.get("request.operation") or "CREATE").upper()
            target, old = (None, obj) if operation == "DELETE" else (obj, obj if operation == "UPDATE" else None)
            verdict = runner.evaluate(policy, obj, operation, old, user_info, values.namespaces.get(namespace), extra)
            if verdict is not None:
                result = Result(verdict.status, verdict.message)
                responses.append((_resource_key(obj), PolicyResponse(policy, _NoRule(), result)))
    return responses


def run_test_file(path: "str | Path") -> TestReport:
    """Evaluate one test file; loading problems are reported in `error`, never raised."""
    path = Path(path)
    report = TestReport(path=path, name=path.parent.name)
    try:
        test = _load_test(path)
        report.name = str((test.get("metadata") or {}).get("name") or test.get("name") or report.name)
        base = path.parent
        values_path = test.get("variables")
        values = load_values(base / str(values_path)) if values_path else Values()
        user_path = test.get("userinfo")
        user = _user_info(base / str(user_path)) if user_path else None
        files = list(yaml_files(_resolve(base, test.get("policies"))))
        policy_docs = [doc for file in files for doc in documents(file) if is_policy(doc)]
        policies = [compile_policy(doc) for doc in policy_docs]
        for policy in policies:
            if policy.problems:
                first = policy.problems[0]
                raise PolicyError(first.path, first.line, 0, first.message)
        resources = resource_documents(_resolve(base, test.get("resources")))
        engine = KyvernoEngine(policies, values, offline="ignore")
        responses = [(_resource_key(doc.obj), response) for doc in resources
                     for response in engine.apply(doc.obj, user=user)]
        cel = _cel_responses(test, base, values, user, files, resources)
        responses.extend(cel)
        report.policies = len(policies) + len({r.policy.key for _, r in cel})
        report.resources = len(resources)
    except (PolicyError, OSError) as exc:
        report.error = str(exc)
        return report
    known = {(key, r.name) for p in policies for key in (p.name, p.key) for r in p.rules}
    known.update((r.policy.name, "") for _, r in cel)
    for result in test.get("results") or []:
        if not isinstance(result, dict):
            continue
        policy, rule = str(result.get("policy", "")), str(result.get("rule", ""))
        kind, expected = str(result.get("kind", "")), str(result.get("result", "")).lower()
        for ref in _refs(result):
            found = _find(responses, policy, rule, kind, ref)
            if found is not None:
                report.rows.append(Row(policy, rule, kind, ref, expected, found.result.status, found.result.message))
                continue
            exists = any((policy, name) in known for name in _rule_names(rule))
            hint = "" if exists else f"policy {policy} has no rule {rule}"
            report.rows.append(Row(policy, rule, kind, ref, expected, "", hint))
    return report


def _table(rows: list[list[str]]) -> Iterator[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rule = "│" + "│".join("─" * (w + 2) for w in widths) + "│"
    yield rule
    for index, row in enumerate(rows):
        yield "│" + "│".join(f" {cell:<{widths[i]}} " for i, cell in enumerate(row)) + "│"
        if index == 0:
            yield rule
    yield rule


def print_report(report: TestReport, out: TextIO, detailed: bool = False) -> None:
    out.write(f"Loading test  ( {report.path} ) ...\n")
    if report.error:
        out.write(f"  Error: {report.error}\n\n")
        return
    out.write(f"  Applying {report.policies} polic{'y' if report.policies == 1 else 'ies'} "
              f"to {report.resources} resource{'' if report.resources == 1 else 's'} ...\n")
    out.write("  Checking results ...\n\n")
    shown = report.rows
    if shown:
        header = ["ID", "POLICY", "RULE", "RESOURCE", "RESULT", "REASON"]
        body = [[str(i), r.policy, r.rule, f"{r.kind}/{r.resource}" if r.kind else r.resource,
                 "Pass" if r.ok else "Fail", r.reason] for i, r in enumerate(shown, 1)]
        for line in _table([header] + body):
            out.write(line + "\n")
        if detailed:
            for row in shown:
                if not row.ok and row.message:
                    out.write(f"  {row.policy}/{row.rule} {row.resource}: {row.message}\n")
        out.write("\n")


def run_tests(root: "str | Path", out: TextIO, detailed: bool = False) -> int:
    """Run every test under `root`, print Kyverno-style tables, return the exit code."""
    reports = run_all(root)
    if not reports:
        out.write(f"No test files found under {root}\n")
        return 1
    passed = failed = 0
    for report in reports:
        print_report(report, out, detailed)
        passed += sum(r.ok for r in report.rows)
        failed += report.failed
    out.write(f"Test Summary: {passed} tests passed and {failed} tests failed\n")
    return 1 if failed else 0


def run_all(root: "str | Path") -> list[TestReport]:
    """Every test file under `root`, run; [] when there is none."""
    return [run_test_file(file) for file in find_test_files(root)]
