"""Validate-pattern matching, compiled once per pattern.

A pattern is compiled into a tree of `MapNode` / `ListNode` / `ScalarNode`
with anchors parsed, keys ordered and leaf strings pre-parsed; `match` then
walks it against a resource. The walk follows Kyverno's
`validate.MatchPattern` closely, quirks included, because the results must
agree with the real engine:

- anchors are handled before plain keys; plain keys whose value contains an
  anchor (and global anchors) go first, so a failing condition deep inside
  turns into a skip before a sibling can fail;
- a conditional or global anchor that does not hold makes the element (or,
  when every element of a list is skipped, the whole resource) *skip*;
- a negation anchor that matches always *fails*;
- a plain failure while a condition/existence/negation anchor key was never
  seen in the resource is reported as a rule *error* (Kyverno's
  `IsAnchorError` branch);
- wildcard keys under `metadata.labels` / `metadata.annotations` are renamed
  to the first resource key they match before comparing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import anchor as anchors
from . import wildcard
from .gofmt import sprint
from .values import Scalar, compile_scalar

_TRACKED = (anchors.CONDITION, anchors.EXISTENCE, anchors.NEGATION)
_PRE = (anchors.CONDITION, anchors.EXISTENCE, anchors.EQUALITY, anchors.NEGATION)
_INDEX = tuple(f"{i}/" for i in range(64))


@dataclass
class PatternError:
    """Why a pattern did not hold. The flags mirror Kyverno's checks on the error text,
    which see a conditional or global mismatch anywhere inside a wrapped error."""

    message: str
    path: str
    conditional: bool = False
    global_: bool = False
    negation: bool = False

    @property
    def skip(self) -> bool:
        return self.conditional or self.global_


@dataclass
class Outcome:
    """The result of matching one resource against one pattern."""

    status: str  # pass | fail | skip | error
    path: str = ""
    message: str = ""


class Node:
    __slots__ = ("raw", "nested_anchor")

    def check(self, value: Any, path: str, seen: dict[str, bool]) -> "PatternError | None":
        raise NotImplementedError


@dataclass
class _Entry:
    key: str  # the pattern key, anchors included
    name: str  # the resource key it refers to
    anchor: "anchors.Anchor | None"
    node: Node

    def __post_init__(self) -> None:
        self.suffix = self.name + "/"  # precomputed: paths are built on every step
        self.star = isinstance(self.node, ScalarNode) and self.node.raw == "*"


class ScalarNode(Node):
    __slots__ = ("scalar",)

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.nested_anchor = False
        self.scalar: Scalar = compile_scalar(raw)

    def check(self, value: Any, path: str, seen: dict[str, bool]) -> "PatternError | None":
        if isinstance(value, list):
            for item in value:
                if not self.scalar(item):
                    return _mismatch(value, self.raw, path)
            return None
        if not self.scalar(value):
            return _mismatch(value, self.raw, path)
        return None


def _mismatch(value: Any, pattern: Any, path: str) -> PatternError:
    return PatternError(f"resource value '{sprint(value)}' does not match '{sprint(pattern)}' at path {path}", path)


class ListNode(Node):
    __slots__ = ("items",)

    def __init__(self, raw: list, items: list[Node]) -> None:
        self.raw = raw
        self.items = items
        self.nested_anchor = any(item.nested_anchor for item in items)

    def check(self, value: Any, path: str, seen: dict[str, bool]) -> "PatternError | None":
        if not isinstance(value, list):
            return PatternError(
                f"validation rule failed at path {path}, resource does not satisfy the expected overlay pattern", path)
        if not self.items:
            return PatternError("pattern Array empty", path)
        first = self.items[0]
        if isinstance(first, MapNode):
            return _check_each(value, first, path, seen)
        if isinstance(first, ScalarNode):
            return first.check(value, path, seen)
        return self._check_positional(value, path, seen)

    def _check_positional(self, value: list, path: str, seen: dict[str, bool]) -> "PatternError | None":
        if len(value) < len(self.items):
            return PatternError(
                f"validate Array failed, array length mismatch, resource Array len is {len(value)} "
                f"and pattern Array len is {len(self.items)}", "")
        return _fold_elements(
            (item.check(value[index], f"{path}{index}/", seen) for index, item in enumerate(self.items)), path)


def _check_each(values: list, node: "MapNode", path: str, seen: dict[str, bool]) -> "PatternError | None":
    """Every element must match the (first) map of a list pattern; elements whose
    conditions do not hold are skipped, and if all are skipped so is the list."""
    return _fold_elements(
        (node.check(item, path + _INDEX[index] if index < len(_INDEX) else f"{path}{index}/", seen)
         for index, item in enumerate(values)), path)


def _fold_elements(errors: Iterable["PatternError | None"], path: str) -> "PatternError | None":
    """Kyverno's verdict on a list from its elements' results, shared by positional
    and each-element list patterns: the first hard error wins, and only a list
    whose every checked element was skipped is skipped itself. `errors` is
    consumed lazily, so no element is checked after a hard error."""
    skipped: list[PatternError] = []
    applied = 0
    for error in errors:
        if error is None:
            applied += 1
        elif error.skip:
            skipped.append(error)
        else:
            return error
    return _all_skipped(skipped, path) if applied == 0 and skipped else None


def _all_skipped(errors: list[PatternError], path: str) -> PatternError:
    return PatternError(
        "; ".join(e.message for e in errors), path,
        conditional=any(e.conditional for e in errors),
        global_=any(e.global_ for e in errors),
        negation=any(e.negation for e in errors),
    )


def _sort_plain(entries: list[_Entry]) -> list[_Entry]:
    """Kyverno's `getSortedNestedAnchorResource`: keys holding anchors (and global
    anchors) are pushed to the front in reverse order, the rest follow sorted."""
    front: list[_Entry] = []
    back: list[_Entry] = []
    for entry in sorted(entries, key=lambda e: e.key):
        if (entry.anchor and entry.anchor.modifier == anchors.GLOBAL) or entry.node.nested_anchor:
            front.insert(0, entry)
        else:
            back.append(entry)
    return front + back


def _order_anchors(entries: list[_Entry]) -> list[_Entry]:
    """Kyverno walks anchors in Go map order (random); conditions first is the
    order that keeps if-then patterns meaning what they say."""
    rank = {anchors.CONDITION: 0, anchors.EXISTENCE: 1, anchors.EQUALITY: 2, anchors.NEGATION: 3}
    return sorted(entries, key=lambda e: rank[e.anchor.modifier])  # type: ignore[union-attr]


class MapNode(Node):
    __slots__ = ("pre", "plain", "tracked", "expand_keys", "fast")

    def __init__(self, raw: dict, entries: list[_Entry], expand_keys: bool = False) -> None:
        self.raw = raw
        self.expand_keys = expand_keys and any(wildcard.has_wildcard(e.name) for e in entries)
        self._arrange(entries)
        self.nested_anchor = any(
            (e.anchor is not None and e.anchor.modifier != anchors.ADD_IF_NOT_PRESENT) or e.node.nested_anchor
            for e in entries)

    def _arrange(self, entries: list[_Entry]) -> None:
        self.pre = _order_anchors([e for e in entries if e.anchor and e.anchor.modifier in _PRE])
        self.plain = _sort_plain([e for e in entries if not (e.anchor and e.anchor.modifier in _PRE)])
        self.tracked = [e for e in entries if e.anchor and e.anchor.modifier in _TRACKED]
        # Most maps have plain keys only: walk them with a tight loop over tuples.
        self.fast = None
        if not self.pre and not self.expand_keys and all(e.anchor is None for e in self.plain):
            self.fast = tuple((e.name, e.suffix, e.node.check, e.star) for e in self.plain)

    def _expanded(self, resource: dict) -> "MapNode":
        """Rename wildcard label/annotation keys to the resource keys they match."""
        renamed: list[_Entry] = []
        for entry in self.pre + self.plain:
            name = entry.name
            if wildcard.has_wildcard(name):
                name = next((k for k in resource if isinstance(k, str) and wildcard.match(entry.name, k)), name)
            key = anchors.Anchor(entry.anchor.modifier, name).render() if entry.anchor else name
            renamed.append(_Entry(key, name, entry.anchor and anchors.Anchor(entry.anchor.modifier, name), entry.node))
        return MapNode(self.raw, renamed)

    def check(self, value: Any, path: str, seen: dict[str, bool]) -> "PatternError | None":
        if not isinstance(value, dict):
            return PatternError(
                f"pattern and resource have different structures. Path: {path}. "
                f"Expected map, found {_go_type(value)}", path)
        fast = self.fast
        if fast is not None:
            get = value.get
            for name, suffix, child, star in fast:
                item = get(name)
                if star:
                    if item is None:
                        return PatternError(f"{path}/{name} not found", path)
                    continue
                error = child(item, path + suffix, seen)
                if error is not None:
                    return error
            return None
        node = self._expanded(value) if self.expand_keys else self
        if node.tracked:
            for entry in node.tracked:
                if not seen.get(entry.key):
                    seen[entry.key] = entry.name in value
        for entry in node.pre:
            error = _check_anchor(entry, value, path, seen)
            if error is not None:
                return error
        for entry in node.plain:
            error = _check_plain(entry, value, path, seen)
            if error is not None:
                return error
        return None


def _go_type(value: Any) -> str:
    if value is None:
        return "<nil>"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    return type(value).__name__


def _check_anchor(entry: _Entry, resource: dict, path: str, seen: dict[str, bool]) -> "PatternError | None":
    current = path + entry.suffix
    present = entry.name in resource
    modifier = entry.anchor.modifier  # type: ignore[union-attr]
    if modifier == anchors.NEGATION:
        if present:
            return PatternError(f"negation anchor matched in resource: {current} is not allowed", current, negation=True)
        return None
    if not present:
        if modifier == anchors.CONDITION:
            return PatternError(
                "conditional anchor mismatch: conditional anchor key doesn't exist in the resource", current,
                conditional=True)
        return None
    value = resource[entry.name]
    if modifier == anchors.CONDITION:
        error = entry.node.check(value, current, seen)
        if error is None:
            return None
        return PatternError(f"conditional anchor mismatch: {error.message}", error.path, conditional=True,
                            global_=error.global_, negation=error.negation)
    if modifier == anchors.EQUALITY:
        return entry.node.check(value, current, seen)
    return _check_existence(entry, value, current, seen)


def _check_existence(entry: _Entry, value: Any, current: str, seen: dict[str, bool]) -> "PatternError | None":
    """`^(key)`: each map of the pattern list must match at least one element."""
    if not isinstance(value, list):
        return PatternError(
            f"invalid resource type {_go_type(value)}: Existence ^ () anchor can be used only on list/array type resource",
            current)
    node = entry.node
    if not isinstance(node, ListNode):
        return PatternError("invalid pattern type: Pattern has to be of list to compare against resource", current)
    for item in node.items:
        if not isinstance(item, MapNode):
            return PatternError("invalid pattern type: Pattern has to be of type map to compare against items in resource",
                                current)
        if not any(item.check(element, f"{current}{i}/", seen) is None for i, element in enumerate(value)):
            return PatternError(f"existence anchor validation failed at path {current}", current)
    return None


def _check_plain(entry: _Entry, resource: dict, path: str, seen: dict[str, bool]) -> "PatternError | None":
    if entry.anchor is not None:
        current = path + entry.suffix
        if entry.anchor.modifier == anchors.ADD_IF_NOT_PRESENT or entry.name not in resource:
            return None
        error = entry.node.check(resource[entry.name], current, seen)
        if error is None:
            return None
        return PatternError(f"global anchor mismatch: {error.message}", error.path, conditional=error.conditional,
                            global_=True, negation=error.negation)
    value = resource.get(entry.name)
    if entry.star:
        if value is None:
            return PatternError(f"{path}/{entry.name} not found", path)
        return None
    return entry.node.check(value, path + entry.suffix, seen)


def compile_pattern(raw: Any, parent_key: str = "", grandparent_key: str = "") -> Node:
    """Pattern (parsed YAML) → node tree. Keys under `metadata.labels` and
    `metadata.annotations` are flagged for wildcard renaming."""
    if isinstance(raw, dict):
        entries = []
        for key, value in raw.items():
            key_text = str(key)
            parsed = anchors.parse(key_text)
            name = parsed.key if parsed else key_text
            entries.append(_Entry(key_text, name, parsed, compile_pattern(value, name, parent_key)))
        is_meta_map = parent_key in ("labels", "annotations") and grandparent_key == "metadata"
        return MapNode(raw, entries, expand_keys=is_meta_map)
    if isinstance(raw, list):
        return ListNode(raw, [compile_pattern(item) for item in raw])
    return ScalarNode(raw)


PASS = Outcome("pass")


def match(resource: Any, node: Node) -> Outcome:
    """Kyverno's `MatchPattern`, turned into a rule outcome."""
    seen: dict[str, bool] = {}
    error = node.check(resource, "/", seen)
    if error is None:
        return PASS
    if error.skip:
        return Outcome("skip", "", error.message)
    if error.negation:
        return Outcome("fail", error.path, error.message)
    if any(not found for found in seen.values()):
        return Outcome("error", "", error.message)
    if not error.path:
        return Outcome("error", "", error.message)
    return Outcome("fail", error.path, error.message)
