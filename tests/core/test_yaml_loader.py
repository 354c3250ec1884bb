from prcheck.sources.yaml_loader import Limits, _without_quoted_text, load_bytes, load_text

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.25
"""


def rules(loaded):
    return [f.rule for f in loaded.findings]


def test_line_of_key_paths():
    doc = load_text(DEPLOYMENT, "d.yaml").docs[0]
    assert doc.line == 1
    assert doc.line_of(["metadata", "name"]) == 4
    assert doc.line_of(["spec", "template", "spec", "containers", 0, "image"]) == 10
    # a path that does not exist stops at its deepest existing prefix
    assert doc.line_of(["spec", "template", "nope"]) == 6


def test_multi_document_indices_and_lines():
    loaded = load_text("a: 1\n---\nb: 2\n---\nc: 3\n", "m.yaml")
    assert [(d.index, d.line, d.obj) for d in loaded.docs] == [(0, 1, {"a": 1}), (1, 3, {"b": 2}), (2, 5, {"c": 3})]


def test_syntax_error_keeps_earlier_documents_and_reports_line_and_column():
    loaded = load_text("a: 1\n---\nb: [1, 2\nc: 3\n", "bad.yaml")
    assert [d.obj for d in loaded.docs] == [{"a": 1}]
    (finding,) = loaded.findings
    assert finding.rule == "yaml/syntax" and (finding.line, finding.column) == (4, 2)
    assert finding.path == "bad.yaml"


def test_tab_indentation_is_named():
    loaded = load_text("a:\n\tb: 1\n", "t.yaml")
    assert rules(loaded) == ["yaml/tab-indentation"]
    assert loaded.findings[0].line == 2


def test_duplicate_keys_are_reported_with_line():
    loaded = load_text("a: 1\nb:\n  c: 1\n  c: 2\n", "d.yaml")
    assert rules(loaded) == ["yaml/duplicate-key"]
    assert loaded.findings[0].line == 4
    assert loaded.docs[0].obj == {"a": 1, "b": {"c": 2}}


def test_merge_keys_are_not_duplicates():
    loaded = load_text("base: &b {x: 1}\none:\n  <<: *b\n  z: 2\n", "m.yaml")
    assert loaded.findings == []
    assert loaded.docs[0].obj["one"] == {"x": 1, "z": 2}


def test_alias_bomb_is_refused_without_expanding():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    loaded = load_text("\n".join(lines) + "\n", "bomb.yaml")
    assert rules(loaded) == ["yaml/alias-bomb"]
    assert loaded.docs == []


def test_small_alias_use_is_fine():
    loaded = load_text("a: &a {k: v}\nb: *a\n", "ok.yaml")
    assert loaded.findings == [] and loaded.docs[0].obj == {"a": {"k": "v"}, "b": {"k": "v"}}


def test_deep_nesting_is_refused():
    loaded = load_text("[" * 500 + "]" * 500, "deep.yaml", limits=Limits(max_depth=200))
    assert rules(loaded) == ["yaml/too-deep"]


def test_size_cap_binary_and_invalid_utf8():
    limits = Limits(max_file_bytes=10)
    assert rules(load_bytes(b"a: 1\n" * 5, "big.yaml", limits=limits)) == ["yaml/file-too-large"]
    assert rules(load_bytes(b"\x89PNG\r\n\x00\x00", "img.yaml")) == ["yaml/binary-file"]
    bad = load_bytes(b"a: 1\nb: \xff\xfe\n", "latin.yaml")
    assert rules(bad) == ["yaml/invalid-utf8"] and bad.findings[0].line == 2


def test_timestamps_stay_strings_like_kubernetes_decodes_them():
    doc = load_text("date: 2024-01-01\nwhen: 2024-01-01T10:00:00Z\neq: =\n", "t.yaml").docs[0]
    assert doc.obj == {"date": "2024-01-01", "when": "2024-01-01T10:00:00Z", "eq": "="}


def test_empty_documents_are_kept_as_none():
    loaded = load_text("a: 1\n---\n---\nb: 2\n", "e.yaml")
    assert [d.obj for d in loaded.docs] == [{"a": 1}, None, {"b": 2}]


def test_bom_is_ignored():
    assert load_bytes("\ufeffa: 1\n".encode(), "bom.yaml").docs[0].obj == {"a": 1}


def test_a_value_that_does_not_fit_its_tag_is_a_finding_without_the_value():
    text = ("a: 1\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
            "stringData: {password: !!float Zq8Wm3Rt7Yu2Kp5x, pin: !!int Zq8Wm3Rt7Yu2Kp5x}\n---\nb: 2\n")
    loaded = load_text(text, "s.yaml")
    assert [d.obj for d in loaded.docs] == [{"a": 1}]  # like a syntax error: earlier documents are kept
    [finding] = loaded.findings
    assert (finding.rule, finding.line) == ("yaml/syntax", 3)
    assert "zq8wm3rt7yu2kp5x" not in finding.message.lower()


def test_syntax_errors_never_quote_a_value_read_as_a_tag_or_alias():
    # unquoted, a value starting with ! is a tag and one starting with * an alias: both may be passwords
    # (Kubernetes ignores an unknown tag, so a value that is only a tag is empty: a warning says so)
    for text, rule in (("stringData:\n  password: !Sup3rS3cr3tP4ss\n", "yaml/ignored-tag"),
                       ("env:\n  DB_PASSWORD: !<Sup3rS3cr3tP4ss>\n", "yaml/ignored-tag"),
                       ("stringData:\n  password: *Sup3rS3cr3tP4ss\n", "yaml/syntax")):
        [finding] = load_text(text, "s.yaml").findings
        assert finding.rule == rule and "Sup3rS3cr3tP4ss" not in finding.message, finding.message
    # the pure-Python parser's wording quotes an alias name too
    assert _without_quoted_text("found undefined alias 'Sup3rS3cr3tP4ss'") == (
        "found undefined alias (not shown) (quote a value that starts with !, & or *)")
    assert _without_quoted_text("found character '%' that cannot start any token") == (
        "found character '%' that cannot start any token")


def test_the_plain_walk_leaves_no_cycle_behind() -> None:
    """Runs pause the garbage collector (and freeze what is left), so a reference cycle made per
    document is memory kept to the end of the run: the walk must free all it made by itself."""
    import gc

    import yaml

    from prcheck.sources import k8s_yaml

    node = yaml.compose("a: 1\nb: [x, {c: d}]\n")
    gc.collect()
    gc.disable()
    try:
        for _ in range(10):
            assert k8s_yaml.plain_tree(node, 100) == ({"a": 1, "b": ["x", {"c": "d"}]}, [])
        assert gc.collect() == 0
    finally:
        gc.enable()
