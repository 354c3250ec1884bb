"""Which key names hold secrets, and which values are placeholders or references.

The lists are data (policies/data/secrets.yaml) so they can be tuned without
code. Every pattern runs on RE2: values come from the pull request and may
be megabytes long, and `\\{\\{.*\\}\\}` in a backtracking engine is quadratic.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Collection, Mapping
from dataclasses import field
from typing import Any

import re2

from prcheck import shipped_yaml
from prcheck.checks.secrets.lazy_pattern import LazyPattern
from prcheck.checks.secrets.matcher import _OPTIONS
from prcheck.pyyaml_import import safe_load
from prcheck.records import dataclass

_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
HASH_WORDS = frozenset({"CHECKSUM", "HASH", "DIGEST", "SHA", "SHA1", "SHA256", "SHA512", "MD5", "FINGERPRINT",
                        "INTEGRITY", "CHECKSUMS"})
# Compiled when first used, as the reference and placeholder patterns are: only a value a
# rule reports, or one under a secret-like key, is judged a placeholder.
_PLAIN_WORDS = LazyPattern(re.compile, r"^[A-Za-z][A-Za-z'’,.:;!?()-]*(?:\s+[A-Za-z][A-Za-z'’,.:;!?()-]*)+$")
# A PEM block: BEGIN line, optional headers, body, END line.
_PEM = LazyPattern(re.compile, r"-----BEGIN ([A-Z0-9 ]*)-----(.*?)-----END [A-Z0-9 ]*-----", re.DOTALL)
_PEM_HEADER = LazyPattern(re.compile, r"^[A-Za-z-]+:.*$", re.MULTILINE)
_BASE64_BODY = LazyPattern(re.compile, r"^[A-Za-z0-9+/=\s]+$")


def _alternation(patterns: list[str]) -> Any:
    if not patterns:
        return None
    return LazyPattern(re2.compile, "(?i)" + "|".join(f"(?:{p})" for p in patterns), _OPTIONS)


@dataclass(frozen=True)
class SecretWords:
    """The key words that say a value is (or is not) a secret, from the shipped word lists."""

    secret_words: frozenset[str]
    secret_pairs: frozenset[tuple[str, str]]
    secret_suffixes: tuple[str, ...]
    not_secret_last_words: frozenset[str]
    not_secret_first_words: frozenset[str]
    reference: Any  # one RE2 alternation (a `LazyPattern`: most runs never ask)
    placeholder: Any
    _names: dict[str, bool] = field(default_factory=dict, compare=False, hash=False, repr=False)
    _plain: set[str | None] = field(default_factory=lambda: {None}, compare=False, hash=False, repr=False)
    _parts: Any = field(default=None, compare=False, hash=False, repr=False)  # `may_name`'s pattern, built once

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> SecretWords:
        references = list(data.get("reference_patterns", []))
        return cls(
            secret_words=frozenset(data.get("secret_words", [])),
            secret_pairs=frozenset(tuple(p) for p in data.get("secret_pairs", [])),
            secret_suffixes=tuple(data.get("secret_suffixes", [])),
            not_secret_last_words=frozenset(data.get("not_secret_last_words", [])),
            not_secret_first_words=frozenset(data.get("not_secret_first_words", [])),
            reference=_alternation(references),
            placeholder=_alternation(references + list(data.get("placeholder_patterns", []))),
        )

    @staticmethod
    def words(name: str) -> list[str]:
        return [w.upper() for w in _WORD_SPLIT.split(_CAMEL.sub(r"\1_\2", name)) if w]

    def secret_name(self, name: str) -> bool:
        """DB_PASSWORD, dbPassword, db-password, apiKey... but not PASSWORD_FILE, existingSecret,
        checksum/secret or GH_TOKEN_USAGE_TITLE: those name, describe or hash a secret.
        Memoised: key names repeat across documents."""
        known = self._names.get(name)
        if known is None:
            known = self._names[name] = self._secret_name(name)
        return known

    def any_secret_name(self, names: Collection[str | None]) -> bool:
        """Whether any of `names` (None: a text stored under no name) is secret-like. A document's
        names are mostly names seen before and found plain: one set comparison (in C) clears them
        all, and only the others are looked at one by one."""
        plain = self._plain
        if plain.issuperset(names):
            return False
        for name in names:
            if name not in plain:
                if self.secret_name(name):  # type: ignore[arg-type]  # (None is in `plain`)
                    return True
                plain.add(name)
        return False

    def forget_names(self, limit: int) -> None:
        """Drop the memo of names once it holds more than `limit` (a hostile run's random keys)."""
        if len(self._names) > limit or len(self._plain) > limit:
            self._names.clear()
            self._plain.clear()
            self._plain.add(None)

    def _secret_name(self, name: str) -> bool:
        words = self.words(name)
        if not words or words[0] in self.not_secret_first_words or HASH_WORDS & set(words):
            return False
        if len(words) > 1 and (words[-2], words[-1]) in self.secret_pairs:
            return True
        if words[-1] in self.not_secret_last_words:
            return False
        return (any(w in self.secret_words or w.endswith(self.secret_suffixes) for w in words)
                or any(pair in self.secret_pairs for pair in itertools.pairwise(words)))

    def may_name(self, text: str) -> bool:
        """False only when no name in `text` can be secret-like: every such name holds, as ASCII
        letters in any case, one of `secret_words`, a suffix, or the last word of a pair."""
        if self._parts is None:
            parts = sorted(self.secret_words | set(self.secret_suffixes) | {pair[-1] for pair in self.secret_pairs})
            object.__setattr__(self, "_parts", re2.compile("(?i)" + "|".join(re2.escape(p) for p in parts), _OPTIONS)
                               if parts else False)
        return bool(self._parts) and self._parts.search(text) is not None

    def is_reference(self, value: str) -> bool:
        """Points at a secret kept elsewhere (`${{ secrets.X }}`, `$(VAR)`, `ENC[...]`, ...)."""
        return self.reference is not None and self.reference.search(value.strip()) is not None

    def is_placeholder(self, value: str) -> bool:
        """A reference, or filler: empty, EXAMPLE, INSERT_..., *_VAL, REDACTED, <...>, xxxx,
        plain words with spaces, a PEM block whose body is not key material."""
        text = value.strip()
        if not text or len(set(text)) <= 2 or _PLAIN_WORDS.match(text):
            return True  # empty, `aaaaaaaa`, `-----`, plain words
        if "-----BEGIN" in text:
            return placeholder_pem(text)
        return self.placeholder is not None and self.placeholder.search(text) is not None


def placeholder_pem(text: str) -> bool:
    """Every PEM block in `text` has an empty, elided or non-base64 body (`REDACTED`, `...`)."""
    blocks = list(_PEM.finditer(text))
    if not blocks:
        return len(text) < 80  # a lone BEGIN line without a body
    for block in blocks:
        body = _PEM_HEADER.sub("", block.group(2)).strip()
        if len(body) >= 40 and _BASE64_BODY.match(body) and len(set(body) - set("\n\r\t ")) > 16:
            return False
    return True


@functools.cache
def default_words() -> SecretWords:
    from prcheck.checks.policy.builtin_catalog import pack_dir

    data = shipped_yaml.parsed((pack_dir() / "data" / "secrets.yaml").read_text(encoding="utf-8"), safe_load) or {}
    return SecretWords.from_data(data.get("secrets") or {})
