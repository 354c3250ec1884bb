"""gha/pin-comment-mismatch: a SHA-pinned action should say which version it is.

`uses: actions/checkout@<sha>` tells a reviewer nothing; the convention
(Dependabot, Renovate, pin-github-action, ratchet) is a trailing version
comment. YAML parsers drop comments, so this rule reads the source line of
each `uses:`; that is why it is Python and needs the file text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from prcheck.checks.policy.builtin_catalog import RuleInfo
from prcheck.model import Document, Finding

RULE = RuleInfo(
    "gha/pin-comment-mismatch", "SHA pin without a version comment", "info", "python",
    "An action pinned to a commit SHA should carry its version as a trailing comment (`# v4.2.2`), so "
    "reviewers and update bots know what the SHA is. The check is offline: it looks at the form of the "
    "comment (missing, or not a version such as `# main`), not at whether the SHA really is that tag.",
    "Add the release the SHA belongs to: `uses: owner/repo@<sha> # v1.2.3` (Dependabot and Renovate keep "
    "both in step).",
    "prcheck/checks/policy/builtin_pins.py",
)

_SHA_PIN = re.compile(r"@([0-9a-f]{40})(?![0-9a-zA-Z])")
_VERSION_COMMENT = re.compile(
    r"^#\s*(?:tag=|pin@|ratchet:\S+@)?v?\d+(?:\.\d+){0,3}(?:[-+][0-9A-Za-z.-]+)?(?:\s.*)?$")
GHA_KINDS = frozenset({"github-workflow", "github-action"})


def uses_paths(doc: Document) -> Iterator[tuple[list[str | int], str]]:
    """(key path, value) of every `uses:` in a workflow or composite action."""
    obj = doc.obj if isinstance(doc.obj, dict) else {}
    jobs = obj.get("jobs") if doc.file_kind == "github-workflow" else None
    for job_id, job in (jobs or {}).items() if isinstance(jobs, dict) else ():
        if not isinstance(job, dict):
            continue
        if isinstance(job.get("uses"), str):
            yield ["jobs", job_id, "uses"], job["uses"]
        yield from _step_uses(job.get("steps"), ["jobs", job_id, "steps"])
    runs = obj.get("runs") if doc.file_kind == "github-action" else None
    if isinstance(runs, dict):
        yield from _step_uses(runs.get("steps"), ["runs", "steps"])


def _step_uses(steps: Any, base: list[str | int]) -> Iterator[tuple[list[str | int], str]]:
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(step, dict) and isinstance(step.get("uses"), str):
            yield base + [index, "uses"], step["uses"]


def check(doc: Document, lines: Sequence[str], engine: str = "builtin") -> Iterator[Finding]:
    """Findings for SHA pins whose source line has no, or a malformed, version comment."""
    if doc.file_kind not in GHA_KINDS or not lines:
        return
    for keypath, value in uses_paths(doc):
        if not _SHA_PIN.search(value):
            continue
        line = doc.line_of(keypath)
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        sha = _SHA_PIN.search(text)
        if sha is None:
            continue  # the value sits on another line (a block scalar): nothing to judge
        comment = text[sha.end():].lstrip("'\" \t")
        if not comment.startswith("#"):
            problem = "has no version comment"
        elif not _VERSION_COMMENT.match(comment):
            problem = f"has comment '{comment[:40]}', which is not a version"
        else:
            continue
        yield Finding(
            rule=RULE.id, severity="info", path=doc.path, line=line, resource=doc.resource, engine=engine,
            message=f"{value.split('@')[0]} is pinned to a SHA but {problem}: add the release as '# vX.Y.Z'",
        )
