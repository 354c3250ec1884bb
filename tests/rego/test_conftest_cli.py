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
