"""Machine-readable results of the test commands (`policy test`, `kyverno test`, `gatekeeper verify`).

Each command keeps its own text output (the one its users know from `opa
test`, the Kyverno CLI and gator); `--format json|junit` gives CI the same
results as data: one entry per test and per expected result, with the
policy, rule and resource it is about, what the test expected and what the
engine gave. Messages pass through the report's masking and escaping, as
every other output does.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Sequence
from xml.etree import ElementTree as ET

from prcheck.report.escaping import escape_control as esc
from prcheck.report.masking import mask_text

FORMATS = ("text", "json", "junit")
STATUSES = ("pass", "fail", "error", "skip")


@dataclass(frozen=True)
class TestResult:
    suite: str  # the test file or suite
    name: str  # the test (and case) within it
    status: str  # pass | fail | error | skip
    policy: str = ""
    rule: str = ""
    resource: str = ""
    expected: str = ""
    got: str = ""
    message: str = ""

    def shown(self) -> "TestResult":
        """Every field one escaped line; the message masked like any finding's."""
        values = {k: esc(str(v)) for k, v in asdict(self).items()}
        values["message"] = esc(mask_text(self.message))
        return TestResult(**values)


def summary(results: Sequence[TestResult]) -> dict[str, int]:
    counts = {status: sum(1 for r in results if r.status == status) for status in STATUSES}
    return {"tests": len(results), "passed": counts["pass"], "failed": counts["fail"],
            "errors": counts["error"], "skipped": counts["skip"]}


def render_json(tool: str, results: Sequence[TestResult]) -> str:
    body = {"version": 1, "tool": tool, "summary": summary(results),
            "results": [asdict(r.shown()) for r in results]}
    return json.dumps(body, indent=2) + "\n"


def render_junit(tool: str, results: Sequence[TestResult]) -> str:
    """One testsuite per test file or suite, one testcase per result."""
    total = summary(results)
    root = ET.Element("testsuites", name=tool, tests=str(total["tests"]), failures=str(total["failed"]),
                      errors=str(total["errors"]))
    suites: dict[str, list[TestResult]] = {}
    for result in results:
        suites.setdefault(result.suite, []).append(result.shown())
    for name, members in suites.items():
        counts = summary(members)
        suite = ET.SubElement(root, "testsuite", name=name or tool, tests=str(counts["tests"]),
                              failures=str(counts["failed"]), errors=str(counts["errors"]), skipped=str(counts["skipped"]))
        for result in members:
            case = ET.SubElement(suite, "testcase", classname=name or tool, name=result.name or name or tool)
            facts = [f"{key}: {value}" for key, value in (("policy", result.policy), ("rule", result.rule),
                     ("resource", result.resource), ("expected", result.expected), ("got", result.got)) if value]
            detail = "\n".join(facts + ([result.message] if result.message else []))
            headline = result.message or (f"expected {result.expected}, got {result.got}" if result.expected else result.status)
            if result.status == "fail":
                ET.SubElement(case, "failure", message=headline, type="fail").text = detail
            elif result.status == "error":
                ET.SubElement(case, "error", message=headline, type="error").text = detail
            elif result.status == "skip":
                ET.SubElement(case, "skipped").text = detail
            elif detail:
                ET.SubElement(case, "system-out").text = detail
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render(fmt: str, tool: str, results: Sequence[TestResult]) -> str:
    return render_json(tool, results) if fmt == "json" else render_junit(tool, results)
