"""Lexical work on Rego that must happen before regorus sees it.

Two facts about a module need a scan of its tokens rather than its
AST, because regorus cannot produce an AST for the first and the AST would be
overkill for the second:

- Rego v0 lets one head carry several bodies, `p[x] { a } { b }`, which OPA
  defines as shorthand for `p[x] { a }` `p[x] { b }`. regorus reads the chain
  as an `else` and refuses it on set rules (gatekeeper-library's
  noupdateserviceaccount uses exactly that form), so the chain is spelled out
  here into the separate definitions OPA means, on the same line so that error
  positions stay true.
- Gatekeeper only lets a template reach `data.lib.*` and `data.inventory`; the
  roots a template names say whether it breaks that rule, and whether its
  engine needs a copy of the inventory at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A `{` after one of these opens a term (`p = {"a": 1}`), not a rule body.
_TERM_BEFORE = set("=,:|&+-*/%<>!([")
_IDENT_START = re.compile(r"[A-Za-z_]")
_IDENT = re.compile(r"[A-Za-z0-9_]+")


@dataclass
class _Scan:
    """What one pass over the module found."""

    chains: list[tuple[int, str]] = field(default_factory=list)  # (offset of the `{`, head to insert)
    data_refs: list[int] = field(default_factory=list)  # offsets of the identifier `data`
    comments: list[tuple[int, int]] = field(default_factory=list)


def _skip_string(text: str, i: int) -> int:
    """Offset just past the string literal that starts at `i`."""
    quote = text[i]
    i += 1
    while i < len(text):
        ch = text[i]
        if quote == '"' and ch == "\\":
            i += 2
            continue
        if ch == quote or (quote == '"' and ch == "\n"):
            return i + 1
        i += 1
    return i


def _head_text(text: str, start: int, end: int, comments: list[tuple[int, int]]) -> str:
    """The head between `start` and `end`, comments dropped and on one line."""
    parts, cursor = [], start
    for c_start, c_end in comments:
        if c_end <= start or c_start >= end:
            continue
        parts.append(text[cursor:c_start])
        cursor = c_end
    parts.append(text[cursor:end])
    return re.sub(r"\s*\n\s*", " ", "".join(parts)).strip()


def _scan(text: str) -> _Scan:
    """One pass: strings and comments skipped, brackets tracked, depth-0 bodies noted."""
    out = _Scan()
    stack: list[tuple[str, bool]] = []  # (opener, opens a rule body)
    prev = ""  # last significant character at depth 0
    prev_closed_body = False
    line_start = True
    head_start: int | None = None
    current_head: str | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "\"`":
            i = _skip_string(text, i)
            if not stack:
                prev, prev_closed_body, line_start = '"', False, False
            continue
        if ch == "#":
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            out.comments.append((i, end))
            i = end
            continue
        if ch == "\n":
            line_start = line_start or not stack
            i += 1
            continue
        if ch.isspace():
            i += 1
            continue
        if _IDENT_START.match(ch):
            found = _IDENT.match(text, i)
            word = found.group(0) if found else ch
            if not stack and line_start and word != "else":
                head_start = i
            line_start = False
            if word == "data" and not text[:i].rstrip().endswith("."):
                out.data_refs.append(i)
            if not stack:
                prev, prev_closed_body = word[-1], False
            i += len(word)
            continue
        line_start = False
        if ch in "([{":
            body = not stack and ch == "{" and bool(prev) and prev not in _TERM_BEFORE
            if body and prev == "}" and prev_closed_body and current_head:
                out.chains.append((i, current_head))
            elif body and head_start is not None:
                current_head = _head_text(text, head_start, i, out.comments)
                head_start = None
            stack.append((ch, body))
            i += 1
            continue
        if ch in ")]}":
            opener, body = stack.pop() if stack else ("", False)
            if not stack:
                prev, prev_closed_body = ch, body
            i += 1
            continue
        if not stack:
            prev, prev_closed_body = ch, False
        i += 1
    return out


def split_chained_bodies(text: str) -> str:
    """`head { a } { b }` → `head { a } head { b }`: OPA's meaning, regorus' syntax."""
    chains = _scan(text).chains
    for offset, head in reversed(chains):
        text = f"{text[:offset]}{head} {text[offset:]}"
    return text


def data_roots(text: str) -> set[str]:
    """The first segment of every `data` reference: "lib", "inventory", ...; "" for `data` itself."""
    roots = set()
    for offset in _scan(text).data_refs:
        rest = text[offset + 4:]
        step = re.match(r'\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*"([^"\\]*)"\s*\])', rest)
        roots.add((step.group(1) or step.group(2) or "") if step else "")
    return roots
