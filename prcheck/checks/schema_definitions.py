"""The bundled Kubernetes definitions (`_definitions.json`), each parsed only when a schema reaches it.

A kind's schema refers into one 1-2 MB file of ~640 definitions; parsing all of it
and handing it to jsonschema-rs cost a one-file run ~13 ms, though a Deployment
reaches 114 of them and a ConfigMap 5. The file is written by `json.dumps(indent=2)`
under a single `$defs` key, so every definition starts on a line of its own at four
spaces (JSON strings hold no raw newline): the index is one scan for that line start,
and only the definitions a schema reaches are decoded and parsed. The registry for a
kind holds exactly what its `$ref`s reach, so it validates as the whole file does. A
file laid out any other way is parsed whole.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

_DEFS_KEY = b'\n  "$defs": {'
_DEFS_END = b"\n  }"
_ENTRY_NAME = re.compile(rb'\n    "([^"\\\n]*)(": )?')
_REF = re.compile(r'"\$ref":\s*"[^"#]*#/\$defs/([^"\\]+)"')
_DECODER = json.JSONDecoder()


class Definitions:
    """One `_definitions.json`: `closure(schema)` is `{"$defs": ...}` with what `schema` reaches."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as fh:  # bytes: only the definitions reached are decoded
            self._data = fh.read()
        self._spans = _index(self._data)
        self._parsed: dict[str, tuple[Any, list[str]]] = {}
        self._whole: dict[str, Any] | None = None

    def closure(self, schema: Any) -> dict[str, Any]:
        if self._spans is None:
            return self.whole()
        todo = _REF.findall(json.dumps(schema))
        reached: dict[str, Any] = {}
        while todo:
            name = todo.pop()
            if name in reached:
                continue
            found = self._definition(name)
            if found is None:  # a reference this file does not hold: let the validator say so
                return self.whole()
            reached[name], refs = found
            todo.extend(refs)
        return {"$defs": reached}

    def whole(self) -> dict[str, Any]:
        if self._whole is None:
            self._whole = json.loads(self._data)
        return self._whole

    def _definition(self, name: str) -> tuple[Any, list[str]] | None:
        if name not in self._parsed:
            span = self._spans.get(name) if self._spans is not None else None
            if span is None:
                return None
            text = self._data[span[0]:span[1]].decode("utf-8")
            value, end = _DECODER.raw_decode(text)
            self._parsed[name] = (value, _REF.findall(text, 0, end))
        return self._parsed[name]


def _index(data: bytes) -> dict[str, tuple[int, int]] | None:
    """Where each definition's value starts and the next one's line begins, or None when
    the file is not laid out as expected."""
    head = data.find(_DEFS_KEY)
    if head < 0 or data[:head].strip() != b"{":
        return None
    # the end of `$defs`, the file's last key: deeper lines are indented further
    close = data.rfind(_DEFS_END)
    if close < head or data[close + len(_DEFS_END):].strip() != b"}":
        close = data.find(_DEFS_END, head)
    entries: list[tuple[str, int, int]] = []
    # One regex pass (a `find` per entry cost three times as much: JSON is full of the
    # characters `\n    "` is made of). Every entry line matches; one whose name holds an
    # escape or is not followed by `": ` ends the group empty: not this layout.
    for found in _ENTRY_NAME.finditer(data, head + len(_DEFS_KEY), close):
        if not found.group(2):
            return None
        entries.append((found.group(1).decode("utf-8"), found.start(), found.end()))
    if not entries:
        return None
    ends = [line for _, line, _ in entries[1:]] + [close]
    return {name: (start, end) for (name, _, start), end in zip(entries, ends)}
