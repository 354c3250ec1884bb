"""Read YAML the way Kubernetes does: `sigs.k8s.io/yaml` over its go-yaml v2 fork.

kubectl, the API server, Helm (values) and kubeconform decode YAML with
`sigs.k8s.io/yaml`: go-yaml v2 builds Go values, which are then turned into
JSON. PyYAML's YAML 1.1 resolver differs from go-yaml in ways that change
what a manifest means, so the loader resolves and builds objects here
instead (docs/yaml-semantics.md has the table of cases, each one tested):

- booleans: `y Y yes Yes YES on On ON true True TRUE` (and the `n`/`no`/`off`/
  `false` family) are booleans, `y` and `n` included;
- integers as Go's `strconv.ParseInt(s, 0, 64)` after removing `_`: decimal,
  `0x1F`, `0o17`, `0b101`, and a leading `0` is octal (`0755` is 493); `08`
  is no integer, so it becomes the float 8;
- floats by go-yaml's pattern `[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?`:
  `1e-05`, `1e3`, `-.5` are floats; YAML 1.1's `1:20` sexagesimal is a string;
  an out-of-range float (`1e400`) stays a string;
- timestamps stay strings (go-yaml keeps them as text when decoding into
  `interface{}`), so does `=`;
- unknown tags (`!Ref x`) are ignored: the value is what it would be untagged;
- merge keys (`<<`) merge as go-yaml v2 does, in order: a merged mapping
  overrides keys written *before* the `<<`, keys after it override the merge;
  of several merged mappings the first wins;
- the JSON step: map keys become strings (`1` → "1", `yes` → "true", a float
  key as Go formats a float32); a null or collection key, `.inf` or `.nan`
  cannot be JSON, so the document is refused (Kubernetes refuses it too);
  a float with an integral value is the integer JSON would carry (`2.0` → 2).

Ordinary texts (no anchors, tags, merge or repeated keys, syntax errors) are
loaded by the project's own C loader (`_fastyaml`, csrc/fastyaml.c), which
builds objects and line trees in one pass and asks `plain_value` only for
scalars that may be numbers. Everything else, and every text where that
loader is not built, goes the way described next; the two are held equal by
tests/speed/test_fast_loader.py.

On that general path the node tree comes from libyaml (the C composer):
marks give every key's line. `plain_tree` builds the ordinary documents
(string keys, none repeated, no anchors or merge keys) with little per node;
`Builder` builds the rest and says what is wrong. Only that path imports PyYAML (its node
classes), so a run whose texts are all ordinary never does.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yaml.nodes import Node

PREFIX = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = PREFIX + "str", PREFIX + "int", PREFIX + "float", PREFIX + "bool", PREFIX + "null"
MAP, SEQ, MERGE, TIMESTAMP, BINARY = PREFIX + "map", PREFIX + "seq", PREFIX + "merge", PREFIX + "timestamp", PREFIX + "binary"

_WORDS: dict[str, tuple[str, Any]] = {}
for _tag, _value, _spellings in (
    (BOOL, True, "y Y yes Yes YES true True TRUE on On ON"),
    (BOOL, False, "n N no No NO false False FALSE off Off OFF"),
    (NULL, None, "~ null Null NULL"),
    (FLOAT, math.nan, ".nan .NaN .NAN"),
    (FLOAT, math.inf, ".inf .Inf .INF +.inf +.Inf +.INF"),
    (FLOAT, -math.inf, "-.inf -.Inf -.INF"),
    (MERGE, "<<", "<<"),
):
    for _word in _spellings.split():
        _WORDS[_word] = (_tag, _value)
_WORDS[""] = (NULL, None)

_NUMERIC_START = frozenset("+-0123456789")
_WORD_START = frozenset("yYnNtTfFoO~<")  # `<` for the merge key
_GO_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_GO_INT = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)\Z")
_INT64 = 2**63
_UINT64 = 2**64


def _go_int(text: str) -> int | None:
    """`strconv.ParseInt(text, 0, 64)`, then ParseUint: None when Go finds no integer."""
    if not _GO_INT.match(text):
        return None
    sign = -1 if text[0] == "-" else 1
    body = text.lstrip("+-").lower()
    if body.startswith(("0x", "0o", "0b")):
        value = int(body[2:], {"x": 16, "o": 8, "b": 2}[body[1]])
    elif len(body) > 1 and body[0] == "0":
        value = int(body, 8)
    else:
        value = int(body)
    value *= sign
    if -_INT64 <= value < _UINT64:
        return value
    return None


def resolve_plain(text: str) -> tuple[str, Any]:
    """(tag, value) of an untagged plain scalar, as go-yaml v2's `resolve` decides."""
    word = _WORDS.get(text)
    if word is not None:
        return word
    first = text[0]
    if first == ".":
        if _GO_FLOAT.match(text):
            return _float(text)
        return STR, text
    if first not in _NUMERIC_START:
        return STR, text
    # (a timestamp decoded into interface{} stays its text: it is neither number below, so it does)
    plain = text.replace("_", "")
    if plain:
        number = _go_int(plain)
        if number is not None:
            return INT, number
        if _GO_FLOAT.match(plain):
            return _float(plain)
    return STR, text


def plain_value(text: str) -> Any:
    """The value of an untagged plain scalar in a document the C loader builds (it asks only for
    texts starting with a digit, a sign or a dot): `plain_tree`'s answer. NotJSON for `.inf`."""
    value = resolve_plain(text)[1]
    return _json_number(value) if value.__class__ is float else value


def _float(text: str) -> tuple[str, Any]:
    value = float(text)
    if math.isinf(value):  # Go's ParseFloat reports a range error: the text stays a string
        return STR, text
    return FLOAT, value


_RESOLVABLE = frozenset({STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, MERGE})


def scalar_value(tag: str, text: str) -> Any:
    """The value of a scalar node as go-yaml gives it, whatever its tag:
    untagged plain scalars were tagged by `resolve_plain` already; an explicit
    `!!int`/`!!float`/`!!bool`/`!!null` must fit (else ValueError, whose message
    does not quote the value); other tags are not resolved: the text is the value."""
    if tag == STR:
        return text
    if tag not in _RESOLVABLE:
        return _binary(text) if tag == BINARY else text
    if tag == TIMESTAMP:
        return text
    resolved, value = resolve_plain(text)
    if resolved == tag:
        return value
    if tag == FLOAT and resolved == INT:
        return float(value)
    raise ValueError(f"cannot decode as {tag}")


def _binary(text: str) -> str:
    """`!!binary`: Go decodes the bytes, and JSON writes them back as one base64 string."""
    import base64
    import binascii

    try:
        return base64.b64encode(base64.b64decode("".join(text.split()), validate=True)).decode()
    except (binascii.Error, ValueError):
        raise ValueError("invalid !!binary") from None


class NotJSON(Exception):
    """A document Kubernetes' decoder refuses: JSON cannot carry one of its values."""


def key_string(key: Any) -> str:
    """How sigs.k8s.io/yaml turns a non-string map key into a JSON key; a null key it refuses."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return go_float32_g(key)
    raise NotJSON("a null mapping key")


def go_float32_g(value: float) -> str:
    """Go's `strconv.FormatFloat(value, 'g', -1, 32)`, with go-yaml's spelling of infinities."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    single = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):  # the shortest text that reads back as the same float32
        text = f"{single:.{digits}e}" if digits else ""
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            break
    mantissa, _, exponent = text.partition("e")
    exp = int(exponent)
    mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
    if exp < -4 or exp >= 21 or (exp >= 6 and len(mantissa.replace(".", "").lstrip("-")) <= exp):
        return f"{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return repr(float(f"{mantissa}e{exp}")).removesuffix(".0") if abs(exp) < 17 else f"{mantissa}e+{exp:02d}"


def _json_number(value: float) -> Any:
    if math.isnan(value) or math.isinf(value):
        raise NotJSON(".inf or .nan, which JSON cannot carry")
    if value.is_integer() and -_INT64 <= value < _INT64:
        return int(value)  # what JSON carries: `2.0` is written 2 and read back as an integer
    return value


class Builder:
    """Objects from one document's node tree.

    With `share` (the document has anchors), an aliased node is built once and
    every alias gets the same object, as PyYAML and go-yaml do; a node that
    contains itself is refused, as go-yaml refuses it. Without anchors no
    node is reachable twice, so nothing is remembered.
    """

    def __init__(self, max_depth: int, share: bool = False) -> None:
        self.max_depth = max_depth
        self.duplicates: list[tuple[str, int]] = []
        self.ignored_tags: list[int] = []  # lines of scalars whose tag go-yaml ignores
        self._share = share
        self._built: dict[int, Any] = {}
        self._building: set[int] = set()
        from yaml.nodes import MappingNode, ScalarNode, SequenceNode

        self._map, self._scalar, self._seq = MappingNode, ScalarNode, SequenceNode

    def build(self, node: Node, depth: int = 1) -> Any:
        if depth > self.max_depth:
            raise RecursionError("too deep")
        cls = node.__class__
        if cls is self._scalar:
            value = scalar_value(node.tag, node.value)
            if value.__class__ is float:
                return _json_number(value)
            if node.tag not in _RESOLVABLE and node.tag != BINARY:
                self.ignored_tags.append(node.start_mark.line + 1)
            return value
        if self._share:
            key = id(node)
            if key in self._built:
                return self._built[key]
            if key in self._building:
                raise _constructor_error(None, "an anchor's value contains an alias to itself", node.start_mark)
            self._building.add(key)
            value = self._collection(node, cls, depth)
            self._building.discard(key)
            self._built[key] = value
            return value
        return self._collection(node, cls, depth)

    def _collection(self, node: Node, cls: type, depth: int) -> Any:
        if cls is self._map:
            out: dict[str, Any] = {}
            self._mapping(node, out, depth)
            return out
        if cls is self._seq:
            return [self.build(child, depth + 1) for child in node.value]
        raise _constructor_error(None, f"unexpected node {cls.__name__}", node.start_mark)  # pragma: no cover

    def _mapping(self, node: Node, out: dict, depth: int) -> None:
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.__class__ is not self._scalar:
                raise NotJSON("a mapping key that is not a scalar")
            tag = key_node.tag
            if tag == MERGE:
                self._merge(value_node, out, depth)
                continue
            raw = key_node.value
            if raw in seen:
                self.duplicates.append((raw, key_node.start_mark.line + 1))
            seen.add(raw)
            key = raw if tag == STR else scalar_value(tag, raw)
            out[key if key.__class__ is str else key_string(key)] = self.build(value_node, depth + 1)

    def _merge(self, value_node: Node, out: dict, depth: int) -> None:
        """go-yaml v2: the merged mappings' keys are set where `<<` stands, over
        the keys before it; of several mappings, the first takes precedence."""
        sources = value_node.value if value_node.__class__ is self._seq else [value_node]
        for source in reversed(sources):
            if source.__class__ is not self._map:
                raise _constructor_error("while constructing a mapping",
                                         "a merge key (<<) needs a mapping or a list of mappings", value_node.start_mark)
            out.update(self.build(source, depth + 1))


def _constructor_error(context: str | None, problem: str, mark: Any) -> Exception:
    """PyYAML's error for a document it cannot build, as the loader reports every syntax error."""
    from yaml.constructor import ConstructorError

    return ConstructorError(context, None, problem, mark)


class _Unusual(Exception):
    """What `plain_tree` leaves to `Builder`: a merge key, a key that is not a plain string, a
    repeated key, nesting near the limit, or anything that raises."""


def plain_tree(node: Node, max_depth: int) -> "tuple[Any, list[int]] | None":
    """(object, lines of ignored tags) of a document without anchors, when it is an ordinary one:
    every key a string and none repeated, no merge key, far from the depth limit. `Builder` gives
    the very same for such a document (the loader's equivalence test checks both on every case),
    but it keeps a seen-set per mapping and dispatches every scalar through a call; this walk
    keeps neither, and a plain string value is read straight off its node. Anything else is None,
    and the caller builds the document with `Builder`, which says exactly what is wrong."""
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    ignored: list[int] = []

    def scalar(node: Node) -> Any:
        value = scalar_value(node.tag, node.value)
        if value.__class__ is float:
            return _json_number(value)
        if node.tag not in _RESOLVABLE and node.tag != BINARY:
            ignored.append(node.start_mark.line + 1)
        return value

    def tree(node: Node, depth: int) -> Any:
        if depth >= max_depth:
            raise _Unusual()
        cls = node.__class__
        if cls is MappingNode:
            out: dict[str, Any] = {}
            pairs = node.value
            for key_node, value_node in pairs:
                if key_node.tag != STR:  # also every key that is not a scalar (tagged map or seq)
                    raise _Unusual()
                if value_node.__class__ is ScalarNode:
                    out[key_node.value] = value_node.value if value_node.tag == STR else scalar(value_node)
                else:
                    out[key_node.value] = tree(value_node, depth + 1)
            if len(out) != len(pairs):  # a repeated key: Builder reports it, in document order
                raise _Unusual()
            return out
        if cls is SequenceNode:
            return [(child.value if child.tag == STR else scalar(child)) if child.__class__ is ScalarNode
                    else tree(child, depth + 1) for child in node.value]
        return scalar(node)

    try:
        return tree(node, 1), ignored
    except Exception:  # noqa: BLE001 - Builder raises the same, or says what is wrong
        return None
    finally:  # `tree` holds itself through its closure: a cycle only the GC frees, and runs pause it
        del tree


# Plain scalars starting with anything else are strings whatever follows (names, images, paths).
_MAY_RESOLVE = _NUMERIC_START | _WORD_START | {"."}


def resolver() -> Callable[[type, Any, tuple[bool, bool]], str]:
    """What tags plain scalars for the libyaml composer as go-yaml v2 would resolve
    them. The composer calls it for every node, so it is a plain function (an
    instance's __call__ costs more per call), most strings are told apart by
    their first character, and the answers for the others are kept."""
    from yaml.nodes import ScalarNode, SequenceNode

    cache: dict[str, str] = {}

    def resolve(kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if not implicit[0] or (value and value[0] not in _MAY_RESOLVE):
                return STR
            tag = cache.get(value)
            if tag is None:
                tag = resolve_plain(value)[0]
                if len(cache) < 4096:
                    cache[value] = tag
            return tag
        return SEQ if kind is SequenceNode else MAP

    return resolve
