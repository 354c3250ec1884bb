"""The bundled Kubernetes definitions (`_definitions.json`), each parsed only when a schema reaches it.

A kind's schema refers into one 1-2 MB file of ~640 definitions; parsing all of it
and handing it to jsonschema-rs cost a one-file run ~13 ms, though a Deployment
reaches 114 of them and a ConfigMap 5. The file is written by `json.dumps(indent=2)`
under a single `$defs` key, so every definition starts on a line of its own at four
spaces (JSON strings hold no raw newline): the index is one scan for that line start,
and each definition a schema reaches is decoded where it starts. The registry for a
kind holds exactly what its `$ref`s reach, so it validates as the whole file does. A
file laid out any other way is parsed whole.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

_DEFS_KEY = '\n  "$defs": {'
_ENTRY = '\n    "'
_REF = re.compile(r'"\$ref":\s*"[^"#]*#/\$defs/([^"\\]+)"')
_DECODER = json.JSONDecoder()


class Definitions:
    """One `_definitions.json`: `closure(schema)` is `{"$defs": ...}` with what `schema` reaches."""

    def __init__(self, path: Path) -> None:
        with open(path, encoding="utf-8") as fh:
            self._text = fh.read()
        self._starts = _index(self._text)
        self._parsed: dict[str, tuple[Any, list[str]]] = {}
        self._whole: dict[str, Any] | None = None

    def closure(self, schema: Any) -> dict[str, Any]:
        if self._starts is None:
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
            self._whole = json.loads(self._text)
        return self._whole

    def _definition(self, name: str) -> tuple[Any, list[str]] | None:
        if name not in self._parsed:
            start = self._starts.get(name) if self._starts is not None else None
            if start is None:
                return None
            value, end = _DECODER.raw_decode(self._text, start)
            self._parsed[name] = (value, _REF.findall(self._text, start, end))
        return self._parsed[name]


def _index(text: str) -> dict[str, int] | None:
    """Where each definition's value starts, or None when the file is not laid out as expected."""
    head = text.find(_DEFS_KEY)
    if head < 0 or text[:head].strip() != "{":
        return None
    starts: dict[str, int] = {}
    pos = head + len(_DEFS_KEY)
    close = text.find("\n  }", pos)  # the end of `$defs`: deeper lines are indented further
    while True:
        pos = text.find(_ENTRY, pos, close)
        if pos < 0:
            break
        name_start = pos + len(_ENTRY)
        name_end = text.find('": ', name_start)
        name = text[name_start:name_end]
        if name_end < 0 or '"' in name or "\\" in name or "\n" in name:
            return None
        starts[name] = name_end + 3
        pos = name_end
    return starts or None
