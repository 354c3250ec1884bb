"""gitleaks' TOML rule format: rules, allowlists (global and per rule, every target and
condition), `[extend]`, and the repository's `.gitleaks.toml` / `.prcheck.yaml` `secrets:`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prcheck.checks.secrets.gitleaks import RuleSetError, load_default, parse
from prcheck.checks.secrets.matcher import Matcher
from tests.conftest import write

TOKEN = "ghp_OhbVrpoiVgRV5IfLBcbfnoGMbJmTPSIAoCLr"
RULE = """
[[rules]]
id = "acme-key"
description = "ACME key"
regex = '''acme_(?P<body>[a-z0-9]{12})'''
secretGroup = 1
entropy = 2.5
keywords = ["ACME_"]
"""


def secrets(toml: str, text: str, path: str = "x.yaml") -> list[tuple[str, str]]:
    return [(m.rule, m.secret) for m in Matcher(parse(toml, "t.toml")).scan(text, path)]


def test_rule_fields_secret_group_entropy_and_keywords():
    assert secrets(RULE, "k: acme_q7w2e9r4t1y8") == [("acme-key", "q7w2e9r4t1y8")]
    assert secrets(RULE, "k: acme_aaaaaaaaaaaa") == []  # entropy at or below 2.5
    assert secrets(RULE, "k: ACME_Q7W2E9R4T1Y8") == []  # the regex is case-sensitive, the keyword is not


def test_an_empty_keyword_is_contained_in_every_text():
    """`keywords = [""]`: a rule whose keyword every text contains runs on every text
    (it used to end the run with an internal KeyError)."""
    empty = RULE.replace('keywords = ["ACME_"]', 'keywords = ["", "unused"]')
    assert secrets(empty, "k: acme_q7w2e9r4t1y8") == [("acme-key", "q7w2e9r4t1y8")]
    assert secrets(empty, "k: zz") == []


@pytest.mark.parametrize("allowlist, allowed", [
    ("regexes = ['''^q7''']", True),
    ("regexTarget = 'match'\nregexes = ['''^acme_''']", True),
    ("regexTarget = 'line'\nregexes = ['''^k: ''']", True),
    ("stopwords = ['E9R4']", True),
    ("paths = ['''\\.yaml$''']", True),
    ("condition = 'AND'\npaths = ['''\\.yaml$''']\nregexes = ['''^zz''']", False),
    ("condition = 'AND'\npaths = ['''\\.yaml$''']\nregexes = ['''^q7''']", True),
    ("commits = ['abc123']", False),
])
def test_rule_and_global_allowlists(allowlist: str, allowed: bool):
    rule_level = RULE + "[[rules.allowlists]]\n" + allowlist + "\n"
    global_level = RULE + "[[allowlists]]\ntargetRules = ['acme-key']\n" + allowlist + "\n"
    for toml in (rule_level, global_level):
        assert (secrets(toml, "k: acme_q7w2e9r4t1y8") == []) is allowed, toml


def test_extend_default_disables_and_overrides(tmp_path: Path):
    default_ids = {r.id for r in load_default().rules}
    ruleset = parse(RULE + """
        [extend]
        useDefault = true
        disabledRules = ["github-pat"]

        [[rules]]
        id = "aws-access-token"
        [[rules.allowlists]]
        regexes = ['''^AKIAWQC3''']
    """, "t.toml")
    ids = {r.id for r in ruleset.rules}
    assert ids == (default_ids - {"github-pat"}) | {"acme-key"}
    matcher = Matcher(ruleset)
    assert matcher.scan(f"t: {TOKEN}") == []
    aws = next(r for r in ruleset.rules if r.id == "aws-access-token")
    assert aws.regex and len(aws.allowlists) == 2  # the default's allowlist kept, ours added
    assert [m.rule for m in matcher.scan("k: AKIAWQC3PHYFQSXMECOS")] == []


def test_extend_path_chain_is_limited():
    files = {"a.toml": '[extend]\npath = "b.toml"\n' + RULE, "b.toml": '[extend]\npath = "c.toml"\n',
             "c.toml": '[extend]\npath = "d.toml"\n'}

    def read(path: str) -> tuple[str, str]:
        return files[path], path

    with pytest.raises(RuleSetError, match="deeper than 2"):
        parse(files["a.toml"], "a.toml", read=read)


@pytest.mark.parametrize("toml, message", [
    ("[[rules]]\nregex = 'x'", "missing id"),
    ("[[rules]]\nid = 'a'", "needs a regex or a path"),
    ("[[rules]]\nid = 'a'\nregex = 'x'\nsecretGroup = 2", "secretGroup 2"),
    ("[[rules]]\nid = 'a'\nregex = 'x'\n[[rules.allowlists]]\nregexTarget = 'commit'\nregexes = ['y']", "regexTarget"),
    ("[[rules]]\nid = 'a'\nregex = 'x'\n[[rules.allowlists]]\ndescription = 'empty'", "must have"),
    ("[[rules]]\nid = 'a'\nregex = '(unclosed'", "invalid regex"),
    ("title = ", "invalid TOML"),
])
def test_broken_rule_files_are_one_line_errors(toml: str, message: str):
    with pytest.raises(RuleSetError, match=message):
        Matcher(parse(toml, "t.toml"))


def test_shipped_rules_compile_only_when_their_keywords_occur():
    matcher = Matcher(load_default())
    assert matcher._compiled == {}  # nothing compiled before a text needs it
    assert matcher.scan("a: 1") == []
    always = {matcher.ruleset.rules[i].id for i in matcher._compiled}  # rules without keywords always run
    assert always == {r.id for r in load_default().rules if r.regex and not r.keywords}
    assert [m.rule for m in matcher.scan(f"t: {TOKEN}")] == ["github-pat"]
    compiled = {matcher.ruleset.rules[i].id for i in matcher._compiled}
    assert "github-pat" in compiled and "aws-access-token" not in compiled
    # a shipped rule's allowlists wait for a match: the generic rule's ~1,500 stopwords
    assert matcher.scan("apiVersion: v1") == []
    generic = next(c for c in matcher._compiled.values() if c.rule.id == "generic-api-key")
    assert [a._patterns for a in generic.allow] == [None] * len(generic.allow)
    assert [m.rule for m in matcher.scan('api_key = "8dyfuiRyq3vVc3RRrZedRkqfKdJItpZ7"')] == ["generic-api-key"]
    assert matcher.scan('api_key = "8dyfuiRyq3vVc3R000000kqfKdJItpZ7"') == []  # a stopword
    # the keyword test ignores case, as gitleaks' does; the regex decides the rest
    case_blind = RULE.replace("regex = '''acme_", "regex = '''(?i)acme_")
    assert secrets(case_blind, "k: ACME_Q7W2E9R4T1Y8") == [("acme-key", "Q7W2E9R4T1Y8")]


@pytest.mark.parametrize("toml", [
    # a broken rule whose keyword no checked file contains is still an error
    "[[rules]]\nid = 'a'\nregex = '(unclosed'\nkeywords = ['never-in-any-file']",
    # a shipped rule the repository changes is its own rule now: compiled up front
    "[extend]\nuseDefault = true\n[[rules]]\nid = 'github-pat'\nregex = '(unclosed'",
    "[extend]\nuseDefault = true\n[[rules]]\nid = 'github-pat'\nsecretGroup = 3",
    # the repository's own global allowlist, beside the shipped ones (compiled when first needed)
    "[extend]\nuseDefault = true\n[[allowlists]]\nregexes = ['(unclosed']",
])
def test_broken_repository_rules_fail_every_run_whatever_is_scanned(toml: str, repo: Path, run_cli):
    write(repo, {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n",
                 ".gitleaks.toml": toml})
    result = run_cli(["check", "."], repo)
    assert result.exit_code == 2, result.output
    assert ".gitleaks.toml" in result.output and "Traceback" not in result.output


def test_repository_gitleaks_toml_and_prcheck_settings(repo: Path, run_cli):
    write(repo, {
        "cm.yaml": f"""
            apiVersion: v1
            kind: ConfigMap
            metadata: {{name: c}}
            data:
              acme: acme_q7w2e9r4t1y8
              github: {TOKEN}
        """,
        ".gitleaks.toml": RULE + "[extend]\nuseDefault = true\n",
    })
    report = json.loads(run_cli(["check", ".", "--format", "json"], repo).output)
    assert {f["rule"] for f in report["findings"]} >= {"secrets/acme-key", "secrets/github-pat"}
    write(repo, {".prcheck.yaml": "secrets:\n  disable: [secrets/github-pat]\n"})
    report = json.loads(run_cli(["check", ".", "--format", "json"], repo).output)
    rules = {f["rule"] for f in report["findings"]}
    assert "secrets/acme-key" in rules and "secrets/github-pat" not in rules
    write(repo, {".prcheck.yaml": "secrets:\n  config: missing.toml\n"})
    result = run_cli(["check", "."], repo)
    assert result.exit_code == 2 and "missing.toml" in result.output


def test_rules_command_lists_gitleaks_rules_with_their_engine(run_cli, tmp_path: Path):
    result = run_cli(["rules", "--format", "json"], tmp_path)
    rules = {r["id"]: r for r in json.loads(result.output)}
    assert rules["secrets/aws-access-token"]["engine"] == "re2"
    assert rules["secrets/url-credentials"]["severity"] == "error"


def test_parsed_copy_of_the_shipped_rules_is_fresh_and_read_as_the_toml():
    """policies/data/gitleaks/parsed.json: regenerate with gitleaks.write_parsed_copy() after
    changing a shipped TOML file (a stale copy is ignored at run time, and fails here)."""
    import tomllib

    from prcheck.checks.secrets import gitleaks

    folder = gitleaks.default_path().parent
    copy = json.loads((folder / gitleaks.PARSED_COPY).read_text(encoding="utf-8"))
    for name in (gitleaks.default_path().name, gitleaks.EXTRA_FILE):
        text = (folder / name).read_text(encoding="utf-8")
        assert copy[name]["digest"] == gitleaks._digest(text), f"{name} changed: run write_parsed_copy()"
        assert copy[name]["rules"] == tomllib.loads(text)
    via_copy = load_default()
    upstream = parse(gitleaks.default_path().read_text(encoding="utf-8"), via_copy.origin)
    assert via_copy.rules[:len(upstream.rules)] == upstream.rules and via_copy.allowlists[:len(upstream.allowlists)] == \
        upstream.allowlists


def test_a_stale_parsed_copy_is_not_used(tmp_path: Path):
    from prcheck.checks.secrets import gitleaks

    toml = tmp_path / "rules.toml"
    toml.write_text(RULE)
    stale = {"rules.toml": {"digest": gitleaks._digest("something else"), "rules": {"rules": []}}}
    assert [r.id for r in gitleaks._shipped(toml, "t", stale).rules] == ["acme-key"]
    fresh = {"rules.toml": {"digest": gitleaks._digest(RULE), "rules": {"rules": [{"id": "x", "regex": "y"}]}}}
    assert [r.id for r in gitleaks._shipped(toml, "t", fresh).rules] == ["x"]
