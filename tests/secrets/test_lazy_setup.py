"""The secrets check builds only what a run's text reaches: shipped rules when one of their
keywords occurs (`ShippedRules`), a shipped rule's regex when a text is scanned with it, the
RE2 keyword set once the texts add up (`SET_FROM`), patterns on first use (`LazyPattern`).

Each shortcut is compared here with the eager build it replaces: the same rules, the same
candidates, the same findings and spans on every shipped rule's samples, and on generated
texts; a repository's own broken rule still fails before anything is scanned.
"""

from __future__ import annotations

import functools
import re
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prcheck.checks.secrets import gitleaks
from prcheck.checks.secrets.detector import Detector
from prcheck.checks.secrets.engine import SecretsEngine
from prcheck.checks.secrets.gitleaks import RuleSetError, ShippedRules, load_default, parse, shipped_rules
from prcheck.checks.secrets.lazy_pattern import LazyPattern
from prcheck.checks.secrets.matcher import Matcher, _Compiled
from prcheck.checks.secrets.words import default_words
from prcheck.model import Document
from prcheck.sources.yaml_loader import load_text
from tests.secrets.samples import negatives, positive
from tests.secrets.test_prefilter import ORDINARY, _placed

TOKEN = "ghp_" + "R7mK2pQ9xT4vB8nL3wZ6yH1cF5dJ0sA2gE9u"


def _lazy() -> Matcher:
    """What a check builds: the shipped rules unbuilt (a new table, not the process's), no keyword set."""
    return Matcher(shipped_rules.__wrapped__())


def _eager() -> Matcher:
    """The build before: every rule parsed, checked and compiled, the keyword set built."""
    matcher = Matcher(load_default())
    assert matcher.rules
    matcher._read = 10 ** 9  # the next keyword test builds the set
    return matcher


def _docs(text: str, path: str = "sample.yaml") -> list[Document]:
    return [d for d in load_text(text, path, "yaml").docs if d.obj is not None]


@functools.cache
def _samples() -> list[str]:
    """Every shipped rule's positive sample and two look-alikes."""
    out: list[str] = []
    for rule in load_default().rules:
        if rule.regex is None or rule.path is not None:
            continue
        sample = positive(rule, 0)
        if sample is not None:
            out.extend([sample, *negatives(rule, sample)[:2]])
    return out


def test_shipped_rules_are_the_default_rule_set_rule_for_rule():
    lazy, eager = shipped_rules(), load_default()
    assert isinstance(lazy, ShippedRules)
    assert lazy.rule_keys() == eager.rule_keys()
    assert [lazy.rule(i) for i in range(len(eager.rules))] == list(eager.rules)
    assert lazy.allowlists == eager.allowlists and lazy.origin == eager.origin


def test_a_check_builds_only_the_shipped_rules_a_text_reaches():
    matcher = _lazy()
    assert matcher.scan("kind: ConfigMap") == []
    assert matcher._set is None  # one short text: keyword tests, no RE2 set
    built = {rule.id for rule in matcher.ruleset._rules.values()}
    assert built == {"discord-bot-token"}  # its keywords are single letters
    assert [m.rule for m in matcher.scan(f"t: {TOKEN}")] == ["github-pat"]
    assert "github-pat" in {rule.id for rule in matcher.ruleset._rules.values()}
    assert "aws-access-token" not in {rule.id for rule in matcher.ruleset._rules.values()}


def test_the_keyword_set_is_built_once_the_texts_add_up():
    matcher = _lazy()
    matcher.candidates("x" * 20_000)
    assert matcher._set is not None


def test_a_stale_parsed_copy_leaves_the_check_on_the_full_parse(monkeypatch):
    monkeypatch.setattr(gitleaks, "_parsed_copy", lambda folder: {})
    monkeypatch.setattr(gitleaks, "load_default", lambda: "the full parse")
    gitleaks.shipped_rules.cache_clear()
    try:
        assert gitleaks.shipped_rules() == "the full parse"
    finally:
        gitleaks.shipped_rules.cache_clear()


def test_a_shipped_rules_probe_is_the_same_without_its_compiled_regex():
    for rule in load_default().rules:
        lazy, eager = _Compiled(rule, shipped=True), _Compiled(rule, shipped=False)
        assert lazy._regex is None and (eager._regex is not None) == (rule.regex is not None)
        probes = lazy.probe, eager.probe
        assert (probes[0] is None) == (probes[1] is None), rule.id
        if probes[0] is not None:
            assert probes[0].pattern == probes[1].pattern
        assert lazy.engine == eager.engine


def test_lazy_and_eager_builds_find_the_same_on_every_rules_samples():
    samples = _samples()
    assert len(samples) > 400
    docs = [d for value in samples for text in _placed(value) for d in _docs(text)] + _docs(ORDINARY)
    matcher = _lazy()
    lazy = SecretsEngine(Detector(matcher, default_words()))
    eager = SecretsEngine(Detector(_eager(), default_words()))
    found = eager.evaluate(docs).findings
    assert lazy.evaluate(docs).findings == found  # a small run's first batch, then probed batches
    assert len(found) > len(samples)
    small = []
    for start in range(0, len(docs), 12):  # each a small run: no keyword set, no probes
        matcher._set, matcher._read = None, 0
        small.extend(lazy.evaluate(docs[start:start + 12]).findings)
    assert small == found
    assert lazy.detector.spans_many(samples) == eager.detector.spans_many(samples)


def test_keyword_tests_and_the_keyword_set_pick_the_same_rules():
    lazy, eager = _lazy(), _eager()
    for text in [s.lower() for s in _samples()] + ["", "api", "é" * 3, ORDINARY.lower()]:
        lazy._read = 0
        assert lazy.candidates(text) == eager.candidates(text)
    assert lazy._set is None and eager._set is not None


KEYWORD_BITS = sorted({k for r in load_default().rules for k in r.keywords})
TEXTS = st.lists(st.one_of(st.sampled_from(KEYWORD_BITS), st.sampled_from(["ghp_", "xoxb-", "AKIA", ": ", "=", "\n"]),
                           st.text(string.ascii_letters + string.digits + "_-./+", min_size=1, max_size=40),
                           st.text(max_size=4)), max_size=30).map("".join)


@pytest.fixture(scope="module")
def builds() -> tuple[Matcher, Matcher]:
    return _lazy(), _eager()


@settings(max_examples=300, deadline=None)
@given(text=TEXTS)
def test_lazy_and_eager_builds_scan_generated_texts_alike(builds, text):
    lazy, eager = builds
    lazy._set, lazy._read = None, 0  # a small run: keyword tests one by one, no probes
    lowered = text.lower()
    assert lazy.candidates(lowered) == eager.candidates(lowered)
    found = lazy.scan(text, "x.yaml")
    assert found == eager.scan(text, "x.yaml")
    texts = [text, ORDINARY, f"{text} {TOKEN}"]
    for matcher in builds:  # a small run's suspects and probed suspects: both enough for `scan`
        suspects = matcher.suspect_rules(texts, ["x.yaml"] * 3)
        for i, one in enumerate(texts):
            expected = matcher.scan(one, "x.yaml", suspects[i]) if i in suspects else []
            assert expected == matcher.scan(one, "x.yaml")


@pytest.mark.parametrize("toml, message", [
    ("[[rules]]\nid = 'a'\nregex = '(unclosed'\nkeywords = ['never-in-any-text']", "invalid regex"),
    ("[[rules]]\nid = 'a'\nregex = 'x'\nsecretGroup = 2\nkeywords = ['never-in-any-text']", "secretGroup 2"),
    ("[extend]\nuseDefault = true\n[[rules]]\nid = 'github-pat'\nregex = '(unclosed'", "invalid regex"),
    ("[extend]\nuseDefault = true\n[[allowlists]]\nregexes = ['(unclosed']", "global allowlist"),
])
def test_a_repositorys_broken_rule_fails_before_any_text_is_scanned(toml, message):
    with pytest.raises(RuleSetError, match=message):
        Matcher(parse(toml, "rules.toml"))


def test_a_lazy_pattern_answers_as_the_compiled_pattern():
    calls: list[str] = []

    def compile(source: str, flags: int = 0) -> re.Pattern[str]:
        calls.append(source)
        return re.compile(source, flags)

    lazy = LazyPattern(compile, r"(?P<k>a+)b", re.IGNORECASE)
    assert calls == []
    assert lazy.search("xAAb").group("k") == "AA"
    assert lazy.sub("-", "aab ab") == "- -" and lazy.pattern == r"(?P<k>a+)b"
    assert calls == [r"(?P<k>a+)b"]  # compiled once, on first use
    with pytest.raises(AttributeError):
        lazy._private  # noqa: B018


def test_the_shipped_word_patterns_compile():
    words = default_words()
    assert words.is_reference("${{ secrets.TOKEN }}") and words.is_placeholder("<your token>")
    assert not words.is_placeholder("8dyfuiRyq3vVc3RRrZedRkqfKdJItpZ7")


def test_modules_compile_their_rare_patterns_only_when_used():
    """A one-file check of an ordinary manifest never needs these (URL passwords, key-aware
    judgements, placeholders, tool prose)."""
    import subprocess
    import sys

    code = ("import prcheck.report.masking as m, prcheck.checks.secrets.detector as d, prcheck.checks.secrets.words as w\n"
            "print(sum(p._compiled is not None for p in (m._KEY_SPACE_VALUE, m._URL_USERINFO, d._URL_CREDENTIALS,"
            " d._UUID, w._PLAIN_WORDS, w._PEM)))")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True,
                         env={"PYTHONPATH": str(root), "PATH": ""})
    assert out.stdout.strip() == "0"


def test_a_reports_findings_are_masked_as_one_at_a_time():
    """`mask_report` reads the findings' texts in one batch; a text with a secret is still masked."""
    from prcheck.model import Finding
    from prcheck.report.masking import _mask_findings, mask_finding

    texts = [*_samples()[:60], "pod mounts a service account token: set it to false", "password=hunter2x", ""]
    findings = [Finding(rule="r", severity="error", message=f"value {text}", path="a.yaml", line=1, resource=text)
                for text in texts]
    masked = _mask_findings(findings, ())
    assert masked == [mask_finding(f) for f in findings]
    assert masked != findings
    clean = findings[-3:-2]
    assert _mask_findings(clean, ()) == clean
