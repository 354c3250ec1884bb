"""`prcheck policy test`: Rego unit tests (like `opa test`) and fixture tests.

Unit tests are rules named `test_*` in any package: a test passes when the
rule is true (`todo_test_*` rules are reported as skipped, as OPA does).

Fixture tests are YAML files under a `testdata/` folder whose first lines say
what they test, and whose lines say where findings are expected:

    # prcheck-test: rule=gha/unpinned-uses kind=github-workflow kube-version=1.25
    jobs:
      build:
        steps:
          - uses: actions/checkout@v4   # expect
          - uses: ./local-action

The fixture passes when the findings of that rule are exactly on the lines
marked `# expect` (`# expect: other/rule` names another rule); a file with no
marks must produce no finding of the rule. `rule=` may list several rules
(`rule=a,b`): then every mark names its rule, and a passing fixture (no marks)
proves none of them fires, e.g. on a fully hardened workload. `kind` defaults to `kubernetes`
when the file holds objects with apiVersion and kind, else `yaml`;
`kube-version` defaults to 1.32. Fixtures run through the same engine as
`prcheck check`, so they also test line numbers and message masking.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


from prcheck.checks.policy.base import PolicyError
from prcheck.checks.policy.builtin import ENTRY_PACKAGE, BuiltinEngine, pack_data
from prcheck.checks.secrets import SecretsEngine, SecretsSettings
from prcheck.checks.policy.builtin_catalog import pack_modules
from prcheck.checks.policy.rego import RegoEngine
from prcheck.checks.policy.rego_builtins import new_engine
from prcheck.checks.policy.rego_modules import (
    RegoModule,
    load_data,
    load_modules,
    rego_error,
)
from prcheck.model import Finding
from prcheck.sources.yaml_loader import load_text

_HEADER = re.compile(r"^#\s*prcheck-test:(?P<args>.*)$", re.MULTILINE)
_EXPECT = re.compile(r"#\s*expect(?::\s*(?P<rules>[\w./,\s-]+?))?\s*$")
FIXTURE_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class CaseResult:
    name: str
    status: str  # "pass", "fail", "error", "skip"
    detail: str = ""
    # for machine-readable output: the package (or fixture), the rule, the file, what was wanted and got
    policy: str = ""
    rule: str = ""
    resource: str = ""
    expected: str = ""
    got: str = ""


@dataclass
class SuiteReport:
    results: list[CaseResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def ok(self) -> bool:
        return not any(r.status in ("fail", "error") for r in self.results)


def _test_modules(root: Path) -> list[RegoModule]:
    files = pack_modules(root, with_tests=True) if root.is_dir() else [root]
    return load_modules(files, "auto")


def run_unit_tests(root: Path, data_paths: Sequence[Path] = ()) -> list[CaseResult]:
    """Evaluate every `test_*` rule of every module under `root`."""
    modules = _test_modules(root)
    data = load_data(data_paths) if data_paths else pack_data(root) if root.is_dir() else {}
    engine = new_engine()
    for module in modules:
        engine.set_rego_v0(module.v0)
        try:
            engine.add_policy(module.path, module.regorus_text)
        except RuntimeError as exc:
            raise rego_error(exc, module.path) from None
    engine.set_rego_v0(False)
    engine.add_data_json(json.dumps({**data, "settings": {"rules": {}}}))
    results: list[CaseResult] = []
    for module in modules:
        names = sorted({h.name for h in module.heads if h.kind != "Func"
                        and (h.name.startswith("test_") or h.name.startswith("todo_test_"))})
        for name in names:
            label = f"data.{module.package}.{name}"
            facts = {"policy": module.package, "rule": name, "resource": module.path}
            if name.startswith("todo_"):
                results.append(CaseResult(label, "skip", **facts))
                continue
            try:
                raw = engine.eval_rule_as_json(label)
            except RuntimeError as exc:
                results.append(CaseResult(label, "error", rego_error(exc, module.path).message, **facts))
                continue
            value = json.loads(raw) if raw else None
            results.append(CaseResult(label, "pass" if value is True else "fail",
                                      "" if value is True else f"{module.path}: rule is {_describe(value)}",
                                      expected="true", got=_describe(value), **facts))
    return results


def _describe(value: object) -> str:
    return "undefined" if value in (None, "<undefined>") else json.dumps(value)[:80]


@dataclass(frozen=True)
class Fixture:
    path: Path
    rules: tuple[str, ...]
    kind: str | None
    kube_version: str
    expected: frozenset[tuple[str, int]]  # (rule, line)


def parse_fixture(path: Path, text: str) -> Fixture | None:
    """The fixture's header and expectations; None for YAML that is not a fixture."""
    header = _HEADER.search(text)
    if not header:
        return None
    args = dict(part.split("=", 1) for part in header.group("args").split() if "=" in part)
    if "rule" not in args:
        raise PolicyError(str(path), 1, 0, "prcheck-test header needs rule=<rule id>")
    rules = tuple(r for r in args["rule"].split(",") if r)
    expected: set[tuple[str, int]] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        match = _EXPECT.search(line)
        if match and "prcheck-test:" not in line:
            if not match.group("rules") and len(rules) > 1:
                raise PolicyError(str(path), number, 0, "with several rules in the header, write '# expect: <rule>'")
            named = [r.strip() for r in (match.group("rules") or rules[0]).split(",") if r.strip()]
            expected.update((rule, number) for rule in named)
    return Fixture(path, rules, args.get("kind"), args.get("kube-version", "1.32").lstrip("v"), frozenset(expected))


def find_fixtures(root: Path) -> list[Path]:
    if root.is_file():
        return [root] if root.suffix in FIXTURE_SUFFIXES else []
    return sorted(p for p in root.rglob("*") if p.suffix in FIXTURE_SUFFIXES and "testdata" in p.relative_to(root).parts)


class _FixtureRunner:
    """One compiled engine for all fixtures: the pack (when `root` is a pack,
    i.e. has package prcheck.main) or conftest-style policies otherwise."""

    def __init__(self, root: Path) -> None:
        self.pack: BuiltinEngine | None = None
        self.secrets: SecretsEngine | None = None
        self.rego: RegoEngine | None = None
        modules = load_modules(pack_modules(root), "auto") if root.is_dir() else []
        if any(m.package == ENTRY_PACKAGE for m in modules):
            self.pack = BuiltinEngine(root)
            self.secrets = SecretsEngine.from_settings(SecretsSettings())  # the pack's secrets/* fixtures
        elif modules:
            self.rego = RegoEngine.from_paths([str(p) for p in pack_modules(root)], all_namespaces=True)

    def close(self) -> None:
        for engine in (self.pack, self.rego):
            if engine is not None:
                engine.close()

    def findings(self, fixture: Fixture, text: str, display: str) -> list[Finding]:
        loaded = load_text(text, display, fixture.kind or "yaml")
        docs = [d for d in loaded.docs if d.obj is not None]
        if fixture.kind is None:
            manifest = any(isinstance(d.obj, dict) and "apiVersion" in d.obj and "kind" in d.obj for d in docs)
            for doc in docs:
                doc.file_kind = "kubernetes" if manifest else "yaml"
        found = list(loaded.findings)
        if self.pack is not None:
            engine = self.pack.with_kube_version(fixture.kube_version)
            found += engine.evaluate(docs).findings
            if self.secrets is not None:
                found += self.secrets.evaluate(docs).findings
        elif self.rego is not None:
            found += self.rego.evaluate(docs).findings
        return found


def run_fixture_tests(root: Path) -> list[CaseResult]:
    paths = find_fixtures(root)
    if not paths:
        return []
    runner = _FixtureRunner(root if root.is_dir() else root.parent)
    results: list[CaseResult] = []
    try:
        for path in paths:
            text = path.read_text(encoding="utf-8")
            display = str(path)
            fixture = parse_fixture(path, text)
            if fixture is None:
                continue
            results.append(_judge(fixture, runner.findings(fixture, text, display), display))
    finally:
        runner.close()
    return results


def _judge(fixture: Fixture, findings: Iterable[Finding], display: str) -> CaseResult:
    findings = list(findings)
    rules = set(fixture.rules) | {rule for rule, _ in fixture.expected}
    actual = {(f.rule, f.line) for f in findings if f.rule in rules}
    name = f"{display} [{','.join(fixture.rules)}]"

    def listed(pairs: set[tuple[str, int]]) -> str:
        return ", ".join(f"{r} at line {n}" for r, n in sorted(pairs, key=lambda x: (x[1], x[0]))) or "no finding"

    facts = {"rule": ",".join(fixture.rules), "resource": display,
             "expected": listed(fixture.expected), "got": listed(actual)}
    broken = [f for f in findings if f.rule.startswith("yaml/") and f.severity == "error" and f.rule not in rules]
    if broken:
        # A fixture that does not load proves nothing either way: no rule saw its documents.
        first = broken[0]
        return CaseResult(name, "error", f"fixture does not load: {first.message} (line {first.line}, {first.rule})", **facts)
    if "fail" in fixture.path.stem and not fixture.expected:
        return CaseResult(name, "error", "a failing fixture must mark at least one line with '# expect'", **facts)
    if actual == fixture.expected:
        return CaseResult(name, "pass", **facts)
    missing = sorted(fixture.expected - actual, key=lambda x: x[1])
    extra = sorted(actual - fixture.expected, key=lambda x: x[1])
    parts = []
    if missing:
        parts.append("expected but not found: " + ", ".join(f"{r} at line {n}" for r, n in missing))
    if extra:
        parts.append("found but not expected: " + ", ".join(f"{r} at line {n}" for r, n in extra))
    return CaseResult(name, "fail", "; ".join(parts), **facts)


def run_all(root: Path, data_paths: Sequence[Path] = ()) -> SuiteReport:
    """Unit tests then fixtures; a policy that does not compile raises PolicyError."""
    return SuiteReport(run_unit_tests(root, data_paths) + run_fixture_tests(root))
