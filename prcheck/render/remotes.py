"""Is a repository URL written in a manifest this repository?

Argo CD Applications and Flux GitRepositories name their repository by URL;
only the ones naming this repository can be rendered from the files at hand.
The comparison ignores scheme, credentials, a trailing `.git` and the
`git@host:owner/repo` form, since the same repository is written all of
those ways.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from prcheck.render.worktree import GitError, git

_SCP = re.compile(r"^(?:[^@/]+@)?([^:/]+):(?!//)(.+)$")
_USERINFO = re.compile(r"([a-z][a-z0-9+.-]*://)[^/\s@]+@", re.IGNORECASE)


def hide_credentials(text: str) -> str:
    """`https://oauth2:<token>@host/...` → `https://host/...`, wherever a URL sits in
    `text`: render messages quote the URLs of remote bases and charts, and the
    tools' own errors quote them too."""
    return _USERINFO.sub(r"\1", text)


def normalise(url: str) -> str:
    url = url.strip()
    scp = _SCP.match(url)
    if scp and "://" not in url:
        host, path = scp.groups()
    else:
        rest = url.split("://", 1)[-1]
        rest = rest.rsplit("@", 1)[-1] if "@" in rest.split("/", 1)[0] else rest
        host, _, path = rest.partition("/")
        host = host.split(":", 1)[0]
    path = path.strip("/")
    path = path[:-4] if path.endswith(".git") else path
    return f"{host.lower()}/{path}".rstrip("/")


def same_repository(url: str, remotes: Iterable[str]) -> bool:
    mine = normalise(url)
    return any(mine == normalise(r) for r in remotes)


def repository_urls(repo: Path) -> tuple[str, ...]:
    """The fetch URLs of every remote of `repo` (none for a repository without remotes)."""
    try:
        out = git(repo, "remote", "-v")
    except (GitError, OSError):
        return ()
    urls = {line.split()[1] for line in out.splitlines() if len(line.split()) >= 2}
    return tuple(sorted(urls))
