"""Which files and lines a change touched, as git itself reports them.

The changed-lines filter needs the new-side line numbers a pull request added
(and, for `diff_context`, the context lines around them). Parsing `git diff`
output is the only way to agree exactly with what a reviewer sees: renames
are followed (`-M`), deleted files have no new side, binary files have no
lines at all.

The base is the merge base of `base` and the head, like a pull request's
"Files changed" tab: commits that landed on the target branch after the
branch point are not part of the change.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from prcheck.render.worktree import GitError, git, resolve_commit

Ranges = tuple[tuple[int, int], ...]  # inclusive (first, last) line pairs, sorted

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_CONTEXT_LINES = 3  # git's default, and what reviewdog's diff_context means


@dataclass(frozen=True)
class FileChange:
    path: str  # new path; the old path for a deletion
    status: str  # A added, M modified, D deleted, R renamed, C copied, T type changed
    old_path: str = ""
    binary: bool = False
    added: Ranges = ()
    context: Ranges = ()  # added lines plus the context lines shown around them

    def has_added(self, line: int) -> bool:
        return _contains(self.added, line)

    def in_context(self, line: int) -> bool:
        return _contains(self.context, line)


@dataclass(frozen=True)
class ChangeSet:
    base: str  # the commit compared against (the merge base)
    head: str  # a commit id, or "" for the work tree
    files: dict[str, FileChange] = field(default_factory=dict)

    def changed_paths(self) -> set[str]:
        """Paths that exist after the change and differ from the base."""
        return {p for p, f in self.files.items() if f.status != "D"}

    def get(self, path: str) -> FileChange | None:
        return self.files.get(path)

    def added_line(self, path: str, line: int) -> bool:
        """Did the change add (or rewrite) this line of this file?"""
        change = self.files.get(path)
        return change is not None and change.status != "D" and change.has_added(line)


def _contains(ranges: Ranges, line: int) -> bool:
    index = bisect_right(ranges, (line, float("inf"))) - 1
    return index >= 0 and ranges[index][0] <= line <= ranges[index][1]


def merge_base(repo: Path, base: str, head: str | None) -> str:
    """The branch point of `head` (or HEAD) from `base`; `base` itself when they share no history."""
    base_commit = resolve_commit(repo, base)
    other = resolve_commit(repo, head or "HEAD")
    found = git(repo, "merge-base", base_commit, other, check=False).strip()
    if not found and git(repo, "rev-parse", "--is-shallow-repository", check=False).strip() == "true":
        # Without the merge base the diff would hold every change the target branch made since.
        raise GitError(f"no merge base of {base} and {head or 'HEAD'} in this shallow clone: fetch more history "
                       "(`git fetch --deepen=50 origin`, actions/checkout `fetch-depth: 0`, GitLab `GIT_DEPTH: 0`), "
                       "or let `prcheck ci base` fetch it")
    return found or base_commit


def changes(repo: Path, base: str, head: str | None = None, *, use_merge_base: bool = True) -> ChangeSet:
    """Files and line ranges changed from `base` to `head` (default: the work tree,
    including untracked files that are not ignored, which count as wholly added)."""
    base_commit = merge_base(repo, base, head) if use_merge_base else resolve_commit(repo, base)
    head_commit = resolve_commit(repo, head) if head else ""
    revs = [base_commit, head_commit] if head_commit else [base_commit]
    statuses = _name_status(git(repo, "diff", "--no-ext-diff", "-M", "--name-status", "-z", *revs, "--"))
    patch = git(repo, "diff", "--no-color", "--no-ext-diff", "--no-textconv", "-M",
                "--src-prefix=a/", "--dst-prefix=b/", f"-U{_CONTEXT_LINES}", *revs, "--")
    files = _parse_patch(patch, statuses)
    if not head_commit:
        for path in _untracked(repo):
            files[path] = _whole_file_added(repo / path, path)
    return ChangeSet(base=base_commit, head=head_commit, files=files)


def _name_status(raw: str) -> dict[str, tuple[str, str]]:
    """`--name-status -z`: new path → (status letter, old path)."""
    out: dict[str, tuple[str, str]] = {}
    parts = raw.split("\0")
    i = 0
    while i < len(parts) and parts[i]:
        status = parts[i][0]
        if status in "RC":
            old, new = parts[i + 1], parts[i + 2]
            out[new] = (status, old)
            i += 3
        else:
            out[parts[i + 1]] = (status, "")
            i += 2
    return out


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of unusual paths (`"a\\tb"`)."""
    if not (path.startswith('"') and path.endswith('"')):
        return path
    body = path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return body.encode("latin-1").decode("utf-8", "surrogateescape")


def _strip_prefix(path: str) -> str:
    if path.endswith("\t"):  # git ends a name holding a space with a tab, as GNU diff does
        path = path[:-1]
    path = _unquote(path)
    return path[2:] if path[:2] in ("a/", "b/") else path


def _parse_patch(patch: str, statuses: dict[str, tuple[str, str]]) -> dict[str, FileChange]:
    files: dict[str, FileChange] = {}
    current: str | None = None
    binary = False
    added: list[int] = []
    context: list[int] = []
    new_line = 0

    def flush() -> None:
        if current is None:
            return
        status, old = statuses.get(current, ("M", ""))
        files[current] = FileChange(
            path=current, status=status, old_path=old, binary=binary,
            added=_to_ranges(added), context=_to_ranges(context))

    old_path = ""
    in_header = False  # between `diff --git` and the first hunk, where ---/+++ name the files
    for line in patch.splitlines():
        if line.startswith("diff --git "):
            flush()
            current, binary, added, context, old_path, in_header = None, False, [], [], "", True
            continue
        if in_header and line.startswith("--- "):
            old_path = "" if line[4:] == "/dev/null" else _strip_prefix(line[4:])
            continue
        if in_header and line.startswith("+++ "):
            target = line[4:]
            current = old_path if target == "/dev/null" else _strip_prefix(target)
            continue
        if in_header and line.startswith("Binary files "):
            binary = True
            current = _binary_path(line, statuses)
            continue
        if in_header and current is None and (line.startswith("rename to ") or line.startswith("copy to ")):
            current = _unquote(line.split(" to ", 1)[1])
            continue
        match = _HUNK.match(line)
        if match:
            new_line, in_header = int(match.group(1)), False
            continue
        if current is None or in_header or not line:
            continue
        marker = line[0]
        if marker == "+":
            added.append(new_line)
            context.append(new_line)
            new_line += 1
        elif marker == " ":
            context.append(new_line)
            new_line += 1
    flush()
    for path, (status, old) in statuses.items():
        files.setdefault(path, FileChange(path=path, status=status, old_path=old))
    return files


def _binary_path(line: str, statuses: dict[str, tuple[str, str]]) -> str:
    """`Binary files a/x and b/y differ`; /dev/null stands for the missing side."""
    body = line[len("Binary files "):-len(" differ")]
    for candidate in statuses:
        if body.endswith(f"b/{candidate}") or body.endswith(f'"b/{candidate}"') or body == f"a/{candidate} and /dev/null":
            return candidate
    left, _, right = body.partition(" and ")
    return _strip_prefix(left if right == "/dev/null" else right)


def _to_ranges(lines: list[int]) -> Ranges:
    ranges: list[tuple[int, int]] = []
    for n in sorted(set(lines)):
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], n)
        else:
            ranges.append((n, n))
    return tuple(ranges)


def _untracked(repo: Path) -> list[str]:
    raw = git(repo, "ls-files", "-z", "--others", "--exclude-standard")
    return [p for p in raw.split("\0") if p]


def _whole_file_added(abspath: Path, path: str) -> FileChange:
    try:
        raw = abspath.read_bytes()
    except OSError:
        return FileChange(path=path, status="A")
    if b"\0" in raw[:8000]:
        return FileChange(path=path, status="A", binary=True)
    count = raw.count(b"\n") + (0 if raw.endswith(b"\n") or not raw else 1)
    whole = ((1, count),) if count else ()
    return FileChange(path=path, status="A", added=whole, context=whole)
