"""From text units to secrets: the gitleaks rules, URL credentials and the key-aware rules.

Every rule gives `Hit`s with the secret's exact text; `settle` keeps one hit
per secret, under the most specific rule (a provider's own format beats a
password in a URL, which beats "a literal under a secret-like name", which
beats the entropy guess, which beats gitleaks' generic-api-key, a regex's
guess at what the key is), so a value that three rules see is reported once.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
from typing import Collection, Iterable, Sequence

import re2

from prcheck.checks.secrets.decode import Unit
from prcheck.checks.secrets.lazy_pattern import LazyPattern
from prcheck.checks.secrets.matcher import _OPTIONS, Matcher, shannon_entropy
from prcheck.checks.secrets.words import SecretWords
from prcheck.records import dataclass

ENV_LITERAL = "secrets/env-literal"
HIGH_ENTROPY = "secrets/high-entropy"
URL_CREDENTIALS = "secrets/url-credentials"
K8S_SECRET = "secrets/k8s-secret-in-git"
PREFIX = "secrets/"
GENERIC = frozenset({"generic-api-key"})
CONTEXT_PREFIXES = ("curl-", "generic-")

# Compiled when first used: they judge a URL's password, a generic match or a value under a
# secret-like key, and most runs' texts hold none.
# scheme://user:password@host (user may be empty: https://:token@host)
_URL_CREDENTIALS = LazyPattern(re2.compile, r"(?i)\b[a-z][a-z0-9+.-]{1,20}://([^\s/:@'\"`<>]*):([^\s/@'\"`]+)@"
                                            r"[^\s/@'\"`]", _OPTIONS)
_UUID = LazyPattern(re.compile, r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_DIGEST = LazyPattern(re.compile, r"^(?:sha1|sha224|sha256|sha384|sha512|md5)[:=-][0-9a-f]+$", re.IGNORECASE)
_HEX = LazyPattern(re.compile, r"^[0-9a-f]+$|^[0-9A-F]+$")
_HASH_LENGTHS = frozenset({32, 40, 56, 64, 96, 128})
_BASE64 = LazyPattern(re.compile, r"^[A-Za-z0-9+/]+={0,2}$|^[A-Za-z0-9_-]+={0,2}$")
_URL = LazyPattern(re.compile, r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_PATH = LazyPattern(re.compile, r"^/?[\w.${}-]+(?:/[\w.${}-]+)+/?$")


@dataclass(frozen=True)
class Hit:
    """One secret found in a unit of text, with the span masking hides."""

    rule: str  # full id: secrets/<gitleaks-id> or one of prcheck's own
    unit: Unit
    secret: str
    start: int  # span of the secret in unit.text
    end: int


def priority(rule: str) -> int:
    """Lower is more specific."""
    short = rule[len(PREFIX):] if rule.startswith(PREFIX) else rule
    if rule == K8S_SECRET:
        return 6
    if short in GENERIC:
        return 5  # a regex's guess at a key; the key-aware rules read the key itself
    if rule == HIGH_ENTROPY:
        return 4
    if rule == ENV_LITERAL:
        return 3
    if rule == URL_CREDENTIALS or short.startswith(CONTEXT_PREFIXES):
        return 2  # a credential told by where it sits (a URL, a curl header), not by its own format
    return 1


class Detector:
    """One rule set plus prcheck's own rules; immutable, shared by every document of a run."""

    def __init__(self, matcher: Matcher, words: SecretWords, min_length: int = 16,
                 disabled: frozenset[str] = frozenset()) -> None:
        self.matcher = matcher
        self.words = words
        self.min_length = min_length
        self.disabled = disabled

    # -- one unit ---------------------------------------------------------------------------------

    def document_hits(self, units: Sequence[Unit], path: str = "") -> list[Hit]:
        """Every hit in one document's units. The gitleaks rules run once over all units
        joined as `key: value` lines (one prefilter pass and one regex pass per document,
        as gitleaks reads a file), and each match is mapped back to its unit."""
        out = self._joined_rule_hits(units, path)
        for unit in units:
            if "://" in unit.text:
                out.extend(self._url_hits(unit))
            if unit.in_secret or unit.key is None:
                continue
            keyed = self._key_hit(unit)
            if keyed is not None:  # (a Secret's own values are secrets/k8s-secret-in-git)
                out.append(keyed)
        return [h for h in out if h.rule not in self.disabled] if self.disabled else out

    def may_hit(self, keys: Sequence[str | None], texts: Sequence[str], path: str = "") -> bool:
        """False only when `document_hits` of units with these keys and texts (in order) is
        sure to be empty; `may_hit_many` of one document."""
        return self.may_hit_many([(keys, texts, path)])[0]

    def may_hit_many(self, documents: Sequence[tuple[Sequence[str | None], Sequence[str], str]]) -> list[bool]:
        """Per document (its units' keys and texts in order, and its path): False only when its
        `document_hits` is sure to be empty. That is when no key is secret-like, no text holds
        both `://` and `@`, and no gitleaks rule reports anything in its joined text
        (allowlists, entropy and placeholders applied, as for units). The rules' regexes run
        once over the batch (`Matcher.suspects`) and again, one document at a time, only on
        the documents a match touched. Most documents stop here, before any unit is built."""
        out = [False] * len(documents)
        batch: list[int] = []
        joined: list[str] = []
        for index, (keys, texts, _) in enumerate(documents):
            if not texts:
                continue
            if self.words.any_secret_name(keys):
                out[index] = True
                continue
            text = _joined(keys, texts)
            if "://" in text and "@" in text:
                out[index] = True  # a URL's password is judged per unit
            else:
                batch.append(index)
                joined.append(text)
        for position, rules in self.matcher.suspect_rules(joined, [documents[i][2] for i in batch]).items():
            keys, texts, path = documents[batch[position]]
            out[batch[position]] = bool(self._joined_matches(keys, texts, path, rules))
        return out

    def _joined_rule_hits(self, units: Sequence[Unit], path: str) -> list[Hit]:
        found = self._joined_matches([u.key for u in units], [u.text for u in units], path)
        return [Hit(PREFIX + rule, units[i], secret, start, end) for i, rule, secret, start, end in found]

    def _joined_matches(self, keys: Sequence[str | None], texts: Sequence[str], path: str,
                        rules: "Collection[int] | None" = None) -> list[tuple[int, str, str, int, int]]:
        """(unit index, rule id, secret, start, end) of every gitleaks hit in the units joined as
        `key: value` lines (one prefilter pass and one regex pass per document, as gitleaks
        reads a file), each mapped back to its unit. `rules`: only these can match (the rules
        `Matcher.suspect_rules` found touching the text); None: any."""
        if not texts:
            return []
        matches = self.matcher.scan(_joined(keys, texts), path, rules)
        if not matches:
            return []
        starts: list[int] = []  # where each unit's value starts in the joined text
        position = 0
        for key, text in zip(keys, texts):
            if key:
                position += len(key) + 2
            starts.append(position)
            position += len(text) + 1
        out: list[tuple[int, str, str, int, int]] = []
        for match in matches:
            i = bisect.bisect_right(starts, match.start) - 1
            if i < 0:
                continue
            text = texts[i]
            start = match.start - starts[i]
            end = min(match.end - starts[i], len(text))
            if start < 0 or end <= start:
                continue  # the match is all key
            secret = text[start:end]
            if self.words.is_placeholder(secret) or self._trap(keys[i], text, secret, match.rule):
                continue
            out.append((i, match.rule, secret, start, end))
        return out

    def _trap(self, key: str | None, value: str, secret: str, rule: str) -> bool:
        """Values that only look random: hashes under checksum keys, digests, UUIDs. And a whole
        value under a key the key-aware rules judge: they read the key itself, the generic rule
        only guesses it from the text, so it speaks only for assignments inside a value."""
        if rule not in GENERIC:
            return False
        text = secret.strip("'\"")
        if key is not None and text == value.strip().strip("'\""):
            return True
        if _UUID.match(text) or _DIGEST.match(text):
            return True
        if _HEX.match(text) and len(text) in _HASH_LENGTHS:
            return True
        return key is not None and not self.words.secret_name(key) and _HEX.match(text) is not None

    def _url_hits(self, unit: Unit) -> list[Hit]:
        if "://" not in unit.text or "@" not in unit.text:
            return []
        out: list[Hit] = []
        for match in _URL_CREDENTIALS.finditer(unit.text):
            password = match.group(2)
            if self.words.is_placeholder(password) or password.startswith("$"):
                continue
            start, end = match.span(2)
            out.append(Hit(URL_CREDENTIALS, unit, password, start, end))
        return out

    def _key_hit(self, unit: Unit) -> Hit | None:
        if unit.key is None or not self.words.secret_name(unit.key):
            return None
        text = unit.text.strip()
        if not text or self.words.is_reference(text):
            return None
        start = unit.text.find(text)
        if unit.literal:
            if self.words.is_placeholder(text) or _URL.match(text):
                return None
            if _PATH.match(text) and not self.random_looking(text, decode=False):
                return None  # a resource path (projects/P/instances/I, a Secret Manager name), not a value
            return Hit(ENV_LITERAL, unit, text, start, start + len(text))
        if len(text) < self.min_length or _URL.match(text) or text.startswith(("/", "./", "~/")):
            return None
        if self.words.is_placeholder(text) or not self.random_looking(text, decode=True):
            return None
        return Hit(HIGH_ENTROPY, unit, text, start, start + len(text))

    def random_looking(self, text: str, decode: bool) -> bool:
        """Thresholds tuned on hashes, digests, UUIDs and base64 of readable text (all not secrets)."""
        if len(text) < self.min_length or any(ch.isspace() for ch in text):
            return False
        if _UUID.match(text) or _DIGEST.match(text):
            return False
        if decode:
            decoded = _decoded_text(text)
            if decoded is not None:  # base64 of readable text: judge the text itself
                return self.random_looking(decoded.strip(), decode=False)
        entropy = shannon_entropy(text)
        if _HEX.match(text):
            return len(text) >= 20 and entropy >= 3.0
        if not (any(c.isdigit() for c in text) and any(c.isalpha() for c in text)):
            return False
        if len(text) < 20:
            classes = sum((any(c.islower() for c in text), any(c.isupper() for c in text), any(c.isdigit() for c in text)))
            return classes == 3 and entropy >= 3.5
        return entropy >= (3.75 if len(text) < 24 else 3.95 if len(text) < 32 else 4.2)

    # -- free text (the masker) ---------------------------------------------------------------------

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Spans of every secret in arbitrary text, merged and sorted."""
        return self.spans_many([text])[0]

    def spans_many(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        """`spans` of each text. The gitleaks rules read the texts in batches (`Matcher.suspects`)
        and one text alone only where a match touched it; `key = value` lines are read only in
        a text holding a word a secret-like name is made of (`SecretWords.may_name`)."""
        from prcheck.checks.secrets.decode import _assignments

        ruled: dict[int, list[tuple[int, int]]] = {}
        for i, rules in self.matcher.suspect_rules(texts, [""] * len(texts)).items():
            ruled[i] = [(start, end) for _, _, _, start, end in self._joined_matches([None], [texts[i]], "", rules)]
        out: list[list[tuple[int, int]]] = []
        for i, text in enumerate(texts):
            found = ruled.get(i, [])
            if "://" in text:
                found += [(h.start, h.end) for h in self._url_hits(Unit((), None, text))]
            if ("=" in text or ":" in text) and self.words.may_name(text):
                offset = 0
                for line in text.splitlines(keepends=True):
                    for name, value in _assignments(line):
                        if value and self.words.secret_name(name) and not self.words.is_placeholder(value):
                            at = line.rfind(value)
                            if at >= 0:
                                found.append((offset + at, offset + at + len(value)))
                    offset += len(line)
            out.append(merge(found) if found else found)
        return out


def _joined(keys: Sequence[str | None], texts: Sequence[str]) -> str:
    """The units as the gitleaks rules read them: one `key: value` line each (the lines built in C
    when every unit has a name, as in any Kubernetes object)."""
    if None in keys or "" in keys:
        return "\n".join([f"{key}: {text}" if key else text for key, text in zip(keys, texts)])
    return "\n".join(map(": ".join, zip(keys, texts)))  # type: ignore[arg-type]


def merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def settle(hits: Sequence[Hit]) -> list[Hit]:
    """One hit per secret: the most specific rule; a secret inside another one at the same
    place (a URL's password inside a generic match) counts as the same secret."""
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (priority(h.rule), -len(h.secret))):
        secret = hit.secret.strip()
        if any(secret == k.secret.strip() or (k.unit.keypath == hit.unit.keypath and
                                              (secret in k.secret or k.secret.strip() in secret)) for k in kept):
            continue
        kept.append(hit)
    return kept


def _decoded_text(text: str) -> str | None:
    if len(text) % 4 or not _BASE64.match(text):
        return None
    try:
        raw = base64.b64decode(text, altchars=b"-_" if ("-" in text or "_" in text) else None, validate=True)
        decoded = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return decoded if decoded and all(ch.isprintable() or ch in "\n\r\t" for ch in decoded) else None
