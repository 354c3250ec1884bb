"""No output can steer the CI host: control characters are escaped, nothing reads as a workflow command."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from prcheck.model import Finding
from prcheck.publish.workflow import annotation_command
from prcheck.report.escaping import escape_control, safe_line
from tests.conftest import git, write

EVIL_NAME = "q\n::error file=apps/y.yaml::spoofed\n::stop-commands::deadbeef\r\x1b[2K\u202e##[warning]x"
EVIL_FILE = "apps/x\n::warning file=README.md,line=1::prcheck: all checks passed\n::stop-commands::cafe\n.yaml"
POD = ('apiVersion: v1\nkind: Pod\nmetadata:\n  name: "{name}"\nspec:\n  containers:\n  - name: c\n    image: nginx:1\n'
       '    securityContext: {{privileged: true}}\n')


def _is_command(line: str) -> bool:
    return line.lstrip().startswith("::") or "##[" in line


def test_text_output_has_no_workflow_command_lines(repo: Path, run_cli) -> None:
    name = EVIL_NAME.replace("\n", "\\n").replace("\r", "\\r").replace("\x1b", "\\e").replace("\u202e", "\\u202e")
    write(repo, {"apps/pod.yaml": POD.format(name=name), EVIL_FILE: POD.format(name="p")})
    git(repo, "add", "-A")
    result = run_cli(["check", "."], repo)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert not [line for line in lines if _is_command(line)], result.output
    assert "\x1b" not in result.output and "\u202e" not in result.output and "\r" not in result.output
    assert "spoofed" in result.output and "stop-commands" in result.output  # shown, escaped


def test_junit_stays_valid_xml_with_control_characters(repo: Path, run_cli) -> None:
    write(repo, {"apps/pod.yaml": POD.format(name="p\\x01\\x1b[31m")})
    result = run_cli(["check", ".", "--format", "junit"], repo)
    ET.fromstring(result.output.split("\n", 1)[1])


def test_annotation_commands_are_one_line() -> None:
    finding = Finding("k8s/x", "error", "bad\n::stop-commands::x\x1b[0m", path=EVIL_FILE, line=3, resource=EVIL_NAME)
    command = annotation_command(finding)
    assert "\n" not in command and "\r" not in command and "\x1b" not in command
    assert command.startswith("::error ")


def test_pathological_fields() -> None:
    assert escape_control("a\nb\tc\u2028d\x00") == "a\\nb\tc\\u2028d\\x00"
    assert not _is_command(safe_line("   ::error::x")) and not _is_command(safe_line("x ##[error]y"))
    assert safe_line("apps/a.yaml") == "apps/a.yaml"


def test_double_dash_ends_options(repo: Path, run_cli) -> None:
    """A file named like an option is a file after `--` (the pre-commit hook's entry ends with it)."""
    write(repo, {"pod.yaml": POD.format(name="p"), "evil.yaml": "exclude: ['**']\nfail_on: never\n",
                 "--config=evil.yaml": "a: b\n"})
    git(repo, "add", "-A")
    result = run_cli(["check", "--no-render", "--", "--config=evil.yaml", "pod.yaml", "evil.yaml"], repo)
    assert result.exit_code == 1, result.output
    assert "k8s/privileged-container" in result.output
