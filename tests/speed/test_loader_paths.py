"""The loader's fast paths give exactly what its general path gives: the same objects (types,
key order), the same findings and the same line for every key path, on the semantics table,
on hostile and odd input, on every YAML file the repository ships and on random YAML-like text.

(The C loader, which takes ordinary texts before either, is switched off here.)
`k8s_yaml.plain_tree` builds ordinary documents (no anchors, string keys, no repeats, no merge
key); everything else goes to `k8s_yaml.Builder`. Turning the fast path off (so `Builder`
builds every document) must change nothing anyone can see.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prcheck.sources import k8s_yaml, yaml_loader
from prcheck.sources.yaml_loader import Limits, LoadedFile, load_bytes
from tests.speed.test_yaml_semantics import cases

ROOT = Path(__file__).resolve().parents[2]

ODD = [
    # repeated keys: same text; different text, same JSON key; a tag that changes one of them
    "a: 1\na: 2\n", "1: a\n\"1\": b\n", "yes: 1\ntrue: 2\n", "!t yes: 1\nyes: 2\n", "a:\n  b: 1\n  b: 2\nc: 3\nc: 4\n",
    "- {x: 1, x: 2}\n- [a, {y: 1, y: 1}]\n",
    # merge keys
    "base: &b {x: 1, y: 2}\none:\n  x: 0\n  <<: *b\n  y: 3\n", "<<: {a: 1}\nb: 2\n", "a: {<<: [{x: 1}, {x: 2}]}\n",
    "<<: 1\n", "<<: [1]\n",
    # tags on keys, values and collections
    "!!str 1: a\n", "a: !!str {b: 1}\n", "a: !!str [1]\n", "a: !!str 1\n", "a: !Ref x\nb: [!Sub y, !!int 0x1F]\n",
    "a: !!binary aGVsbG8=\n", "a: !!binary '%%%'\n", "a: !!float 1\n", "a: !!int 1.5\n", "a: !!bool yes\n",
    "a: !!null ''\n", "a: !!timestamp 2024-01-01\n", "!!map {a: 1}\n", "!!seq [a]\n", "!x {a: 1}\n", "a: !x [1, 2]\n",
    # keys that are not strings
    "1: a\n2.5: b\ntrue: c\n", "? [a]\n: b\n", "? {a: 1}\n: b\n", "~: x\n", ".inf: x\n", "on: push\n", "0x1F: a\n",
    "y: 1\nn: 2\n",
    # numbers and words
    "a: 2.0\nb: 1e400\nc: -.5\nd: 0755\ne: 08\nf: 1_000\ng: +1\nh: 0b101\ni: 0o17\n", "a: .nan\n", "a: [.inf]\n",
    "a: -9223372036854775809\nb: 18446744073709551615\nc: 18446744073709551616\n", "a: yes\nb: Off\nc: ~\nd:\ne: =\n",
    # documents: empty, scalar, list roots; block scalars; flow and block styles
    "", "---\n", "--- 1\n", "--- [a, 1]\n", "a\n", "---\n---\na: 1\n", "a: |\n  x\n  y\nb: >-\n  z\n", "a: [{b: {c: [1, {d: e}]}}]\n",
    "a: {}\nb: []\nc: ''\n",
    # anchors and aliases; self-reference; errors after good documents
    "a: &x [1, 2]\nb: *x\n", "a: &x\n  b: *x\n", "a: 1\n---\nb: [1, 2\n", "a: *nope\n", "a: 1\n---\nb: !!int x\n---\nc: 3\n",
    "a:\n\tb: 1\n", "a: b: c\n",
]


def _nested(depth: int, leaf: str) -> list[str]:
    mapping = "".join(f"{'  ' * i}k{i}:\n" for i in range(depth - 1)) + f"{'  ' * (depth - 1)}k: {leaf}\n"
    return [mapping, "[" * depth + leaf + "]" * depth, "[" * (depth - 1) + "{a: " + leaf + "}" + "]" * (depth - 1)]


LIMIT = 8  # nesting at, under and over a small limit: both paths must refuse the same documents
NESTED = [text for depth in (LIMIT - 2, LIMIT - 1, LIMIT, LIMIT + 1) for leaf in ("1", "[]", "{}") for text in _nested(depth, leaf)]


def _shipped() -> list[Path]:
    return sorted(p for folder in ("tests", "policies", "docs", "examples") if (ROOT / folder).is_dir()
                  for p in (ROOT / folder).rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _paths(obj: Any, prefix: list) -> list[list]:
    out = []
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for key, value in items:
        out.append([*prefix, key])
        out.extend(_paths(value, [*prefix, key]))
    return out


def _seen(loaded: LoadedFile) -> list:
    """Everything a later stage can read of a loaded file."""
    docs = []
    for doc in loaded.docs:
        lines = [(repr(p), doc.line_of(p), doc.line_of([*p, "absent"])) for p in _paths(doc.obj, [])[:2000]]
        docs.append((doc.index, doc.line, doc.file_kind, repr(doc.obj), lines))
    return [[(f.rule, f.severity, f.message, f.line, f.column) for f in loaded.findings], docs]


def _both(raw: bytes, limits: Limits = Limits()) -> tuple[list, list]:
    with pytest.MonkeyPatch.context() as m:
        m.setattr(yaml_loader, "_fastyaml", None)  # the C loader has its own test: test_fast_loader.py
        fast = _seen(load_bytes(raw, "x.yaml", "kubernetes", limits))
        m.setattr(k8s_yaml, "plain_tree", lambda node, max_depth: None)
        general = _seen(load_bytes(raw, "x.yaml", "kubernetes", limits))
    return fast, general


@pytest.mark.parametrize("text", [text + "\n" for text, _ in cases()] + ODD)
def test_semantic_and_odd_cases(text: str) -> None:
    fast, general = _both(text.encode())
    assert fast == general


@pytest.mark.parametrize("text", NESTED)
def test_nesting_around_the_limit(text: str) -> None:
    fast, general = _both(text.encode(), Limits(max_depth=LIMIT))
    assert fast == general


def test_every_shipped_yaml_file() -> None:
    files = _shipped()
    assert len(files) > 40
    for path in files:
        fast, general = _both(path.read_bytes())
        assert fast == general, path


YAML_ALPHABET = st.sampled_from(list("ab:-[]{}&*!|>'\"#<,? \n0123456789.~") + ["---\n", "  ", "yes", "on", "!!str ", "<<: "])


@settings(max_examples=300, deadline=None)
@given(st.lists(YAML_ALPHABET, max_size=60).map("".join))
def test_random_yaml_like_text(text: str) -> None:
    fast, general = _both(text.encode())
    assert fast == general


def test_the_fast_path_takes_ordinary_documents_and_leaves_the_rest() -> None:
    """(So the equivalence above is not vacuous.)"""
    def root(text: str) -> Any:
        return yaml_loader.node_loader()(text).get_single_node()

    ordinary = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {a: 'yes'}}\nspec:\n  containers: [{name: c, ports: [{containerPort: 80}]}]\n"
    assert k8s_yaml.plain_tree(root(ordinary), 200) == ({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "yes"}},
        "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]}}, [])
    assert k8s_yaml.plain_tree(root("a: !Ref x\n"), 200) == ({"a": "x"}, [1])
    for unusual in ("a: 1\na: 2\n", "<<: {a: 1}\n", "1: a\n", "on: push\n", "? [a]\n: b\n", "a: !!int x\n"):
        assert k8s_yaml.plain_tree(root(unusual), 200) is None, unusual
