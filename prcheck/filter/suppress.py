"""Suppressions and per-rule settings: the filter step between checks and reports.

Three ways to silence a finding, each visible afterwards: every suppressed
finding lands in `Report.suppressed` with where the suppression came from and
its reason, so reports count and list them.

- inline: `# prcheck:ignore[rule-id,other/*] reason` on the finding's line, or
  on comment lines directly above it;
- annotation: `prcheck.dev/ignore: "rule-a,rule-b"` (+ `prcheck.dev/ignore-reason`)
  on the resource itself;
- config: `.prcheck.yaml` `exceptions:` entries (rule, path glob, resource
  glob, reason, optional `expires: YYYY-MM-DD`).

A suppression without a reason still suppresses but raises
`suppress/missing-reason`; an expired exception stops suppressing and raises
`suppress/expired-exception`, so a temporary waiver cannot become permanent
without anyone noticing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field, replace
from fnmatch import fnmatchcase
from typing import Any

from prcheck.config import ConfigError
from prcheck.model import Document, Finding, Suppressed
from prcheck.records import dataclass
from prcheck.sources.yaml_loader import LoadedFile

IGNORE_ANNOTATION = "prcheck.dev/ignore"
REASON_ANNOTATION = "prcheck.dev/ignore-reason"
MISSING_REASON = "suppress/missing-reason"
SUPPRESSION_ADDED = "trust/suppression-added"
EXPIRED_EXCEPTION = "suppress/expired-exception"
META_RULES = frozenset({MISSING_REASON, EXPIRED_EXCEPTION})

# `#` must start the line or follow whitespace, as a YAML comment does.
_INLINE = re.compile(r"(?:^|\s)#\s*prcheck:ignore\[(?P<rules>[^\]]*)\](?P<reason>.*)$")
_COMMENT_ONLY = re.compile(r"^\s*#")


@dataclass(frozen=True)
class Directive:
    """Rule patterns silenced at one place, and why."""

    patterns: tuple[str, ...]
    reason: str
    line: int

    def covers(self, rule: str) -> bool:
        return any(fnmatchcase(rule, p) for p in self.patterns)


@dataclass(frozen=True)
class ConfigException:
    """A rule exception from the configuration file: rule, reason and where it applies."""

    rule: str
    reason: str
    path: str = "*"
    resource: str = "*"
    expires: dt.date | None = None

    def covers(self, finding: Finding) -> bool:
        return (fnmatchcase(finding.rule, self.rule) and fnmatchcase(finding.path, self.path)
                and fnmatchcase(finding.resource, self.resource))

    def describe(self) -> str:
        where = "" if self.path == "*" else f" on {self.path}"
        what = "" if self.resource == "*" else f" for {self.resource}"
        return f"{self.rule}{where}{what}"


@dataclass
class Outcome:
    """The findings suppression kept and the ones it suppressed."""

    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    # `trust/suppression-added`: one per suppression the change added or edited; never
    # suppressed themselves, and always the change's own
    notices: list[Finding] = field(default_factory=list)


class _Added:
    """Which inline and annotation suppressions the change added or edited: those its
    base versions of the same files do not have, and any written on a line the change
    added (a copy of an existing directive moved onto a new finding). `base` maps each
    changed file to its base version (None: the change adds the file); unchanged files
    added nothing."""

    def __init__(self, base: Mapping[str, LoadedFile | None] | None,
                 added_line: Callable[[str, int], bool] | None = None) -> None:
        self.base = base
        self.added_line = added_line or (lambda path, line: False)
        self._inline: dict[str, set[tuple[tuple[str, ...], str]]] = {}
        self._annotations: dict[str, set[tuple[str, tuple[str, ...], str]]] = {}

    def inline(self, path: str, directive: Directive) -> bool:
        if self.base is None or path not in self.base:
            return False
        if path not in self._inline:
            old = self.base[path]
            text = old.text if old is not None else ""
            self._inline[path] = {(d.patterns, d.reason) for ds in inline_directives(text).values() for d in ds}
        return (directive.patterns, directive.reason) not in self._inline[path] or self.added_line(path, directive.line)

    def annotation(self, annotated: "_Annotated") -> bool:
        if self.base is None or annotated.path not in self.base:
            return False
        if annotated.path not in self._annotations:
            old = self.base[annotated.path]
            self._annotations[annotated.path] = {(a.resource, a.directive.patterns, a.directive.reason)
                                                 for a in (_annotated(old) if old is not None else [])}
        key = (annotated.resource, annotated.directive.patterns, annotated.directive.reason)
        return key not in self._annotations[annotated.path] or self.added_line(annotated.path, annotated.directive.line)


def _split_rules(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())


def _scalar_spans(text: str) -> tuple[list[tuple[int, int]], int]:
    """(start, end) offsets of every scalar in `text`, and the offset where scanning
    stopped (a syntax error; len(text) when it did not). A `#` inside a scalar, such
    as a block scalar's line, is data, not a comment."""
    import yaml  # only a text with a directive gets here

    spans: list[tuple[int, int]] = []
    loader = yaml.BaseLoader(text)
    try:
        while loader.check_token():
            token = loader.get_token()
            if isinstance(token, yaml.ScalarToken):
                spans.append((token.start_mark.index, token.end_mark.index))
    except (yaml.YAMLError, RecursionError):
        mark = getattr(loader, "problem_mark", None) or getattr(loader, "context_mark", None)
        return spans, mark.index if mark is not None else 0
    finally:
        loader.dispose()
    return spans, len(text)


def _comment_lines(text: str, lines: Sequence[str], numbers: Sequence[int]) -> set[int]:
    """Which of the lines `numbers` hold their directive in a real YAML comment."""
    spans, scanned = _scalar_spans(text)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    out: set[int] = set()
    for number in numbers:
        match = _INLINE.search(lines[number - 1])
        assert match is not None
        at = starts[number - 1] + match.group(0).index("#") + match.start()
        if at >= scanned:  # past a syntax error: only a line that is nothing but a comment counts
            if _COMMENT_ONLY.match(lines[number - 1]):
                out.add(number)
        elif not any(start <= at < end for start, end in spans):
            out.add(number)
    return out


def inline_directives(text: str) -> dict[int, list[Directive]]:
    """Line number → directives that apply to it (their own line, and the
    line below a block of comment-only lines). Only YAML comments count: the
    same words inside a block scalar or a quoted string are data."""
    lines = text.splitlines()
    candidates = [n for n, line in enumerate(lines, start=1) if "prcheck:ignore" in line and _INLINE.search(line)]
    comments = _comment_lines(text, lines, candidates) if candidates else set()
    found: dict[int, Directive] = {}
    for number in candidates:
        line = lines[number - 1]
        match = _INLINE.search(line)
        if match and number in comments:
            reason = match.group("reason").strip().lstrip("-:—").strip()
            found[number] = Directive(_split_rules(match.group("rules")), reason, number)
    applies: dict[int, list[Directive]] = {}
    for number, directive in found.items():
        applies.setdefault(number, []).append(directive)
        if _COMMENT_ONLY.match(lines[number - 1]):
            target = number + 1
            while target <= len(lines) and _COMMENT_ONLY.match(lines[target - 1]):
                target += 1  # stacked comments all apply to the first code line below
            if target != number:
                applies.setdefault(target, []).append(directive)
    return applies


@dataclass(frozen=True)
class _Annotated:
    """A resource that carries `prcheck.dev/ignore`, and the lines its document spans."""

    path: str
    resource: str
    first: int
    last: int  # inclusive; 0 = to the end of the file
    directive: Directive

    def contains(self, finding: Finding) -> bool:
        if finding.path != self.path:
            return False
        if finding.line:
            return finding.line >= self.first and (not self.last or finding.line <= self.last)
        return bool(self.resource) and finding.resource == self.resource


def _annotated(file: LoadedFile) -> list[_Annotated]:
    out: list[_Annotated] = []
    docs = [d for d in file.docs if d.line]
    for index, doc in enumerate(docs):
        annotations = _annotations(doc)
        rules = annotations.get(IGNORE_ANNOTATION)
        if not isinstance(rules, str) or not rules.strip():
            continue
        reason = annotations.get(REASON_ANNOTATION)
        last = docs[index + 1].line - 1 if index + 1 < len(docs) else 0
        directive = Directive(_split_rules(rules), reason.strip() if isinstance(reason, str) else "",
                              doc.line_of(["metadata", "annotations", IGNORE_ANNOTATION]))
        out.append(_Annotated(file.path, doc.resource, doc.line, last, directive))
    return out


def _annotations(doc: Document) -> Mapping[str, Any]:
    meta = doc.obj.get("metadata") if isinstance(doc.obj, dict) else None
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    return annotations if isinstance(annotations, dict) else {}


def parse_exceptions(entries: Iterable[Mapping[str, Any]]) -> list[ConfigException]:
    """Config `exceptions:` (already schema-validated) as values."""
    out: list[ConfigException] = []
    for index, entry in enumerate(entries):
        expires = entry.get("expires")
        try:
            expiry = dt.date.fromisoformat(str(expires)) if expires else None
        except ValueError:
            raise ConfigError(f"exceptions[{index}].expires: {expires!r} is not a date (YYYY-MM-DD)") from None
        out.append(ConfigException(
            rule=str(entry["rule"]), reason=str(entry.get("reason", "")),
            path=str(entry.get("path") or "*"), resource=str(entry.get("resource") or "*"), expires=expiry,
        ))
    return out


def apply_rule_settings(findings: Iterable[Finding], rules: Mapping[str, Any]) -> list[Finding]:
    """Config `rules: {id: {enabled, severity}}`: drop disabled rules, override severities."""
    if not rules:  # most runs configure no rule: tens of thousands of findings, as they are
        return list(findings)
    out: list[Finding] = []
    for finding in findings:
        setting = rules.get(finding.rule)
        if isinstance(setting, dict):
            if setting.get("enabled") is False:
                continue
            severity = setting.get("severity")
            if severity in ("error", "warning", "info") and severity != finding.severity:
                finding = replace(finding, severity=severity)
        out.append(finding)
    return out


def suppress(findings: Sequence[Finding], files: Sequence[LoadedFile], exceptions: Sequence[ConfigException] = (),
             today: dt.date | None = None, base: Mapping[str, LoadedFile | None] | None = None,
             honour_added: bool = True, added_line: Callable[[str, int], bool] | None = None) -> Outcome:
    """Split findings into kept and suppressed; add the warnings suppressions themselves raise.

    With `base` (the base versions of the changed files), a suppression the change
    added or edited is listed as such (`trust/suppression-added`), and with
    `honour_added=False` (`--suppressions trusted`) it silences nothing."""
    today = today or dt.date.today()
    outcome = Outcome()
    added = _Added(base, added_line)
    silenced: dict[tuple[str, str, int], tuple[Directive, list[str]]] = {}
    inline = {f.path: inline_directives(f.text) for f in files if f.text and "prcheck:ignore" in f.text}
    annotated = [a for f in files for a in _annotated(f)]
    by_path: dict[str, list[_Annotated]] = {}  # an annotation covers findings of its own file only
    for a in annotated:
        by_path.setdefault(a.path, []).append(a)
    active = [e for e in exceptions if e.expires is None or e.expires >= today]
    for exc in exceptions:
        if exc.expires is not None and exc.expires < today:
            outcome.findings.append(Finding(
                rule=EXPIRED_EXCEPTION, severity="warning", engine="prcheck",
                message=f"exception for {exc.describe()} expired on {exc.expires.isoformat()} and no longer "
                        f"suppresses: fix the findings or renew it with a new date ({exc.reason})"))
    used_without_reason: dict[tuple[str, int], str] = {}
    silencers = bool(inline or by_path or active)
    if not silencers:  # nothing can silence a finding: all kept, in order
        outcome.findings.extend(findings)
    for finding in findings if silencers else ():
        if finding.rule in META_RULES:
            outcome.findings.append(finding)
            continue
        hit = _inline_hit(finding, inline) if inline else None
        if hit is None and by_path:
            hit = _annotation_hit(finding, by_path.get(finding.path, ()))
        if hit is not None:
            source, directive, where = hit
            new = added.annotation(where) if where is not None else added.inline(finding.path, directive)
            if new:
                silenced.setdefault((source, finding.path, directive.line), (directive, []))[1].append(finding.rule)
                if not honour_added:
                    outcome.findings.append(finding)
                    continue
            outcome.suppressed.append(Suppressed(finding, source, directive.reason, added=new))
            if not directive.reason:
                used_without_reason[(finding.path, directive.line)] = source
            continue
        exception = next((e for e in active if e.covers(finding)), None) if active else None
        if exception is not None:
            outcome.suppressed.append(Suppressed(finding, "config", exception.reason))
            continue
        outcome.findings.append(finding)
    for (path, line), source in sorted(used_without_reason.items()):
        how = ("write the reason after the comment: # prcheck:ignore[rule-id] reason" if source == "inline"
               else f"add the {REASON_ANNOTATION} annotation")
        outcome.findings.append(Finding(
            rule=MISSING_REASON, severity="warning", path=path, line=line, engine="prcheck",
            message=f"{source} suppression has no reason: {how}"))
    outcome.notices = _added_notices(silenced, inline, annotated, added, honour_added)
    return outcome


def _added_notices(silenced: Mapping[tuple[str, str, int], tuple[Directive, list[str]]],
                   inline: Mapping[str, Mapping[int, list[Directive]]], annotated: Sequence["_Annotated"],
                   added: _Added, honoured: bool) -> list[Finding]:
    """One finding per added or edited suppression, naming the rules it silenced (or would have)."""
    every: dict[tuple[str, str, int], Directive] = {}
    for path, lines in inline.items():
        for directives in lines.values():
            for d in directives:
                if added.inline(path, d):
                    every[("inline", path, d.line)] = d
    for a in annotated:
        if added.annotation(a):
            every[("annotation", a.path, a.directive.line)] = a.directive
    out: list[Finding] = []
    for (source, path, line), directive in sorted(every.items()):
        rules = sorted(set(silenced.get((source, path, line), (directive, []))[1]))
        what = f"silencing {', '.join(rules)}" if rules else "silencing nothing in this run"
        verdict = ("not honoured (--suppressions trusted): the findings count" if not honoured else
                   "honoured: review it (--suppressions trusted refuses suppressions a change adds)")
        out.append(Finding(
            rule=SUPPRESSION_ADDED, severity="warning", path=path, line=line, engine="prcheck",
            message=f"the change adds or edits an {source} suppression [{', '.join(directive.patterns)}] "
                    f"({directive.reason or 'no reason given'}), {what}; {verdict}"))
    return out


Hit = tuple[str, Directive, "_Annotated | None"]


def _inline_hit(finding: Finding, inline: Mapping[str, Mapping[int, list[Directive]]]) -> Hit | None:
    directives = inline.get(finding.path, {}).get(finding.line, []) if finding.line else []
    hit = next((d for d in directives if d.covers(finding.rule)), None)
    return ("inline", hit, None) if hit else None


def _annotation_hit(finding: Finding, annotated: Sequence[_Annotated]) -> Hit | None:
    hit = next((a for a in annotated if a.directive.covers(finding.rule) and a.contains(finding)), None)
    return ("annotation", hit.directive, hit) if hit else None
