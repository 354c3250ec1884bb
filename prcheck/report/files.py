"""Write a report file without following a symlink the checked change may have committed.

CI configurations write reports into the checkout (`-o gl-code-quality-report.json`),
and the checkout is the pull request's: a committed `gl-code-quality-report.json ->
~/.bashrc` would otherwise make prcheck overwrite any file the job can write, with
text partly chosen by the change (resource names). So a target that is a symlink,
or that sits below a symlinked folder of the working directory, is refused, and the
body is written to a new file in the target's folder and renamed over the target:
`rename` replaces a link instead of writing through it, so a link swapped in after
the check changes nothing either.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable


class ReportPathError(ValueError):
    """A report target prcheck will not write to; one line, exit 2."""


def _linked_component(path: Path, cwd: Path) -> Path | None:
    """The first symlink among the components of `path` below `cwd` (the part a
    checkout can contain), or the target itself when it is a link."""
    if path.is_symlink():
        return path
    try:
        rel = path.relative_to(cwd)
    except ValueError:
        return None
    current = cwd
    for part in rel.parts[:-1]:
        current = current / part
        if current.is_symlink():
            return current
    return None


def write_report(target: str | os.PathLike[str], body: str | Iterable[str], cwd: Path | None = None) -> None:
    cwd = cwd or Path.cwd()
    path = Path(os.path.normpath(cwd / target))
    link = _linked_component(path, cwd)
    if link is not None:
        raise ReportPathError(f"{target}: refusing to write a report through a symbolic link ({link})")
    if path.is_dir():
        raise ReportPathError(f"{target}: is a folder")
    folder = path.parent
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ReportPathError(f"{target}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            if isinstance(body, str):
                fh.write(body)
            else:
                fh.writelines(body)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
