"""Whatever bytes a file holds, loading gives documents or findings, never an exception."""

from hypothesis import given, settings
from hypothesis import strategies as st

from prcheck.checks import lint, schema
from prcheck.checks.context import CheckContext
from prcheck.checks.schema_store import SchemaStore
from prcheck.sources.yaml_loader import Limits, load_bytes

YAML_ALPHABET = st.sampled_from(list("ab:-[]{}&*!|>'\"#%@`,? \t\n0123456789.") + ["---\n", "apiVersion: v1\n", "kind: Pod\n", "\x00", "\xff"])
STORE = SchemaStore("1.32")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_give_documents_or_findings(raw: bytes):
    loaded = load_bytes(raw, "x.yaml", limits=Limits(max_file_bytes=300))
    assert all(f.rule.startswith("yaml/") and f.path == "x.yaml" for f in loaded.findings)
    if len(raw) > 300:
        assert [f.rule for f in loaded.findings] == ["yaml/file-too-large"] and loaded.docs == []
    elif b"\x00" in raw:
        assert [f.rule for f in loaded.findings] == ["yaml/binary-file"]


@settings(max_examples=300, deadline=None)
@given(st.lists(YAML_ALPHABET, max_size=80).map("".join))
def test_yaml_like_text_loads_and_checks_without_raising(text: str):
    loaded = load_bytes(text.encode("utf-8", "surrogatepass"), "x.yaml", kind="kubernetes")
    for finding in loaded.findings:
        assert finding.path == "x.yaml" and finding.rule.startswith(("yaml/", "path/"))
    list(lint.check([loaded], CheckContext()))
    list(schema.check(loaded.docs, CheckContext(), STORE))
