"""conftest's load-time behaviours: refused network built-ins, --capabilities, --strict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prcheck.checks.policy.base import PolicyError
from prcheck.checks.policy.rego import RegoEngine
from prcheck.sources.yaml_loader import load_text
from tests.conftest import write

DOC = load_text("kind: ConfigMap\napiVersion: v1\nmetadata: {name: c}\n", "cm.yaml", kind="kubernetes").docs

NETWORK = """
package main

deny contains msg if {
  resp := http.send({"method": "GET", "url": "https://example.com"})
  resp.status_code != 200
  msg := "remote says no"
}

deny contains msg if {
  addrs := net.lookup_ip_addr("example.com")
  count(addrs) > 0
  msg := "resolved"
}

deny contains "local rule still runs" if input.kind == "ConfigMap"
"""


def build(tmp_path: Path, text: str, **kwargs) -> RegoEngine:
    write(tmp_path / "policy", {"p.rego": text})
    engine = RegoEngine.from_paths([str(tmp_path / "policy")], **kwargs)
    assert engine is not None
    return engine


def test_network_builtins_are_refused_findings_not_crashes(tmp_path: Path) -> None:
    engine = build(tmp_path, NETWORK)
    refused = engine.load_findings
    assert [(f.rule, f.line) for f in refused] == [("policy/builtin-refused", 4), ("policy/builtin-refused", 10)]
    assert "http.send" in refused[0].message and "net.lookup_ip_addr" in refused[1].message
    result = engine.evaluate(DOC)
    assert [f.message for f in result.findings] == ["local rule still runs"]


def test_refused_findings_reach_the_report(tmp_path: Path, run_cli) -> None:
    write(tmp_path, {"policy/p.rego": NETWORK, "cm.yaml": "kind: ConfigMap\napiVersion: v1\nmetadata: {name: c}\n"})
    result = run_cli(["check", "cm.yaml", "--policy", "policy", "--no-builtin", "--format", "json"], tmp_path)
    report = json.loads(result.output)
    assert sorted(f["rule"] for f in report["findings"]) == ["main/deny", "policy/builtin-refused", "policy/builtin-refused"]
    assert result.exit_code == 1


CAPABILITIES = {"builtins": [{"name": "count"}, {"name": "sprintf"}, {"name": "eq"}]}


def test_capabilities_restrict_builtins(tmp_path: Path) -> None:
    write(tmp_path, {"caps.json": json.dumps(CAPABILITIES)})
    text = 'package main\ndeny contains msg if {\n  startswith(input.kind, "Config")\n  msg := sprintf("%v", [count(input)])\n}\n'
    with pytest.raises(PolicyError, match="undefined function startswith") as err:
        build(tmp_path, text, capabilities=str(tmp_path / "caps.json"))
    assert err.value.line == 3
    allowed = 'package main\ndeny contains msg if {\n  msg := sprintf("%v", [count(input)])\n}\n'
    assert build(tmp_path, allowed, capabilities=str(tmp_path / "caps.json")).evaluate(DOC).findings


def test_capabilities_without_the_network_builtin_is_an_undefined_function(tmp_path: Path) -> None:
    write(tmp_path, {"caps.json": json.dumps(CAPABILITIES)})
    with pytest.raises(PolicyError, match="undefined function .*http.send"):
        build(tmp_path, NETWORK, capabilities=str(tmp_path / "caps.json"))


def test_extension_outside_capabilities_is_refused(tmp_path: Path) -> None:
    write(tmp_path, {"caps.json": json.dumps(CAPABILITIES)})
    text = 'package main\ndeny contains "x" if net.cidr_intersects("10.0.0.0/8", "10.0.0.0/16")\n'
    with pytest.raises(PolicyError, match="undefined function net.cidr_intersects"):
        build(tmp_path, text, capabilities=str(tmp_path / "caps.json"))


def test_bad_capabilities_file_is_a_policy_error(tmp_path: Path) -> None:
    write(tmp_path, {"caps.json": "{not json"})
    with pytest.raises(PolicyError, match="cannot read capabilities file"):
        build(tmp_path, 'package main\ndeny contains "x" if true\n', capabilities=str(tmp_path / "caps.json"))


def test_function_from_another_file_of_the_package_is_defined(tmp_path: Path) -> None:
    write(tmp_path / "policy", {"lib.rego": "package main\nis_cm(o) if o.kind == \"ConfigMap\"\n",
                                "p.rego": 'package main\ndeny contains "cm" if is_cm(input)\n'})
    engine = RegoEngine.from_paths([str(tmp_path / "policy")])
    assert [f.message for f in engine.evaluate(DOC).findings] == ["cm"]


@pytest.mark.parametrize("text, message", [
    ('package main\ndeny contains "x" if {\n  unused := input.kind\n  true\n}\n', "assigned var unused unused"),
    ('package main\nimport data.lib.helpers\ndeny contains "x" if true\n', "import data.lib.helpers unused"),
    ('package main\nf(a, b) := a\ndeny contains "x" if f(1, 2)\n', "unused argument b"),
    ('package main\ndeny contains "x" if {\n  some i\n  true\n}\n', "declared var i unused"),
    ('package main\ndeny contains "x" if {\n  input := 1\n  input == 1\n}\n', "variables must not shadow input"),
])
def test_strict_mode_errors(tmp_path: Path, text: str, message: str) -> None:
    assert build(tmp_path, text).evaluate(DOC) is not None  # loads without strict mode
    with pytest.raises(PolicyError, match=message):
        build(tmp_path, text, strict=True)


def test_strict_mode_refuses_deprecated_builtins_in_v0(tmp_path: Path) -> None:
    text = 'package main\ndeny[msg] {\n  any([true])\n  msg := "x"\n}\n'
    assert build(tmp_path, text, rego_version="v0").evaluate(DOC).findings
    with pytest.raises(PolicyError, match="deprecated built-in function calls in expression: any"):
        build(tmp_path, text, rego_version="v0", strict=True)


def test_strict_mode_accepts_a_clean_policy(tmp_path: Path) -> None:
    text = 'package main\nimport data.lib.k\ndeny contains msg if {\n  some c in input.items\n  msg := sprintf("%v %v", [c, k])\n}\n'
    build(tmp_path, text, strict=True)


@pytest.mark.parametrize("text, problem", [
    ("a: " + "[" * 30_000 + "\n", "nests too deeply"),  # the pure-Python composer recurses per level
    ("a: \x07\n", "invalid data file"),  # a reader error: no mark
    ("a: [1\n", "invalid data file"),
])
def test_an_unreadable_data_file_is_a_policy_error_naming_it(tmp_path: Path, text: str, problem: str) -> None:
    """A data file that does not parse stops the run with one error naming the file (conftest
    does the same), never an internal error."""
    from prcheck.checks.policy.rego_modules import load_data

    (tmp_path / "d.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match=problem) as err:
        load_data([tmp_path])
    assert err.value.path == str(tmp_path / "d.yaml")
