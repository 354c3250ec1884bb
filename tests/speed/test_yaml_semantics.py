"""The loader reads YAML as Kubernetes does: every row of docs/yaml-semantics.md is a case."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from prcheck.sources.k8s_yaml import go_float32_g
from prcheck.sources.yaml_loader import load_text

TABLE = Path(__file__).resolve().parents[2] / "docs" / "yaml-semantics.md"
_ROW = re.compile(r"^\| `(?P<yaml>[^`]+)` \| (?P<json>`[^`]*`|refused) \|", re.MULTILINE)


def cases() -> list[tuple[str, str]]:
    found = [(m.group("yaml"), m.group("json").strip("`")) for m in _ROW.finditer(TABLE.read_text(encoding="utf-8"))]
    assert len(found) > 40, "the table in docs/yaml-semantics.md lost its rows"
    return found


@pytest.mark.parametrize(("text", "expected"), cases())
def test_the_table(text: str, expected: str) -> None:
    loaded = load_text(text + "\n", "case.yaml", "kubernetes")
    if expected == "refused":
        assert loaded.docs == []
        assert {f.rule for f in loaded.findings} & {"yaml/not-json", "yaml/alias-bomb"}, loaded.findings
        return
    assert [f.rule for f in loaded.findings if f.severity == "error"] == []
    [doc] = loaded.docs
    want = json.loads(expected)
    assert doc.obj == want
    # the same types too: 2 is not 2.0, true is not 1
    assert json.dumps(doc.obj, sort_keys=True) == json.dumps(want, sort_keys=True)


def test_ignored_tags_are_said_without_quoting_them() -> None:
    loaded = load_text("password: !hunter2hunter2\n", "s.yaml")
    assert loaded.docs[0].obj == {"password": ""}
    [finding] = loaded.findings
    assert finding.rule == "yaml/ignored-tag" and finding.severity == "warning"
    assert "hunter2" not in finding.message


def test_a_tag_that_does_not_fit_is_a_syntax_finding_without_the_value() -> None:
    loaded = load_text("a: !!int s3cr3t-value\n", "s.yaml")
    assert [f.rule for f in loaded.findings] == ["yaml/syntax"]
    assert "s3cr3t" not in loaded.findings[0].message


def test_lines_still_come_from_the_node_tree() -> None:
    loaded = load_text("a: 1\nb:\n  c: yes\n  d: [0755, 1e3]\n", "l.yaml")
    doc = loaded.docs[0]
    assert doc.obj == {"a": 1, "b": {"c": True, "d": [493, 1000]}}
    assert doc.line_of(["b", "d", 1]) == 4 and doc.line_of(["b", "c"]) == 3


@pytest.mark.parametrize(("value", "text"), [
    (1.5, "1.5"), (1000.0, "1000"), (0.1, "0.1"), (1e6, "1e+06"), (123456789.0, "1.2345679e+08"),
    (1e-5, "1e-05"), (-2.25, "-2.25"), (float("inf"), ".inf"),
])
def test_float_keys_are_formatted_as_go_formats_a_float32(value: float, text: str) -> None:
    assert go_float32_g(value) == text
