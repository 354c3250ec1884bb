import json
from pathlib import Path

import jsonschema
import xmlschema

from prcheck.model import Finding, Report, Suppressed
from prcheck.report import render
from prcheck.report.text import use_colour

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


def sample() -> Report:
    findings = [
        Finding("schema/invalid", "error", "spec.replicas: wrong type", "deploy/app.yaml", 6, "Deployment/web", "schema"),
        Finding("main/warn", "warning", "no labels", "deploy/app.yaml", 1, "Deployment/web", "rego", column=3),
        Finding("schema/missing", "info", "no schema for Widget", "crds/w.yaml", 1, "Widget/w", "schema"),
        Finding("render/failed", "error", "kustomize build failed", "", 0, "", "render", env="prod"),
    ]
    suppressed = [Suppressed(Finding("main/deny_x", "error", "x", "deploy/app.yaml", 3, "Deployment/web", "rego"),
                             "inline", "accepted risk")]
    return Report(findings=findings, suppressed=suppressed, stats={"files": 2, "documents": 5, "root": "/repo"})


def test_sarif_is_valid_against_the_sarif_2_1_0_schema():
    log = json.loads(render("sarif", sample()))
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    run = log["runs"][0]
    results = run["results"]
    assert [r["level"] for r in results] == ["error", "warning", "note", "error", "error"]
    assert results[0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 6}
    assert results[1]["locations"][0]["physicalLocation"]["region"] == {"startLine": 1, "startColumn": 3}
    assert results[3]["locations"] == []  # environment-level finding: no file
    assert results[4]["suppressions"] == [{"kind": "inSource", "justification": "accepted risk"}]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert all(rule_ids[r["ruleIndex"]] == r["ruleId"] for r in results)


def test_junit_is_valid_against_the_junit_xsd():
    xml = render("junit", sample())
    xmlschema.XMLSchema(str(SCHEMAS / "junit-4.xsd")).validate(xml)
    assert 'classname="deploy/app.yaml" name="schema/invalid"' in xml
    assert "<failure" in xml and 'classname="env:prod"' in xml


def test_junit_of_a_clean_run_has_one_passing_case():
    xml = render("junit", Report(stats={"files": 1}))
    xmlschema.XMLSchema(str(SCHEMAS / "junit-4.xsd")).validate(xml)
    assert 'tests="1"' in xml and "<failure" not in xml


def test_json_shape_is_stable():
    data = json.loads(render("json", sample()))
    assert data["version"] == 1
    assert data["summary"] == {"errors": 2, "warnings": 1, "info": 1, "suppressed": 1, "files": 2, "documents": 5,
                               "pre_existing": 0, "fixed": 0}
    assert set(data["findings"][0]) == {"rule", "severity", "message", "path", "line", "resource", "engine", "env", "column", "fingerprint", "envs"}
    assert data["suppressed"][0]["source"] == "inline"


def test_text_summary_and_colour(monkeypatch):
    plain = render("text", sample())
    assert plain.splitlines()[-1] == "2 errors, 1 warning, 1 info in 2 of 2 files checked (5 documents); 1 suppressed"
    assert "\033[" not in plain
    assert "\033[31m" in render("text", sample(), colour=True)
    assert "no schema for Widget" not in render("text", sample(), quiet=True)

    class Tty:
        def isatty(self) -> bool:
            return True
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(Tty()) is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_colour(Tty()) is False


def test_fingerprint_ignores_line_but_not_message():
    a = Finding("r", "error", "m", "p.yaml", 1, "Pod/x")
    assert a.fingerprint == Finding("r", "error", "m", "p.yaml", 40, "Pod/x").fingerprint
    assert a.fingerprint != Finding("r", "error", "other", "p.yaml", 1, "Pod/x").fingerprint


def test_sarif_describes_builtin_rules_by_title():
    report = Report(findings=[Finding("k8s/privileged-container", "error", "m", "a.yaml", 1)])
    (rule,) = json.loads(render("sarif", report))["runs"][0]["tool"]["driver"]["rules"]
    assert rule["shortDescription"]["text"] not in ("", "k8s/privileged-container")


def test_json_report_in_batches_is_what_json_dumps_writes():
    """Plain findings are written a batch at a time; an odd finding anywhere in a batch, or a
    text holding the batch's own separator, still comes out as json.dumps writes it."""
    import enum

    from prcheck.report.json import _BATCH, as_dict, render

    class Level(enum.IntEnum):
        HIGH = 3

    class Text(str):
        pass

    plain = [Finding("r/p", "warning", f"container {i % 7} {{x}}\x00}}\x00{{ %s", f"apps/{i % 3}.yaml", i,
                     f"Deployment/ns/web-{i % 5}", "builtin", fingerprint=f"{i:016x}") for i in range(2 * _BATCH + 3)]
    odd = [Finding("r/o", "error", "m", envs=("prod",)), Finding("r/o", "error", "m", line=Level.HIGH),
           Finding("r/o", "error", Text("sub\u00e9")), Finding("r/o", "error", "m", column=True),  # type: ignore[arg-type]
           Finding("r/o", "error", "m", fingerprint="f", engine=None)]  # type: ignore[arg-type]
    for findings in (plain, plain[:1], plain[:_BATCH] + odd[:1] + plain[_BATCH:], odd + plain[:9], odd):
        report = Report(findings=findings, fixed=findings[::-1])
        assert render(report) == json.dumps(as_dict(report), indent=2, default=str) + "\n"
