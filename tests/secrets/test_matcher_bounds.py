"""Hostile values cannot stall the matcher: RE2 is linear, the keyword prefilter and windows keep
long texts cheap, and a fallback `re` rule never sees a text long enough to backtrack for long.
Run in a child process with a generous limit: the test is about completing, not about speed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from prcheck.checks.secrets.gitleaks import parse
from prcheck.checks.secrets.matcher import FALLBACK_MAX_CHARS, Matcher

SCRIPT = textwrap.dedent("""
    import sys
    from prcheck.checks.secrets import SecretsEngine, SecretsSettings, find_secret_spans
    from prcheck.model import Document
    engine = SecretsEngine.from_settings(SecretsSettings())
    size = 10_000_000
    values = {
        "random-base64": ("QWxhZGRpbjpvcGVuIHNlc2FtZQ" * (size // 26 + 1))[:size],
        "keywords-everywhere": ("key=token secret: password=" * (size // 27 + 1))[:size],
        "begin-without-end": ("-----BEGIN PRIVATE KEY-----" + "A" * 60) * (size // 87),
        "one-char": "a" * size,
        "curl-headers": ("curl -H 'Authorization: Bearer x' " * (size // 35))[:size],
    }
    for name, value in values.items():
        doc = Document(path="big.yaml", index=0, line=1, obj={"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": "c"}, "data": {"payload": value, "api_key": value[:200_000]}})
        engine.scan(doc)
        find_secret_spans(value)
    tail = "ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr"
    doc = Document(path="big.yaml", index=0, line=1, obj={"data": {"payload": "x" * size + " " + tail}})
    print(sorted({f.rule for f in engine.scan(doc)}))
""")


@pytest.mark.slow
def test_ten_megabyte_and_pathological_values_complete():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['secrets/github-pat']"  # a token at the end of 10 MB is still found


def test_a_pattern_re2_rejects_falls_back_to_re_on_bounded_input():
    ruleset = parse("""
        [[rules]]
        id = "lookahead"
        regex = '''(?=.*tok)tok_[a-z]{8}'''
        keywords = ["tok_"]

        [[rules]]
        id = "no-keywords"
        regex = '''(?=.*tok)tok_[a-z]{8}'''
    """, "custom.toml")
    matcher = Matcher(ruleset)
    assert matcher.engines() == {"lookahead": "re", "no-keywords": "re"}
    assert {m.rule for m in matcher.scan("x tok_abcdefgh")} == {"lookahead", "no-keywords"}
    long = "tok_abcdefgh" + " " * FALLBACK_MAX_CHARS
    # only windows around a keyword reach a fallback pattern in a long text; no keyword, no scan
    assert {m.rule for m in matcher.scan(long)} == {"lookahead"}
