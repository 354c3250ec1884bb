"""`-o FILE` never writes through a symlink the checked change committed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from prcheck.report.files import ReportPathError, write_report
from tests.trust.conftest import commit_pr, run_prcheck

POD = 'apiVersion: v1\nkind: Pod\nmetadata: {name: "p $(touch PWNED)"}\nspec: {containers: [{name: c, image: "nginx:1"}]}\n'


def test_report_through_committed_symlink_is_refused(hostile_repo: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.sh"
    victim.write_text("#!/bin/sh\necho victim\n")
    commit_pr(hostile_repo, {"apps/pod.yaml": POD},
              links={"gl-code-quality-report.json": str(victim), "prcheck-junit.xml": str(tmp_path / "new.xml"),
                     "reports": str(tmp_path)})
    for target in ("gl-code-quality-report.json", "prcheck-junit.xml", "reports/out.json"):
        run = run_prcheck(["check", ".", "--format", "codequality", "-o", target], hostile_repo)
        assert run.returncode == 2 and "symbolic link" in run.stderr, run.stderr
    assert victim.read_text() == "#!/bin/sh\necho victim\n"
    assert not (tmp_path / "new.xml").exists() and not (tmp_path / "out.json").exists()


def test_report_replaces_a_regular_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    write_report(target, "new", cwd=tmp_path)
    assert target.read_text() == "new" and not target.is_symlink()
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary file left
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)


def test_report_into_a_missing_folder_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(ReportPathError, match="cannot write"):
        write_report("nope/out.json", "x", cwd=tmp_path)


def test_absolute_report_path_outside_the_checkout(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    write_report(tmp_path / "elsewhere.json", "x", cwd=tmp_path / "work")
    assert (tmp_path / "elsewhere.json").read_text() == "x"
    os.symlink(tmp_path / "elsewhere.json", tmp_path / "link.json")
    with pytest.raises(ReportPathError):
        write_report(tmp_path / "link.json", "y", cwd=tmp_path / "work")
