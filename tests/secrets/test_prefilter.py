"""The secrets check's shortcuts: a document is cleared without units only when that cannot change
what it reports.

`unit_texts` must give the keys and texts of `unit_list` in the same order, `Matcher.suspects`
must name every text a rule can match, and `batch_pattern` must only widen a rule. Each is
compared here with the exact path on the repository's own fixtures, on every rule's generated
samples placed where Kubernetes documents hold values, and on hostile shapes.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import re2

from prcheck.checks.secrets import SecretsEngine, SecretsSettings
from prcheck.checks.secrets import decode
from prcheck.checks.secrets.decode import unit_list, unit_texts
from prcheck.checks.secrets.detector import _joined
from prcheck.checks.secrets.gitleaks import load_default, parse
from prcheck.checks.secrets.matcher import SET_FROM, Matcher, batch_pattern
from prcheck.model import Document
from prcheck.sources.yaml_loader import load_text
from tests.secrets.samples import negatives, positive

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ghp_" + "R7mK2pQ9xT4vB8nL3wZ6yH1cF5dJ0sA2gE9u"
ORDINARY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
  annotations: {checksum/config: 3f1c2a9be0d4c6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1}
spec:
  template:
    spec:
      containers:
        - name: web
          image: ghcr.io/example/web:1.2.3
          args: ["--port=8080", "--log-level", "info"]
          env:
            - {name: LOG_LEVEL, value: info}
            - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}
          volumeMounts: [{name: data, mountPath: /data}]
      volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
"""


class _Str(str):
    """A str subclass: the text walk's fast paths test exact types, and must hand others on."""


class _Dict(dict):
    pass


class _List(list):
    pass


@pytest.fixture(scope="module")
def engine() -> SecretsEngine:
    return SecretsEngine.from_settings(SecretsSettings())


def _docs(text: str, path: str = "sample.yaml") -> list[Document]:
    return [d for d in load_text(text, path, "yaml").docs if d.obj is not None]


def _fixture_docs() -> list[Document]:
    """The pack's and the secrets rules' fixtures, the project's own YAML files (CI, action),
    and the kinds the speed benchmark generates."""
    import importlib.util

    files = [*sorted((ROOT / "policies").rglob("*.yaml")), *sorted(ROOT.glob("*.y*ml")), *sorted(ROOT.glob(".*.y*ml")),
             *sorted((ROOT / ".github").rglob("*.yml"))]
    docs = [d for path in files for d in _docs(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())]
    spec = importlib.util.spec_from_file_location("check_bench", ROOT / "benchmarks" / "check_bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    for i in range(400):
        docs.extend(_docs(bench.render_resource(bench.KINDS[i % len(bench.KINDS)], i), f"bench-{i}.yaml"))
    return docs


def _placed(value: str) -> list[str]:
    """One value where a document usually holds text: env, annotation, args, ConfigMap, CI, list."""
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return [
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n  - name: c\n    env:\n"
        f"    - {{name: SETTING, value: {quoted}}}\n",
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  annotations: {{note: {quoted}}}\n",
        f"apiVersion: batch/v1\nkind: Job\nmetadata: {{name: j}}\nspec:\n  template:\n    spec:\n      containers:\n"
        f"      - name: c\n        args: [{quoted}]\n",
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata:\n  settings: {quoted}\n",
        f"jobs:\n  build:\n    steps:\n    - run: {quoted}\n",
        f"- {quoted}\n- apiVersion: v1\n",
    ]


def _exact(engine: SecretsEngine, docs: list[Document]) -> list[list]:
    return [engine.scan(d, proved=False) for d in docs]


def test_unit_texts_are_the_units_keys_and_texts_on_every_fixture():
    checked = 0
    for doc in _fixture_docs():
        texts = unit_texts(doc.obj)
        if texts is None:
            continue
        units = unit_list(doc.obj)
        assert texts == ([u.key for u in units], [u.text for u in units]), doc.path
        checked += 1
    assert checked > 400


@pytest.mark.parametrize("obj", [
    {"a": " ", "b": "\t", "c": "", "d": "\u00a0", "e": "x=1", "f": "{\"token\": \"abc\"}", "g": " lead"},
    {"config.env": "A=1", "app.yaml": "a: b", "value": "v", 1: 2, None: "n", 2.5: True, "x": 1.5e300},
    {"env": [{"name": "TOKEN", "value": "abc", "extra": {"value": "q"}}, {"name": 3, "value": "x"}]},
    {"variables": {"DEPLOY_TOKEN": {"value": "abc", "description": "d"}}, "with": {"password": 1234}},
    {"kind": "ConfigMap", "apiVersion": "v1", "data": {"a.json": "{\"k\": [1, \"x\"]}", 3: "y"},
     "binaryData": {"b": "dG9rZW49YWJj", "c": "!!"}, "metadata": {"name": "n"}},
    {"kind": "ConfigMap", "apiVersion": "v2", "data": {"a": "b"}},
    [["a", ["b", {"c": "d"}]], "e", 7, {"value": "v"}],
    {"sops": {"mac": "x"}, "token": "t"},
    {_Str("note"): _Str("a=b"), "list": [_Str("x"), _Dict(value="v"), _List(["y", 1])], "m": _Dict(token="t")},
    {"app.yaml": ["a: b", "c"], "args": ["--x=1", " ", "{\"k\": \"v\"}", "\n", True, None, 3]},
    {"kind": "SealedSecret", "spec": {"encryptedData": {"a": "b"}}},
])
def test_unit_texts_match_units_on_odd_shapes(obj):
    texts = unit_texts(obj)
    units = unit_list(obj)
    assert texts == ([u.key for u in units], [u.text for u in units])


def test_secrets_and_generators_always_take_units():
    assert unit_texts({"apiVersion": "v1", "kind": "Secret", "stringData": {"a": "b"}}) is None
    assert unit_texts({"secretGenerator": [{"literals": ["a=b"]}]}) is None
    assert unit_texts({"configMapGenerator": [{"literals": ["a=b"]}]}) is None


def test_an_ordinary_document_is_cleared_without_units(engine, monkeypatch):
    docs = _docs(ORDINARY)

    def no_units(obj):
        raise AssertionError("units were built for a document the prefilter clears")

    monkeypatch.setattr("prcheck.checks.secrets.engine.unit_list", no_units)
    assert engine.evaluate(docs).findings == []
    assert engine.scan(docs[0]) == []


def test_a_secret_in_an_ordinary_document_is_still_found(engine):
    text = ORDINARY.replace("value: info}", f"value: info}}\n            - {{name: GITHUB, value: {TOKEN}}}")
    findings = engine.evaluate(_docs(text)).findings
    assert [f.rule for f in findings] == ["secrets/github-pat"]
    assert findings == engine.scan(_docs(text)[0], proved=False)
    literal = ORDINARY.replace("key: password}}}", "key: password}}}\n            - {name: API_TOKEN, value: s3cr3t-Value-9}")
    assert [f.rule for f in engine.evaluate(_docs(literal)).findings] == ["secrets/env-literal"]
    url = ORDINARY.replace("info}", "'postgres://app:Zx8vQ2mN4pL7@db:5432/app'}")
    assert [f.rule for f in engine.evaluate(_docs(url)).findings] == ["secrets/url-credentials"]


def test_batched_findings_equal_the_exact_path_on_every_fixture(engine):
    docs = _fixture_docs()
    assert [f for found in _exact(engine, docs) for f in found] == engine.evaluate(docs).findings


def test_batched_findings_equal_the_exact_path_on_every_rules_samples(engine):
    """Every shipped rule's positives and look-alikes, placed six ways, in one batch with
    ordinary documents between them (a match must be traced to its own document)."""
    rng = random.Random(7)
    ordinary = _docs(ORDINARY)
    docs: list[Document] = []
    positives = 0
    for rule in load_default().rules:
        if rule.regex is None or rule.path is not None:
            continue
        sample = positive(rule, 0)
        if sample is None:
            continue
        for value in [sample, *negatives(rule, sample)[:2]]:
            for text in _placed(value):
                docs.extend(_docs(text, f"{rule.id}.yaml"))
                if rng.random() < 0.3:
                    docs.extend(ordinary)
        positives += 1
    assert positives > 150
    exact = [f for found in _exact(engine, docs) for f in found]
    assert engine.evaluate(docs).findings == exact
    assert len(exact) > positives * 4


def test_a_document_after_a_rule_match_in_the_batch_is_still_scanned(engine):
    """`accessModes: ReadWriteOnce` matches generic-api-key's regex (its allowlist drops it): the
    documents around it in a batch, one holding a real token, are judged one by one."""
    pvc = _docs("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: d}\nspec:\n  accessModes: [ReadWriteOnce]\n"
                "  accessModes2: ReadWriteOnce\n")
    secret = _docs(f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations: {{a: {TOKEN}}}\n")
    docs = pvc + secret + pvc + secret[::-1]
    assert engine.evaluate(docs).findings == [f for found in _exact(engine, docs) for f in found]
    assert len(engine.evaluate(docs).findings) == 2


@pytest.mark.parametrize("source, rewritten", [
    (r"^abc$", "(?:^|\n)abc(?:$|\n)"),
    (r"(?i)\b(tok_[a-z]{8})(?:[\s;]|$)", "(?i)\\b(tok_[a-z]{8})(?:[\\s;]|(?:$|\n))"),
    (r"(?:^|[\s=])(k[0-9]{4})\z", "(?:(?:^|\n)|[\\s=])(k[0-9]{4})(?:\\z|\n)"),
    (r"[$^]a\$b", r"[$^]a\$b"),
    (r"[]$]x", r"[]$]x"),
    (r"a$|^b", "a(?:$|\n)|(?:^|\n)b"),
    (r"(?P<v>x)\A", None),  # a start anchor after text
    (r"a$b", None),  # text after an end anchor
    (r"(?:a$){2}", None),  # a repeated end anchor
    (r"(?:^a)+", None),  # a repeated start anchor
    (r"a(?:$|x)\b", None),
    (r"[[:alpha:]]+", None),
    (r"\Q$\E", None),
    (r"[unterminated", None),
])
def test_batch_pattern_rewrites_only_what_it_can_prove(source, rewritten):
    assert batch_pattern(source) == rewritten


def test_every_shipped_rule_but_posix_classes_runs_in_batches():
    rules = [r for r in load_default().rules if r.regex]
    left = [r.id for r in rules if batch_pattern(r.regex) is None]
    assert all("[[:" in r.regex for r in rules if r.id in left), left
    for rule in rules:
        if rule.id not in left:
            re2.compile(batch_pattern(rule.regex))


ANCHORED = """
[[rules]]
id = "anchored-token"
regex = '''^tok_([a-z0-9]{12})$'''
secretGroup = 1
keywords = ["tok_"]

[[rules]]
id = "fenced-token"
regex = '''(?:^|\\s)(fen_[a-z0-9]{12})(?:\\s|$)'''
secretGroup = 1
keywords = ["fen_"]

[[rules]]
id = "posix-token"
regex = '''pos_[[:alnum:]]{12}'''
keywords = ["pos_"]

[[rules]]
id = "path-token"
regex = '''pth_[a-z0-9]{12}'''
path = '''\\.yaml$'''
keywords = ["pth_"]
"""


def probed(matcher: Matcher) -> Matcher:
    """`matcher` past a small run: its next batch builds the keyword set and probes the rules."""
    matcher._read = SET_FROM
    return matcher


def small(matcher: Matcher) -> Matcher:
    """`matcher` as at the start of a run: no keyword set, nothing read."""
    matcher._set, matcher._read = None, 0
    return matcher


MODES = {"probed": probed, "small run": small}


@pytest.mark.parametrize("mode", MODES)
def test_suspects_name_every_text_a_rule_matches(mode):
    """Anchored rules, a rule `batch_pattern` cannot rewrite and a path rule, over texts where the
    secret sits at either end of a text, alone, or next to another text's secret."""
    matcher = Matcher(parse(ANCHORED, "rules.toml"))
    rng = random.Random(3)
    values = ["tok_abcdef123456", "fen_abcdef123456", "pos_abcdef123456", "pth_abcdef123456", "plain text",
              "key: value", "x tok_abcdef123456", "fen_abcdef123456 y", ""]
    for _ in range(300):
        MODES[mode](matcher)
        texts = ["\n".join(rng.choice(values) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(1, 6))]
        paths = [rng.choice(["a.yaml", "b.txt"]) for _ in texts]
        matched = {i for i, (text, path) in enumerate(zip(texts, paths)) if matcher.scan(text, path)}
        assert matched <= matcher.suspects(texts, paths), (texts, paths)


@pytest.mark.parametrize("mode", MODES)
def test_each_suspect_names_the_rules_that_can_match_it(mode):
    """`scan` with only the rules `suspect_rules` names for a text finds what `scan` with all of
    them finds; a text that is no suspect has nothing to find. The shipped rules (generic-api-key
    matches next to a token's own rule) and anchored, unrewritable and path rules; probed, and
    in a small run (every text a suspect of the rules its batch's keywords picked)."""
    rng = random.Random(5)
    values = ["tok_abcdef123456", "fen_abcdef123456", "pos_abcdef123456", "pth_abcdef123456", "plain text",
              f"token: {TOKEN}", "accessModes: ReadWriteOnce", "api_key = Zx81kQ0pLm27aTe9", "x tok_abcdef123456",
              "key: value", "fen_abcdef123456 y", "", f"clé: {TOKEN} ünïcode", "tok_abcdef123456 é"]
    # (a batch of ASCII texts is read as bytes, any other as text: both are here)
    for matcher in (Matcher(parse(ANCHORED, "rules.toml")), Matcher(load_default())):
        for _ in range(150):
            MODES[mode](matcher)
            texts = ["\n".join(rng.choice(values) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(1, 6))]
            paths = [rng.choice(["a.yaml", "b.txt"]) for _ in texts]
            suspects = matcher.suspect_rules(texts, paths)
            for i, (text, path) in enumerate(zip(texts, paths)):
                found = matcher.scan(text, path)
                assert found == (matcher.scan(text, path, suspects[i]) if i in suspects else []), (texts, i)


def test_a_rule_set_for_one_suspect_leaves_out_the_rules_that_missed_it():
    matcher = probed(Matcher(load_default()))
    texts = ["accessModes: ReadWriteOnce", f"token: {TOKEN}", "plain"]
    suspects = matcher.suspect_rules(texts, ["a.yaml"] * 3)
    ids = {i: {matcher.rules[r].rule.id for r in rules or ()} for i, rules in suspects.items()}
    assert "github-pat" in ids[1] and "github-pat" not in ids[0]


def test_any_secret_name_is_any_of_secret_name():
    from prcheck.checks.secrets.words import default_words

    words = default_words()
    rng = random.Random(9)
    pool = [None, "name", "image", "DB_PASSWORD", "apiKey", "existingSecret", "password_file", "token", "replicas",
            "clientSecret", "checksum/secret", "GH_TOKEN_USAGE_TITLE", "labels", "accessKey", "x"]
    for step in range(400):
        names = [rng.choice(pool) for _ in range(rng.randint(0, 6))]
        assert words.any_secret_name(names) == any(n is not None and words.secret_name(n) for n in names), names
        if step % 50 == 0:
            words.forget_names(0)


EMBEDDED = ["feature: 754\nregion: eu-west-1\n", "a: 1\n---\nb: 2\n", "- x\n- y\n", "a: &x 1\nb: *x\n", "a: 1\na: 2\n",
            "a: !!binary aGVsbG8=\n", "on: yes\nmode: 0755\n", "a: [1, {b: c}]\n", "a: b: c\n", "---\n", "just text\n",
            "a:\n  b: |\n    x\n    y\n", "\"q\": 'it''s'\n", "a: 1e3\nb: 0x1F\n", "{a: 1\n"]


@pytest.mark.parametrize("text", EMBEDDED)
def test_an_embedded_file_reads_as_the_full_loader_reads_it(text):
    """The embedded YAML's object through the C loader's objects alone is `load_text`'s: one
    document, loaded without a finding, else nothing."""
    loaded = load_text(text, "embedded", "yaml")
    docs = [d.obj for d in loaded.docs if isinstance(d.obj, (dict, list))]
    assert decode._yaml_mapping(text) == (docs[0] if len(docs) == 1 and not loaded.findings else None)


def test_suspects_are_few_for_ordinary_texts():
    matcher = probed(Matcher(load_default()))
    texts = [_joined(*unit_texts(d.obj)) for d in _docs(ORDINARY)] * 50
    assert matcher.suspects(texts, ["a.yaml"] * len(texts)) == set()


def test_hostile_batches_stay_exact(engine):
    """Thousands of matches in one batch, a text longer than a batch, deep nesting, binary junk."""
    many = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n" + "".join(
        f"  k{i}: 'api_key = {TOKEN[:-4]}{i:04d}'\n" for i in range(1500))
    long_value = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    a: '" + "x" * 70_000 + f" {TOKEN}'\n"
    deep = "a: " + "[" * 150 + "1" + "]" * 150 + "\n"
    junk = "a: \"\\x00\\x01\\ud7ff" + "\\u00e9" * 10 + f" {TOKEN}\"\n"
    docs = [d for text in (many, long_value, deep, junk, ORDINARY) for d in _docs(text)]
    assert engine.evaluate(docs).findings == [f for found in _exact(engine, docs) for f in found]
    assert sum(f.rule == "secrets/github-pat" for f in engine.evaluate(docs).findings) >= 2


def test_a_recursion_error_in_the_text_walk_falls_back_to_units(engine, monkeypatch):
    def deep(*args, **kwargs):
        raise RecursionError

    monkeypatch.setattr(decode, "_collect_texts", deep)
    text = f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations: {{a: {TOKEN}}}\n"
    assert [f.rule for f in engine.evaluate(_docs(text)).findings] == ["secrets/github-pat"]
