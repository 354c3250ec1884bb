"""JUnit XML: one testcase per (file, rule), so CI test widgets show what failed where."""

from __future__ import annotations

from collections import defaultdict
from xml.etree import ElementTree as ET

from prcheck.model import Finding, Report
from prcheck.report.escaping import escape_control as esc


def _fixed_cases(report: Report) -> dict[tuple[str, str], list[Finding]]:
    cases: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in report.fixed:
        cases[(esc(f.path) or (f"env:{esc(f.env_label)}" if f.environments else "(run)"), esc(f.rule))].append(f)
    return cases


def render(report: Report, **_: object) -> str:
    cases: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in report.findings:
        cases[(esc(f.path) or (f"env:{esc(f.env_label)}" if f.environments else "(run)"), esc(f.rule))].append(f)
    failures = sum(1 for fs in cases.values() if any(f.severity == "error" for f in fs))
    suites = ET.Element("testsuites", name="prcheck", tests=str(len(cases)), failures=str(failures), errors="0")
    suite = ET.SubElement(suites, "testsuite", name="prcheck", tests=str(len(cases)),
                          failures=str(failures), errors="0", skipped="0")
    if not cases and not report.fixed:  # zero tests reads as "nothing ran" to most CI widgets
        ET.SubElement(suite, "testcase", classname="prcheck", name=f"{report.stats.get('files', 0)} files checked")
        suite.set("tests", "1")
        suites.set("tests", "1")
    for (path, rule), findings in sorted(cases.items()):
        case = ET.SubElement(suite, "testcase", classname=path, name=rule)
        # XML 1.0 cannot hold most control characters at all: they are escaped, as in text output
        body = "\n".join(esc(f"{f.location()}: {f.severity}: {f.message}" + (f" ({f.resource})" if f.resource else ""))
                          for f in findings)
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            failure = ET.SubElement(case, "failure", message=esc(errors[0].message), type=rule)
            failure.text = body
        else:
            ET.SubElement(case, "system-out").text = body
    for (path, rule), findings in sorted(_fixed_cases(report).items()):
        # a check that failed at the base and passes now: a passing testcase saying so
        case = ET.SubElement(suite, "testcase", classname=path, name=f"{rule} (fixed)")
        ET.SubElement(case, "system-out").text = "\n".join(
            esc(f"fixed by this change: {f.location()}: {f.message}") for f in findings)
    count = len(suite.findall("testcase"))
    suite.set("tests", str(count))
    suites.set("tests", str(count))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
