"""The one escaping function for text that lands in a terminal or a CI log.

File names, resource names and messages come from the checked tree. A
newline in any of them would start a new log line, and on GitHub Actions a
line that starts with `::` (after leading spaces) is a workflow command:
`::stop-commands::` silences every later annotation, `::error file=…::`
forges one. The old `##[command]` form is matched anywhere in a line.
Terminal escapes (`\\x1b[…`) and bidirectional overrides can hide text from
the person reading the log.

`escape_control` turns every control, line-separator and bidi-override
character of one field into a visible escape (`\\n`, `\\x1b`, `\\u202e`), so a
field is always one line; `safe_line` additionally defuses a whole output line
that would read as a workflow command.
"""

from __future__ import annotations

import re

# C0/C1 controls and DEL (tab kept), Unicode line/paragraph separators, bidi embeddings/overrides/isolates
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\x1b": "\\x1b"}
_COMMAND_START = re.compile(r"^(\s*):(?=:)")
_V1_COMMAND = "##["


def _visible(match: re.Match[str]) -> str:
    ch = match.group(0)
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_control(text: str) -> str:
    """One field (path, resource, message) on one line, with nothing that steers a terminal."""
    if not text or text.isprintable():
        return text
    return _UNSAFE.sub(_visible, text)


def safe_line(line: str) -> str:
    """A whole output line that a CI runner will not read as a command."""
    line = _COMMAND_START.sub(lambda m: m.group(1) + "\\x3a", line)
    return line.replace(_V1_COMMAND, "#\\x23[")


def safe_text(text: str) -> str:
    """Every line of a multi-line output (a diff) through `safe_line`, fields' control characters escaped."""
    return "\n".join(safe_line(escape_control(line)) for line in text.split("\n"))
