"""`prcheck check` run as pre-commit runs it: without click, and with the bytes, exit code and
messages the click command gives; everything unusual is still click's."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from prcheck.cli_run import write_plain
from tests.conftest import write

# The fast entry point (what `python -m prcheck` and the console script run), reporting whether click loaded.
FAST = ("import atexit, os, runpy, sys\n"
        "atexit.register(lambda: open(os.environ['PROBE_OUT'], 'w').write(str('click' in sys.modules)))\n"
        "runpy.run_module('prcheck', run_name='__main__')\n")
# The click command, as every run went before.
CLICK = "from prcheck.cli import main\nmain()\n"

FILES = {
    "ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n",
    "bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {k: 1}\n",
    "broken.yaml": "a: [\n",
    "deploy.yaml": ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n"
                    "  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: \"nginx:latest\"}]\n"),
}


def _untimed(output: bytes) -> bytes:
    """Reports without the run's timings, the one part two runs never share."""
    return re.sub(rb'"timings": \{[^}]*\}|time="[0-9.]*"', b"", output)


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    env["PROBE_OUT"] = str(tmp_path / "probe")
    return env


def _run(code: str, args: list[str], cwd: Path, env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, timeout=120, **kw)


@pytest.mark.parametrize("args", [
    ["check", "ok.yaml"],
    ["check", "bad.yaml", "deploy.yaml"],
    ["check", "--no-render", "--", "broken.yaml", "deploy.yaml"],
    ["check", "deploy.yaml", "--format", "json", "--fail-on", "never"],
    ["check", "-q", "bad.yaml", "--format", "sarif", "-o", "out.sarif", "--format", "text", "--summary"],
    ["check", "missing.yaml"],
    ["check", "deploy.yaml", "--format", "markdown", "--format", "junit", "-o", "out.xml"],
], ids=" ".join)
def test_an_ordinary_check_runs_without_click_and_prints_what_click_prints(tmp_path: Path, args: list[str]) -> None:
    write(tmp_path, FILES)
    env = _env(tmp_path)
    fast = _run(FAST, args, tmp_path, env, capture_output=True)
    assert (tmp_path / "probe").read_text() == "False"
    written = {p.name: _untimed(p.read_bytes()) for p in tmp_path.glob("out.*")}
    slow = _run(CLICK, args, tmp_path, env, capture_output=True)
    assert (fast.returncode, _untimed(fast.stdout), fast.stderr) == (slow.returncode, _untimed(slow.stdout), slow.stderr)
    assert written == {p.name: _untimed(p.read_bytes()) for p in tmp_path.glob("out.*")}
    assert fast.returncode in (0, 1, 2) and b"Traceback" not in fast.stderr


def _on_terminal(code: str, args: list[str], cwd: Path, env: dict[str, str]) -> bytes:
    leader, follower = pty.openpty()
    done = subprocess.Popen([sys.executable, "-c", code, *args], cwd=cwd, env=env, stdout=follower, stderr=follower)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        out += chunk
    done.wait(timeout=120)
    os.close(leader)
    return out


def test_on_a_terminal_the_colours_are_what_click_writes(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    env = _env(tmp_path)
    fast = _on_terminal(FAST, ["check", "bad.yaml", "broken.yaml"], tmp_path, env)
    assert (tmp_path / "probe").read_text() == "False"
    assert b"\033[" in fast
    assert fast == _on_terminal(CLICK, ["check", "bad.yaml", "broken.yaml"], tmp_path, env)


def test_a_reader_that_left_ends_the_run_quietly_as_before(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    env = _env(tmp_path)
    results = []
    for code in (FAST, CLICK):
        reader, writer = os.pipe()
        os.close(reader)
        done = _run(code, ["check", "bad.yaml", "--format", "json", "--fail-on", "never"], tmp_path, env, stdout=writer,
                    stderr=subprocess.PIPE)
        os.close(writer)
        results.append((done.returncode, done.stderr))
    assert results[0] == results[1] == (1, b"")


# The run fails inside the pipeline: a bug, a user's mistake found late, Ctrl-C.
_FAILURES = {
    "internal": "raise RuntimeError('boom')",
    "user": "from prcheck.config import ConfigError; raise ConfigError('.prcheck.yaml: token=hunter2hunter2 is wrong')",
    "interrupt": "raise KeyboardInterrupt",
}


@pytest.mark.parametrize("failure", sorted(_FAILURES))
def test_a_failing_run_ends_as_the_click_command_ends_it(tmp_path: Path, failure: str) -> None:
    write(tmp_path, FILES)
    env = _env(tmp_path)
    patch = ("import prcheck.pipeline\n"
             f"def failing(options):\n    {_FAILURES[failure]}\n"
             "prcheck.pipeline.run_check = failing\n")
    fast = _run(patch + FAST, ["check", "ok.yaml"], tmp_path, env, capture_output=True)
    assert (tmp_path / "probe").read_text() == "False"
    slow = _run(patch + CLICK, ["check", "ok.yaml"], tmp_path, env, capture_output=True)
    assert (fast.returncode, fast.stdout, fast.stderr) == (slow.returncode, slow.stdout, slow.stderr)
    assert fast.returncode == (130 if failure == "interrupt" else 2) and fast.stderr.startswith(b"prcheck: ")


def test_the_console_script_is_the_fast_entry_point() -> None:
    import tomllib

    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["prcheck"] == "prcheck.cli_entry:main"
    assert (Path(__file__).resolve().parents[2] / "prcheck" / "__main__.py").read_text().startswith(
        "from prcheck.cli_entry import main\n")


@pytest.mark.parametrize("args", [
    ["check", "-o", "a.json", "-o", "b.json", "ok.yaml"],
    ["check", "--render", "--no-render", "ok.yaml"],
    ["check", ""],
    ["check", "--jobs", "0", "ok.yaml"],
    ["check", "--format", "xml"],
    ["check", "--shard", "3/2"],
    ["check", "--config", "."],
    ["check", "--bogus"],
    ["check", "--help"],
    ["check", "-qh"],
    ["--help"],
    ["merge", "--help"],
    ["nope"],
], ids=" ".join)
def test_usage_errors_and_help_are_clicks_own(tmp_path: Path, args: list[str]) -> None:
    write(tmp_path, FILES)
    env = _env(tmp_path)
    done = subprocess.run([sys.executable, "-m", "prcheck", *args], cwd=tmp_path, env=env, capture_output=True,
                          timeout=120)
    clicks = _run(CLICK.replace("main()", "main(prog_name='python -m prcheck')"), args, tmp_path, env,
                  capture_output=True)
    assert (done.returncode, done.stdout, done.stderr) == (clicks.returncode, clicks.stdout, clicks.stderr)
    assert done.returncode in (0, 2) and b"Traceback" not in done.stderr


def test_flag_mistakes_found_after_parsing_are_usage_errors(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    done = subprocess.run([sys.executable, "-m", "prcheck", "check", "--render", "--no-render", "ok.yaml"],
                          cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == ("Usage: python -m prcheck check [OPTIONS] [PATHS]...\n"
                           "Try 'python -m prcheck check --help' for help.\n\n"
                           "Error: --render and --no-render contradict each other\n")


@pytest.mark.parametrize("text", ["", "\n", "plain", "é ✓ \r\n", "\033[31mred\033[0m\n", "a\033[1;2mb\033[?25lc\033[",
                                  "\033]0;title\007", "x" * 70000])
def test_plain_writes_are_click_echo_bytes(text: str) -> None:
    for nl in (False, True):
        ours, theirs = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        write_plain(ours, text + "\n" if nl else text)
        click.echo(text, file=theirs, nl=nl)
        assert ours.buffer.getvalue() == theirs.buffer.getvalue()  # both flushed, nothing left in the wrapper
