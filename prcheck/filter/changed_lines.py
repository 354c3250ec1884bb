"""Which findings the change introduced.

With the base tree's findings at hand (the same checks run on the base
versions of the changed files, and on each environment's base render), a
finding is new when its signature is absent from the base, wherever its line
lands: a token typed into a block scalar, a hardening line deleted, an alias
switched to another anchor all add findings on lines the change did not
add. The filter mode then only decides where comments go (the publishers
place them on the diff); `nofilter` counts everything.

Without a base (a file git cannot read, findings of the run as a whole) the
line decides, as in reviewdog's filter modes:

- `added`: the finding is on a line the change added;
- `diff_context`: on a line shown in the diff (added lines and their context);
- `file`: in a file the change touched;
- `nofilter`: every finding.

Findings that pass the filter fail the run; the rest are pre-existing and
are listed, not counted.

Findings on rendered objects (`env` set) get one more way in, because a
one-line edit in a shared base or a values file changes what every
environment using it will run without touching the lines a finding points
at. With a baseline (the same checks run on the base side's render), a
rendered finding is new unless the base render had it too (every finding
of an environment the base did not render is new). Without one, it
is new when its object was added or changed in the environment's rendered
diff. A render failure of the head side is always the change's own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from prcheck.diff import key_matches_resource, key_resource
from prcheck.model import EnvDiff, Finding
from prcheck.sources.gitdiff import ChangeSet

MODES = ("added", "diff_context", "file", "nofilter")
# raised by the filter step itself (a suppression without a reason): no base run has them
LINE_ONLY_PREFIXES = ("suppress/",)
Signature = tuple[str, str, str, str]


# (env, head resource) → (base resource, head name, base name) of an object whose generated
# name differs between the two renders (`web-test-8dxw7` at head was `web-test-mjdg2`)
Renames = Mapping[tuple[str, str], tuple[str, str, str]]


def signature(finding: Finding, renamed: Renames | None = None) -> Signature:
    """What makes two rendered findings the same across base and head: no path or line, and
    an object with a generated name under the name the base render gave it, so a Helm
    `randAlphaNum` suffix or a kustomize hash does not make its findings new on every run."""
    known = renamed.get((finding.env, finding.resource)) if renamed else None
    if known is None:
        return finding.env, finding.rule, finding.resource, finding.message
    resource, head_name, base_name = known
    return finding.env, finding.rule, resource, finding.message.replace(head_name, base_name)


def renames(diffs: Iterable[EnvDiff]) -> dict[tuple[str, str], tuple[str, str, str]]:
    """The generated-name pairs the diff found, keyed as findings name their objects."""
    out: dict[tuple[str, str], tuple[str, str, str]] = {}
    for diff in diffs:
        for head_key, base_key in diff.renamed.items():
            out[(diff.env, key_resource(head_key))] = (key_resource(base_key), head_key.rpartition("/")[2],
                                                       base_key.rpartition("/")[2])
    return out


def file_signature(finding: Finding) -> Signature:
    """The same for repository files: the resource when there is one (it may move
    between files), else the file; never the line."""
    return "", finding.rule, finding.resource or f"file:{finding.path}", finding.message


@dataclass(frozen=True)
class FileBaseline:
    """Findings of the same checks on the base versions of the changed files
    (and on the unchanged files the run-wide rules compare them with)."""

    paths: frozenset[str] = frozenset()  # head paths whose base side was checked (new files included)
    counts: Mapping[Signature, int] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()  # the base findings themselves, for the ones the change fixes
    # Unchanged files the cross-file rules compared the base with, and those rules: a duplicate
    # the change creates by listing a file in a kustomization lands on a file it did not touch.
    run_paths: frozenset[str] = frozenset()
    run_rules: frozenset[str] = frozenset()

    @classmethod
    def of(cls, paths: Iterable[str], findings: Iterable[Finding], run_paths: Iterable[str] = (),
           run_rules: Iterable[str] = ()) -> "FileBaseline":
        found = tuple(findings)
        return cls(frozenset(paths), Counter(file_signature(f) for f in found), found,
                   frozenset(run_paths), frozenset(run_rules))

    def covers(self, finding: Finding) -> bool:
        if not finding.path or finding.env or finding.rule.startswith(LINE_ONLY_PREFIXES):
            return False
        return finding.path in self.paths or (finding.rule in self.run_rules and finding.path in self.run_paths)


def _touched_resources(diffs: Iterable[EnvDiff]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for diff in diffs:
        out[diff.env] = [c.key for c in (*diff.added, *diff.changed)]
    return out


def _in_rendered_change(finding: Finding, touched: dict[str, list[str]]) -> bool:
    keys = touched.get(finding.env) or []
    return any(key_matches_resource(k, finding.resource) for k in keys)


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


@dataclass(frozen=True)
class Baseline:
    """Findings of the base side's render, for the environments rendered at both sides."""

    envs: frozenset[str] = frozenset()
    signatures: frozenset[Signature] = frozenset()
    findings: tuple[Finding, ...] = ()  # the base findings themselves, for the ones the change fixes
    renamed: Renames = field(default_factory=dict)  # head objects known by their base name

    @classmethod
    def of(cls, envs: Iterable[str], findings: Iterable[Finding], diffs: Iterable[EnvDiff] = ()) -> "Baseline":
        found = tuple(findings)
        return cls(frozenset(envs), frozenset(signature(f) for f in found), found, renames(diffs))


def is_new(finding: Finding, changes: ChangeSet, mode: str, touched: dict[str, list[str]],
           baseline: Baseline | None = None) -> bool:
    if mode == "nofilter":
        return True
    if finding.env and finding.rule.startswith("render/"):
        return finding.severity != "info"  # info: the base side failed too
    if finding.env and baseline is not None:
        # an environment without a base render is new with this change: all of it is
        return finding.env not in baseline.envs or signature(finding, baseline.renamed) not in baseline.signatures
    if _on_changed_line(finding, changes, mode):
        return True
    if not finding.env:
        return False
    return _in_rendered_change(finding, touched)


def _new_by_count(findings: Sequence[Finding], files: FileBaseline, changes: ChangeSet, mode: str) -> set[int]:
    """Indexes of the findings the base lacks. A signature seen n times at the base
    and m > n times at the head makes m - n of them new: those on changed lines first."""
    left = Counter(files.counts)
    order = sorted((i for i, f in enumerate(findings) if files.covers(f)),
                   key=lambda i: not _on_changed_line(findings[i], changes, mode))
    new: set[int] = set()
    for i in order:
        sig = file_signature(findings[i])
        if left[sig] > 0:
            left[sig] -= 1
        else:
            new.add(i)
    return new


def split(findings: Sequence[Finding], changes: ChangeSet, mode: str = "added",
          diffs: Sequence[EnvDiff] = (), baseline: Baseline | None = None,
          files: FileBaseline | None = None) -> tuple[list[Finding], list[Finding]]:
    """(findings the change introduced, pre-existing findings)."""
    if mode not in MODES:
        raise ValueError(f"unknown filter mode {mode!r} (one of {', '.join(MODES)})")
    touched = _touched_resources(diffs)
    by_count = _new_by_count(findings, files, changes, mode) if files is not None and mode != "nofilter" else set()
    new: list[Finding] = []
    old: list[Finding] = []
    for i, finding in enumerate(findings):
        if files is not None and mode != "nofilter" and files.covers(finding):
            fresh = i in by_count
        else:
            fresh = is_new(finding, changes, mode, touched, baseline)
        (new if fresh else old).append(finding)
    return new, old
