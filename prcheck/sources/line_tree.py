"""Node trees for documents that travel between processes, so every line is found one way.

Every line a finding reports comes from walking a document's node tree (`Document.line_of`,
the block-scalar checks): the C loader's `LineNode` tree for an ordinary text, PyYAML's for
the rest. Worker processes used to drop the trees before
sending documents back (they are the bulk of the pickle), so the findings the parent makes
afterwards -- CRD rules, a suppression annotation's own line, a repository's admission
policies -- fell back to the document's first line, and a parallel run disagreed with a
serial one. Two stand-ins keep the walkers unchanged:

- `DeferredNode`: while the file's text travels anyway, the parent composes the very same
  tree again from it, on the first look (few documents ever need a line there);
- `light`: where the text is dropped (a document slimmed to its identity), what the walkers
  read of the kept part -- `id`, `value`, `start_mark.line`, `style` -- and nothing else.
"""

from __future__ import annotations

from typing import Any, Mapping


class SourceNodes:
    """The node trees of one file's text, composed at most once and shared by its documents."""

    __slots__ = ("text", "_nodes")

    def __init__(self, text: str) -> None:
        self.text = text
        self._nodes: "list[Any] | None" = None

    def node(self, index: int) -> Any:
        if self._nodes is None:
            from prcheck.sources.yaml_loader import Limits, node_loader, ordinary_documents

            fast = ordinary_documents(self.text, Limits.max_depth)
            if fast is not None:  # the very trees `load_text` kept (an ordinary text loads the same either way)
                self._nodes = [node for _, _, node in fast]
                return self._nodes[index] if index < len(self._nodes) else None
            import yaml  # (for its errors; `node_loader` imported it)

            nodes: list[Any] = []
            loader = node_loader()(self.text)
            try:  # the same loader over the same text: `index` counts documents as `load_text` did
                while loader.check_node():
                    nodes.append(loader.get_node())
            except yaml.YAMLError:
                pass  # the documents before the error are the ones `load_text` kept
            self._nodes = nodes
        return self._nodes[index] if index < len(self._nodes) else None

    def __reduce__(self) -> tuple:  # the text object is the file's own: pickled once for both
        return SourceNodes, (self.text,)


class DeferredNode:
    """A document's root node, composed from its file's text on first use."""

    __slots__ = ("_source", "_index")

    def __init__(self, source: SourceNodes, index: int) -> None:
        self._source = source
        self._index = index

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source.node(self._index), name)

    def __reduce__(self) -> tuple:
        return DeferredNode, (self._source, self._index)


def defer(file: Any) -> None:
    """Swap `file`'s documents' node trees for `DeferredNode`s over its text (a file whose
    text was dropped keeps the light trees made for it)."""
    if not file.text:
        return
    source = SourceNodes(file.text)
    for doc in file.docs:
        if doc.node is not None and not isinstance(doc.node, DeferredNode):
            doc.node = DeferredNode(source, doc.index)


class _LineNode:
    """Quacks like a `yaml.Node` for line lookups; `start_mark` is the node itself (0-based `line`).
    (The C loader's `LineNode` is the same in C, and replaces this one where it is built.)"""

    __slots__ = ("id", "value", "line", "style")

    def __init__(self, id: str, value: Any, line: int, style: "str | None") -> None:
        self.id = id
        self.value = value
        self.line = line
        self.style = style

    @property
    def start_mark(self) -> "LineNode":
        return self

    def __reduce__(self) -> tuple:  # a positional tuple pickles far smaller than a slots dict
        return LineNode, (self.id, self.value, self.line, self.style)


try:
    from prcheck.sources._fastyaml import LineNode
except ImportError:
    LineNode = _LineNode  # type: ignore[misc, assignment]


def light(node: Any, shape: Any = None) -> "LineNode | None":
    """The line tree of a PyYAML node tree; with `shape` (a slimmed object), of the keys it
    kept only. Nodes an alias shares stay shared (one copy, as the loader's alias budget
    counted them); a key that is not a scalar is left out (no key path can name it)."""
    if node is None:
        return None
    if shape is None and isinstance(node, LineNode):
        return node  # the C loader's tree is a line tree already
    made: dict[tuple[int, int], tuple[Any, Any, LineNode]] = {}
    todo = [(node, shape)]
    while todo:  # no recursion: the loader allows nesting deeper than is safe for Python's stack
        current, kept = todo.pop()
        if (id(current), id(kept)) in made:
            continue
        kind = getattr(current, "id", "scalar")
        made[(id(current), id(kept))] = (current, kept, LineNode(
            kind, current.value if kind == "scalar" else [], current.start_mark.line, getattr(current, "style", None)))
        for key, child, child_shape in _children(current, kept):
            todo.append((child, child_shape))
            if key is not None:
                todo.append((key, None))
    for current, kept, out in made.values():
        if out.id == "mapping":
            out.value = [(made[(id(k), id(None))][2], made[(id(v), id(s))][2])
                         for k, v, s in _children(current, kept)]
        elif out.id == "sequence":
            out.value = [made[(id(v), id(s))][2] for _, v, s in _children(current, kept)]
    return made[(id(node), id(shape))][2]


def _children(node: Any, shape: Any) -> list[tuple[Any, Any, Any]]:
    """(key node, value node, the value's shape) of the children `shape` keeps (all without one)."""
    kind = getattr(node, "id", "")
    if kind == "sequence":
        return [(None, v, None) for v in node.value]
    if kind != "mapping":
        return []
    out = []
    for key, value in node.value:
        if getattr(key, "id", "") != "scalar":
            continue
        if isinstance(shape, Mapping):
            if key.value not in shape:
                continue
            inner = shape[key.value]
            out.append((key, value, inner if isinstance(inner, Mapping) else None))
        else:
            out.append((key, value, None))
    return out
