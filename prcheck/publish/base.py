"""What both publishers share: options, results, errors, the hidden markers and
the comment bodies.

Publishing must be idempotent: every body prcheck writes starts with a hidden
HTML marker, so a later run can find its own comments (and only those) and
edit, keep, resolve or delete them instead of posting again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Literal, Mapping, Sequence, TypeVar

from prcheck.model import SEVERITY_RANK, Finding, Report
from prcheck.publish.suggestions import Suggester

SUMMARY_MARKER = "<!-- prcheck:summary -->"
REVIEW_MARKER = "<!-- prcheck:review -->"
BODY_LIMIT = 65_536  # GitHub's comment limit; GitLab takes more, but one cap keeps both readable
CHECK_OUTPUT_LIMIT = 65_535  # check run output.summary / output.text
_FP_MARKER = re.compile(r"\A\s*<!-- prcheck:fp:([0-9A-Za-z_.:-]+) -->")

CommentScope = Literal["added", "diff_context"]


class PublishError(Exception):
    """An API failure, said in one line; the CLI prints it and exits 2."""


class PermissionDenied(PublishError):
    """The token may read but not write (a fork pull request, a read-only token)."""


class Rejected(PublishError):
    """The API understood the request and refused its content (HTTP 422)."""


@dataclass(frozen=True)
class PublishOptions:
    """Everything a caller may tune; the defaults are what CI runs should use.

    `changed_lines` only feeds `--dry-run`, which sends no request at all and so
    cannot ask the API for the diff: path -> line numbers the change added.
    """

    github_token: str = ""
    gitlab_token: str = ""
    status_per_env: bool = False
    comment_scope: CommentScope = "added"
    max_inline: int = 50
    repo_root: str = "."
    retries: int = 3
    backoff: float = 1.0
    max_wait: float = 60.0
    timeout: float = 30.0
    throttle: bool = True
    changed_lines: Mapping[str, Sequence[int]] | None = None
    suggesters: Mapping[str, Suggester] | None = None


@dataclass
class PublishResult:
    """What one publish did, for the CLI's log line and for tests."""

    platform: str
    dry_run: bool = False
    fallback: str = ""  # non-empty: results went to the job summary and annotations instead
    check_run_id: int | None = None
    annotations: int = 0
    inline_created: int = 0
    inline_kept: int = 0
    inline_removed: int = 0  # deleted on GitHub, resolved on GitLab
    inline_reopened: int = 0
    summary: str = ""  # "created", "edited", "unchanged" or "" (no pull request)
    statuses: list[str] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)  # dry run: what would have been sent
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RemoteComment:
    """A comment or note as the API lists it, reduced to what reconciliation needs."""

    id: int
    body: str
    path: str = ""
    line: int | None = None
    reply_to: int | None = None
    resolved: bool = False
    discussion_id: str = ""
    system: bool = False


def fingerprint_marker(fingerprint: str) -> str:
    return f"<!-- prcheck:fp:{fingerprint} -->"


def marker_fingerprint(body: str) -> str | None:
    """The fingerprint a prcheck comment carries; None for anyone else's comment.

    Only a marker at the very start counts, so a human reply that quotes a
    prcheck comment is never mistaken for one.
    """
    match = _FP_MARKER.match(body or "")
    return match.group(1) if match else None


def is_summary(body: str) -> bool:
    return (body or "").lstrip().startswith(SUMMARY_MARKER)


def cap(body: str, limit: int = BODY_LIMIT) -> str:
    """Fit `body` into an API's character limit, cutting at a line end and saying so."""
    if len(body) <= limit:
        return body
    note = f"\n\n_… truncated by prcheck to fit the {limit:,}-character limit; the job log has the full report._"
    keep = body[: limit - len(note)]
    cut = keep.rfind("\n")
    if cut > len(keep) // 2:
        keep = keep[:cut]
    return keep + note


def normalize_path(path: str) -> str:
    """Repository-relative POSIX paths, as both APIs spell them."""
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def finding_order(finding: Finding) -> tuple:
    """Most severe first, then by place: the same findings always come in the same order."""
    return (-SEVERITY_RANK[finding.severity], normalize_path(finding.path), finding.line, finding.rule, finding.fingerprint)


def counts_title(report: Report) -> str:
    parts = [(report.count("error"), "error"), (report.count("warning"), "warning"), (report.count("info"), "info")]
    text = ", ".join(f"{n} {word}{'s' if n != 1 and word != 'info' else ''}" for n, word in parts)
    return f"prcheck: {text}"


def status_description(report: Report) -> str:
    """Commit status descriptions are capped at 140 characters by GitHub."""
    if not report.findings:
        return "No findings"
    return counts_title(report).removeprefix("prcheck: ").capitalize()[:140]


def environments(report: Report) -> list[str]:
    names = {e for f in report.findings for e in f.environments} | {d.env for d in report.diffs if d.env}
    return sorted(names)


def env_report(report: Report, env: str) -> Report:
    return Report(findings=[f for f in report.findings if env in f.environments])


def status_targets(report: Report, options: PublishOptions, name: str) -> list[tuple[str, Report]]:
    """`name` for the whole report and, when asked, `name/<env>` per environment.

    Both platforms post the same set (branch protection can require any one),
    so the list is built once; only the status request bodies differ.
    """
    targets = [(name, report)]
    if options.status_per_env:
        targets += [(f"{name}/{env}", env_report(report, env)) for env in environments(report)]
    return targets


def reconcile_summary(
    mine: Sequence[RemoteComment],
    body: str,
    result: PublishResult,
    *,
    create: Callable[[str], None],
    edit: Callable[[RemoteComment, str], None],
    delete: Callable[[RemoteComment], None],
) -> None:
    """Keep exactly one sticky summary: `mine` are the comments carrying the summary
    marker, oldest first; the first is edited in place and stray copies (a race
    between runs) are removed. GitHub issue comments and GitLab notes follow the
    same rule, only the calls differ. `result.summary` is set as soon as the
    create or edit has gone through, so a failure while cleaning up still says so.
    """
    if not mine:
        create(body)
        result.summary = "created"
        return
    if mine[0].body != body:
        edit(mine[0], body)
        result.summary = "edited"
    else:
        result.summary = "unchanged"
    for duplicate in mine[1:]:
        delete(duplicate)


_Api = TypeVar("_Api")


def run_live_or_dry(
    dry_run: bool,
    *,
    recorder: Callable[[], _Api],
    client: Callable[[], _Api],
    steps: Callable[[_Api], PublishResult],
) -> PublishResult:
    """Run the publishing `steps` against a recorder (`--dry-run`) or the real client.

    Both platforms choose the same way; the factories are called lazily so a dry
    run neither needs a token nor imports the API library. A dry run's result
    carries the requests the recorder printed.
    """
    if dry_run:
        dry = recorder()
        result = steps(dry)
        result.dry_run = True
        result.requests = dry.requests  # type: ignore[attr-defined]  # the recorders' list
        return result
    return steps(client())


@dataclass(frozen=True)
class InlinePlan:
    """Which findings become line comments, and which only appear in the summary."""

    inline: list[Finding]
    outside: list[Finding]


def plan_inline(
    findings: Iterable[Finding],
    commentable: Mapping[str, frozenset[int]],
    max_inline: int,
) -> InlinePlan:
    """One comment per fingerprint, only on lines the API accepts comments on.

    `commentable` maps a path to the lines of the new file a comment may sit on
    (the added lines, or added and context lines). Everything else, and
    everything past `max_inline`, goes to the summary so a large change stays
    quiet.
    """
    inline: list[Finding] = []
    outside: list[Finding] = []
    seen: set[str] = set()
    for finding in sorted(findings, key=finding_order):
        lines = commentable.get(normalize_path(finding.path), frozenset())
        fits = finding.line in lines and finding.fingerprint not in seen and len(inline) < max_inline
        if fits:
            inline.append(finding)
            seen.add(finding.fingerprint)
        elif finding.fingerprint not in seen:
            outside.append(finding)
    return InlinePlan(inline, outside)


def inline_body(finding: Finding, suggestion: str | None, fence_info: str) -> str:
    """A line comment: marker, severity, rule, where, message and an optional fix.

    `fence_info` is the platform's suggestion syntax (`suggestion` on GitHub,
    `suggestion:-0+0` on GitLab); the fix replaces the commented line.
    """
    head = [f"**{finding.severity}** · `{finding.rule}`"]
    if finding.resource:
        head.append(f"`{finding.resource}`")
    if finding.environments:
        head.append("in " + ", ".join(f"`{e}`" for e in finding.environments))
    lines = [fingerprint_marker(finding.fingerprint), " · ".join(head), "", finding.message]
    if suggestion is not None:
        fence = "````" if "```" in suggestion else "```"
        lines += ["", f"{fence}{fence_info}", suggestion, fence]
    return cap("\n".join(lines))


def summary_body(summary_markdown: str, outside: Sequence[Finding], total_inline: int) -> str:
    """The sticky summary: the markdown report plus, folded, what is not commented inline."""
    parts = [SUMMARY_MARKER, summary_markdown.rstrip()]
    if outside:
        rows = ["| Severity | Rule | Location | Message |", "| --- | --- | --- | --- |"]
        for finding in outside:
            rows.append(
                f"| {finding.severity} | `{_cell(finding.rule)}` | `{_cell(finding.location())}` | {_cell(finding.message)} |"
            )
        noun = "finding" if len(outside) == 1 else "findings"
        where = "outside the changed lines" if total_inline else "not commented inline"
        parts += ["", f"<details><summary>{len(outside)} {noun} {where}</summary>", "", *rows, "", "</details>"]
    return cap("\n".join(parts) + "\n")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|").replace("`", "'")


def chunks(items: Sequence, size: int) -> list[Sequence]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [items[:0]]
