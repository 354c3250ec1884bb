"""prcheck's own YAML data read from the parsed copy is what parsing the files gives."""

from __future__ import annotations

import json

import pytest
import yaml

from prcheck import shipped_yaml
from prcheck.resources import data_dir


def _parse(text: str):
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def test_the_parsed_copy_is_fresh_and_holds_every_shipped_data_file():
    """Fails after an edit of policies/data/*.yaml: run `python -m prcheck.shipped_yaml`."""
    stored = json.loads((data_dir("policies") / shipped_yaml.COPY).read_text(encoding="utf-8"))
    files = shipped_yaml.sources()
    assert len(files) >= 3
    assert stored == shipped_yaml.build(_parse)
    assert sorted(entry["file"] for entry in stored.values()) == sorted(f.name for f in files)
    for file in files:
        text = file.read_text(encoding="utf-8")
        value = shipped_yaml.parsed(text, lambda _: pytest.fail(f"{file.name} parsed, not read from the copy"))
        assert value == _parse(text) == yaml.safe_load(text)
        assert json.dumps(value) == json.dumps(_parse(text))  # same key order too


def test_any_other_text_is_parsed_with_its_own_errors():
    text = (data_dir("policies") / "data" / "deprecated_apis.yaml").read_text(encoding="utf-8")
    assert shipped_yaml.parsed(text + "\nextra: 1\n", _parse)["extra"] == 1
    with pytest.raises(yaml.YAMLError):
        shipped_yaml.parsed(text + "\n  : [\n", _parse)
    first = shipped_yaml.parsed(text, _parse)
    first.clear()  # each caller gets its own value
    assert shipped_yaml.parsed(text, _parse) == _parse(text)


def test_values_json_cannot_keep_are_left_out(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "plain.yaml").write_text("a: [1, 2.5, true, null, x]\n")
    (tmp_path / "data" / "dated.yaml").write_text("when: 2024-01-01\n")
    (tmp_path / "data" / "intkeys.yaml").write_text("1: one\n")
    copy = shipped_yaml.build(_parse, tmp_path)
    assert [entry["file"] for entry in copy.values()] == ["plain.yaml"]
