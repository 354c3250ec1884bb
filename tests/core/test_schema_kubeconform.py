"""kubeconform's validator behaviours: schema locations tried in order, formats asserted.

The cases mirror kubeconform's own validator tests: a location whose file is
missing or not JSON is skipped and the next one tried; when none has a
schema the kind is missing (info, or nothing with --skip-missing-schemas).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prcheck.checks import schema
from prcheck.checks.context import CheckContext
from prcheck.checks.schema_formats import is_byte, is_date_time, is_duration, is_quantity
from prcheck.checks.schema_store import SchemaStore
from prcheck.sources.yaml_loader import load_text

WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: a}\nfirstName: foo\nlastName: bar\n"
SCHEMA = {"type": "object", "properties": {"firstName": {"type": "string"}, "lastName": {"type": "string"}},
          "required": ["firstName", "lastName"]}


def rules(tmp_path: Path, first: str | None, second: str | None, text: str = WIDGET, **ctx_args) -> list[str]:
    templates = []
    for index, content in enumerate((first, second)):
        folder = tmp_path / f"registry{index}"
        folder.mkdir(exist_ok=True)
        if content is not None:
            (folder / "widget_v1.json").write_text(content)
        templates.append(str(folder / "{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"))
    ctx = CheckContext(schema_locations=tuple(templates), **ctx_args)
    store = SchemaStore(ctx.kube_version, ctx.strict, ctx.schema_locations)
    docs = load_text(text, "m.yaml", kind="kubernetes").docs
    return [f.rule for f in schema.check(docs, ctx, store)]


HTML = "<html>error page</html>"


@pytest.mark.parametrize("first, second, skip_missing, expected", [
    (json.dumps(SCHEMA), None, False, []),
    (None, json.dumps(SCHEMA), False, []),  # missing in the first location
    (HTML, json.dumps(SCHEMA), False, []),  # not JSON in the first location: the next one is tried
    (None, None, True, []),
    (None, None, False, ["schema/missing"]),
    (HTML, HTML, True, []),
    (HTML, HTML, False, ["schema/missing"]),
])
def test_schema_locations_in_order(tmp_path: Path, first, second, skip_missing, expected) -> None:
    assert rules(tmp_path, first, second, skip_missing_schemas=skip_missing) == expected


def test_invalid_resource_against_a_location(tmp_path: Path) -> None:
    wrong = {**SCHEMA, "properties": {"firstName": {"type": "number"}}}
    assert rules(tmp_path, json.dumps(wrong), None) == ["schema/invalid"]


def test_missing_required_field(tmp_path: Path) -> None:
    text = WIDGET.replace("lastName: bar\n", "")
    assert rules(tmp_path, json.dumps(SCHEMA), None, text=text) == ["schema/invalid"]


FORMATS = {
    "type": "object",
    "properties": {
        "when": {"type": "string", "format": "date-time"},
        "every": {"type": "string", "format": "duration"},
        "blob": {"type": "string", "format": "byte"},
        "size": {"x-kubernetes-int-or-string": True, "format": "quantity"},
        "port": {"x-kubernetes-int-or-string": True, "format": "int-or-string"},
    },
}


@pytest.mark.parametrize("field, value, valid", [
    ("when", "2024-05-01T10:00:00Z", True), ("when", "2024-05-01T10:00:00.5+02:00", True),
    ("when", "2024-05-01", False), ("when", "2024-13-01T10:00:00Z", False), ("when", "yesterday", False),
    ("every", "1h30m", True), ("every", "500ms", True), ("every", "0", True), ("every", "90", False), ("every", "P1D", False),
    ("blob", "aGVsbG8=", True), ("blob", "not base64!", False),
    ("size", "1Gi", True), ("size", "500m", True), ("size", "1.5", True), ("size", 2, True), ("size", "lots", False),
    ("port", "http", True), ("port", 8080, True),
])
def test_kubernetes_formats_are_checked(tmp_path: Path, field: str, value, valid: bool) -> None:
    text = f"apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: a}}\n{field}: {json.dumps(value)}\n"
    assert rules(tmp_path, json.dumps(FORMATS), None, text=text) == ([] if valid else ["schema/invalid"])


def test_secret_data_must_be_base64() -> None:
    ctx = CheckContext()
    store = SchemaStore(ctx.kube_version, ctx.strict, ())
    text = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  ok: aGVsbG8=\n  bad: plain text value\n"
    findings = list(schema.check(load_text(text, "s.yaml", kind="kubernetes").docs, ctx, store))
    assert [f.line for f in findings] == [6]
    assert "plain text value" not in findings[0].message


def test_format_helpers_edge_cases() -> None:
    assert is_date_time("2024-02-29T23:59:60Z") and not is_date_time("2023-02-29T00:00:00Z")
    assert is_duration("-1.5h") and not is_duration("")
    assert is_byte("") and not is_byte("abc")
    assert is_quantity("1e3") and is_quantity("+.5Ki") and not is_quantity("1Ki5")


def test_a_kind_key_without_a_value_is_an_object_with_its_kind_missing(tmp_path: Path, run_cli) -> None:
    (tmp_path / "m.yaml").write_text("kind:\n---\nkind:\n")
    (tmp_path / "values.yaml").write_text("key: value\n")
    result = run_cli(["check", "m.yaml", "values.yaml", "--no-builtin", "--format", "json"], tmp_path)
    found = {(f["path"], f["rule"]) for f in json.loads(result.output)["findings"]}
    assert ("m.yaml", "k8s/missing-required-field") in found
    assert not any(path == "values.yaml" for path, _ in found)
