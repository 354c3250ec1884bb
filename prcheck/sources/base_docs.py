"""The base version of the plain files a change modifies, as documents.

Checks that compare an object with its previous version (CEL `oldObject`,
transition rules, immutable fields) need the base side of files that are
not rendered. Only files the change modified or renamed are read (an added
file has no base), straight from git's object store: nothing is checked out
and nothing the change contains runs. The same size limit and YAML loader
guard them as any other file.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from prcheck.model import Document
from prcheck.sources.gitdiff import ChangeSet
from prcheck.sources.yaml_loader import Limits, load_bytes

_YAML = (".yaml", ".yml", ".json")


def _blob(repo: Path, commit: str, path: str, limit: int) -> "bytes | None":
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    spec = f"{commit}:{path}"
    size = subprocess.run(["git", "cat-file", "-s", spec], cwd=repo, env=env, capture_output=True, check=False)
    if size.returncode != 0 or not size.stdout.strip().isdigit() or int(size.stdout) > limit:
        return None
    blob = subprocess.run(["git", "cat-file", "blob", spec], cwd=repo, env=env, capture_output=True, check=False)
    return blob.stdout if blob.returncode == 0 else None


def base_documents(repo: Path, change: ChangeSet, limits: Limits) -> list[Document]:
    """Documents of the base side of every modified or renamed YAML/JSON file."""
    docs: list[Document] = []
    for path, file in sorted(change.files.items()):
        if file.status not in ("M", "R", "T") or file.binary:
            continue
        old = file.old_path or path
        if not old.endswith(_YAML):
            continue
        raw = _blob(repo, change.base, old, limits.max_file_bytes)
        if raw is None:
            continue
        docs.extend(d for d in load_bytes(raw, path, "yaml", limits).docs if isinstance(d.obj, dict))
    return docs
