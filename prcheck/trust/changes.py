"""What the change does to the rules it is judged by: `trust/config-changed` findings.

With `--trusted-ref` the checked tree's config and policy files are not
used, but a reviewer must still see that the change edits them: an edit
that weakens the rules takes effect only once it is merged, so it is the
reviewer who decides whether it should be.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping

from prcheck.model import Finding
from prcheck.trust.tree import TrustedTree, blob_id

CONFIG_CHANGED = "trust/config-changed"
MAX_FILE_FINDINGS = 20
_MAX_BYTES = 16 * 1024 * 1024
_VERB = {"added": "adds", "changed": "edits", "deleted": "deletes"}


def changed_keys(head: Mapping[str, Any], trusted: Mapping[str, Any]) -> list[str]:
    """Top-level keys whose values differ, with `rules.<id>` named one by one."""
    keys: list[str] = []
    for key in sorted(set(head) | set(trusted)):
        h, t = head.get(key), trusted.get(key)
        if h == t:
            continue
        if key == "rules" and isinstance(h or {}, dict) and isinstance(t or {}, dict):
            h, t = h or {}, t or {}
            keys.extend(f"rules.{k}" for k in sorted(set(h) | set(t), key=str) if h.get(k) != t.get(k))
        else:
            keys.append(key)
    return keys


def _work_tree_files(root: Path, rel: str) -> dict[str, str]:
    """Repository-relative path → blob id of the files git would see under `rel`
    (tracked and untracked, not ignored); only regular files are read."""
    import subprocess  # only runs with a trusted ref pay for its import

    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard", "--", rel or "."], capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    found: dict[str, str] = {}
    for path in {p for p in out.decode("utf-8", "surrogateescape").split("\0") if p}:
        full = root / path
        try:
            st = os.lstat(full)
        except OSError:
            continue  # deleted in the work tree
        if os.path.stat.S_ISLNK(st.st_mode):
            found[path] = blob_id(os.readlink(full).encode("utf-8", "surrogateescape"))
        elif os.path.stat.S_ISREG(st.st_mode):
            if st.st_size > _MAX_BYTES:
                found[path] = f"large:{st.st_size}"
                continue
            with open(full, "rb") as fh:
                found[path] = blob_id(fh.read())
    return found


def changed_files(tree: TrustedTree, root: Path, rels: Iterable[str]) -> list[tuple[str, str]]:
    """(path, added|changed|deleted) for every file under `rels` that differs between the ref and the work tree."""
    out: dict[str, str] = {}
    for rel in rels:
        at_ref, here = tree.files(rel), _work_tree_files(root, rel)
        for path in set(at_ref) | set(here):
            a, b = at_ref.get(path), here.get(path)
            if a != b:
                out[path] = "added" if a is None else "deleted" if b is None else "changed"
    return sorted(out.items())


def findings(tree: TrustedTree, root: Path, head: Mapping[str, Any] | None, head_path: str,
             trusted: Mapping[str, Any], trusted_path: str, rels: Iterable[str]) -> list[Finding]:
    out: list[Finding] = []
    where = f"the trusted ref {tree.label}"
    if head is not None:
        keys = changed_keys(head, trusted)
        if keys:
            name = head_path or trusted_path or ".prcheck.yaml"
            other = f" ({trusted_path} at {where})" if trusted_path and trusted_path != head_path else ""
            out.append(Finding(
                rule=CONFIG_CHANGED, severity="warning", path=head_path, engine="prcheck",
                message=f"the change edits {name}: {', '.join(keys)} differ from {where}{other}; this run uses "
                        "the trusted values, the edit takes effect once it is merged"))
    files = changed_files(tree, root, rels)
    for path, how in files[:MAX_FILE_FINDINGS]:
        out.append(Finding(
            rule=CONFIG_CHANGED, severity="warning", path=path if how != "deleted" else "", engine="prcheck",
            message=f"the change {_VERB[how]} {path}, which this run takes from "
                    f"{where} (policies, data or schemas): the trusted version is used until the change is merged"))
    if len(files) > MAX_FILE_FINDINGS:
        out.append(Finding(
            rule=CONFIG_CHANGED, severity="warning", engine="prcheck",
            message=f"the change also edits {len(files) - MAX_FILE_FINDINGS} more policy, data or schema files "
                    f"taken from {where}"))
    return out
