"""Run a gitleaks rule set over text in time linear in the text.

gitleaks' rules are written for Go's RE2, so `google-re2` gives both the
exact semantics and the guarantee that no input backtracks: a hostile pull
request cannot stall the check with a crafted value. A pattern RE2 rejects
(a user's rule with a look-around or a back-reference) falls back to Python
`re`; such a rule only sees texts up to `FALLBACK_MAX_CHARS`, so the bound
holds for it too, and `prcheck rules` names it.

Most values contain none of the rules' keywords, so one RE2 set of all
keywords (a single pass over the lower-cased text) decides which rules run
at all, as gitleaks' keyword prefilter does; in a long text a rule only runs
on windows around its keywords' hits.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from typing import Any, Collection, Iterator, Sequence

import re2

from prcheck.checks.secrets.gitleaks import Allowlist, Rule, RuleSet, ShippedRules
from prcheck.records import dataclass

FALLBACK_MAX_CHARS = 100_000
# Texts longer than this are scanned per rule only around its keywords (this far each side).
WINDOW_FROM = 65_536
WINDOW = 8_192
# Matches one rule may report in one text: a value with thousands is hostile or generated, is
# reported anyway, and must not cost a Python loop per match.
MAX_MATCHES_PER_RULE = 500
FEW_RULES = 8
# Texts `Matcher.suspects` reads in one batch (about this many characters), and matches of one
# rule's probe in one batch before every text after them counts as a suspect.
BATCH_CHARS = 32_768
MAX_PROBE_MATCHES = 1000
LINE_REACH = 4096
# Characters the keyword prefilter reads one keyword at a time before it builds its RE2 set; until
# then the run is small, and no rule is probed in batches (`Matcher._batch_suspects`).
SET_FROM = 16_384

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False


class Pattern:
    """One compiled regex and which engine runs it."""

    def __init__(self, source: str) -> None:
        self.source = source
        try:
            self._compiled: Any = re2.compile(source, _OPTIONS)
            self.engine = "re2"
        except re2.error:
            try:
                self._compiled = re.compile(source)
            except re.error as exc:
                raise ValueError(f"invalid regex {source!r}: {exc}") from None
            self.engine = "re"

    @property
    def groups(self) -> int:
        return int(self._compiled.groups)

    def finditer(self, text: str) -> Iterator[Any]:
        if self.engine == "re" and len(text) > FALLBACK_MAX_CHARS:
            return iter(())
        return self._compiled.finditer(text)

    def search(self, text: str) -> bool:
        if self.engine == "re" and len(text) > FALLBACK_MAX_CHARS:
            return False
        return self._compiled.search(text) is not None


def shannon_entropy(text: str) -> float:
    """Bits per character of `text`'s own character distribution (gitleaks' `shannonEntropy`)."""
    if not text:
        return 0.0
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in Counter(text).values())


@dataclass(frozen=True)
class Match:
    """A rule's hit: `start`/`end` bound the secret in the scanned text."""

    rule: str
    start: int
    end: int
    secret: str


class _Allow:
    """An allowlist; a shipped one is compiled on its first use (most runs match nothing)."""

    def __init__(self, allow: Allowlist, now: bool = True) -> None:
        self.raw = allow
        self.targets = frozenset(allow.target_rules)
        self._patterns: "tuple[list[Pattern], list[Pattern], Any] | None" = None
        if now:
            self._compiled()

    def _compiled(self) -> "tuple[list[Pattern], list[Pattern], Any]":
        if self._patterns is None:
            allow = self.raw
            # gitleaks' generic rule has ~1,500 stopwords: one RE2 pass instead of one `in` per word
            stopwords = re2.compile("|".join(re2.escape(w) for w in allow.stopwords), _OPTIONS) \
                if allow.stopwords else None
            self._patterns = ([Pattern(r) for r in allow.regexes], [Pattern(p) for p in allow.paths], stopwords)
        return self._patterns

    @property
    def regexes(self) -> list[Pattern]:
        return self._compiled()[0]

    @property
    def paths(self) -> list[Pattern]:
        return self._compiled()[1]

    @property
    def stopwords(self) -> Any:
        return self._compiled()[2]

    def applies_to(self, rule_id: str) -> bool:
        return not self.targets or rule_id in self.targets

    def path_allowed(self, path: str) -> bool:
        return any(p.search(path) for p in self.paths)

    def allows(self, secret: str, match: str, line: str, path: str) -> bool:
        """gitleaks' allowlist check: any criterion (OR), or every criterion given (AND).
        `commits` never match: a tree has no commit to compare."""
        target = {"secret": secret, "match": match, "line": line}[self.raw.regex_target]
        checks: list[bool] = []
        if self.raw.commits:
            checks.append(False)
        if self.paths:
            checks.append(self.path_allowed(path))
        if self.regexes:
            checks.append(any(r.search(target) for r in self.regexes))
        if self.stopwords is not None:
            checks.append(self.stopwords.search(secret.lower()) is not None)
        return all(checks) if self.raw.condition == "AND" else any(checks)


_START_ANCHORS = {"^": "(?:^|\n)", "\\A": "(?:\\A|\n)"}
_END_ANCHORS = {"$": "(?:$|\n)", "\\z": "(?:\\z|\n)"}
_FLAGS = re.compile(r"\(\?[a-zA-Z-]*\)")
_OPEN = re.compile(r"\((?:\?(?:[a-zA-Z-]*:|P?<\w+>))?")


def batch_pattern(source: str) -> str | None:
    """A pattern that matches a newline-joined batch of texts wherever `source` matches one
    of them, for `Matcher.suspects`; None when no such rewrite is known to be sound.

    Away from anchors a match depends only on the text it spans, and `\\b`/`\\B` read a
    newline as they read either end of a text. An anchor is rewritten to also accept the
    newline between two texts: an end anchor (`$`, `\\z`) only when nothing but closing
    parentheses follows it, a start anchor (`^`, `\\A`) only when nothing but opening ones
    (and flags) comes before it and no group around it repeats. Anything this reading does
    not follow (`\\Q`, POSIX classes) gives None."""
    tokens: list[tuple[str, str]] = []  # (kind, text): open, close, flags, quant, start, end, atom
    i, size = 0, len(source)
    while i < size:
        char = source[i]
        if char == "\\":
            pair = source[i:i + 2]
            if len(pair) < 2 or pair[1] == "Q":
                return None
            kind = "start" if pair in _START_ANCHORS else "end" if pair in _END_ANCHORS else "atom"
            tokens.append((kind, pair))
            i += 2
        elif char == "[":  # `[`, `[^`, a `]` right away is a member; the class ends at the next `]`
            end = i + 1 + (source[i + 1:i + 2] == "^")
            end += source[end:end + 1] == "]"
            while end < size and source[end] != "]":
                if source[end] == "\\":
                    end += 1
                elif source[end] == "[" and source[end + 1:end + 2] == ":":
                    return None
                end += 1
            if end >= size:
                return None
            tokens.append(("atom", source[i:end + 1]))
            i = end + 1
        elif char == "(":
            flags = _FLAGS.match(source, i)
            opening = flags or _OPEN.match(source, i)
            if opening is None or (source[i + 1:i + 2] == "?" and opening.end() == i + 1):
                return None
            tokens.append(("flags" if flags else "open", opening.group(0)))
            i = opening.end()
        elif char in "*+?{":
            close = source.find("}", i) if char == "{" else i
            if close < 0:
                return None
            tokens.append(("quant", source[i:close + 1]))
            i = close + 1
        else:
            kind = "close" if char == ")" else "start" if char == "^" else "end" if char == "$" else "atom"
            tokens.append((kind, char))
            i += 1
    out: list[str] = []
    for k, (kind, text) in enumerate(tokens):
        if kind == "end":
            if not _last(tokens, k):
                return None
            text = _END_ANCHORS[text]
        elif kind == "start":
            if not _first(tokens, k) or _repeats_around(tokens, k):
                return None
            text = _START_ANCHORS[text]
        out.append(text)
    return "".join(out)


def _last(tokens: list[tuple[str, str]], at: int) -> bool:
    """Nothing can follow token `at` in a match: after it come only closing parentheses and
    other branches of the groups around it."""
    k = at + 1
    while k < len(tokens):
        kind, text = tokens[k]
        if kind == "atom" and text == "|":  # the rest of this group is other branches
            depth = 0
            k += 1
            while k < len(tokens) and not (tokens[k][0] == "close" and depth == 0):
                depth += {"open": 1, "close": -1}.get(tokens[k][0], 0)
                k += 1
        elif kind != "close":
            return False
        else:
            k += 1
    return True


def _first(tokens: list[tuple[str, str]], at: int) -> bool:
    """Nothing can come before token `at` in a match: before it are only opening parentheses,
    flags and other branches of the groups around it."""
    k = at - 1
    while k >= 0:
        kind, text = tokens[k]
        if kind == "atom" and text == "|":
            depth = 0
            k -= 1
            while k >= 0 and not (tokens[k][0] == "open" and depth == 0):
                depth += {"close": 1, "open": -1}.get(tokens[k][0], 0)
                k -= 1
        elif kind not in ("open", "flags"):
            return False
        else:
            k -= 1
    return True


def _repeats_around(tokens: list[tuple[str, str]], at: int) -> bool:
    """Whether a group around token `at` is quantified."""
    depth = 0
    for k in range(at + 1, len(tokens)):
        kind = tokens[k][0]
        if kind == "open":
            depth += 1
        elif kind == "close":
            if depth == 0 and k + 1 < len(tokens) and tokens[k + 1][0] == "quant":
                return True
            depth = max(0, depth - 1)
    return False


class _Compiled:
    def __init__(self, rule: Rule, shipped: bool = False) -> None:
        self.rule = rule
        self._regex: Pattern | None = None
        self._probe: Any = False  # False: not built yet; None: this rule cannot be probed in a batch
        self.path = Pattern(rule.path) if rule.path is not None else None
        # A shipped rule's regex is compiled when a text is scanned with it, and its allowlists when
        # one of its matches needs them: most texts only meet its probe (the generic rule, keyword
        # `api`, is probed in every manifest), and the generic rule carries ~1,500 stopwords. Any
        # other rule is compiled now, so that a broken one fails the run whatever it checks.
        self.allow = [_Allow(a, now=not shipped) for a in rule.allowlists]
        if not shipped:
            _ = self.regex

    @property
    def regex(self) -> Pattern | None:
        if self._regex is None and self.rule.regex is not None:
            regex = Pattern(self.rule.regex)
            if self.rule.secret_group > regex.groups:
                raise ValueError(f"rule {self.rule.id}: secretGroup {self.rule.secret_group} but the regex has "
                                 f"{regex.groups} group(s)")
            self._regex = regex
        return self._regex

    @property
    def engine(self) -> str:
        regex = self.regex
        return regex.engine if regex is not None else "path"

    @property
    def probe(self) -> Any:
        """The rule's RE2 regex without anchors, for `Matcher.suspects`; None for a rule that
        runs on Python `re` or whose pattern `batch_pattern` cannot rewrite. RE2 takes the
        rewrite of a pattern exactly when it takes the pattern (the rewrite only widens its
        anchors), so a shipped rule's probe needs no compiled regex."""
        if self._probe is False:
            source = batch_pattern(self.rule.regex) if self.rule.regex and (
                self._regex is None or self._regex.engine == "re2") else None
            try:
                self._probe = re2.compile(source, _OPTIONS) if source is not None else None
            except re2.error:
                self._probe = None
        return self._probe


class Matcher:
    """A rule set, each rule compiled the first time a text holds one of its keywords
    (compiling all ~230 shipped patterns would cost more than checking a pull request's
    few files); the shipped rules (`ShippedRules`) are even built only then. Rules the rule
    set did not ship are compiled here, so a broken rule file fails every run the same way.
    Safe to share; compiled rules are only added."""

    def __init__(self, ruleset: RuleSet | ShippedRules) -> None:
        self.ruleset = ruleset
        keys = ruleset.rule_keys()
        self._size = len(keys)
        self._compiled: dict[int, _Compiled] = {}
        for i in range(self._size):
            if not ruleset.shipped_rule(i):
                self._compile(i)
        try:
            self.global_allow = [_Allow(a, now=a not in ruleset.shipped) for a in ruleset.allowlists]
        except ValueError as exc:
            from prcheck.checks.secrets.gitleaks import RuleSetError

            raise RuleSetError(f"{ruleset.origin}: global allowlist: {exc}") from None
        self._rule_words = [words if has_regex else None for words, has_regex in keys]  # None: never scans
        keywords = sorted({k for words, _ in keys for k in words if k})
        self._keyword_rules: list[list[int]] = [[] for _ in keywords]
        index = {k: i for i, k in enumerate(keywords)}
        self._always: list[int] = []
        for i, (words, has_regex) in enumerate(keys):
            if not has_regex:
                continue
            if words and "" not in words:
                for k in words:
                    self._keyword_rules[index[k]].append(i)
            else:  # no keywords, or an empty one, which every text contains
                self._always.append(i)
        self._keywords = keywords
        self._set: Any = None  # the RE2 set of all keywords, built when `_found_keywords` needs it
        self._read = 0  # characters `_found_keywords` read without it

    def _compile(self, index: int) -> _Compiled:
        compiled = self._compiled.get(index)
        if compiled is None:
            try:
                compiled = self._compiled[index] = _Compiled(self.ruleset.rule(index),
                                                             shipped=self.ruleset.shipped_rule(index))
            except ValueError as exc:
                from prcheck.checks.secrets.gitleaks import RuleSetError

                raise RuleSetError(f"{self.ruleset.origin}: {exc}") from None
        return compiled

    @property
    def rules(self) -> list[_Compiled]:
        """Every rule compiled (for listings; a scan compiles only what it needs)."""
        return [self._compile(i) for i in range(self._size)]

    def engines(self) -> dict[str, str]:
        """rule id → `re2`, `re` (fallback) or `path` (a rule on file names only)."""
        return {c.rule.id: c.engine for c in self.rules}

    def _found_keywords(self, lowered: str) -> list[int]:
        """Indices of the keywords that occur in `lowered`. Until the texts read add up to
        `SET_FROM` characters (a small run: see `_batch_suspects` too), one substring test per
        keyword; from then on one pass of the RE2 set of all keywords, whose building costs as
        much as the tests over ~16,000 characters: a one-file check never builds it, a run over
        many files builds it once. Both find exactly the keywords that are substrings of the text."""
        if self._set is None:
            if not self._keywords:
                return []
            self._read += len(lowered)
            if self._read <= SET_FROM:
                return [i for i, keyword in enumerate(self._keywords) if keyword in lowered]
            keywords = re2.Set.SearchSet(_OPTIONS)
            for keyword in self._keywords:
                keywords.Add(re2.escape(keyword))
            keywords.Compile()
            self._set = keywords
        return self._set.Match(lowered)

    def _runs_on(self, index: int, lowered: str) -> bool:
        """Whether `candidates(lowered)` holds rule `index`, from that rule's own keywords."""
        words = self._rule_words[index]
        return words is not None and (not words or any(k in lowered for k in words))

    def candidates(self, lowered: str) -> list[int]:
        """Indices of the rules whose keywords occur in `lowered` (plus rules without keywords)."""
        found = self._found_keywords(lowered)
        if not found:
            return list(self._always)
        picked = set(self._always)
        for k in found:
            picked.update(self._keyword_rules[k])
        return sorted(picked)

    def suspects(self, texts: Sequence[str], paths: Sequence[str]) -> set[int]:
        """Indices of the texts (`paths[i]` is the file of `texts[i]`) that some rule's regex
        may match; `scan` of any other finds nothing."""
        return set(self.suspect_rules(texts, paths))

    def suspect_rules(self, texts: Sequence[str], paths: Sequence[str]) -> dict[int, frozenset[int] | None]:
        """`suspects`, each with the rules (indices) that may match it, None for any rule: `scan`
        of a text with only those rules finds what it finds with all. Texts are read in batches
        joined by newlines: one keyword pass and one pass per keyword-picked rule per batch,
        instead of one of each per text. A text long enough to be scanned in windows is always
        a suspect of every rule."""
        found: dict[int, set[int] | None] = {}
        batch: list[int] = []
        size = 0
        for i, text in enumerate(texts):
            if len(text) > WINDOW_FROM:
                found[i] = None
                continue
            batch.append(i)
            size += len(text) + 1
            if size > BATCH_CHARS:
                self._batch_suspects(batch, texts, paths, found)
                batch, size = [], 0
        self._batch_suspects(batch, texts, paths, found)
        return {i: None if rules is None else frozenset(rules) for i, rules in sorted(found.items())}

    def _batch_suspects(self, batch: Sequence[int], texts: Sequence[str], paths: Sequence[str],
                        found: dict[int, set[int] | None]) -> None:
        """A rule's `probe` (`batch_pattern`) matches the batch wherever the rule matches one of
        its texts, and each of its matches marks the texts it touches as that rule's suspects.
        In a small run (no keyword set built yet: `_found_keywords`) no rule is probed: a probe
        costs as much to compile as its rule, and more than scanning a few texts with the rule,
        so each text is a suspect of every rule the batch's keywords picked (`scan` keeps those
        whose keywords the text itself holds)."""
        if not batch:
            return
        joined = "\n".join([texts[i] for i in batch])
        picked = self.candidates(joined.lower())
        if not picked:
            return
        if self._set is None:
            for i in batch:
                rules = found.setdefault(i, set())
                if rules is not None:
                    rules.update(picked)
            return
        offsets: list[int] = []
        position = 0
        for i in batch:
            offsets.append(position)
            position += len(texts[i]) + 1

        def mark(text: int, rule: int) -> None:
            rules = found.setdefault(text, set())
            if rules is not None:
                rules.add(rule)

        # The probes need only spans. For ASCII text a byte offset is a character offset, and the
        # RE2 wrapper converts offsets for `str` in Python per match: bytes skip that.
        subject: str | bytes = joined.encode("ascii") if joined.isascii() else joined
        for rule in picked:
            compiled = self._compile(rule)
            if compiled.path is not None:  # a rule on some paths only: its texts are scanned one by one
                for i in batch:
                    if compiled.path.search(paths[i]):
                        mark(i, rule)
                continue
            probe = compiled.probe
            if probe is None:
                for i in batch:
                    found[i] = None
                return
            for count, hit in enumerate(probe.finditer(subject)):
                start, end = hit.span()
                first = max(0, bisect.bisect_right(offsets, start) - 2)
                if count >= MAX_PROBE_MATCHES:
                    for i in batch[first:]:
                        mark(i, rule)
                    break
                # a text with the newlines on either side: a match there (even an empty one) may be its own
                for j in range(first, len(batch)):
                    if offsets[j] - 1 > end:
                        break
                    if start <= offsets[j] + len(texts[batch[j]]) + 1:
                        mark(batch[j], rule)

    def scan(self, text: str, path: str = "", rules: "Collection[int] | None" = None) -> list[Match]:
        """Every allowed-through hit of every rule in `text`; `path` is the file the text is from.
        `rules`: the only rules (indices) that can match it (`suspect_rules`), None: any. The
        others still count for how a long text is read (windows), so the result is the same; a
        text read whole only tests the keywords of `rules`."""
        if not text:
            return []
        lowered = text.lower()
        if rules is not None and len(text) <= WINDOW_FROM:
            picked = [i for i in sorted(rules) if self._runs_on(i, lowered)]
        else:
            picked = self.candidates(lowered)
        if not picked:
            return []
        out: list[Match] = []
        windowed = len(picked) > FEW_RULES  # a few rules over the whole text cost less than finding windows
        for i in picked:
            if rules is not None and i not in rules:
                continue
            compiled = self._compile(i)
            if compiled.path is not None and not compiled.path.search(path):
                continue
            spans = self._windows(compiled.rule.keywords, text, lowered) if windowed or compiled.engine == "re" \
                else [(0, len(text))]
            for start, end in spans:
                out.extend(self._rule_matches(compiled, text, start, end, path))
        return out

    def _windows(self, keywords: Sequence[str], text: str, lowered: str) -> list[tuple[int, int]]:
        """Spans of a long text within reach of one of `keywords`. After a hit the next search
        starts `WINDOW` further on, so a text full of keywords costs len/WINDOW searches, not
        one per hit; the span reaches far enough to cover every hit it skipped."""
        size = len(text)
        if size <= WINDOW_FROM or not keywords:
            return [(0, size)]
        spans: list[tuple[int, int]] = []
        for keyword in keywords:
            pos = 0
            while (hit := lowered.find(keyword, pos)) >= 0:
                spans.append((max(0, hit - WINDOW), min(size, hit + len(keyword) + 2 * WINDOW)))
                pos = hit + WINDOW
        spans.sort()
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def _rule_matches(self, compiled: _Compiled, text: str, offset: int, stop: int, path: str) -> Iterator[Match]:
        rule = compiled.rule
        regex = compiled.regex
        assert regex is not None
        chunk = text if (offset, stop) == (0, len(text)) else text[offset:stop]
        for count, found in enumerate(regex.finditer(chunk)):
            if count >= MAX_MATCHES_PER_RULE:
                return
            start, end = found.span()
            if rule.secret_group:
                start, end = found.span(rule.secret_group)
            elif regex.groups:
                for g in range(1, regex.groups + 1):
                    g_start, g_end = found.span(g)
                    if g_start >= 0 and g_end > g_start:
                        start, end = g_start, g_end
                        break
            if start < 0 or end <= start:
                continue
            secret = chunk[start:end]
            if rule.entropy and shannon_entropy(secret) <= rule.entropy:
                continue
            matched = found.group(0)
            # the line around the match, at most LINE_REACH each side: a 10 MB line is not copied per match
            low = max(0, start - LINE_REACH)
            line_start = chunk.rfind("\n", low, start) + 1 or low
            line_end = chunk.find("\n", end, end + LINE_REACH)
            line = chunk[line_start:line_end if line_end >= 0 else min(len(chunk), end + LINE_REACH)]
            if self._allowed(rule.id, compiled.allow, secret, matched, line, path):
                continue
            yield Match(rule.id, offset + start, offset + end, secret)

    def _allowed(self, rule_id: str, own: list[_Allow], secret: str, matched: str, line: str, path: str) -> bool:
        return any(a.allows(secret, matched, line, path) for a in own) or any(
            a.applies_to(rule_id) and a.allows(secret, matched, line, path) for a in self.global_allow)
