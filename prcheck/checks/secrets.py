"""Secrets that only pattern matching and scoring find: provider tokens and high-entropy values.

These two rules are Python, not Rego, because they look at every string of
every document: one compiled alternation and a character count per string
cost little here, while a Rego `walk` over each document would dominate a run.
The rest of the secret rules (Kubernetes Secrets, env literals) are Rego.

Nothing here ever puts a secret into a message: values are shown through
`mask`, which keeps at most eight characters of a long value and none of a
short one.
"""

from __future__ import annotations

import base64
import binascii
import functools
import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from prcheck.checks.policy.builtin_catalog import RuleInfo
from prcheck.model import Document, Finding

PROVIDER_TOKEN = "secrets/provider-token"
HIGH_ENTROPY = "secrets/high-entropy"

RULES: Sequence[RuleInfo] = (
    RuleInfo(
        PROVIDER_TOKEN, "Provider token in a YAML value", "error", "python",
        "A value anywhere in any YAML file matches the format of a well-known credential: AWS access key ids, "
        "GitHub (ghp_, gho_, ghs_, ghu_, ghr_, github_pat_), GitLab (glpat- and friends), Slack tokens and webhooks, "
        "Stripe live keys, Google API keys, private key PEM blocks, JSON Web Tokens, npm and PyPI tokens, Azure "
        "storage keys, SendGrid, OpenAI, Vault and Docker Hub tokens. Placeholders (EXAMPLE, xxxx, changeme, "
        "${{ secrets.X }}, $(VAR)) are ignored. Kubernetes Secrets and SealedSecrets are left to "
        "secrets/k8s-secret-in-git, SOPS-encrypted files are skipped.",
        "Revoke the token now (it is in the repository history), issue a new one and load it from a secret "
        "store: a CI secret, a SealedSecret or ExternalSecret, or a SOPS-encrypted file.",
        "prcheck/checks/secrets.py",
    ),
    RuleInfo(
        HIGH_ENTROPY, "High-entropy value for a secret-like key", "warning", "python",
        "A key named like a secret (password, token, apiKey, client_secret, ...; not *_FILE, *_URL, *_NAME, ...) "
        "holds a random-looking string: Shannon entropy above a length-dependent threshold (about 3.75-4.2 "
        "bits per character for mixed strings of 20+ characters, 3.0 for hex). UUIDs, digests, hashes under "
        "checksum/hash keys, URLs without credentials, paths, templates and base64 of readable text are not "
        "reported. Covers Helm values, ConfigMaps, CI variables and any other YAML.",
        "Move the value to a secret store (Kubernetes Secret via SealedSecret/ExternalSecret/SOPS, or a CI "
        "secret) and rotate it.",
        "prcheck/checks/secrets.py",
    ),
)

# Kinds whose values are already encrypted (or reported by secrets/k8s-secret-in-git).
SKIPPED_KINDS = frozenset({"Secret", "SealedSecret"})

# (label, pattern): group 1, when present, is the secret part of the match.
TOKEN_PATTERNS: Sequence[tuple[str, str]] = (
    ("AWS access key id", r"\b((?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16})\b"),
    ("GitHub token", r"\b(gh[pousr]_[A-Za-z0-9]{36,255})\b"),
    ("GitHub fine-grained token", r"\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b"),
    ("GitLab token", r"\b((?:glpat|glptt|gldt|glrt|glcbt)-[A-Za-z0-9_-]{20,})"),
    ("Slack token", r"\b(xox[abpr]-[0-9A-Za-z-]{10,})"),
    ("Slack webhook URL", r"(https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{20,})"),
    ("Stripe live key", r"\b((?:sk|rk)_live_[0-9a-zA-Z]{20,})\b"),
    ("Google API key", r"\b(AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])"),
    ("private key", r"(-----BEGIN (?:(?:RSA|DSA|EC|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?-----)"),
    ("JSON Web Token", r"\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})"),
    ("npm token", r"\b(npm_[A-Za-z0-9]{36})\b"),
    ("PyPI token", r"\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})"),
    ("Azure storage account key", r"AccountKey=([A-Za-z0-9+/]{86}==)"),
    ("SendGrid API key", r"\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])"),
    ("OpenAI API key", r"\b(sk-(?:proj-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,})"),
    ("HashiCorp Vault token", r"\b(hvs\.[A-Za-z0-9_-]{24,})"),
    ("Docker Hub access token", r"\b(dckr_pat_[A-Za-z0-9_-]{27,})"),
)

# Matched tokens that are documentation examples or filler, not credentials.
_TOKEN_PLACEHOLDER = re.compile(r"EXAMPLE|XXXX|(.)\1{7,}|CHANGE_?ME|DUMMY|FAKE|SAMPLE|PLACEHOLDER|REDACTED|YOUR_", re.IGNORECASE)
_HASH_WORDS = frozenset({"CHECKSUM", "HASH", "DIGEST", "SHA", "SHA1", "SHA256", "SHA512", "MD5", "FINGERPRINT", "INTEGRITY"})
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_DIGEST = re.compile(r"^(sha1|sha256|sha384|sha512|md5):[0-9a-f]+$", re.IGNORECASE)
_HEX = re.compile(r"^[0-9a-f]+$|^[0-9A-F]+$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$|^[A-Za-z0-9_-]+={0,2}$")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/:@\s]+:([^/@\s]+)@", re.IGNORECASE)
_ANY_URL_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^/:@\s]*:([^/@\s]+)@", re.IGNORECASE)
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")


def mask(value: str) -> str:
    """`AKIA…XYZ1 (20 chars)`: enough to find the value, never enough to use it.

    Mirrors `mask` in policies/lib/secrets.rego so every rule shows values alike.
    """
    text = value.strip()
    shown = 4 if len(text) >= 20 else 2 if len(text) >= 12 else 0
    head = text[:shown]
    tail = text[len(text) - shown:] if shown else ""
    return f"{_printable(head)}…{_printable(tail)} ({len(text)} chars)"


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in text)


def shannon_entropy(text: str) -> float:
    """Bits per character of `text`'s own character distribution."""
    if not text:
        return 0.0
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in Counter(text).values())


@dataclass(frozen=True)
class SecretWords:
    """The shared word lists (policies/data/secrets.yaml), also read by the Rego rules."""

    secret_words: frozenset[str]
    secret_pairs: frozenset[tuple[str, str]]
    secret_suffixes: tuple[str, ...]
    not_secret_last_words: frozenset[str]
    placeholders: tuple[re.Pattern[str], ...]

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> SecretWords:
        return cls(
            secret_words=frozenset(data.get("secret_words", [])),
            secret_pairs=frozenset(tuple(p) for p in data.get("secret_pairs", [])),
            secret_suffixes=tuple(data.get("secret_suffixes", [])),
            not_secret_last_words=frozenset(data.get("not_secret_last_words", [])),
            placeholders=tuple(re.compile(p, re.IGNORECASE) for p in
                               [*data.get("reference_patterns", []), *data.get("placeholder_patterns", [])]),
        )

    def words(self, name: str) -> list[str]:
        return [w.upper() for w in _WORD_SPLIT.split(_CAMEL.sub(r"\1_\2", name)) if w]

    def secret_name(self, name: Any) -> bool:
        """Same answer as `secret_name` in policies/lib/secrets.rego."""
        if not isinstance(name, str):
            return False
        words = self.words(name)
        if not words:
            return False
        if len(words) > 1 and (words[-2], words[-1]) in self.secret_pairs:
            return True
        if words[-1] in self.not_secret_last_words:
            return False
        return (any(w in self.secret_words or w.endswith(self.secret_suffixes) for w in words)
                or any(pair in self.secret_pairs for pair in itertools.pairwise(words)))

    def placeholder(self, value: str) -> bool:
        text = value.strip()
        return not text or any(p.search(text) for p in self.placeholders)


@dataclass(frozen=True)
class Hit:
    rule: str
    keypath: tuple[str | int, ...]
    message: str


class SecretScanner:
    """Scan every string of a document for provider tokens, and values of
    secret-like keys for high entropy. One instance per run; no state between documents."""

    def __init__(self, words: SecretWords, min_length: int = 16) -> None:
        self.words = words
        self.min_length = min_length
        self._names: dict[str, bool] = {}
        self._tokens = [(label, re.compile(pattern)) for label, pattern in TOKEN_PATTERNS]
        # A cheap pre-filter: every token pattern contains one of these.
        self._hint = re.compile(r"AKIA|ASIA|ABIA|ACCA|gh[pousr]_|github_pat_|gl(?:pat|ptt|dt|rt|cbt)-|xox[abpr]-|hooks\.slack"
                                r"|_live_|AIza|PRIVATE KEY|eyJ|npm_|pypi-|AccountKey=|SG\.|T3BlbkFJ|hvs\.|dckr_pat_")

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every provider token in free text: a private key block
        runs to its END line (or the end of the text). Placeholders count too:
        hiding one in a message costs nothing."""
        if not self._hint.search(text):
            return []
        spans: list[tuple[int, int]] = []
        for label, pattern in self._tokens:
            for match in pattern.finditer(text):
                group = 1 if pattern.groups else 0
                start, end = match.span(group)
                if label == "private key":
                    close = text.find("-----END", end)
                    tail = text.find("-----", close + 8) if close >= 0 else -1
                    end = tail + 5 if tail >= 0 else len(text)
                spans.append((start, end))
        return spans

    def scan(self, doc: Document) -> list[Hit]:
        obj = doc.obj
        if isinstance(obj, dict):
            kind = obj.get("kind")
            if (isinstance(kind, str) and kind in SKIPPED_KINDS) or isinstance(obj.get("sops"), dict):
                return []
        hits: list[Hit] = []
        try:
            self._walk(obj, [], None, hits)
        except RecursionError:
            pass  # a nesting limit raised far past the default: keep what was found
        return hits

    def mask_values(self, node: Any, hide: Callable[[str], str], name: str | None = None) -> Any:
        """A copy of `node` with every secret replaced by `hide(secret)`, for output that
        shows whole objects (the diff): provider tokens and URL passwords anywhere, and
        any literal under a secret-like key or `name`/`value` pair. No entropy test here:
        a readable password is still a password, and over-masking a diff costs nothing."""
        if isinstance(node, dict):
            pair_name = node.get("name") if isinstance(node.get("value"), str) else None
            return {key: self.mask_values(value, hide, pair_name if key == "value" and isinstance(pair_name, str)
                                          else str(key)) for key, value in node.items()}
        if isinstance(node, list):
            return [self.mask_values(value, hide, name) for value in node]
        if isinstance(node, (int, float)) and not isinstance(node, bool):
            text = str(node)
            return hide(text) if name is not None and self._secret_key(name) and not self.words.placeholder(text) else node
        if not isinstance(node, str):
            return node
        if name is not None and self._secret_key(name) and not self.words.placeholder(node):
            return hide(node)
        for _ in range(100):  # each round hides one token; a value holds a few at most
            token = self._token(node)
            if token is None:
                break
            label, secret = token
            node = hide(node) if label == "private key" else node.replace(secret, hide(secret))
        return _ANY_URL_PASSWORD.sub(
            lambda m: m.group(0) if self.words.placeholder(m.group(1))
            else m.group(0).replace(f":{m.group(1)}@", f":{hide(m.group(1))}@"), node)

    def _walk(self, node: Any, path: list[str | int], name: str | None, hits: list[Hit]) -> None:
        """Depth-first over the document; `path` is one shared list (the key path
        is only copied for a hit: most documents have none). Depth is bounded by
        the loader's nesting limit."""
        if isinstance(node, str):
            self._string(node, path, name, hits)
        elif isinstance(node, dict):
            pair_name = node.get("name") if isinstance(node.get("value"), str) else None
            for key, value in node.items():
                if isinstance(value, (str, dict, list)):
                    label = str(key)
                    if key == "value" and isinstance(pair_name, str):
                        label = pair_name  # `- name: API_KEY` / `value: ...` pairs (env lists in values files)
                    path.append(str(key))
                    self._walk(value, path, label, hits)
                    path.pop()
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, (str, dict, list)):
                    path.append(index)
                    self._walk(value, path, name, hits)
                    path.pop()

    def _string(self, value: str, path: list[str | int], name: str | None, hits: list[Hit]) -> None:
        token = self._token(value)
        if token is not None:
            label, secret = token
            hits.append(Hit(PROVIDER_TOKEN, tuple(path),
                            f"{label} in {_dotted(path)} ({mask(secret)}): revoke it and load it from a secret store"))
            return
        if self._high_entropy(value, name):
            what = "password in a URL" if _URL_PASSWORD.match(value.strip()) else f"high-entropy value for secret-like key {name}"
            hits.append(Hit(HIGH_ENTROPY, tuple(path),
                            f"{what} at {_dotted(path)} ({mask(value)}): move it to a secret store and rotate it"))

    def _token(self, value: str) -> tuple[str, str] | None:
        """(label, matched secret) of the first real token in `value`; a private
        key block counts as the whole value."""
        if not self._hint.search(value):
            return None
        for label, pattern in self._tokens:
            for match in pattern.finditer(value):
                secret = match.group(1) if pattern.groups else match.group(0)
                if label == "private key":
                    return label, value
                if not _TOKEN_PLACEHOLDER.search(secret):
                    return label, secret
        return None

    def _high_entropy(self, value: str, name: str | None) -> bool:
        """A random-looking value under a secret-like key, or a random-looking
        password inside a URL (`scheme://user:password@host`) under any key."""
        text = value.strip()
        password = _URL_PASSWORD.match(text) if "://" in text and "@" in text else None
        if password:
            text = password.group(1)
        elif name is None or len(text) < self.min_length or not self._secret_key(name) or _URL.match(text):
            return False
        if self.words.placeholder(text) or text.startswith(("/", "./", "~/")):
            return False
        return self._random_looking(text, decode=True)

    def _secret_key(self, name: str) -> bool:
        """Secret-like and not about a hash; memoised per scanner, as key names repeat across documents."""
        known = self._names.get(name)
        if known is None:
            known = self.words.secret_name(name) and not _HASH_WORDS & set(self.words.words(name))
            self._names[name] = known
        return known

    def _random_looking(self, text: str, decode: bool) -> bool:
        if len(text) < self.min_length or any(ch.isspace() for ch in text):
            return False
        if _UUID.match(text) or _DIGEST.match(text):
            return False
        if decode:
            decoded = _decoded_text(text)
            if decoded is not None:  # base64 of readable text: judge the text itself
                return self._random_looking(decoded.strip(), decode=False)
        entropy = shannon_entropy(text)
        if _HEX.match(text):
            return len(text) >= 20 and entropy >= 3.0
        if not (any(c.isdigit() for c in text) and any(c.isalpha() for c in text)):
            return False
        if len(text) < 20:
            classes = sum((any(c.islower() for c in text), any(c.isupper() for c in text), any(c.isdigit() for c in text)))
            return classes == 3 and entropy >= 3.5
        return entropy >= (3.75 if len(text) < 24 else 3.95 if len(text) < 32 else 4.2)


def _decoded_text(text: str) -> str | None:
    """The text behind a base64 value when it decodes to printable UTF-8, else None."""
    if len(text) % 4 or not _BASE64.match(text):
        return None
    try:
        raw = base64.b64decode(text, altchars=b"-_" if ("-" in text or "_" in text) else None, validate=True)
        decoded = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return decoded if decoded and all(ch.isprintable() or ch in "\n\r\t" for ch in decoded) else None


def _dotted(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


@functools.cache
def default_scanner() -> SecretScanner:
    """A scanner with the built-in pack's word lists (policies/data/secrets.yaml)."""
    from prcheck.checks.policy.builtin_catalog import pack_dir

    data = yaml.safe_load((pack_dir() / "data" / "secrets.yaml").read_text(encoding="utf-8")) or {}
    return SecretScanner(SecretWords.from_data(data.get("secrets") or {}))


def find_secret_spans(text: str) -> list[tuple[int, int]]:
    """Where provider tokens sit in free text (messages, errors, diffs): the one
    token detector, which the report's masking function calls."""
    return default_scanner().token_spans(text)


def findings(doc: Document, scanner: SecretScanner, engine: str = "builtin") -> Iterator[Finding]:
    """The scanner's hits as findings on the exact line of each value."""
    for hit in scanner.scan(doc):
        yield Finding(rule=hit.rule, severity="error", message=hit.message, path=doc.path,
                      line=doc.line_of(list(hit.keypath)), resource=doc.resource, engine=engine)
