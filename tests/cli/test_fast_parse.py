"""The fast parser of `prcheck check` either declines or gives exactly the keyword arguments
click gives the command (names, types, order), and the two are made from one table."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator
from unittest import mock

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import prcheck.cli
from prcheck.cli import main
from prcheck.cli_entry import check_params
from prcheck.cli_options import CHECK_OPTIONS, PATHS
from prcheck.cli_spec import Choice, IntRange, PathType
from prcheck.publish.flags import PUBLISH_OPTIONS


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder holding a file and a folder, so `--config d` is refused as click refuses it."""
    root = tmp_path_factory.mktemp("args")
    (root / "f.yaml").write_text("a: 1\n", encoding="utf-8")
    (root / "d").mkdir()
    before = os.getcwd()
    os.chdir(root)
    yield root
    os.chdir(before)


def clicks_params(args: list[str]) -> dict[str, Any] | None:
    """What click hands `check`'s body for `prcheck check ARGS`; None when click does not run it."""
    seen: list[dict[str, Any]] = []
    with mock.patch.object(prcheck.cli, "run_check", lambda **params: seen.append(params)):
        CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    return seen[0] if seen else None


def same(fast: dict[str, Any] | None, slow: dict[str, Any] | None) -> None:
    if fast is not None:  # declining is always allowed; an answer must be click's, types and order included
        assert slow is not None, fast
        assert repr(list(fast.items())) == repr(list(slow.items()))


ORDINARY = [
    [], ["f.yaml"], ["--no-render", "--", "f.yaml", "x.yaml"], ["f.yaml", "--fail-on", "never", "--format", "json"],
    ["-q", "f.yaml"], ["-qj2", "f.yaml"], ["-j2"], ["-j", "3"], ["--jobs=4"], ["-o", "out.json", "--format", "json"],
    ["-oout.json", "--format=json"], ["--format", "sarif", "-o", "a", "--format", "json"], ["--strict", "--no-strict"],
    ["--no-strict", "--strict"], ["--config", "f.yaml"], ["--config=missing.yaml"], ["--shard", "2/3"], ["--shard="],
    ["--policy", "p", "--policy", "q", "--data", "d"], ["--skip-kinds", "A,B", "--skip-kinds", "C"],
    ["--base", "auto"], ["--base", "main", "--head", "HEAD", "--filter-mode", "file", "--all-files"],
    ["--publish", "github", "--dry-run", "--name", "x", "--max-comments", "0", "--no-publish", "check-run",
     "--summary-comment", "always", "--status-per-env", "--github-token", "t"],
    ["--rego-engine", "opa", "--opa-url", "http://127.0.0.1:1", "--rego-version", "v1", "--gatekeeper-engine", "cel",
     "--capabilities", "c.json", "--rego-strict", "--combine", "--all-namespaces", "--namespace", "main"],
    ["--builtin", "--no-builtin", "--skip-missing-schemas", "--allow-remote", "--ignore-labels", "--render"],
    ["--kube-version", "1.30", "--schema-location", "x/{{ .ResourceKind }}.json", "--suppressions", "trusted",
     "--trusted-ref", "main", "--exclude", "vendor/*", "--summary", "--add-policy", "extra"],
    ["-", "f.yaml", "--", "--format", "-q", "--"], ["f.yaml", "", "d"], ["--config", "--", "f.yaml"],
    ["--jobs", " 5 ", "--max-comments", "+7"], ["-qq", "-q"], ["-o", "-q", "--format", "json"],
]

UNUSUAL = [
    ["--help"], ["-h"], ["-qh"], ["f.yaml", "--help"], ["--bogus"], ["--strct"], ["--quiet=1"], ["--strict=yes"],
    ["--format"], ["-o"], ["-qo"], ["--format", "xml"], ["--jobs", "0"], ["-j0"], ["-jx"], ["-j=2"], ["--jobs", ""],
    ["--max-comments", "-1"], ["--config", "d"], ["--config=d"], ["-o", "d"], ["--shard", "3/2"], ["--shard", "x"],
    ["--publish", "bitbucket"], ["--no-publish", "x"], ["--fail-on", "Error"], ["-o", "a", "-o", "b"],
    ["--render", "--no-render"], [""], ["", ""], ["-x"], ["--"], ["---format", "json"], ["-o=x.json", "--format", "json"],
]


@pytest.mark.parametrize("args", ORDINARY, ids=" ".join)
def test_ordinary_forms_are_parsed_as_click_parses_them(folder: Path, args: list[str]) -> None:
    fast = check_params(["check", *args])
    assert fast is not None, args
    same(fast, clicks_params(args))


@pytest.mark.parametrize("args", UNUSUAL, ids=" ".join)
def test_unusual_forms_are_parsed_as_click_parses_them_or_left_to_click(folder: Path, args: list[str]) -> None:
    same(check_params(["check", *args]), clicks_params(args))


def test_mistakes_help_and_other_commands_are_left_to_click(folder: Path) -> None:
    for args in (["--help"], ["-h", "f.yaml"], ["--format", "xml"], ["--jobs", "0"], ["-o", "a", "-o", "b"], [""],
                 ["--render", "--no-render"], ["--config", "d"], ["--shard", "9/2"]):
        assert check_params(["check", *args]) is None, args
        assert clicks_params(args) is None, args
    for argv in ([], ["--help"], ["version"], ["merge", "r.json"], ["--", "check"], ["-h", "check"], ["Check"]):
        assert check_params(argv) is None


def test_shell_completion_is_left_to_click(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_PRCHECK_COMPLETE", "bash_complete")
    assert check_params(["check", "f.yaml"]) is None


_LONG = sorted(s for option in CHECK_OPTIONS for s in option.strings() if s.startswith("--"))
_VALUES = ["f.yaml", "d", "missing", "", "-", "--", "=", "0", "1", "2", " 3", "+4", "-1", "x", "1/2", "3/2", "2/2",
           "a,b", "-q", "--format", "-h", *sorted({c for o in CHECK_OPTIONS if isinstance(o.attrs.get("type"), Choice)
                                                   for c in o.attrs["type"].choices})]
_TOKENS = st.one_of(
    st.sampled_from(_LONG + ["--help", "-h", "--bogus", "--", "-", "--no-"]),
    st.sampled_from(_VALUES),
    st.text(alphabet="qjohx2=/", min_size=1, max_size=4).map(lambda s: "-" + s),
    st.builds(lambda o, v: f"{o}={v}", st.sampled_from(_LONG), st.sampled_from(_VALUES)),
)


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_TOKENS, max_size=8))
def test_any_arguments_are_parsed_as_click_parses_them_or_left_to_click(folder: Path, args: list[str]) -> None:
    same(check_params(["check", *args]), clicks_params(args))


@settings(max_examples=300, deadline=None, database=None)
@given(st.one_of(st.sampled_from(["0", "1", "-1", " 2\n", "+3", "1_0", "\u0662", "0x1", "1.0", "", "99999", "a", "\udcff"]),
                 # what an argument can hold: no NUL, surrogates only as undecodable bytes
                 st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=6)))
def test_value_types_accept_and_convert_what_click_does(value: str) -> None:
    for ours in (Choice(["a", "b-c", "1"]), IntRange(min=0), IntRange(min=1), PathType(), PathType(dir_okay=False)):
        theirs = ours.click()
        try:
            expected: Any = theirs.convert(value, None, None)
        except click.BadParameter:
            expected = ValueError
        try:
            got: Any = ours.convert(value)
        except ValueError:
            got = ValueError
        assert repr(got) == repr(expected), (ours, value)


def test_the_click_command_is_the_table() -> None:
    """No option of `check` declared outside the table, none in the table missing from click."""
    command = main.commands["check"]
    options = [p for p in command.params if p.expose_value]
    assert [p.name for p in options] == [PATHS, *(o.name for o in CHECK_OPTIONS)]
    assert isinstance(options[0], click.Argument) and options[0].nargs == -1
    for param, option in zip(options[1:], CHECK_OPTIONS):
        assert isinstance(param, click.Option)
        assert {*param.opts, *param.secondary_opts} == set(option.strings())
        assert param.multiple == bool(option.attrs.get("multiple"))
        assert param.is_flag == (not option.takes_value), option.name
        assert (param.callback is not None) == (option.convert is not None)
        kind = option.attrs.get("type")
        expected = click.BOOL if not option.takes_value else click.STRING if kind is None else kind.click()
        assert param.type.to_info_dict() == expected.to_info_dict(), option.name
    # the parser reads long options as `--name` and short ones as one letter after `-`
    for text in (s for option in CHECK_OPTIONS for s in option.strings()):
        assert (text.startswith("--") and len(text) > 3) or (len(text) == 2 and text[0] == "-" and text[1] != "-")


def test_check_and_merge_share_the_publish_options() -> None:
    from prcheck.commands.merge_cmd import merge

    publish = [o.name for o in PUBLISH_OPTIONS]
    assert [p.name for p in merge.params if p.name in publish] == publish
    assert all(o in CHECK_OPTIONS for o in PUBLISH_OPTIONS)
