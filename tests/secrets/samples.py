"""Labelled samples built from the rules' own specifications (their regexes), not from any test suite.

`positive(rule, seed)` walks the rule's regex (Python's parser reads gitleaks'
RE2 patterns) and builds a string it matches: random characters from each
class, repeat counts inside the bounds, one branch of each alternation. It is
kept only when the rule really fires on it (entropy and allowlists included),
so it is a true positive by the rule's definition.

`negatives(rule, seed)` builds look-alikes the rule's definition excludes: the
secret part cut short, replaced by a placeholder, by a low-entropy run, by a
reference, or with its prefix changed. Each is kept only when the rule itself
does not match it, so whatever fires on it is a false positive of the detector
as a whole (another rule, the generic or entropy guesses, the key-aware rules).
"""

from __future__ import annotations

import random
import string
import warnings
from typing import Any

try:  # Python 3.11+
    import re._constants as sre_c  # type: ignore[import-not-found]
    import re._parser as sre_parse  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    import sre_constants as sre_c  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

from prcheck.checks.secrets.gitleaks import Rule, RuleSet
from prcheck.checks.secrets.matcher import Matcher

ALNUM = string.ascii_letters + string.digits
_CATEGORY = {
    sre_c.CATEGORY_DIGIT: string.digits,
    sre_c.CATEGORY_WORD: ALNUM + "_",
    sre_c.CATEGORY_SPACE: " ",
    sre_c.CATEGORY_NOT_DIGIT: string.ascii_letters,
    sre_c.CATEGORY_NOT_WORD: "-.:",
    sre_c.CATEGORY_NOT_SPACE: ALNUM,
}
PRINTABLE = [chr(c) for c in range(33, 127)]


class Unsupported(Exception):
    pass


def _go_to_python(pattern: str) -> str:
    """Go allows `(?i)` mid-pattern (Python does not); case does not matter for generating."""
    head = "(?i)" if pattern.startswith("(?i)") else ""
    return head + pattern[len(head):].replace("(?i)", "").replace(r"\z", r"\Z")


def _class_chars(items: list[tuple[Any, Any]]) -> list[str]:
    chars: list[str] = []
    negate = False
    for op, arg in items:
        if op is sre_c.NEGATE:
            negate = True
        elif op is sre_c.LITERAL:
            chars.append(chr(arg))
        elif op is sre_c.RANGE:
            lo, hi = arg
            chars.extend(chr(c) for c in range(lo, min(hi, lo + 400) + 1))
        elif op is sre_c.CATEGORY:
            chars.extend(_CATEGORY.get(arg, ALNUM))
    if negate:
        excluded = set(chars)
        chars = [c for c in PRINTABLE if c not in excluded and c not in "\"'`\\"]
    printable = [c for c in chars if c.isprintable() and c not in "\n\r\t"]
    return printable or [c for c in chars if c == " "] or ["a"]


def _gen(parsed: Any, rng: random.Random, out: list[str]) -> None:
    for op, arg in parsed:
        if op is sre_c.LITERAL:
            out.append(chr(arg))
        elif op is sre_c.NOT_LITERAL:
            out.append(rng.choice([c for c in ALNUM if ord(c) != arg]))
        elif op is sre_c.ANY:  # mostly a dot: unescaped dots in host names are common in the rules
            out.append("." if rng.random() < 0.7 else rng.choice(ALNUM))
        elif op is sre_c.IN:
            out.append(rng.choice(_class_chars(arg)))
        elif op is sre_c.BRANCH:
            _gen(rng.choice(arg[1]), rng, out)
        elif op is sre_c.SUBPATTERN:
            _gen(arg[-1], rng, out)
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)):
            low, high, sub = arg
            high = low + 24 if high is sre_c.MAXREPEAT else high
            count = low + rng.randint(0, max(0, min(high - low, 24)))
            for _ in range(count):
                _gen(sub, rng, out)
        elif op is sre_c.CATEGORY:
            out.append(rng.choice(_CATEGORY.get(arg, ALNUM)))
        elif op in (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT):
            continue
        else:
            raise Unsupported(str(op))


def from_regex(pattern: str, rng: random.Random) -> str:
    try:
        with warnings.catch_warnings():  # "possible nested set": RE2 syntax Python reads differently one day
            warnings.simplefilter("ignore", FutureWarning)
            parsed = sre_parse.parse(_go_to_python(pattern))
    except Exception as exc:  # noqa: BLE001 - a pattern Python cannot read: no sample
        raise Unsupported(str(exc)) from None
    out: list[str] = []
    _gen(parsed, rng, out)
    return "".join(out)


def _single(rule: Rule) -> Matcher:
    return Matcher(RuleSet(rules=(rule,)))


def positive(rule: Rule, seed: int = 0, tries: int = 60) -> str | None:
    """A string `rule` fires on, built from its regex; None when none was found in `tries`."""
    if rule.regex is None:
        return None
    matcher = _single(rule)
    rng = random.Random(f"{rule.id}:{seed}")
    for _ in range(tries):
        try:
            text = from_regex(rule.regex, rng)
        except Unsupported:
            return None
        if "\n" in text or not text.strip():
            continue
        if matcher.scan(text, "sample.yaml"):
            return text
    return None


def negatives(rule: Rule, sample: str) -> list[str]:
    """Look-alikes of `sample` that `rule` itself does not match."""
    matcher = _single(rule)
    found = matcher.scan(sample, "sample.yaml")
    if not found:
        return []
    hit = found[0]
    secret = sample[hit.start:hit.end]
    head, tail = sample[:hit.start], sample[hit.end:]
    cut = max(1, len(secret) // 3)
    candidates = [
        head + secret[:cut] + tail,  # too short for the format
        head + "x" * len(secret) + tail,  # documentation filler
        head + "EXAMPLE" + tail,
        head + "${{ secrets.API_TOKEN }}" + tail,  # a reference
        head + (secret[:2] * len(secret))[:len(secret)] + tail,  # low entropy
        head + "<" + "your-key-here" + ">" + tail,
    ]
    out: list[str] = []
    for text in candidates:
        if text != sample and text.strip() and not matcher.scan(text, "sample.yaml") and text not in out:
            out.append(text)
    return out
