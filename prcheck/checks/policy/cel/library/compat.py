"""Kubernetes CEL features the binding cannot declare directly, as host functions
plus the AST rewrite (`..ast`) that routes calls to them.

- `transformMap` / `transformMapEntry` (cel-go's TwoVarComprehensions): the
  macros expand to `cel.@mapInsert`, which cel-cpp's Python runtime lacks.
- list `indexOf` / `lastIndexOf` (Kubernetes lists library): the strings
  extension owns the names, so calls on receivers not typed `string` go to
  one host function for lists and strings.
- `string(ip)` / `string(cidr)`: `string` belongs to the standard library; a
  call whose argument is a library value takes the value's text instead.
- `format.named` and `<format>.validate` return optionals, as in Kubernetes.
- `x.?f` / `x[?k]` on a null `x` is absent in cel-go (which policies are
  written against) and an error in cel-cpp: a plain field path operand is
  tested for null first.

https://kubernetes.io/docs/reference/using-api/cel/
https://pkg.go.dev/github.com/google/cel-go/ext#TwoVarComprehensions
"""

from __future__ import annotations

from typing import Any, Optional

from .. import ast
from .common import ANY, BOOL, INT, LIST, MAP, STRING, UINT, Fn, fn, kind_of
from .format import FORMATS, named, validate

MAP_INSERT = "cel.@mapInsert"
_OPTIONAL_SELECT = ("_?._", "_[?_]")
_INSERT = "@prcheck.mapInsert"
_INDEX = {"indexOf": "@prcheck.indexOf", "lastIndexOf": "@prcheck.lastIndexOf"}
_LIBRARY_VALUE = "@prcheck.isLibraryValue"
_TEXT = "@prcheck.text"
_FORMAT_ERRORS = "@prcheck.formatErrors"
_FORMAT_KNOWN = "@prcheck.isFormat"
_FORMAT = "@prcheck.format"
# Compile errors an unchecked compile plus these rewrites can cure (the checker
# cannot know the overloads added here).
CURABLE = ("indexOf", "lastIndexOf", "string")


def _insert(result: dict, key: Any, value: Any = None) -> dict:
    """cel-go's insert: a key that is already there is an error."""
    entries = key if isinstance(key, dict) and value is None else {key: value}
    out = dict(result)
    for k, v in entries.items():
        if k in out:
            raise ValueError(f"insert failed: key {k} already exists")
        out[k] = v
    return out


def _same(a: Any, b: Any) -> bool:
    """CEL equality: a bool never equals a number (Python's True == 1 does)."""
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def _list_index(items: list, value: Any) -> int:
    return next((i for i, item in enumerate(items) if _same(item, value)), -1)


def _list_last_index(items: list, value: Any) -> int:
    return next((i for i in range(len(items) - 1, -1, -1) if _same(items[i], value)), -1)


def _string_index(text: str, sub: str, offset: int = 0) -> int:
    if offset < 0 or offset > len(text):
        raise ValueError(f"index out of range: {offset}")
    return text.find(sub, offset)


def _string_last_index(text: str, sub: str, offset: Optional[int] = None) -> int:
    if offset is None:
        return text.rfind(sub)
    if offset < 0 or offset >= len(text) and text:
        raise ValueError(f"index out of range: {offset}")
    return text.rfind(sub, 0, offset + len(sub))


def _text(value: dict) -> str:
    """The string form Kubernetes gives an IP or CIDR value."""
    if kind_of(value) not in ("ip", "cidr"):
        raise ValueError(f"no such overload: string({kind_of(value) or 'map'})")
    return str(value["value"])


KEYS = (BOOL, INT, UINT, STRING)
FUNCTIONS = [
    Fn(_INSERT, [fn(_INSERT, MAP, [MAP, k, v], _insert) for k in KEYS for v in ANY]
       + [fn(_INSERT, MAP, [MAP, MAP], _insert)]),
    Fn(_INDEX["indexOf"], [fn(_INDEX["indexOf"], INT, [LIST, v], _list_index) for v in ANY]
       + [fn(_INDEX["indexOf"], INT, [STRING, STRING], _string_index),
          fn(_INDEX["indexOf"], INT, [STRING, STRING, INT], _string_index)]),
    Fn(_INDEX["lastIndexOf"], [fn(_INDEX["lastIndexOf"], INT, [LIST, v], _list_last_index) for v in ANY]
       + [fn(_INDEX["lastIndexOf"], INT, [STRING, STRING], _string_last_index),
          fn(_INDEX["lastIndexOf"], INT, [STRING, STRING, INT], _string_last_index)]),
    Fn(_LIBRARY_VALUE, [fn(_LIBRARY_VALUE, BOOL, [v], lambda x: kind_of(x) in ("ip", "cidr")) for v in ANY]),
    Fn(_TEXT, [fn(_TEXT, STRING, [MAP], _text)]),
    Fn(_FORMAT_ERRORS, [fn(_FORMAT_ERRORS, LIST, [MAP, STRING], validate)]),
    Fn(_FORMAT_KNOWN, [fn(_FORMAT_KNOWN, BOOL, [STRING], lambda name: name in FORMATS)]),
    Fn(_FORMAT, [fn(_FORMAT, MAP, [STRING], named)]),
]


def rule(call: ast.Call, b: ast.Builder, unchecked: bool = False) -> "ast.Fields | None":
    """The replacement of one call node, or None to keep it."""
    name = call.function
    if name in _OPTIONAL_SELECT and call.target is None and len(call.args) == 2 and ast.is_path(call.args[0]):
        # cel-go: an optional field or index on null is absent; cel-cpp: no such overload.
        # Only a plain field path is tested (evaluated twice, cheaply): a nested comprehension
        # to bind it once trips a cel-cpp planner bug inside other comprehensions' ranges.
        return ast.calls("_?_:_", None, [b.call("_==_", [call.args[0], b.null()]), b.call("optional.none", []),
                                         b.call(name, [b.copy(call.args[0]), call.args[1]])])
    if name == MAP_INSERT:
        return ast.calls(_INSERT, None, call.args)
    if name in _INDEX and call.target is not None and (unchecked or not ast.is_string_type(call.target_type)):
        return ast.calls(_INDEX[name], None, [call.target, *call.args])
    if name == "string" and unchecked and call.target is None and len(call.args) == 1:
        arg = call.args[0]
        return ast.calls("_?_:_", None, [b.call(_LIBRARY_VALUE, [arg]), b.call(_TEXT, [b.copy(arg)]),
                                         b.call("string", [b.copy(arg)])])
    if name == "validate" and call.target is not None and len(call.args) == 1:
        errors = [b.call(_FORMAT_ERRORS, [b.copy(call.target), b.copy(call.args[0])]) for _ in range(2)]
        empty = b.call("_==_", [b.call("size", [errors[0]]), b.int_const(0)])
        return ast.calls("_?_:_", None, [empty, b.call("optional.none", []), b.call("optional.of", [errors[1]])])
    if (name == "format.named" and call.target is None or unchecked and name == "named"
            and ast.is_ident(call.target, "format")) and len(call.args) == 1:
        arg = call.args[0]
        return ast.calls("_?_:_", None, [b.call(_FORMAT_KNOWN, [arg]),
                                         b.call("optional.of", [b.call(_FORMAT, [b.copy(arg)])]), b.call("optional.none", [])])
    return None


def needs_rewrite(serialized: bytes) -> bool:
    """Cheap test before decoding: only expressions that call one of the rewritten names."""
    return any(name.encode() in serialized for name in (MAP_INSERT, "indexOf", "lastIndexOf", "validate",
                                                         "format.named", *_OPTIONAL_SELECT))
