"""The trusted ref's files, as real files in a temporary folder.

Engines read policies, data and schemas from paths, so the files the trusted
config names are extracted from the ref's tree (`git show` for the config,
`git archive` for the folders it names) into a private temporary folder that
lives as long as the run. Nothing is read from the work tree: the pull
request's edits to those files are data, never rules.
"""

from __future__ import annotations

import io
import os
import posixpath
import shutil
import tempfile
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from prcheck.records import dataclass
from prcheck.render.worktree import GitError, resolve_commit

if TYPE_CHECKING:
    import subprocess
    import tarfile


def _git_bytes(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_LFS_SKIP_SMUDGE="1", LC_ALL="C")
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    cmd = ["git", "-c", "core.quotepath=off", "-c", f"core.hooksPath={os.devnull}", *args]
    import subprocess  # only runs with a trusted ref pay for its import

    return subprocess.run(cmd, cwd=repo, env=env, capture_output=True, check=False)


def inside_repo(rel: str) -> bool:
    """Is a normalised POSIX path relative to the repository root still inside it?"""
    return rel != ".." and not rel.startswith("../") and not posixpath.isabs(rel)


def blob_id(data: bytes) -> str:
    """git's object id of a file's content, to compare work-tree files with the ref's."""
    import hashlib  # here: OpenSSL loads only for runs that compare trees

    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class TrustedTree:
    """Files of one commit, extracted on demand under `dir`."""

    repo: Path
    ref: str
    commit: str
    dir: Path
    extracted: set[str] = field(default_factory=set)

    @classmethod
    def create(cls, repo: Path, ref: str) -> "TrustedTree":
        commit = resolve_commit(repo, ref)
        return cls(repo=repo, ref=ref, commit=commit, dir=Path(tempfile.mkdtemp(prefix="prcheck-trusted-")))

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def label(self) -> str:
        return f"{self.ref} ({self.commit[:12]})" if not self.commit.startswith(self.ref) else self.commit[:12]

    def read(self, rel: str) -> bytes | None:
        """A file's bytes at the ref; None when the ref has no such file."""
        proc = _git_bytes(self.repo, "cat-file", "blob", f"{self.commit}:{rel}")
        return proc.stdout if proc.returncode == 0 else None

    def files(self, rel: str) -> dict[str, str]:
        """Repository-relative path → blob id of every file at or under `rel` at the ref."""
        proc = _git_bytes(self.repo, "ls-tree", "-r", "-z", "--full-tree", self.commit, "--", rel or ".")
        out: dict[str, str] = {}
        for entry in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
            meta, _, path = entry.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob":
                out[path] = parts[2]
        return out

    def extract(self, rel: str) -> Path:
        """`rel` (a file or folder of the ref) materialised under `dir`; the returned
        path may not exist when the ref has no such file."""
        rel = posixpath.normpath(rel) if rel else "."
        target = self.dir / rel
        if rel in self.extracted or not inside_repo(rel):
            return target
        self.extracted.add(rel)
        if not self.files(rel):
            return target
        proc = _git_bytes(self.repo, "archive", "--format=tar", self.commit, "--", rel)
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git archive {rel}: {message[-1] if message else 'failed'}")
        import tarfile  # only a trusted ref's files are extracted

        with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as archive:
            archive.extractall(self.dir, filter=_contained)
        return target


def _contained(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """tarfile's `data` filter, skipping (not failing on) a link that leaves the folder."""
    import tarfile

    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        return None
