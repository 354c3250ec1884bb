"""Pattern-key anchors: `(k)`, `=(k)`, `^(k)`, `X(k)`, `<(k)`, `+(k)`.

An anchor changes what a key means in a validate pattern: a condition, an
optional field, an existence test over a list, a forbidden field, a
whole-resource precondition. Parsing them once per key keeps the matcher a
plain tree walk.
"""

from __future__ import annotations

from dataclasses import dataclass

CONDITION = ""
EQUALITY = "="
EXISTENCE = "^"
NEGATION = "X"
GLOBAL = "<"
ADD_IF_NOT_PRESENT = "+"
_MODIFIERS = (EQUALITY, EXISTENCE, NEGATION, GLOBAL, ADD_IF_NOT_PRESENT)


@dataclass(frozen=True)
class Anchor:
    modifier: str
    key: str

    def render(self) -> str:
        return f"{self.modifier}({self.key})"


def parse(text: str) -> "Anchor | None":
    """The anchor in a pattern key, or `None` for a plain key."""
    text = text.strip()
    if len(text) < 3 or not text.endswith(")"):
        return None
    if text[0] == "(":
        key, modifier = text[1:-1], CONDITION
    elif text[0] in _MODIFIERS and text[1] == "(":
        key, modifier = text[2:-1], text[0]
    else:
        return None
    return Anchor(modifier, key) if key else None


def strip(key: str) -> str:
    """The resource key a (possibly anchored) pattern key refers to."""
    anchor = parse(key)
    return anchor.key if anchor else key
