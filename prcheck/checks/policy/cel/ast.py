"""Rewrites of compiled CEL expressions, on the runtime's own serialized AST.

cel-cpp's Python binding parses and type-checks expressions but cannot take
new macros or extra overloads of a name it already declares. Three things
Kubernetes' CEL environment has therefore need a step between compiling and
planning, done here on the `cel.expr` protobuf the binding serializes (a
`google.protobuf.Any` wrapping a `CheckedExpr` or `ParsedExpr`):

- `transformMap` / `transformMapEntry` (two-variable comprehensions) expand to
  calls of `cel.@mapInsert`, which the binding's runtime does not register: the
  calls are pointed at a host function of the same meaning.
- list `indexOf` / `lastIndexOf` share their names with the strings extension:
  calls whose receiver is not known to be a string go to a host function that
  serves lists and strings alike.
- `string(x)` of a library value (an IP, a CIDR) and the optionals the format
  library returns: calls are pointed at host functions or wrapped in
  `optional.of` / `optional.none()`.

Only call nodes are touched, so a string literal that spells a function name
is never changed. The wire format is read and written with a small codec:
the binding ships no Python classes for these messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

# Field numbers of cel.expr (syntax.proto / checked.proto).
_ANY_VALUE = 2
_CHECKED_REFERENCES, _CHECKED_TYPES, _CHECKED_EXPR = 2, 3, 4
_PARSED_EXPR = 2
_EXPR_ID, _EXPR_CONST, _EXPR_IDENT, _EXPR_SELECT, _EXPR_CALL, _EXPR_LIST, _EXPR_STRUCT, _EXPR_COMPREHENSION = \
    2, 3, 4, 5, 6, 7, 8, 9
_CALL_TARGET, _CALL_FUNCTION, _CALL_ARGS = 1, 2, 3
_CONST_NULL, _CONST_INT = 1, 3
_TYPE_PRIMITIVE, _PRIMITIVE_STRING = 3, 5
# Which fields of each message hold an Expr (or, for structs, entries that hold Exprs).
_EXPR_FIELDS = {
    _EXPR_SELECT: (1,),
    _EXPR_CALL: (_CALL_TARGET, _CALL_ARGS),
    _EXPR_LIST: (1,),
    _EXPR_COMPREHENSION: (2, 4, 5, 6, 7),
}
_STRUCT_ENTRIES, _ENTRY_EXPRS = 2, (3, 4)

Fields = list  # [(number, wire type, value)]: value is an int (varint) or bytes


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _put_varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode(buf: bytes) -> Fields:
    fields: Fields = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        fields.append((number, wire, value))
    return fields


def encode(fields: Fields) -> bytes:
    out = bytearray()
    for number, wire, value in fields:
        out += _put_varint(number << 3 | wire)
        if wire == 0:
            out += _put_varint(value)
        elif wire == 2:
            out += _put_varint(len(value)) + value
        else:
            out += value
    return bytes(out)


def _first(fields: Fields, number: int) -> Any:
    return next((v for n, _, v in fields if n == number), None)


@dataclass
class Call:
    """A call node as a rewrite sees it."""

    function: str
    target: Optional[bytes]  # the receiver's encoded Expr, for member calls
    args: list[bytes]
    expr_id: int
    target_type: Optional[bytes] = None  # the checker's type of the receiver (checked ASTs only)


# A rewrite returns None (keep the node) or the replacement Expr's encoded fields.
Rewrite = Callable[[Call, "Builder"], Optional[Fields]]


class Builder:
    """Makes new nodes with ids no other node has."""

    def __init__(self, next_id: int) -> None:
        self.next_id = next_id

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def call(self, function: str, args: list[bytes], target: Optional[bytes] = None) -> bytes:
        return encode([(_EXPR_ID, 0, self._id()), *calls(function, target, args)])

    def int_const(self, value: int) -> bytes:
        return encode([(_EXPR_ID, 0, self._id()), (_EXPR_CONST, 2, encode([(_CONST_INT, 0, value)]))])

    def null(self) -> bytes:
        return encode([(_EXPR_ID, 0, self._id()), (_EXPR_CONST, 2, encode([(_CONST_NULL, 0, 0)]))])

    def copy(self, expr: bytes) -> bytes:
        """`expr` again with fresh ids (a node id must be unique in the tree)."""
        return _walk(expr, lambda c, b: None, self, {}, renumber=True)


def _max_id(expr: bytes) -> int:
    fields = decode(expr)
    best = _first(fields, _EXPR_ID) or 0
    for number, wire, value in fields:
        for child in _children(number, value):
            best = max(best, _max_id(child))
    return best


def _children(number: int, value: Any) -> list[bytes]:
    if number in _EXPR_FIELDS:
        return [v for n, _, v in decode(value) if n in _EXPR_FIELDS[number]]
    if number == _EXPR_STRUCT:
        return [v for n, _, entry in decode(value) if n == _STRUCT_ENTRIES
                for m, _, v in decode(entry) if m in _ENTRY_EXPRS]
    return []


def _rewrite_children(number: int, value: bytes, walk: Callable[[bytes], bytes]) -> bytes:
    if number in _EXPR_FIELDS:
        wanted = _EXPR_FIELDS[number]
        return encode([(n, w, walk(v) if n in wanted else v) for n, w, v in decode(value)])
    if number == _EXPR_STRUCT:
        entries = []
        for n, w, entry in decode(value):
            if n == _STRUCT_ENTRIES:
                entry = encode([(m, x, walk(v) if m in _ENTRY_EXPRS else v) for m, x, v in decode(entry)])
            entries.append((n, w, entry))
        return encode(entries)
    return value


def _walk(expr: bytes, rewrite: Rewrite, builder: Builder, types: dict[int, bytes], renumber: bool = False) -> bytes:
    """`expr` with its children rewritten first, then the node itself."""
    fields = [(n, w, _rewrite_children(n, v, lambda child: _walk(child, rewrite, builder, types, renumber)))
              for n, w, v in decode(expr)]
    if renumber:
        fields = [(n, w, builder._id() if n == _EXPR_ID else v) for n, w, v in fields]
    body = _first(fields, _EXPR_CALL)
    if body is None:
        return encode(fields)
    call_fields = decode(body)
    target = _first(call_fields, _CALL_TARGET)
    args = [v for n, _, v in call_fields if n == _CALL_ARGS]
    call = Call(function=_first(call_fields, _CALL_FUNCTION).decode() if _first(call_fields, _CALL_FUNCTION) else "",
                target=target, args=args, expr_id=_first(fields, _EXPR_ID) or 0,
                target_type=types.get(_first(decode(target), _EXPR_ID) or 0) if target is not None else None)
    replaced = rewrite(call, builder)
    if replaced is None:
        return encode(fields)
    if not any(n == _EXPR_ID for n, _, _ in replaced):  # the replacement stands where the call stood
        replaced = [(_EXPR_ID, 0, call.expr_id), *replaced]
    return encode(replaced)


def is_string_type(type_bytes: Optional[bytes]) -> bool:
    """The checker typed the node `string`."""
    return type_bytes is not None and _first(decode(type_bytes), _TYPE_PRIMITIVE) == _PRIMITIVE_STRING


def is_path(expr: bytes) -> bool:
    """An identifier, a field selection or an index (`a.b[0].c`): cheap to evaluate twice."""
    fields = decode(expr)
    if _first(fields, _EXPR_IDENT) is not None:
        return True
    select = _first(fields, _EXPR_SELECT)
    if select is not None:
        operand = _first(decode(select), 1)
        return operand is not None and not _first(decode(select), 3) and is_path(operand)
    call = _first(fields, _EXPR_CALL)
    if call is not None and _first(decode(call), _CALL_FUNCTION) == b"_[_]":
        args = [v for n, _, v in decode(call) if n == _CALL_ARGS]
        return len(args) == 2 and is_path(args[0]) and _first(decode(args[1]), _EXPR_CONST) is not None
    return False


def is_ident(expr: Optional[bytes], name: str) -> bool:
    """`expr` is the bare identifier `name` (an unchecked AST's `format` in `format.named(...)`)."""
    if expr is None:
        return False
    ident = _first(decode(expr), _EXPR_IDENT)
    return ident is not None and _first(decode(ident), 1) == name.encode()


def rewrite(serialized: bytes, rule: Rewrite) -> bytes:
    """The serialized expression with `rule` applied to every call node, bottom-up."""
    wrapper = decode(serialized)
    inner = decode(_first(wrapper, _ANY_VALUE))
    checked = b"CheckedExpr" in (_first(wrapper, 1) or b"")
    expr_field = _CHECKED_EXPR if checked else _PARSED_EXPR
    types: dict[int, bytes] = {}
    if checked:
        for number, _, entry in inner:
            if number == _CHECKED_TYPES:
                entry_fields = decode(entry)
                types[_first(entry_fields, 1) or 0] = _first(entry_fields, 2) or b""
    expr = _first(inner, expr_field)
    builder = Builder(_max_id(expr) + 1000)
    new_expr = _walk(expr, rule, builder, types)
    inner = [(n, w, new_expr if n == expr_field else v) for n, w, v in inner]
    return encode([(n, w, encode(inner) if n == _ANY_VALUE else v) for n, w, v in wrapper])


def calls(function: str, target: Optional[bytes], args: list[bytes]) -> Fields:
    """The fields of a call node (id left to the caller)."""
    body: Fields = ([(_CALL_TARGET, 2, target)] if target is not None else []) + \
        [(_CALL_FUNCTION, 2, function.encode())] + [(_CALL_ARGS, 2, a) for a in args]
    return [(_EXPR_CALL, 2, encode(body))]
