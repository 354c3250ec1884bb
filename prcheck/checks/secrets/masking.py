"""Find and hide secrets in text and objects that leave prcheck (messages, diffs).

`find_secret_spans(text)` is the entry point for the one masking function of
every outgoing message (report/masking): it returns the spans of everything
the detector recognises in free text (provider tokens by the gitleaks rules,
URL passwords, `password=value` assignments), merged and sorted. It uses the
shipped rule set, compiled once per process, and costs one RE2 keyword pass
for text without secrets.

`mask_values(obj, hide)` copies an object (a rendered resource for the diff)
with every secret replaced by `hide(secret)`: what `find_secret_spans` finds
in each value, plus any literal under a secret-like key, with no entropy test
(a readable password is still a password, and over-masking a diff costs nothing).
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

from prcheck.checks.secrets.detector import Detector


@functools.cache
def _detector() -> Detector:
    from prcheck.checks.secrets.engine import build_detector

    return build_detector()


def find_secret_spans(text: str) -> list[tuple[int, int]]:
    """`[(start, end), ...]` of the secrets in `text` (str offsets, merged, sorted)."""
    if not text:
        return []
    return _detector().spans(text)


def find_secret_spans_many(texts: Sequence[str]) -> list[list[tuple[int, int]]]:
    """`find_secret_spans` of each text, the rules reading the texts in batches: for a report's
    thousands of messages, far cheaper than one call each."""
    return _detector().spans_many(texts)


def mask_text(text: str, hide: Callable[[str], str]) -> str:
    """`text` with each secret span replaced by `hide(secret)`."""
    return mask_text_spans(text, find_secret_spans(text), hide)


def mask_values(node: Any, hide: Callable[[str], str], name: str | None = None) -> Any:
    detector = _detector()
    if isinstance(node, dict):
        pair = node.get("name") if isinstance(node.get("value"), (str, int, float)) else None
        return {key: mask_values(value, hide, pair if key == "value" and isinstance(pair, str) else str(key))
                for key, value in node.items()}
    if isinstance(node, list):
        return [mask_values(value, hide, name) for value in node]
    if isinstance(node, bool) or not isinstance(node, (str, int, float)):
        return node
    text = str(node)
    if name is not None and detector.words.secret_name(name) and not detector.words.is_placeholder(text) \
            and not detector.words.is_reference(text):
        return hide(text)
    if not isinstance(node, str):
        return node
    spans = detector.spans(node)
    if not spans:
        return node
    if any("-----BEGIN" in node[s:e] for s, e in spans):
        return hide(node)
    return mask_text_spans(node, spans, hide)


def mask_text_spans(text: str, spans: list[tuple[int, int]], hide: Callable[[str], str]) -> str:
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start])
        out.append(hide(text[start:end]))
        last = end
    out.append(text[last:])
    return "".join(out)
