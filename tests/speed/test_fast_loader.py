"""The C loader (`prcheck.sources._fastyaml`) gives exactly what the general path gives.

For an ordinary text it builds the objects and line trees itself; for anything else it answers
None and the general path (libyaml's composer, `k8s_yaml`) loads the text. Either way every
later stage must see the same: objects with their types and key order, findings, the line of
every key path through each line walker, the style a block-scalar check reads, and the same
again after the trees travel between processes (`line_tree.light`/`defer`, pickling).
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prcheck.checks.policy.builtin import _LineCache
from prcheck.checks.policy.cel.program import _is_block
from prcheck.checks.policy.gatekeeper.load import _is_block_scalar
from prcheck.model import _child_node
from prcheck.sources import line_tree, yaml_loader
from prcheck.sources.yaml_loader import Limits, LoadedFile, load_bytes, load_text
from tests.speed.test_loader_paths import NESTED, ODD, _nested, _paths, _shipped
from tests.speed.test_yaml_semantics import cases

ROOT = Path(__file__).resolve().parents[2]

SCALARS = [
    # words, numbers and their near misses, as values and as keys
    "y", "Y", "yes", "Yes", "YES", "yES", "n", "no", "NO", "on", "On", "ON", "oN", "off", "Off", "true", "True", "TRUE",
    "tRUE", "false", "False", "FALSE", "null", "Null", "NULL", "nULL", "~", "~x", "", "<<", "<", "<<x", "nginx", "tcp",
    "0", "-0", "+0", "00", "07", "08", "0755", "0o17", "0O17", "0x1F", "0X1f", "0b101", "0B2", "1_000", "_1", "1_",
    "12", "-12", "+12", "123456789012345678", "1234567890123456789", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "-9223372036854775809", "18446744073709551615", "18446744073709551616",
    "1.5", "1.", ".5", "-.5", "+.5", "1e3", "1E3", "1e-05", "1e+3", "1e400", "-1e400", "2.0", "-2.0", "1.0e0",
    ".inf", ".Inf", "-.inf", "+.INF", ".nan", ".NaN", ".", "..", ".x", "-", "+", "-x", "1:20", "1:20:30",
    "250m", "512Mi", "1Gi", "1e3x", "0x1G", "0xfg", "1_000m", "1.2.3-rc1", "-1d", "0o8", "0b12", "1__0", "0x_1F",
    "2024-01-01", "2024-01-01T10:00:00Z", "1.2.3", "0.0.0.0", "=", "@x", "`x", "%x", "a b", "a: b", "x#y",
    "héllo", "日本", "🙂", "\u2028", "a" * 300,
]

EDGE = [
    # every scalar form above as a value, a key, a list item and a flow item
    *(f"v: {s}\n" for s in SCALARS if s and s[0] not in "@`%" and ": " not in s),
    *(f"{s}: v\n" for s in SCALARS if s and s[0] not in "@`%" and ": " not in s),
    "- " + "\n- ".join(s for s in SCALARS if s and s[0] not in "@`%" and ": " not in s) + "\n",
    "[" + ", ".join(s for s in SCALARS if s and s[0] not in "@`%," and ": " not in s) + "]\n",
    *(f"q: '{s}'\nd: \"{s}\"\n'{s}': 1\n\"{s}x\": 2\n" for s in SCALARS if "'" not in s),
    # block scalars: every chomping and indentation indicator, folded and literal
    "a: |\n  x\n  y\n\nb: |-\n  x\n\nc: |+\n  x\n\nd: >\n  x\n  y\n\n  z\ne: >-\n  x\nf: >+\n  x\n\ng: |2\n   x\n",
    "- |\n  a\n- >\n  b\n- key: |\n    c\n", "a: |\n\n\nb: 1\n", "a: >\n\tx\n", "k: |\n  ok\n  \u00e9\n",
    # flow collections, comments, document markers
    "a: {b: 1, c: [2, 3], d: {}}\ne: [{f: g}, [h], []]\n", "{a: 1, b: [x, y]}\n", "[a, {b: c}, [d]]\n",
    "a: 1 # comment\n# only a comment\nb: 2\n", "# just a comment\n", "a: [1, # c\n  2]\n",
    "---\na: 1\n...\n---\nb: 2\n...\n", "--- a\n--- b\n", "---\n", "---\n---\n", "--- # c\n", "...\n", "\n\n",
    "%YAML 1.1\n---\na: 1\n", "%YAML 1.2\n---\na: 1\n", "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
    "a: 1\n---\n---\nb: 2\n---\n", "kind: A\n---\n# empty\n---\nkind: B\n",
    # line breaks and encodings
    "a: 1\r\nb:\r\n  c: 2\r\n", "a: 1\rb: 2\r", "\ufeffa: 1\n", "a: x\u0085b: y\n", "a: x\u2028b: y\n", "a: 'x\u2029y'\n",
    "a: \"\\u00e9\\x41\\t\\n\"\nb: '\u00e9'\n", "é: ü\nñ:\n  - 日本\n", "a: \"\\ud800\"\n", "a: \"\\U0001F642\"\n",
    # tabs
    "a:\n\tb: 1\n", "a: 1\t\nb:\t2\n", "a: [1,\t2]\n", "\ta: 1\n",
    # repeated keys, anchors, tags, merge keys, syntax errors after good documents
    "a: 1\na: 2\n", "a: 1\n'a': 2\n", "a:\n  b: 1\n  b: 1\n", "1: a\n'1': b\n", "a: &x 1\nb: *x\n", "a: *x\n",
    "a: !!str 1\n", "a: ! 1\n", "!!map {a: 1}\n", "a: !x [1]\n", "<<: {a: 1}\n", "a:\n  <<: {b: 1}\n  c: 2\n",
    "a: 1\n---\nb: [\n", "a: 1\n---\nb: c: d\n", "a: 'x\n", "a: \"x\n", "a: [1, 2\n", "- a\nb: c\n", "a: b\n c\n",
    "? a\n: b\n", "? [a]\n: b\n", "? |\n  a\n: b\n", "a: x & y\nb: '&c'\n", "url: http://x/?a=1&b=2\n",
    "a: \x07\n", "a: \x7f\n",
    # long and many
    "a: " + "x" * 100_000 + "\n", "".join(f"k{i}: {i}\n" for i in range(3000)), "- " * 150 + "x\n",
    "---\n".join(f"kind: K{i}\nmetadata: {{name: n{i}}}\n" for i in range(200)),
]

DEEP = [text for depth in (198, 199, 200, 201, 400) for text in _nested(depth, "1")] + ["[" * 5000 + "]" * 5000 + "\n"]


def _style(node: Any, path: list) -> Any:
    for key in path:
        child = _child_node(node, key) if node is not None else None
        if child is None:
            return "absent"
        node = child[1]
    return getattr(node, "style", None)


def _seen(loaded: LoadedFile) -> list:
    """Everything a later stage can read of a loaded file, through every line walker."""
    docs = []
    for doc in loaded.docs:
        cache = _LineCache(doc)
        paths = _paths(doc.obj, [])[:3000]
        lines = [(repr(p), doc.line_of(p), doc.line_of([*p, "absent"]), cache.line_of([str(k) for k in p]),
                  _style(doc.node, p), _is_block(doc, p), _is_block_scalar(doc, p)) for p in paths]
        docs.append((doc.index, doc.line, doc.file_kind, doc.origin, repr(doc.obj), doc.node is None, lines))
    return [[(f.rule, f.severity, f.message, f.line, f.column) for f in loaded.findings], docs, loaded.text]


def _travelled(loaded: LoadedFile, how: str) -> "LoadedFile | str":
    """The file as the parent gets it back from a worker: line trees made light, or deferred to
    the text, then pickled."""
    copy = LoadedFile(loaded.path, loaded.kind, [dataclasses.replace(doc) for doc in loaded.docs], loaded.findings,
                      loaded.text)
    if how == "light":
        for doc in copy.docs:
            doc.node = line_tree.light(doc.node)
    else:
        line_tree.defer(copy)
    try:
        return pickle.loads(pickle.dumps(copy))
    except RecursionError:  # a tree nested near the depth limit is too deep for pickle either way
        return "too deep to pickle"


def _views(text: str, limits: Limits) -> list:
    loaded = load_text(text, "x.yaml", "kubernetes", limits)
    return [_seen(loaded)] + [_seen_travelled(_travelled(loaded, how)) for how in ("light", "defer")]


def _seen_travelled(loaded: "LoadedFile | str") -> Any:
    return loaded if isinstance(loaded, str) else _seen(loaded)


def _check(text: str, limits: Limits = Limits()) -> bool:
    """Both paths agree, also after travelling; True when the C loader took the text."""
    fast = _views(text, limits)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(yaml_loader, "_fastyaml", None)
        general = _views(text, limits)
    assert fast == general
    return yaml_loader.ordinary_documents(text, limits.max_depth) is not None


# A source tree used without installing it (PYTHONPATH) has the extension only after
# `python hatch_build.py`; an install (and so CI) always builds it.
needs_c = pytest.mark.skipif(yaml_loader._fastyaml is None and not os.environ.get("CI"),
                             reason="C loader not built in this source tree: python hatch_build.py")


@needs_c
def test_the_extension_is_built_in_this_install() -> None:
    """The package build compiles the C loader; without it every run takes the slow path."""
    assert yaml_loader._fastyaml is not None, "prcheck.sources._fastyaml did not build: reinstall with a C compiler"
    assert line_tree.LineNode is yaml_loader._fastyaml.LineNode
    assert yaml_loader._fastyaml.LIBYAML_VERSION == "0.2.5"


@pytest.mark.parametrize("text", [text + "\n" for text, _ in cases()] + ODD + EDGE)
def test_edge_cases(text: str) -> None:
    _check(text)


@pytest.mark.parametrize("text", NESTED)
def test_nesting_around_a_small_limit(text: str) -> None:
    _check(text, Limits(max_depth=8))


@pytest.mark.parametrize("text", DEEP)
def test_nesting_around_the_default_limit(text: str) -> None:
    _check(text)


@needs_c
def test_every_shipped_yaml_file() -> None:
    taken = 0
    for path in _shipped():
        fast = load_bytes(path.read_bytes(), str(path), "kubernetes")
        with pytest.MonkeyPatch.context() as m:
            m.setattr(yaml_loader, "_fastyaml", None)
            general = load_bytes(path.read_bytes(), str(path), "kubernetes")
        assert _seen(fast) == _seen(general), path
        taken += yaml_loader.ordinary_documents(fast.text, 200) is not None
    assert taken > 30  # most shipped files are ordinary: the comparison is not vacuous


@needs_c
def test_ordinary_texts_take_the_c_path_and_unusual_ones_do_not() -> None:
    ordinary = ["a: 1\n", "kind: Pod\nmetadata:\n  name: x\nspec: {containers: [{name: c, image: nginx}]}\n",
                "---\n", "", "- |\n  x\n", "a: yes\nb: 0755\nc: 1e3\nd: ~\ne: 2024-01-01\nf: '1'\n", "\ufeffa: 1\n"]
    unusual = ["a: &x 1\nb: *x\n", "a: !t 1\n", "a: 1\na: 2\n", "1: a\n", "<<: {a: 1}\n", "a: [\n", "a: .inf\n",
               "yes: 1\n", "? [a]\n: b\n", "a: 1\n---\nb: !!int x\n", "~: 1\n", ": 1\n"]
    for text in ordinary:
        assert yaml_loader.ordinary_documents(text, 200) is not None, text
    for text in unusual:
        assert yaml_loader.ordinary_documents(text, 200) is None, text
    assert sum(_check(t) for t in EDGE) > len(EDGE) // 3


@needs_c
def test_line_trees_are_line_nodes_that_travel() -> None:
    [doc] = load_text("a:\n  b: |\n    x\n  c: [1, 'y']\n", "x.yaml").docs
    node = doc.node
    assert isinstance(node, line_tree.LineNode) and node.start_mark is node
    assert (node.id, node.line, node.style) == ("mapping", 0, None)
    key, value = node.value[0]
    assert (key.id, key.value, key.style, key.start_mark.line) == ("scalar", "a", "", 0)
    assert _child_node(value, "b")[1].style == "|"
    again = pickle.loads(pickle.dumps(node))
    assert repr(again) == repr(node) and again.value[0][1].value[1][1].value[1].value == "y"
    assert line_tree.light(node) is node  # already a line tree: nothing to copy
    assert line_tree.LineNode("scalar", "v", 3, "'").start_mark.line == 3


def test_hostile_sizes_do_not_crash() -> None:
    for text in ["[" * 4000, "{a: " * 4000, "- " * 4000 + "x", "a: " + "é" * 2_000_000, "\x00"]:
        _check(text)
    with pytest.raises(UnicodeEncodeError):  # not text from bytes: the general path refuses it as before
        load_text("a: \udc80\n", "x.yaml")


@needs_c
def test_nesting_too_deep_for_the_composer_is_a_finding_not_a_crash() -> None:
    """PyYAML's composer recurses in C per level and overflows the stack some ten thousand levels
    down, killing the process: such a text is refused before it is composed."""
    script = (
        "from prcheck.sources.yaml_loader import load_text\n"
        "for text in ['[' * 200_000, 'a: 1\\n---\\n' + '- ' * 100_000 + 'x\\n', '{a: ' * 60_000 + '1' + '}' * 60_000]:\n"
        "    loaded = load_text(text, 'x.yaml')\n"
        "    print([(f.rule, f.message, f.line) for f in loaded.findings], len(loaded.docs))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [
        "[('yaml/too-deep', 'document 0 nests deeper than 200 levels; not checked', 1)] 0",
        "[('yaml/too-deep', 'document 1 nests deeper than 200 levels; not checked', 3)] 0",
        "[('yaml/too-deep', 'document 0 nests deeper than 200 levels; not checked', 1)] 0",
    ]
    # under the composer's bound the general path decides, as before
    assert yaml_loader.too_deep_to_compose("[" * 5000 + "]" * 5000) is None
    assert yaml_loader.too_deep_to_compose("[" * 5001 + "]" * 5001) == (0, 1)


def test_without_the_extension_the_same_results() -> None:
    """A machine without a compiler installs the pure-Python path: a fresh interpreter where the
    extension cannot be imported gives the same as this one."""
    texts = EDGE[::7] + ["kind: Pod\nmetadata:\n  name: x\n  annotations: {prcheck.dev/ignore: r}\n"]
    script = (
        "import json, sys\n"
        "sys.modules['prcheck.sources._fastyaml'] = None\n"
        "from prcheck.sources import yaml_loader, line_tree\n"
        "from tests.speed.test_fast_loader import _views\n"
        "assert yaml_loader._fastyaml is None and line_tree.LineNode is line_tree._LineNode\n"
        "out = []\n"
        "for t in json.load(sys.stdin):\n"
        "    out.append(_views(t, yaml_loader.Limits()))\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps(texts), capture_output=True, text=True,
                          cwd=ROOT, check=True)
    here = [_views(t, Limits()) for t in texts]
    assert json.loads(done.stdout) == json.loads(json.dumps(here))


# Random documents: block and flow nesting with plain, quoted and block scalars drawn from the
# tricky forms, so most texts are valid and the C path is really compared.
_word = st.sampled_from([s for s in SCALARS if s and s[0] not in "@`%" and ": " not in s and "#" not in s
                         and len(s) < 40 and s.strip() == s and "\u2028" not in s])
_key = st.one_of(_word, st.sampled_from(["name", "kind", "a", "b", "spec", "x"]))


def _scalar(draw: Any) -> str:
    word = draw(_word)
    style = draw(st.sampled_from(["plain", "plain", "single", "double"]))
    return word if style == "plain" else (f"'{word}'" if style == "single" else json.dumps(word))


@st.composite
def _block(draw: Any, indent: int = 0, depth: int = 0) -> str:
    pad = " " * indent
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        key = draw(_key) if draw(st.booleans()) else json.dumps(draw(_key))
        kind = draw(st.sampled_from(["scalar", "scalar", "block", "map", "seq", "flow"])) if depth < 4 else "scalar"
        if kind == "scalar":
            lines.append(f"{pad}{key}: {_scalar(draw)}")
        elif kind == "block":
            lines.append(f"{pad}{key}: {draw(st.sampled_from(['|', '>', '|-', '>+']))}\n{pad}  {draw(_word)}")
        elif kind == "map":
            lines.append(f"{pad}{key}:\n" + draw(_block(indent + 2, depth + 1)).rstrip("\n"))
        elif kind == "seq":
            items = [f"{pad}- {_scalar(draw)}" for _ in range(draw(st.integers(1, 3)))]
            lines.append(f"{pad}{key}:\n" + "\n".join(items))
        else:
            lines.append(f"{pad}{key}: [{', '.join(_scalar(draw) for _ in range(draw(st.integers(0, 3))))}]")
        if draw(st.integers(0, 9)) == 0:
            lines.append(f"{pad}# comment")
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_block(), min_size=1, max_size=3), st.sampled_from(["\n", "\r\n"]))
def test_random_documents(docs: list[str], newline: str) -> None:
    _check("---\n".join(docs).replace("\n", newline))


YAML_ALPHABET = st.sampled_from(list("ab:-[]{}&*!|>'\"#<,? \n\t0123456789.~é") + ["---\n", "  ", "yes", "on", "<<: "])


@settings(max_examples=300, deadline=None)
@given(st.lists(YAML_ALPHABET, max_size=60).map("".join))
def test_random_yaml_like_text(text: str) -> None:
    _check(text)
