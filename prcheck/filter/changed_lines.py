"""Which findings the change introduced: reviewdog's filter modes.

- `added`: the finding is on a line the change added;
- `diff_context`: on a line shown in the diff (added lines and their context);
- `file`: in a file the change touched;
- `nofilter`: every finding.

Findings that pass the filter fail the run; the rest are pre-existing and
are listed, not counted.

Findings on rendered objects (`env` set) get one more way in: an object the
change added or changed in that environment's rendered diff is new even when
none of its source lines changed, because a one-line edit in a shared base
or a values file changes what every environment using it will run. A render
failure of the head side is always the change's own.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from prcheck.diff import key_matches_resource
from prcheck.model import EnvDiff, Finding
from prcheck.sources.gitdiff import ChangeSet

MODES = ("added", "diff_context", "file", "nofilter")


def _touched_resources(diffs: Iterable[EnvDiff]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for diff in diffs:
        out[diff.env] = [c.key for c in (*diff.added, *diff.changed)]
    return out


def _in_rendered_change(finding: Finding, touched: dict[str, list[str]]) -> bool:
    keys = touched.get(finding.env)
    return bool(keys) and any(key_matches_resource(k, finding.resource) for k in keys)


def _on_changed_line(finding: Finding, changes: ChangeSet, mode: str) -> bool:
    change = changes.get(finding.path) if finding.path else None
    if change is None or change.status == "D":
        return False
    if mode == "file":
        return True
    if finding.line <= 0 or change.binary:
        # no line to compare: a file-level finding counts when its file gained lines
        return bool(change.added) or change.binary
    return change.has_added(finding.line) if mode == "added" else change.in_context(finding.line)


def is_new(finding: Finding, changes: ChangeSet, mode: str, touched: dict[str, list[str]]) -> bool:
    if mode == "nofilter":
        return True
    if finding.env and finding.rule.startswith("render/"):
        return finding.severity != "info"  # info: the base side failed too
    if _on_changed_line(finding, changes, mode):
        return True
    return bool(finding.env) and _in_rendered_change(finding, touched)


def split(findings: Sequence[Finding], changes: ChangeSet, mode: str = "added",
          diffs: Sequence[EnvDiff] = ()) -> tuple[list[Finding], list[Finding]]:
    """(findings the change introduced, pre-existing findings)."""
    if mode not in MODES:
        raise ValueError(f"unknown filter mode {mode!r} (one of {', '.join(MODES)})")
    touched = _touched_resources(diffs)
    new: list[Finding] = []
    old: list[Finding] = []
    for finding in findings:
        (new if is_new(finding, changes, mode, touched) else old).append(finding)
    return new, old
