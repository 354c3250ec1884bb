"""Source-level rewrites that make cel-cpp evaluate what cel-go evaluates.

Two differences between the runtimes matter for admission policies:

- `variables`: the API server (and Kyverno, Gatekeeper) evaluate a variable
  lazily, when an expression reads it, and keep its value in CEL form (an
  optional, a duration). cel-cpp's Python binding can pass neither back in,
  so each `variables.<name>` is replaced by the variable's own expression in
  parentheses: the same laziness, the same error scoping, any type.
- `x.orValue(d)` / `x.or(y)` on a value that is not an optional: cel-go's
  short-circuit step returns `x` unchanged, cel-cpp reports "no matching
  overload". Policies written against cel-go rely on that (`c.resources
  .requests.orValue({})`), so a receiver that can never be optional (a plain
  field path with no `?` and no optional-returning call) drops the call.

Both work on tokens, skipping string literals, so text inside quotes is
never touched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_INLINED = 20000  # characters: beyond this, variables are evaluated eagerly instead


def _string_end(text: str, start: int) -> int:
    """Index just past the string literal starting at `start` (prefixes r/b handled by caller)."""
    quote = text[start]
    triple = text[start:start + 3] == quote * 3
    raw = start > 0 and text[start - 1] in "rR"
    pos = start + (3 if triple else 1)
    while pos < len(text):
        char = text[pos]
        if char == "\\" and not raw:
            pos += 2
            continue
        if triple and text[pos:pos + 3] == quote * 3:
            return pos + 3
        if not triple and char == quote:
            return pos + 1
        pos += 1
    return len(text)


def _code_spans(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_code) pieces: string literals are not code."""
    spans, pos, start = [], 0, 0
    while pos < len(text):
        if text[pos] in "'\"":
            if pos > start:
                spans.append((start, pos, True))
            end = _string_end(text, pos)
            spans.append((pos, end, False))
            pos = start = end
            continue
        pos += 1
    if start < len(text):
        spans.append((start, len(text), True))
    return spans


_VARIABLE = re.compile(r"(?<![A-Za-z0-9_.])variables\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)")


def inline_variables(source: str, definitions: Mapping[str, str]) -> "str | None":
    """`source` with every `variables.<name>` of `definitions` replaced by `(<definition>)`;
    None when that is not safe (`has(variables.x)`) or grows too large."""
    out = []
    for start, end, code in _code_spans(source):
        piece = source[start:end]
        if not code:
            out.append(piece)
            continue
        if re.search(r"\bhas\s*\(\s*variables\s*\.", piece):
            return None
        out.append(_VARIABLE.sub(lambda m: f"({definitions[m.group(1)]})" if m.group(1) in definitions
                                 else m.group(0), piece))
    result = "".join(out)
    return result if len(result) <= MAX_INLINED else None


def expand_definitions(ordered: "list[tuple[str, str]]") -> "dict[str, str] | None":
    """Each variable's expression with the variables before it inlined."""
    expanded: dict[str, str] = {}
    for name, text in ordered:
        inlined = inline_variables(text, expanded)
        if inlined is None:
            return None
        expanded[name] = inlined
    return expanded


_NOT_PLAIN = re.compile(r"\?|\boptional\s*\.|\.\s*or\s*\(|\.\s*orValue\s*\(|\.\s*(first|last|find|value)\s*\(")


def _receiver_start(text: str, dot: int) -> int:
    """Start of the postfix expression that ends just before `text[dot]` (a '.')."""
    pos = dot
    while pos > 0:
        char = text[pos - 1]
        if char in ")]":
            depth, pos = 0, pos - 1
            while pos >= 0:
                if text[pos] in ")]":
                    depth += 1
                elif text[pos] in "([":
                    depth -= 1
                    if depth == 0:
                        break
                pos -= 1
            if pos < 0:
                return 0
            continue
        if char.isalnum() or char in "_.":
            pos -= 1
            continue
        break
    return pos


def _call_end(text: str, open_paren: int) -> int:
    depth, pos = 0, open_paren
    while pos < len(text):
        if text[pos] in "'\"":
            pos = _string_end(text, pos)
            continue
        if text[pos] == "(":
            depth += 1
        elif text[pos] == ")":
            depth -= 1
            if depth == 0:
                return pos + 1
        pos += 1
    return -1


_OR_CALL = re.compile(r"\.\s*(orValue|or)\s*\(")


def lenient_optionals(source: str) -> str:
    """Drop `.orValue(...)` / `.or(...)` whose receiver is a plain field path (see module doc)."""
    text = source
    search_from = 0
    while True:
        found = None
        for start, end, code in _code_spans(text):
            if not code or end <= search_from:
                continue
            match = _OR_CALL.search(text, max(start, search_from), end)
            if match:
                found = match
                break
        if found is None:
            return text
        begin = _receiver_start(text, found.start())
        receiver = text[begin:found.start()]
        end = _call_end(text, found.end() - 1)
        if not receiver or end < 0 or _NOT_PLAIN.search(receiver) or receiver[:1].isdigit() \
                or text[:begin].rstrip().endswith("?") \
                or "(" in receiver.split(".")[0] and not receiver.startswith("("):
            search_from = found.end()
            continue
        text = text[:found.start()] + text[end:]
        search_from = found.start()


_OLD_SELF = re.compile(r"(?<![A-Za-z0-9_.])oldSelf\b")


def optional_old_self(source: str) -> str:
    """A rule with `optionalOldSelf: true` sees `oldSelf` as an optional; the runtime
    cannot receive optionals, so the rule reads a one-element (or empty) list instead."""
    out = []
    for start, end, code in _code_spans(source):
        piece = source[start:end]
        out.append(_OLD_SELF.sub("(size(oldSelfList) > 0 ? optional.of(oldSelfList[0]) : optional.none())", piece)
                   if code else piece)
    return "".join(out)


def mentions_old_self(source: str) -> bool:
    return any(code and _OLD_SELF.search(source[start:end]) for start, end, code in _code_spans(source))
