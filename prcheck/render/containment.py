"""What a render may read: regular files inside the repository, never `.git`.

Renders run pull-request content, and the pull request chooses its files'
types: a committed symlink can point at `/proc/self/environ`, at the job's
`~/.ssh`, at the checkout's own `.git/config` (where actions/checkout keeps
the token), or at `/dev/zero`. kustomize's load restrictor stops some of
that, Helm follows every link in a chart, so prcheck checks before a render
starts: every path a render reads is resolved (`realpath`, every link on the
way) and must land inside the repository and outside any `.git` folder, and
only regular files and folders are accepted. The messages name the link the
pull request added, not where it points.

`os.path.realpath` is used rather than `Path.resolve`, which raises on a
symlink loop; a loop is just a link that leads nowhere.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Iterator

GIT_DIR = ".git"


def relative_inside(path: Path | str, root: Path | str) -> str | None:
    """`path` relative to `root` once every link is resolved, or None when that
    leaves `root` or enters a `.git` folder."""
    real = os.path.realpath(path)
    top = os.path.realpath(root)
    if real != top and not real.startswith(top.rstrip(os.sep) + os.sep):
        return None
    rel = os.path.relpath(real, top)
    if GIT_DIR in Path(rel).parts:
        return None
    return rel


def inside(path: Path | str, root: Path | str) -> bool:
    """The one containment test of the render path (charts, values files,
    kustomization folders and files, plain folders, Flux and Argo paths)."""
    return relative_inside(path, root) is not None


def shown(path: Path | str, root: Path | str) -> str:
    """`path` as the repository knows it (the link, not its target)."""
    try:
        return Path(os.path.normpath(path)).relative_to(os.path.normpath(root)).as_posix()
    except ValueError:
        return str(path)


def _entries(folder: str) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            yield from it
    except OSError:
        return


def tree_problems(folder: Path | str, root: Path | str, limit: int = 3) -> list[str]:
    """Why the files under `folder` may not be rendered: symlinks that leave the
    repository or enter `.git`, `.git` itself, and anything that is neither a
    regular file nor a folder (FIFOs, devices, sockets). Links to folders inside
    the repository are followed (once each), as the renderers follow them."""
    problems: list[str] = []
    seen: set[str] = set()
    pending = [str(folder)]
    while pending and len(problems) < limit:
        current = pending.pop()
        real = os.path.realpath(current)
        if real in seen:
            continue
        seen.add(real)
        for entry in _entries(current):
            path = entry.path
            if entry.name == GIT_DIR:
                problems.append(f"{shown(path, root)}: a .git folder is never rendered")
                continue
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                continue
            if stat.S_ISLNK(mode):
                if not inside(path, root):
                    problems.append(f"{shown(path, root)} is a symlink to a path outside the repository "
                                    "(or into .git); not read")
                    continue
                try:
                    mode = os.stat(path).st_mode
                except OSError:
                    continue  # dangling or looping: leads nowhere, reads nothing
            if stat.S_ISDIR(mode):
                pending.append(path)
            elif not stat.S_ISREG(mode):
                problems.append(f"{shown(path, root)} is not a regular file (device, FIFO or socket); not read")
    return problems[:limit]
