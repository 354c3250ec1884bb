"""conftest's command-line behaviours that prcheck check keeps for its users."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import write

POLICY = 'package main\ndeny contains sprintf("%s is here", [input.metadata.name]) if input.kind\n'


def _files(tmp_path: Path) -> None:
    write(tmp_path, {
        "policy/p.rego": POLICY,
        "a.yaml": "kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\n",
        "other/b.yaml": "kind: ConfigMap\napiVersion: v1\nmetadata: {name: b}\n",
    })


def test_empty_path_argument_is_ignored_not_read_as_the_folder(tmp_path: Path, run_cli) -> None:
    _files(tmp_path)
    result = run_cli(["check", "a.yaml", "", "--policy", "policy", "--no-builtin", "--format", "json"], tmp_path)
    messages = [f["message"] for f in json.loads(result.output)["findings"]]
    assert messages == ["a is here"]


def test_only_empty_path_arguments_is_a_usage_error(tmp_path: Path, run_cli) -> None:
    _files(tmp_path)
    result = run_cli(["check", "", "--policy", "policy", "--no-builtin"], tmp_path)
    assert result.exit_code == 2
    assert "empty path arguments are ignored" in result.output


LOC_POLICY = 'package main\ndeny contains {"msg": "test", "_loc": data.loc}\n'


def test_empty_input_file_is_evaluated_with_input_null(tmp_path: Path, run_cli) -> None:
    write(tmp_path, {
        "policy/p.rego": 'package main\ndeny contains "input is null" if input == null\n',
        "empty.yaml": "", "comments.yaml": "# nothing here\n", "full.yaml": "a: 1\n",
    })
    result = run_cli(["check", "empty.yaml", "comments.yaml", "full.yaml", "--policy", "policy", "--no-builtin",
                      "--format", "json"], tmp_path)
    findings = json.loads(result.output)["findings"]
    assert sorted(f["path"] for f in findings) == ["comments.yaml", "empty.yaml"]
    assert result.exit_code == 1


def test_empty_file_is_not_input_for_the_builtin_pack(tmp_path: Path, run_cli) -> None:
    write(tmp_path, {"empty.yaml": ""})
    result = run_cli(["check", "empty.yaml", "--format", "json"], tmp_path)
    assert json.loads(result.output)["findings"] == []
    assert result.exit_code == 0


def test_result_location_in_another_file_still_names_the_evaluated_file(tmp_path: Path, run_cli) -> None:
    write(tmp_path, {"policy/p.rego": LOC_POLICY, "data.yaml": "", "loc.yaml": "loc:\n  file: test.txt\n  line: 123\n"})
    result = run_cli(["check", "data.yaml", "--policy", "policy", "--data", "loc.yaml", "--no-builtin", "--format", "json"],
                     tmp_path)
    (finding,) = json.loads(result.output)["findings"]
    assert (finding["path"], finding["line"]) == ("test.txt", 123)
    assert finding["message"] == "test (evaluating data.yaml)"


def test_result_location_in_the_same_file(tmp_path: Path, run_cli) -> None:
    write(tmp_path, {"policy/p.rego": LOC_POLICY, "data.yaml": "", "loc.yaml": "loc:\n  file: data.yaml\n  line: 7\n"})
    result = run_cli(["check", "data.yaml", "--policy", "policy", "--data", "loc.yaml", "--no-builtin", "--format", "json"],
                     tmp_path)
    (finding,) = json.loads(result.output)["findings"]
    assert (finding["path"], finding["line"], finding["message"]) == ("data.yaml", 7, "test")
