"""`--format json|junit` of the three test commands: the same results, as data CI can publish.

Every JUnit document is validated against the JUnit XSD; every JSON result
carries the policy, rule, resource, expected and got of its test.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import xmlschema
from click.testing import CliRunner

from prcheck.commands.kyverno_cmd import kyverno
from prcheck.report.test_results import TestResult, render
from tests.conftest import write
from tests.gatekeeper.test_verify import LABEL_FILES
from tests.kyverno.test_testrunner import suite
from tests.gatekeeper.helpers import dump, obj

XSD = xmlschema.XMLSchema(str(Path(__file__).resolve().parents[1] / "schemas" / "junit-4.xsd"))
KEYS = {"suite", "name", "status", "policy", "rule", "resource", "expected", "got", "message"}


def _junit(text: str) -> ET.Element:
    XSD.validate(text)
    return ET.fromstring(text)


def test_kyverno_test_json_and_junit(tmp_path: Path) -> None:
    suite(tmp_path / "broken", bad_result="pass")
    runner = CliRunner()
    result = runner.invoke(kyverno, ["test", str(tmp_path), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["summary"] == {"tests": 7, "passed": 6, "failed": 1, "errors": 0, "skipped": 0}
    (failed,) = [r for r in report["results"] if r["status"] == "fail"]
    assert set(failed) == KEYS
    assert (failed["policy"], failed["resource"], failed["expected"], failed["got"]) == \
        ("disallow-latest-tag", "Pod/team/bad", "pass", "fail")
    junit = runner.invoke(kyverno, ["test", str(tmp_path), "--format", "junit"])
    root = _junit(junit.output)
    assert root.get("tests") == "7" and root.get("failures") == "1"
    (failure,) = root.iter("failure")
    assert "expected: pass" in failure.text and "got: fail" in failure.text


def test_gatekeeper_verify_json_and_junit(tmp_path: Path, run_cli) -> None:
    write(tmp_path, {**LABEL_FILES, "labels/samples/allowed.yaml": dump(obj("ConfigMap", "a"))})
    result = run_cli(["gatekeeper", "verify", "labels", "--format", "json"], tmp_path)
    assert result.exit_code == 1
    report = json.loads(result.output)
    (failed,) = [r for r in report["results"] if r["status"] == "fail"]
    assert set(failed) == KEYS
    assert failed["resource"] == "ConfigMap/a" and failed["expected"] == "no violations"
    assert failed["got"] == "1 violation" and failed["policy"].startswith("K8sRequiredLabels/")
    assert report["summary"]["failed"] == 1 and report["summary"]["skipped"] >= 1
    junit = run_cli(["gatekeeper", "verify", "labels", "--format", "junit"], tmp_path)
    root = _junit(junit.output)
    assert len(list(root.iter("failure"))) == 1 and len(list(root.iter("skipped"))) >= 1


def test_policy_test_json_and_junit(tmp_path: Path, run_cli) -> None:
    write(tmp_path, {"p/main.rego": "package main\n\nx := 1\n\ntest_one if x == 1\n\ntest_two if x == 2\n"})
    result = run_cli(["policy", "test", "p", "--format", "json"], tmp_path)
    assert result.exit_code == 1
    report = json.loads(result.output)
    by_rule = {r["rule"]: r for r in report["results"]}
    assert by_rule["test_one"]["status"] == "pass" and by_rule["test_two"]["status"] == "fail"
    assert (by_rule["test_two"]["policy"], by_rule["test_two"]["expected"]) == ("main", "true")
    junit = run_cli(["policy", "test", "p", "--format", "junit"], tmp_path)
    root = _junit(junit.output)
    assert root.get("tests") == "2" and root.get("failures") == "1"


def test_results_are_escaped_and_masked() -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    results = [TestResult("s.yaml", "t\nforged", "fail", message=f"saw {token}\x1b[31m"),
               TestResult("s.yaml", "err", "error", message="broken"), TestResult("s.yaml", "skip", "skip")]
    out = render("json", "prcheck", results)
    assert token not in out and "\\u001b" not in out and "\\n" in json.loads(out)["results"][0]["name"]
    root = _junit(render("junit", "prcheck", results))
    assert len(list(root.iter("error"))) == 1 and len(list(root.iter("skipped"))) == 1
