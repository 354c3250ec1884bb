"""prcheck's own YAML data files (`policies/data/*.yaml`), read from a copy parsed at build time.

Every run reads them (the pack's data, deprecated APIs, client-side kinds, secret
words), some twice; PyYAML builds their objects in Python, a fifth of a one-file
run's own work. The copy maps each file's exact text to its value as JSON, so a
text found there is the text that was parsed, and any other text (an edited file,
another pack's data) is parsed as before, with the same errors. A test fails when
the copy is stale; refresh it with `python -m prcheck.shipped_yaml`.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Callable

from prcheck.resources import data_dir

COPY = Path("data") / "parsed" / "yaml.json"  # inside the pack folder


def parsed(text: str, parse: Callable[[str], Any]) -> Any:
    """`parse(text)`, or the same value from the copy when `text` is a shipped file's text.
    The value is new on every call: callers may change it."""
    found = _values(data_dir("policies") / COPY).get(text)
    return json.loads(found) if found is not None else parse(text)


@functools.lru_cache(maxsize=4)
def _values(path: Path) -> dict[str, str]:
    """text -> its value as JSON text: the copy is read once per process (a run asks for
    six values), and each value is decoded anew per call from its own text alone."""
    try:
        with open(path, encoding="utf-8") as fh:
            copy = json.load(fh)
    except (OSError, ValueError):
        return {}
    if not isinstance(copy, dict):
        return {}
    return {text: json.dumps(entry["value"]) for text, entry in copy.items()
            if isinstance(entry, dict) and "value" in entry}


def sources(root: Path | None = None) -> list[Path]:
    root = root or data_dir("policies")
    return sorted((root / "data").glob("*.yaml"))


def build(parse: Callable[[str], Any], root: Path | None = None) -> dict[str, Any]:
    """The copy's content: text -> {"file", "value"} for each file whose value JSON keeps exactly."""
    copy: dict[str, Any] = {}
    for path in sources(root):
        text = path.read_text(encoding="utf-8")
        value = parse(text)
        try:
            kept = json.loads(json.dumps(value)) == value
        except (TypeError, ValueError):  # dates, sets, keys that are not strings
            kept = False
        if kept:
            copy[text] = {"file": path.name, "value": value}
    return copy


def write(root: Path | None = None) -> Path:
    from prcheck.pyyaml_import import safe_load

    target = (root or data_dir("policies")) / COPY
    target.parent.mkdir(parents=True, exist_ok=True)
    copy = build(safe_load, root)
    target.write_text(json.dumps(copy, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


if __name__ == "__main__":  # pragma: no cover
    print(write())
