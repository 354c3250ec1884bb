"""Changed files and added lines, from real `git diff` output."""

from __future__ import annotations

from pathlib import Path

from prcheck.sources.gitdiff import changes
from tests.conftest import git, write
from tests.render.conftest import commit

TEN = "".join(f"line{i}\n" for i in range(1, 11))


def test_modified_added_deleted_renamed_binary(repo: Path) -> None:
    write(repo, {"a.yaml": TEN, "gone.yaml": "x: 1\n", "old name.yaml": TEN, "logo.png": b"\x89PNG\0\0\x01"})
    commit(repo, "base")
    write(repo, {"a.yaml": TEN.replace("line5\n", "line5\nnew6\nnew7\n").replace("line9\n", "")})
    (repo / "gone.yaml").unlink()
    git(repo, "mv", "old name.yaml", "new name.yaml")
    write(repo, {"new name.yaml": TEN + "tail\n", "fresh.yaml": "a: 1\nb: 2\n", "logo.png": b"\x89PNG\0\0\x02"})
    commit(repo, "head")
    found = changes(repo, "HEAD~1", "HEAD")

    a = found.files["a.yaml"]
    assert a.status == "M" and a.added == ((6, 7),)
    assert a.context == ((3, 11),)  # three lines of context either side, to the end of the file
    assert found.files["gone.yaml"].status == "D" and found.files["gone.yaml"].added == ()
    renamed = found.files["new name.yaml"]
    assert (renamed.status, renamed.old_path, renamed.added) == ("R", "old name.yaml", ((11, 11),))
    assert found.files["fresh.yaml"].added == ((1, 2),)
    assert found.files["logo.png"].binary and found.files["logo.png"].added == ()
    assert found.changed_paths() == {"a.yaml", "new name.yaml", "fresh.yaml", "logo.png"}
    assert a.has_added(6) and not a.has_added(5) and a.in_context(11) and not a.in_context(2)


def test_work_tree_includes_staged_unstaged_and_untracked(repo: Path) -> None:
    write(repo, {"a.yaml": TEN, ".gitignore": "ignored.yaml\n"})
    commit(repo, "base")
    write(repo, {"a.yaml": "top\n" + TEN, "new.yaml": "x: 1\ny: 2\n", "ignored.yaml": "z: 1\n"})
    found = changes(repo, "HEAD")
    assert found.head == ""
    assert found.files["a.yaml"].added == ((1, 1),)
    assert found.files["new.yaml"].status == "A" and found.files["new.yaml"].added == ((1, 2),)
    assert "ignored.yaml" not in found.files


def test_base_is_the_merge_base(repo: Path) -> None:
    write(repo, {"a.yaml": TEN})
    commit(repo, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, {"b.yaml": "b: 1\n"})
    commit(repo, "feature")
    git(repo, "checkout", "-q", "main")
    write(repo, {"a.yaml": TEN + "later\n"})
    commit(repo, "main moves on")
    found = changes(repo, "main", "feature")
    assert set(found.files) == {"b.yaml"}


def test_diff_lines_that_look_like_headers(repo: Path) -> None:
    write(repo, {"notes.md": "keep\n-- old\n"})
    commit(repo, "base")
    write(repo, {"notes.md": "keep\n++ new\n"})
    found = changes(repo, "HEAD")
    assert set(found.files) == {"notes.md"} and found.files["notes.md"].added == ((2, 2),)
