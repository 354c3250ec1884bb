"""The bundled Kubernetes definitions (`_definitions.json`), each parsed only when a schema reaches it.

A kind's schema refers into one 1-2 MB file of ~640 definitions; parsing all of it
and handing it to jsonschema-rs cost a one-file run ~13 ms, though a Deployment
reaches 114 of them and a ConfigMap 5. The file is written by `json.dumps(indent=2)`
with `$defs` as its first key, so every definition starts on a line of its own at four
spaces, each value ends at the next line at four, and `$defs` ends at the first line at
two (JSON strings hold no raw newline): the index walks the decoded text once from one
value's end to the next, and only the definitions a schema reaches are decoded, each
once, in place. A registry holding what
a set of kinds' `$ref`s reach validates each of them as the whole file does. A file laid
out any other way is parsed whole.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable

_DEFS_KEY = '\n  "$defs": {'
_ENTRY = '\n    "'  # a definition's line: `"name": {` at four spaces
_CLOSE = "\n    }"  # the line that ends a definition's value
_NEXT = "," + _ENTRY
_DEFS_END = "\n  }"
_REF = re.compile(r'"\$ref":\s*"[^"#]*#/\$defs/([^"\\]+)"')
_DECODER = json.JSONDecoder()


class Definitions:
    """One `_definitions.json`, read at the first `closure`: `closure(schemas)` is
    `{"$defs": ...}` with what the schemas reach."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._text: str | None = None
        self._starts: dict[str, int] | None = None
        self._parsed: dict[str, tuple[Any, list[str]]] = {}
        self._data: bytes | None = None  # kept only for a file the index cannot read
        self._whole: dict[str, Any] | None = None

    def closure(self, schemas: Iterable[Any]) -> dict[str, Any]:
        if self._text is None and self._data is None:
            self._read()
        if self._starts is None:
            return self.whole()
        todo = [name for schema in schemas for name in _REF.findall(json.dumps(schema))]
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
            if self._text is None and self._data is None:
                self._read()
            self._whole = json.loads(self._data if self._data is not None else self._text)
        return self._whole

    def _read(self) -> None:
        with open(self._path, "rb") as fh:
            data = fh.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        self._starts = _index(text) if text is not None else None
        if self._starts is None:
            self._data = data  # as `json` reads bytes (a BOM, another encoding)
        else:
            self._text = text

    def _definition(self, name: str) -> tuple[Any, list[str]] | None:
        if name not in self._parsed:
            start = self._starts.get(name) if self._starts is not None else None
            if start is None or self._text is None:
                return None
            value, end = _DECODER.raw_decode(self._text, start)
            self._parsed[name] = (value, _REF.findall(self._text, start, end))
        return self._parsed[name]


def _index(text: str) -> dict[str, int] | None:
    """Where each definition's value starts, or None when the file is not laid out as expected.

    Each value is an object opened on its name's line, so its own end is the first line at
    four spaces after it: one `find` per definition walks `$defs` to its end, reading no
    line twice (a regex over every line costs three times as much). A name with an escape,
    a value that is not a multi-line object, anything else after one: not this layout."""
    head = text.find(_DEFS_KEY)
    if head < 0 or text[:head].strip() != "{" or not text.startswith(_ENTRY, head + len(_DEFS_KEY)):
        return None
    starts: dict[str, int] = {}
    at = head + len(_DEFS_KEY)  # at an entry's line
    while True:
        name_at = at + len(_ENTRY)
        name_end = text.find('"', name_at)
        start = name_end + 3
        if name_end < 0 or text[name_end:start] != '": ' or text[start:start + 2] != "{\n":
            return None
        name = text[name_at:name_end]
        if "\\" in name or "\n" in name:
            return None
        starts[name] = start
        close = text.find(_CLOSE, start)
        if close < 0:
            return None
        at = close + len(_CLOSE)
        if text.startswith(_DEFS_END, at):
            return starts
        if not text.startswith(_NEXT, at):
            return None
        at += 1
