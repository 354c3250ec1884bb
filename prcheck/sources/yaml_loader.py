"""Turn bytes into `Document`s, or into findings when the bytes are hostile.

Every guard here exists because some input would otherwise crash or stall a
later stage: a billion-laughs alias bomb expands to gigabytes once anything
walks the object, deep nesting overflows recursive encoders, and PyYAML keeps
the last of duplicate keys without a word. A tripped guard becomes a finding
and the run goes on with the next file.
"""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import field
from typing import Any

from prcheck.model import Document, Finding
from prcheck.records import dataclass
from prcheck.sources import k8s_yaml

try:  # the C loader for ordinary texts (built with the package; see csrc/fastyaml.c)
    from prcheck.sources import _fastyaml
except ImportError:  # installed where nothing could compile it: the general path loads everything
    _fastyaml = None  # type: ignore[assignment]

# An alias needs an anchor; `&name` after a separator. False positives (an `&`
# in a plain scalar) only cost the slower, alias-aware walk. (Compiled on first use,
# as the pattern below: a text the C loader takes needs neither.)
_ANCHOR = r"(?:^|[\s\[{,:?-])&[^\s,\[\]{}]"


@dataclass(frozen=True)
class Limits:
    """The hostile-input limits of a load: what a file may cost before it becomes a finding."""

    max_file_bytes: int = 5 * 1024 * 1024
    max_expanded_nodes: int = 100_000  # per document
    # What aliases add beyond the distinct nodes, summed over a file and over a run: many
    # documents each just under the per-document cap must not add up to minutes of work.
    max_file_expanded_nodes: int = 250_000
    max_run_expanded_nodes: int = 1_000_000
    max_depth: int = 200


@dataclass
class AliasBudget:
    """Alias expansion the rest of a run may still pay for (see `Limits`): one
    instance per run (per worker share), handed to every `load_*` call."""

    remaining: int

    @classmethod
    def for_run(cls, limits: "Limits", shares: int = 1) -> "AliasBudget":
        return cls(limits.max_run_expanded_nodes // max(1, shares))


@dataclass
class LoadedFile:
    """One source file after loading: its documents and the findings loading itself made."""

    path: str
    kind: str
    docs: list[Document] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    text: str = ""


@functools.cache
def node_loader() -> type:
    """The general path's loader class, made on first use: it subclasses PyYAML's, and a run
    whose texts the C loader takes never imports PyYAML."""
    import yaml

    class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        """libyaml's composer (nodes with marks, for lines) with scalars tagged as
        Kubernetes' decoder resolves them; objects are built by `k8s_yaml.plain_tree` (ordinary
        documents) or `k8s_yaml.Builder` (the rest)."""

        # The composer calls these two Python methods around every node, for PyYAML's path
        # resolvers (`add_path_resolver`), which this loader has none of: C callables that ignore
        # their arguments cost less (8% of composing a Kubernetes corpus, in instructions).
        descend_resolver = staticmethod(operator.is_)  # (parent, index)
        ascend_resolver = staticmethod(tuple)  # ()

        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self.resolve = k8s_yaml.resolver()

    return _Loader


class _SelfReference(Exception):
    """An anchor whose value contains an alias to itself: it expands without end."""


def _tree_shape(root: Any, max_depth: int) -> tuple[int, int, int]:
    """(depth, expanded node count, distinct node count) of a tree with aliases,
    without recursion: a shared node counts once per reference, which is what
    any consumer that walks the object would pay. (Without aliases the builder
    checks depth as it goes and nothing expands.)
    """
    sizes: dict[int, tuple[int, int]] = {}
    visiting: set[int] = set()
    stack2: list[tuple[Any, bool]] = [(root, False)]
    while stack2:
        node, done = stack2.pop()
        if id(node) in sizes:
            continue
        if not done:
            # everything popped while a node's own entry waits below is its descendant
            if id(node) in visiting:
                raise _SelfReference()
            visiting.add(id(node))
        children = _children(node)
        if done:
            child = [sizes[id(c)] for c in children]
            sizes[id(node)] = (
                1 + max((d for d, _ in child), default=0),
                1 + sum(n for _, n in child),
            )
            continue
        stack2.append((node, True))
        stack2.extend((c, False) for c in children if id(c) not in sizes)
    return (*sizes[id(root)], len(sizes))


def _children(node: Any) -> list[Any]:
    if node.id == "mapping":
        return [n for pair in node.value for n in pair]
    if node.id == "sequence":
        return list(node.value)
    return []


def _finding(rule: str, message: str, path: str, line: int = 0, severity: str = "error") -> Finding:
    return Finding(rule=rule, severity=severity, message=message, path=path, line=line, engine="lint")  # type: ignore[arg-type]


def too_large(size: int, path: str, limits: Limits) -> Finding | None:
    """Callers that can stat a file ask this before reading it at all."""
    if size <= limits.max_file_bytes:
        return None
    return _finding("yaml/file-too-large",
                    f"file is {size:,} bytes, over the {limits.max_file_bytes:,}-byte limit; not checked", path)


def decode(raw: bytes, path: str, limits: Limits) -> tuple[str | None, Finding | None]:
    """Bytes → text, or the finding that says why not."""
    oversize = too_large(len(raw), path, limits)
    if oversize is not None:
        return None, oversize
    if b"\x00" in raw[:8192]:
        return None, _finding("yaml/binary-file", "file looks binary (NUL byte); not checked", path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, _finding("yaml/invalid-utf8", f"invalid UTF-8 at byte {exc.start}; not checked", path, line)
    return text.removeprefix("\ufeff"), None


def load_text(text: str, path: str, kind: str = "yaml", limits: Limits = Limits(), origin: str = "file",
              budget: AliasBudget | None = None) -> LoadedFile:
    """Parse every document of `text`; stop at the first syntax error but keep
    the documents before it (so one typo at the end still lets the rest be checked)."""
    result = LoadedFile(path=path, kind=kind, text=text)
    fast = ordinary_documents(text, limits.max_depth)
    if fast is not None:
        for index, (line, obj, node) in enumerate(fast):
            if _is_empty(obj, node):  # `---` followed by nothing, as below
                result.docs.append(Document(path=path, index=index, line=max(1, line), obj=None, origin=origin,
                                            file_kind=kind, source=text))
            else:
                result.docs.append(Document(path=path, index=index, line=line + 1, obj=obj, origin=origin, node=node,
                                            file_kind=kind, source=text))
        return result
    deep = too_deep_to_compose(text)
    if deep is not None:
        index, line = deep
        result.findings.append(_finding(
            "yaml/too-deep", f"document {index} nests deeper than {min(limits.max_depth, COMPOSE_DEPTH)} levels; "
            "not checked", path, line))
        return result
    import yaml  # (for its errors; `node_loader` imported it)

    loader = node_loader()(text)
    has_aliases = "&" in text and re.search(_ANCHOR, text) is not None  # `in` is a memchr, the pattern is not
    file_left = limits.max_file_expanded_nodes
    over_budget = False  # one finding per file says so; later documents over it are skipped too
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            line = node.start_mark.line + 1
            if node.id == "scalar" and node.value == "" and node.tag.endswith(":null"):
                # `---` followed by nothing: kept so lint can point at it. libyaml
                # marks the empty node at the token after it, so step back a line.
                result.docs.append(Document(path=path, index=index, line=max(1, line - 1), obj=None, origin=origin, file_kind=kind, source=text))
                index += 1
                continue
            try:
                depth, size, distinct = _tree_shape(node, limits.max_depth) if has_aliases else (0, 0, 0)
            except _SelfReference:
                result.findings.append(_finding(
                    "yaml/alias-bomb", f"document {index} contains an alias to its own anchor, so it never ends; "
                    "not checked", path, line))
                index += 1
                continue
            added = max(0, size - distinct)  # nodes aliases add on top of the written ones
            if depth > limits.max_depth:
                result.findings.append(_finding(
                    "yaml/too-deep", f"document {index} nests deeper than {limits.max_depth} levels; not checked", path, line))
            elif size > limits.max_expanded_nodes:
                result.findings.append(_finding(
                    "yaml/alias-bomb",
                    f"document {index} expands to {size:,} nodes through aliases (limit {limits.max_expanded_nodes:,}); not checked",
                    path, line))
            elif added > file_left or (budget is not None and added > budget.remaining):
                scope, cap = (("this file", limits.max_file_expanded_nodes) if added > file_left
                              else ("this run", limits.max_run_expanded_nodes))
                if not over_budget:
                    result.findings.append(_finding(
                        "yaml/alias-bomb", f"aliases in {scope} expand to over {cap:,} extra nodes in all: "
                        f"document {index} and later ones that use aliases are not checked", path, line))
                over_budget = True
            else:
                file_left -= added
                if budget is not None:
                    budget.remaining -= added
                plain = None if has_aliases else k8s_yaml.plain_tree(node, limits.max_depth)
                if plain is not None:
                    obj, ignored_tags = plain
                    duplicates: list[tuple[str, int]] = []
                else:
                    builder = k8s_yaml.Builder(limits.max_depth, share=has_aliases)
                    try:
                        obj = builder.build(node)
                    except RecursionError:
                        result.findings.append(_finding(
                            "yaml/too-deep", f"document {index} nests deeper than {limits.max_depth} levels; not checked",
                            path, line))
                        index += 1
                        continue
                    except k8s_yaml.NotJSON as exc:
                        result.findings.append(_finding(
                            "yaml/not-json", f"document {index} has {exc}: Kubernetes decodes YAML into JSON and "
                            "refuses it; not checked", path, line))
                        index += 1
                        continue
                    except (ValueError, TypeError, OverflowError):
                        # `!!float <text>`, `!!int <text>`: Python's message quotes the value, which may be a secret
                        result.findings.append(_finding(
                            "yaml/syntax", f"document {index} has a value that does not fit its tag (!!int, !!float, ...); "
                            "value not shown, not checked", path, line))
                        break
                    ignored_tags, duplicates = builder.ignored_tags, builder.duplicates
                for tag_line in ignored_tags:
                    result.findings.append(_finding(
                        "yaml/ignored-tag", "a value starts with '!', which YAML reads as a tag: Kubernetes ignores "
                        "the tag and keeps only the text after it (quote the value)", path, tag_line, "warning"))
                for key, key_line in duplicates:
                    result.findings.append(_finding(
                        "yaml/duplicate-key", f"duplicate key '{key}': YAML keeps only the last value", path, key_line))
                result.docs.append(Document(path=path, index=index, line=line, obj=obj, origin=origin, node=node, file_kind=kind, source=text))
            index += 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        column = mark.column + 1 if mark else 0
        problem = _without_quoted_text((exc.problem or exc.context or "invalid YAML").strip())
        rule = "yaml/syntax"
        if _tab_indented(text, line):
            rule, problem = "yaml/tab-indentation", "tab character used for indentation (YAML allows spaces only)"
        result.findings.append(Finding(
            rule=rule, severity="error", message=f"YAML syntax error: {problem}",
            path=path, line=line, column=column, engine="lint"))
    except yaml.YAMLError as exc:  # reader errors (control characters) carry no mark
        result.findings.append(_finding("yaml/syntax", f"YAML error: {str(exc).splitlines()[0]}", path))
    except (RecursionError, MemoryError):
        result.findings.append(_finding("yaml/too-deep", "document nests too deeply to parse; not checked", path))
    finally:
        loader.dispose()
    return result


def ordinary_documents(text: str, max_depth: int) -> "list[tuple[int, Any, Any]] | None":
    """(0-based line, object, line tree) of every document of an ordinary text, by the C loader:
    no syntax error, anchor, alias, tag, merge key, repeated or non-string key, nor nesting near
    `max_depth`. For such a text the general path below gives the very same documents and no
    finding (tests/speed/test_fast_loader.py holds both equal); for any other text, or without
    the compiled loader, None: the general path loads it and says what is wrong."""
    if _fastyaml is None:
        return None
    try:
        return _fastyaml.load(text, max_depth, k8s_yaml.plain_value)
    except MemoryError:
        return None


# PyYAML's composer recurses in C once per nesting level, unchecked: some tens of thousands of
# levels overflow the stack and kill the process. Far below that, far above any real manifest.
COMPOSE_DEPTH = 5000


def too_deep_to_compose(text: str) -> "tuple[int, int] | None":
    """(index, line) of the first document nesting deeper than `COMPOSE_DEPTH`, found without
    composing; None for any other text (or without the C loader, which finds it)."""
    if _fastyaml is None or len(text) <= COMPOSE_DEPTH:  # every level takes a character
        return None
    deep = _fastyaml.nesting(text, COMPOSE_DEPTH)
    return None if deep is None else (deep[1], deep[2] + 1)


def _is_empty(obj: Any, node: Any) -> bool:
    return obj is None and node.id == "scalar" and node.value == "" and node.style == ""


# PyYAML quotes the offending text: a lone character is harmless, but a tag or an alias
# name is a value written unquoted (`password: !S3cret` reads as a tag), so may be a secret.
_QUOTED_TEXT = r"'[^'\n]{4,}'"


def _without_quoted_text(problem: str) -> str:
    shown = re.sub(_QUOTED_TEXT, "(not shown)", problem)
    if shown != problem and ("tag" in problem or "alias" in problem):
        shown += " (quote a value that starts with !, & or *)"
    return shown


def _tab_indented(text: str, line: int) -> bool:
    """libyaml reports a tab in indentation as a generic token error; name it."""
    lines = text.splitlines()
    for candidate in (line, line - 1):
        if 0 < candidate <= len(lines):
            current = lines[candidate - 1]
            if "\t" in current[: len(current) - len(current.lstrip())]:
                return True
    return False


def empty_file_input(file: LoadedFile) -> Document | None:
    """The document conftest evaluates for a file without content (empty, only
    comments, or only `---`): one evaluation with `input` null. None when the
    file has content or could not be read."""
    if file.findings or any(doc.obj is not None for doc in file.docs):
        return None
    if file.docs:
        return file.docs[0]
    return Document(path=file.path, index=0, line=1, obj=None, origin="file", file_kind=file.kind, source=file.text)


def load_bytes(raw: bytes, path: str, kind: str = "yaml", limits: Limits = Limits(), origin: str = "file",
               budget: AliasBudget | None = None) -> LoadedFile:
    text, problem = decode(raw, path, limits)
    if problem is not None:
        return LoadedFile(path=path, kind=kind, findings=[problem])
    return load_text(text or "", path, kind, limits, origin, budget)
