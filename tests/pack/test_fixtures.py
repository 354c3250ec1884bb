"""The pack's own tests (`prcheck policy test`), and that every rule has both kinds of fixture."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from prcheck.checks.policy.builtin_catalog import load_catalog, pack_dir
from prcheck.checks.policy.builtin_testing import (
    SuiteReport,
    find_fixtures,
    parse_fixture,
    run_all,
)


@pytest.fixture(scope="module")
def report() -> SuiteReport:
    return run_all(pack_dir())


def test_every_unit_and_fixture_test_of_the_pack_passes(report: SuiteReport):
    failures = [f"{r.name}: {r.detail}" for r in report.results if r.status in ("fail", "error")]
    assert not failures, "\n".join(failures)
    assert report.count("pass") >= 55


def test_every_rule_has_a_failing_and_a_passing_fixture():
    root = pack_dir()
    failing: set[str] = set()
    passing: set[str] = set()
    for path in find_fixtures(root):
        fixture = parse_fixture(path, path.read_text(encoding="utf-8"))
        if fixture is None:
            continue
        marked = {rule for rule, _ in fixture.expected}
        failing |= marked
        passing |= set(fixture.rules) - marked
    ids = {rule.id for rule in load_catalog()}
    assert ids - failing == set(), "rules without a failing fixture"
    assert ids - passing == set(), "rules without a passing fixture"


def test_rule_ids_in_rego_match_the_catalog():
    """Every id a Rego rule emits has METADATA, and every METADATA id is emitted somewhere."""
    emitted: set[str] = set()
    for path in pack_dir().rglob("*.rego"):
        if not path.name.endswith("_test.rego"):
            emitted |= set(re.findall(r'"rule":\s*"([^"]+)"', path.read_text(encoding="utf-8")))
    catalog = {r.id: r for r in load_catalog()}
    assert emitted - set(catalog) == set()
    assert {i for i, r in catalog.items() if r.engine == "rego"} == emitted


def test_catalog_entries_are_documented():
    for rule in load_catalog():
        assert rule.title and rule.description and rule.remediation, rule.id
        assert rule.severity in ("error", "warning", "info")
        assert re.fullmatch(r"(secrets|gha|gitlab|k8s)/[a-z0-9-]+", rule.id), rule.id


def test_docs_list_every_rule_with_its_severity():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in load_catalog():
        heading = re.search(rf"^### `{re.escape(rule.id)}`.*$", docs, re.MULTILINE)
        assert heading, f"{rule.id} missing from docs/rules.md"
        assert rule.severity in heading.group(0), f"{rule.id}: severity differs in docs"


def test_fixture_runner_reports_a_wrong_line(tmp_path: Path):
    root = tmp_path / "pack"
    shutil.copytree(pack_dir(), root, ignore=shutil.ignore_patterns("testdata", "*_test.rego"))
    (root / "testdata").mkdir()
    (root / "testdata" / "bad-fail.yaml").write_text(
        "# prcheck-test: rule=k8s/host-port\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
        "  containers:\n    - name: a  # expect\n      image: a:1\n      ports: [{containerPort: 1, hostPort: 80}]\n",
        encoding="utf-8")
    report = run_all(root)
    fixture = next(r for r in report.results if "bad-fail.yaml" in r.name)
    assert fixture.status == "fail"
    assert "expected but not found: k8s/host-port at line 7" in fixture.detail
    assert "found but not expected: k8s/host-port at line 9" in fixture.detail
