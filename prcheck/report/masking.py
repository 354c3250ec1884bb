"""The one masking function every outgoing message passes through.

Findings, render and tool errors, config errors, diff text, dry-run request
URLs and error lines on stderr all quote text that came from the checked
tree or from a tool reading it, and any of it can hold a credential: a
password in a Helm `fail` message, a token as a mapping key, a URL with
credentials in a query string, `password=…` inside a config file value.
`mask_text` hides, in this order:

- provider tokens, found by the secrets check's own detector
  (`find_secret_spans`), so there is one token detector in the project;
- URL credentials: the userinfo of `scheme://user:pass@host` and the values
  of credential-like query parameters (`?token=`, `&X-Amz-Signature=`);
- values written after a secret-like key (`password=…`, `"apiKey": "…"`,
  `DB_PASSWORD: …`);
- random-looking words: long mixed strings with high entropy, and long hex
  strings that are not digests (`sha256:…`).

`mask_report` applies it to every text field of a report, once, before any
format or publisher sees it; it is idempotent, so masking twice is harmless.
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace
from operator import attrgetter
from typing import Any, Callable, Collection, Iterable

from prcheck.checks.secrets import find_secret_spans, find_secret_spans_many
from prcheck.checks.secrets.lazy_pattern import LazyPattern
from prcheck.checks.secrets.matcher import shannon_entropy
from prcheck.model import EnvDiff, Finding, Report, ResourceChange

Hide = Callable[[str], str]

_SECRET_WORD = r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|" \
               r"client[_-]?secret|credentials?|auth(?:orization)?|session[_-]?key|signature|sig)"
# Compiled when first used (all but the random-word test's): a URL, a secret-like word, tool
# prose or a random-looking word in a report's texts is what they wait for.
_URL_USERINFO = LazyPattern(re.compile, r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<userinfo>[^/\s@?#]+)@", re.IGNORECASE)
_HINT_WORDS = ("pass", "pwd", "secret", "token", "key", "credential", "auth", "session", "sig")
_QUERY_VALUE = LazyPattern(re.compile, rf"(?P<key>[?&;][\w.-]*{_SECRET_WORD}[\w.-]*=)(?P<value>[^&\s#'\"<>]+)",
                           re.IGNORECASE)
# `password=x`, `db_password: x`, `"apiKey": "x"`; not `${{ secrets.X }}`, `<masked…>` or `(…)`
_VALUE = r"(?P<value>(?![$<{(…*])[^\s\"',;}{\][)(…]{3,})"
_KEY_VALUE = LazyPattern(re.compile, rf"(?P<key>{_SECRET_WORD}[\w.-]*[\"']?\s*(?:=|:(?!//))\s*)"
                                     rf"(?P<quote>[\"']?){_VALUE}", re.IGNORECASE)
# after a secret-like word with no separator (tool prose such as Helm `fail` text): only in loose mode. In
# prose the bare verb `pass` ("pass --base") is not a password, and a command-line flag is a name, not a value.
_PROSE_SECRET_WORD = _SECRET_WORD.replace("pass(?:word|wd|phrase)?", "pass(?:word|wd|phrase)")
_KEY_SPACE_VALUE = LazyPattern(re.compile, rf"(?P<key>\b{_PROSE_SECRET_WORD}[\w.-]*\s+(?:is\s+|was\s+)?)"
                                           rf"(?P<quote>[\"']?)(?!--?[a-z]+(?:-[a-z]+)*(?![^\s\"',;]))" + _VALUE,
                               re.IGNORECASE)
# `data.DB_PASSWORD: expected ...`: prcheck's own wording, not a value
_PROSE_WORD = LazyPattern(re.compile, r"^[a-z]{1,12}$")
_WORD = re.compile(r"[A-Za-z0-9+/_=.-]{20,}")
_DIGEST_PREFIX = LazyPattern(re.compile, r"(?:sha1|sha256|sha384|sha512|md5)[:=]$|@$", re.IGNORECASE)
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_IDENTIFIER = re.compile(r"(?:^|[-_.])[A-Za-z][a-z]{3,}(?=$|[-_.])")
# `Deployment/staging/v2-web`: a kind and DNS names, prcheck's way of naming a resource
_RESOURCE_REF = re.compile(r"^(?:[A-Z][a-z0-9]*)+(?:/[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?){1,2}$")
_NOT_A_VALUE = LazyPattern(re.compile, r"^(?:true|false|null|none|yes|no|\*+)$", re.IGNORECASE)
MASK = "<masked>"


def default_hide(value: str) -> str:
    return f"<masked, {len(value)} chars>"


def _random_word(word: str) -> bool:
    core = word.strip("=-_+/")
    if len(core) < 20:
        return False
    if _HEX.match(core):
        return len(core) >= 32 and shannon_entropy(core) >= 3.0
    if _IDENTIFIER.search(core) or _RESOURCE_REF.match(core):
        return False  # `web-frontend-7f9c8d6b5`, `spec.template`: a name made of words, not a key
    if core.isalpha() or not any(c.isdigit() for c in core):
        return False
    cases = any(c.islower() for c in core) and any(c.isupper() for c in core)
    return shannon_entropy(core) >= (4.0 if cases else 4.3)


def _replace_spans(text: str, spans: list[tuple[int, int]], hide: Hide) -> str:
    out: list[str] = []
    last = 0
    for start, end in sorted(spans):
        if start < last:
            start = last
        if start >= end:
            continue
        out.append(text[last:start])
        out.append(hide(text[start:end]))
        last = end
    out.append(text[last:])
    return "".join(out)


def _sub_value(pattern: LazyPattern, text: str, hide: Hide, data: bool) -> str:
    def one(match: re.Match[str]) -> str:
        value = match.group("value")
        if _NOT_A_VALUE.match(value) or (not data and _PROSE_WORD.match(value)):
            return match.group(0)
        return match.group(0)[: match.start("value") - match.start(0)] + hide(value)
    return pattern.sub(one, text)


def mask_text(text: str, hide: Hide = default_hide, *, loose: bool = False, data: bool = False) -> str:
    """`text` with every credential-looking part replaced by `hide(part)`.

    `loose` also hides the word after a secret-like word without `=`/`:`
    (`bad password hunter22`): for tool error text, which is prose about the
    repository's values rather than prcheck's own wording. `data` is for text
    that is all repository content (diff lines, multi-line values): a value
    after a secret-like key is hidden even when it reads like a word."""
    if hide is default_hide:
        return _mask_cached(text, loose, data)  # reports repeat the same message thousands of times
    return _mask(text, hide, loose, data)


@functools.lru_cache(maxsize=65536)
def _mask_cached(text: str, loose: bool, data: bool) -> str:
    return _mask(text, default_hide, loose, data)


def _mask(text: str, hide: Hide, loose: bool, data: bool, spans: list[tuple[int, int]] | None = None) -> str:
    """`spans`: `find_secret_spans(text)` when the caller has it already."""
    if not text:
        return text
    if spans is None:
        spans = find_secret_spans(text)
    if spans:
        text = _replace_spans(text, spans, hide)
    if "://" in text:
        text = _URL_USERINFO.sub(lambda m: m.group("scheme") + (m.group("userinfo") if m.group("userinfo").startswith("<masked")
                                                                 else hide(m.group("userinfo"))) + "@", text)
    lowered = text.lower()
    if any(word in lowered for word in _HINT_WORDS):
        if "=" in text:
            text = _sub_value(_QUERY_VALUE, text, hide, True)
        text = _sub_value(_KEY_VALUE, text, hide, data)
        if loose:
            text = _sub_value(_KEY_SPACE_VALUE, text, hide, data)
    return _WORD.sub(lambda m: hide(m.group(0)) if _random_word(m.group(0)) and not _DIGEST_PREFIX.search(
        text[max(0, m.start() - 8):m.start()]) else m.group(0), text)


def mask_value(value: Any, hide: Hide = default_hide) -> Any:
    """Every string inside a YAML value (keys too) through `mask_text`."""
    if isinstance(value, str):
        return mask_text(value, hide, data=True)
    if isinstance(value, dict):
        return {mask_value(k, hide) if isinstance(k, str) else k: mask_value(v, hide) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v, hide) for v in value]
    return value


def clean_texts(findings: "Iterable[Finding]") -> set[str]:
    """The texts of `findings` (message, resource, path) that masking leaves as they are:
    masking is a function of the text alone, so a text found clean where the finding was
    made (a worker) needs no second look in the report (`mask_report`'s `clean`)."""
    return _unchanged({text: None for f in findings for text in (f.message, f.resource, f.path)})


def _unchanged(texts: "Collection[str]") -> set[str]:
    """Those of `texts` that masking leaves as they are. The secrets detector reads them all
    in batches: one call per text was most of the cost."""
    listed = list(texts)
    return {text for text, spans in zip(listed, find_secret_spans_many(listed))
            if _mask(text, default_hide, False, False, spans) == text}


def mask_finding(finding: Finding, clean: "Collection[str]" = ()) -> Finding:
    message, resource, path = finding.message, finding.resource, finding.path
    message = message if message in clean else mask_text(message)
    resource = resource if resource in clean else mask_text(resource)
    path = path if path in clean else mask_text(path)
    if (message, resource, path) == (finding.message, finding.resource, finding.path):
        return finding
    # the fingerprint stays: it was computed from the original text and reveals nothing
    return replace(finding, message=message, resource=resource, path=path)


def _mask_change(change: ResourceChange) -> ResourceChange:
    return replace(change, key=mask_text(change.key), text=mask_text(change.text, data=True))


def _mask_diff(diff: EnvDiff) -> EnvDiff:
    return replace(diff, **{kind: [_mask_change(c) for c in getattr(diff, kind)]
                            for kind in ("added", "removed", "changed", "moved")})


def _mask_stats(value: Any) -> Any:
    if isinstance(value, Finding):
        return mask_finding(value)
    if isinstance(value, dict) and {"rule", "severity", "message"} <= set(value):
        return {**value, **{k: mask_text(value[k]) for k in ("message", "resource", "path")
                            if isinstance(value.get(k), str)}}
    if isinstance(value, dict):
        return {k: _mask_stats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_stats(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


_TEXTS = (attrgetter("message"), attrgetter("resource"), attrgetter("path"))


def _mask_findings(findings: "list[Finding]", clean: "Collection[str]") -> "list[Finding]":
    """`mask_finding(f, clean)` of each finding. Masking is a function of the text, so the
    distinct texts not known clean are masked once each first; when none changes (nearly every
    run), neither does any finding, and 50,000 findings need no call each."""
    texts: set[str] = set()
    for read in _TEXTS:
        texts.update(map(read, findings))
    texts.difference_update(clean)
    if len(_unchanged(texts)) == len(texts):
        return list(findings)
    return [mask_finding(f, clean) for f in findings]


def mask_report(report: Report, clean: "Collection[str]" = ()) -> Report:
    """A copy of `report` in which no text field can carry a credential. `clean`: finding
    texts already found to need no masking (`clean_texts`, run where the findings were made)."""
    return replace(
        report,
        findings=_mask_findings(report.findings, clean),
        fixed=[mask_finding(f) for f in report.fixed],
        suppressed=[replace(s, finding=mask_finding(s.finding), reason=mask_text(s.reason)) for s in report.suppressed],
        diffs=[_mask_diff(d) for d in report.diffs],
        stats=_mask_stats(report.stats),
    )
