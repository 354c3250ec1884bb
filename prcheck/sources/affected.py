"""Which files a change affects: what a pull-request run collects and checks.

A run with `--base` reports only what the change introduced, so a finding in
a file the change did not touch can never fail it. Checking such a file is
wasted work, unless a check compares it with a file the change did touch.
Each cross-file check says which files it compares through *related keys*
(duplicate-resource: the kustomizations listing a file, wherever the listed
files are); the affected set is the changed files plus every file sharing
such a key with one of them.

Some changes affect every file: the config, a policy, a data file or a schema
the run reads (all of them judge every document), and checks that read the
whole run (an engine that is not per-document, such as Gatekeeper's
inventory or Rego `--combine`). Then the answer is "everything" (None), and
the run is the same as without narrowing.

The same function serves the base side of a comparison, so head and base are
judged over the same set of files.
"""

from __future__ import annotations

import os
from pathlib import PurePosixPath
from typing import Callable, Collection, Iterable, Sequence, TypeVar

# path → the key(s) of the units it is compared in (a file may be listed by several kustomizations)
RelatedKey = Callable[[str], "str | Collection[str]"]
T = TypeVar("T")

# Files whose change alters how every other file is judged.
RUN_INPUT_NAMES = frozenset({".prcheck.yaml", ".prcheck.yml"})


def related_keys(key: RelatedKey, path: str) -> set[str]:
    """The keys of `path` as a set, whether the key function gives one or several."""
    found = key(path)
    return {found} if isinstance(found, str) else set(found)


def _inside(path: str, folders: Iterable[str]) -> bool:
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders if f not in ("", "."))


def run_inputs(paths: Iterable[str], root: str) -> list[str]:
    """Policy, data and schema paths of the options, relative to the root (outside ones dropped)."""
    out: list[str] = []
    for path in paths:
        if "{{" in path or "://" in path:  # a schema-location template: its fixed prefix
            path = path.split("{{", 1)[0].rsplit("/", 1)[0]
            if "://" in path:
                continue
        absolute = os.path.normpath(os.path.join(root, path))
        rel = os.path.relpath(absolute, root).replace(os.sep, "/")
        if rel == "." or not rel.startswith(".."):
            out.append(rel)
    return out


def affected_paths(all_paths: Sequence[str], changed: Collection[str], related: Sequence[RelatedKey],
                   inputs: Sequence[str] = (), whole_run: bool = False) -> set[str] | None:
    """The paths a change affects, or None when it affects every file.

    `changed`: paths the change added or modified (deleted ones leave nothing to check);
    `related`: one key function per cross-file check;
    `inputs`: policy/data/schema paths relative to the root (a change inside one affects all);
    `whole_run`: a check that reads every document is in use.
    """
    if whole_run:
        return None
    for path in changed:
        if PurePosixPath(path).name in RUN_INPUT_NAMES or _inside(path, inputs) or path in inputs:
            return None
    listed = set(all_paths)
    affected = {p for p in changed if p in listed}
    for key in related:
        keys = {k for p in affected for k in related_keys(key, p)}
        if keys:
            affected.update(p for p in all_paths if not keys.isdisjoint(related_keys(key, p)))
    return affected


def narrow(entries: Sequence[T], affected: set[str] | None, path_of: Callable[[T], str]) -> list[T]:
    """`entries` restricted to the affected paths (all of them when None)."""
    if affected is None:
        return list(entries)
    return [e for e in entries if path_of(e) in affected]
