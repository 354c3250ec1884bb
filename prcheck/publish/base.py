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
from prcheck.publish.flags import MAX_COMMENTS
from prcheck.publish.suggestions import Suggester

DEFAULT_NAME = "prcheck"
BODY_LIMIT = 65_536  # GitHub's comment limit; GitLab takes more, but one cap keeps both readable
CHECK_OUTPUT_LIMIT = 65_535  # check run output.summary / output.text
SUMMARY_PARTS = 2  # a summary that does not fit one comment goes on in a second one, never a third
FIXED_MARKER = "<!-- prcheck:fixed -->"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/]{0,63}")
_MARKER = re.compile(r"\A\s*<!-- (prcheck(?:@[A-Za-z0-9_.\-/]+)?):(fp|summary)(?::([0-9A-Za-z_.:-]+))? -->")

CommentScope = Literal["added", "diff_context"]


def valid_name(name: str) -> str:
    """`--name` ends up in hidden markers, check-run names and status contexts: keep it plain."""
    if not _NAME.fullmatch(name or ""):
        raise PublishError(f"--name {name!r}: use 1-64 letters, digits, '.', '_', '-' or '/', starting with a letter or digit")
    return name


@dataclass(frozen=True)
class Markers:
    """The hidden HTML comments that make a comment prcheck's, for one `--name`.

    Several prcheck jobs on one pull request (a matrix, a monorepo split, a
    second workflow) each pass their own name, so each finds and cleans up
    only what it posted. The default name keeps the markers earlier versions
    wrote (`<!-- prcheck:summary -->`), so upgrading does not orphan them.
    """

    name: str = DEFAULT_NAME

    @property
    def prefix(self) -> str:
        return "prcheck" if self.name == DEFAULT_NAME else f"prcheck@{self.name}"

    def summary(self, part: int = 1) -> str:
        return f"<!-- {self.prefix}:summary -->" if part == 1 else f"<!-- {self.prefix}:summary:{part} -->"

    @property
    def review(self) -> str:
        return f"<!-- {self.prefix}:review -->"

    def fingerprint(self, fingerprint: str) -> str:
        return f"<!-- {self.prefix}:fp:{fingerprint} -->"

    def _match(self, body: str, kind: str) -> "re.Match[str] | None":
        match = _MARKER.match(body or "")
        return match if match and match.group(1) == self.prefix and match.group(2) == kind else None

    def fingerprint_of(self, body: str) -> str | None:
        """The fingerprint a comment of this name carries; None for anyone else's.

        Only a marker at the very start counts, so a human reply that quotes a
        prcheck comment is never mistaken for one.
        """
        match = self._match(body, "fp")
        return match.group(3) if match else None

    def summary_part(self, body: str) -> int | None:
        """1, 2, ... for this name's summary comments; None for anything else."""
        match = self._match(body, "summary")
        if not match:
            return None
        part = match.group(3) or "1"
        return int(part) if part.isdigit() and int(part) >= 1 else None


@dataclass(frozen=True)
class Identity:
    """Who the token is. Markers are public text: anyone can paste one into a
    comment, so only comments this identity wrote are ever taken as prcheck's."""

    id: int | None = None
    login: str = ""

    def wrote(self, comment: "RemoteComment") -> bool:
        if self.id is not None and comment.author_id is not None:
            return comment.author_id == self.id
        return bool(self.login) and comment.author.lower() == self.login.lower()


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
    name: str = DEFAULT_NAME
    status_per_env: bool = False
    comment_scope: CommentScope = "added"
    max_inline: int = MAX_COMMENTS  # `--max-comments`: line comments per run; the rest are listed in the summary
    off: frozenset[str] = frozenset()  # flags.SURFACES not to write (nor clean up)
    # `on-findings`: no summary comment on a pull request that has no findings and never had
    # one (an earlier comment is still edited, so it turns into "passed"); `always`; `never`.
    summary_comment: str = "on-findings"
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
    fallback: str = ""  # non-empty: the check run could not be written; findings went out as annotations
    check_run_id: int | None = None
    annotations: int = 0
    inline_created: int = 0
    inline_kept: int = 0
    inline_removed: int = 0  # deleted on GitHub, resolved on GitLab
    inline_fixed: int = 0  # GitHub: kept because someone replied, marked fixed and minimised
    inline_reopened: int = 0
    summary: str = ""  # "created", "edited", "unchanged", "not needed" (no findings, none posted) or ""
    summary_parts: int = 0
    statuses: list[str] = field(default_factory=list)
    step_summary: bool = False
    requests: list[dict] = field(default_factory=list)  # dry run: what would have been sent
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # one line per surface that could not be written


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
    author_id: int | None = None
    author: str = ""
    node_id: str = ""  # GitHub's GraphQL id, for minimizeComment
    replies: int = 0  # GitLab: notes under the first one written by someone else


SUMMARY_MARKER = Markers().summary()


def cap(body: str, limit: int = BODY_LIMIT) -> str:
    """Fit `body` into an API's character limit, cutting at a line end, closing
    what the cut left open (a code fence, `<details>` folds) and saying so."""
    if len(body) <= limit:
        return body
    note = f"\n\n_… truncated by prcheck to fit the {limit:,}-character limit; the job log has the full report._"
    keep, closers = _cut(body, limit - len(note))
    return keep + closers + note


def _cut(text: str, budget: int) -> tuple[str, str]:
    """A prefix of `text` that fits `budget` together with the closers it needs
    (both are returned, so a caller can go on with the rest elsewhere). It ends
    at a line end unless that would throw away more than half the room."""
    keep = _prefix(text, budget)
    closers = closing_tags(keep)
    while len(keep) + len(closers) > budget and keep:
        keep = _prefix(keep, max(budget - len(closers), 0))
        closers = closing_tags(keep)
    return keep, closers


def _prefix(text: str, size: int) -> str:
    if len(text) <= size:
        return text
    cut = text.rfind("\n", 0, size)
    return text[:cut] if cut > size // 2 else text[:size]


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_DETAILS_OPEN = re.compile(r"<details\b", re.I)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.I)


def open_blocks(text: str) -> tuple[str, int]:
    """The code fence left open at the end of `text` ("" for none) and how many
    `<details>` are still open outside code: what a cut here must close."""
    fence = ""
    depth = 0
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if fence:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence) and not line.strip()[len(match.group(1)):]:
                fence = ""
            continue
        if match:
            fence = match.group(1)
            continue
        depth += len(_DETAILS_OPEN.findall(line)) - len(_DETAILS_CLOSE.findall(line))
        depth = max(depth, 0)
    return fence, depth


def closing_tags(text: str) -> str:
    fence, depth = open_blocks(text)
    return (f"\n{fence}" if fence else "") + "\n\n</details>" * depth


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
    names = {e for f in report.findings for e in finding_envs(f)} | {d.env for d in report.diffs if d.env}
    return sorted(names)


def env_report(report: Report, env: str) -> Report:
    return Report(findings=[f for f in report.findings if env in finding_envs(f)])


def status_targets(report: Report, options: PublishOptions, whole: str) -> list[tuple[str, Report]]:
    """`whole` for the whole report and, when asked, `<name>/<env>` per environment.

    Both platforms post the same set (branch protection can require any one),
    so the list is built once; only the status request bodies differ.
    """
    name = options.name
    targets = [(whole, report)]
    if options.status_per_env:
        targets += [(f"{name}/{env}", env_report(report, env)) for env in environments(report)]
    return targets


def reconcile_summary(
    listed: Callable[[], Sequence[RemoteComment]],
    bodies: Sequence[str],
    markers: Markers,
    identity: Identity,
    result: PublishResult,
    *,
    create: Callable[[str], None],
    edit: Callable[[RemoteComment, str], None],
    delete: Callable[[RemoteComment], None],
    create_new: bool = True,
) -> None:
    """Keep exactly one sticky summary (one comment per part): the oldest comment
    of each part that this identity wrote is edited in place; copies (two runs
    that raced) and parts no longer needed are removed. After creating one, the
    list is read again and only the oldest of each part is kept, so two racing
    runs converge on the same comment instead of leaving two. GitHub issue
    comments and GitLab notes follow the same rule, only the calls differ.
    Without `create_new`, only an existing summary is kept up to date.
    """

    def mine() -> dict[int, list[RemoteComment]]:
        parts: dict[int, list[RemoteComment]] = {}
        for comment in sorted(listed(), key=lambda c: c.id):
            part = markers.summary_part(comment.body)
            if part is not None and not comment.system and identity.wrote(comment):
                parts.setdefault(part, []).append(comment)
        return parts

    existing = mine()
    if not existing and not create_new:
        result.summary = "not needed"
        return
    created = False
    states = []
    for part, body in enumerate(bodies, start=1):
        found = existing.pop(part, [])
        if not found:
            create(body)
            created = True
            states.append("created")
            continue
        keep, *copies = found
        if keep.body != body:
            edit(keep, body)
            states.append("edited")
        else:
            states.append("unchanged")
        for copy in copies:
            delete(copy)
    for leftovers in existing.values():
        for comment in leftovers:
            delete(comment)
    result.summary = states[0] if states[0] != "unchanged" or len(set(states)) == 1 else "edited"
    result.summary_parts = len(bodies)
    if created:
        for found in mine().values():
            for copy in found[1:]:
                delete(copy)


_Api = TypeVar("_Api")
_T = TypeVar("_T")


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
    over_limit: int = 0  # of `outside`: on commentable lines, left out by `max_inline`
    limit: int = 0


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
    over = 0
    for finding in sorted(findings, key=finding_order):
        on_line = finding.line in commentable.get(normalize_path(finding.path), frozenset())
        if on_line and finding.fingerprint not in seen and len(inline) < max_inline:
            inline.append(finding)
            seen.add(finding.fingerprint)
        elif finding.fingerprint not in seen:
            outside.append(finding)
            over += on_line
    return InlinePlan(inline, outside, over, max_inline)


def finding_envs(finding: Finding) -> tuple[str, ...]:
    """Every environment a finding was seen in (one finding per problem carries them all)."""
    many = getattr(finding, "envs", None)
    if many:
        return tuple(many)
    one = getattr(finding, "env", "")
    return (one,) if one else ()


def inline_body(finding: Finding, suggestion: str | None, fence_info: str, markers: Markers = Markers()) -> str:
    """A line comment: marker, severity, rule, where, message and an optional fix.

    `fence_info` is the platform's suggestion syntax (`suggestion` on GitHub,
    `suggestion:-0+0` on GitLab); the fix replaces the commented line.
    """
    head = [f"**{finding.severity}** · `{finding.rule}`"]
    if finding.resource:
        head.append(f"`{finding.resource}`")
    envs = finding_envs(finding)
    if envs:
        head.append(("env " if len(envs) == 1 else "envs ") + ", ".join(f"`{e}`" for e in envs))
    lines = [markers.fingerprint(finding.fingerprint), " · ".join(head), "", finding.message]
    if suggestion is not None:
        fence = "````" if "```" in suggestion else "```"
        lines += ["", f"{fence}{fence_info}", suggestion, fence]
    return cap("\n".join(lines))


def fixed_body(body: str, head_sha: str) -> str:
    """A line comment whose finding is gone but which people replied to: kept,
    saying so, with the original folded under it (the thread stays readable)."""
    first, _, rest = body.partition("\n")
    if rest.startswith(FIXED_MARKER):
        return body
    note = f"✅ **Fixed**: prcheck no longer reports this at `{head_sha[:12]}`." if head_sha else "✅ **Fixed**."
    return cap("\n".join([first, FIXED_MARKER, note, "", "<details><summary>Original comment</summary>", "",
                           rest.strip(), "", "</details>"]))


def is_fixed(body: str) -> bool:
    return body.partition("\n")[2].startswith(FIXED_MARKER)


def summary_bodies(
    summary_markdown: str,
    outside: Sequence[Finding],
    total_inline: int,
    markers: Markers = Markers(),
    *,
    footer: str = "",
    limit: int = BODY_LIMIT,
    over_limit: int = 0,
    max_comments: int = 0,
) -> list[str]:
    """The sticky summary: the markdown report plus, folded, what is not commented
    inline. Each comment is well-formed on its own (every fold and fence closed)
    and under `limit`; what does not fit the first goes on in a second comment,
    and what does not fit that is cut with a note."""
    parts = [summary_markdown.rstrip()]
    if outside:
        rows = ["| Severity | Rule | Location | Message |", "| --- | --- | --- | --- |"]
        for finding in outside:
            rows.append(
                f"| {finding.severity} | `{_cell(finding.rule)}` | `{_cell(finding.location())}` | {_cell(finding.message)} |"
            )
        noun = "finding" if len(outside) == 1 else "findings"
        why = []
        if over_limit:
            why.append(f"{over_limit} over the limit of {max_comments} comments")
        if len(outside) > over_limit and (total_inline or over_limit):
            why.append(f"{len(outside) - over_limit} outside the changed lines")
        where = "not commented inline" + (f" ({'; '.join(why)})" if why else "")
        parts += ["", f"<details><summary>{len(outside)} {noun} {where}</summary>", "", *rows, "", "</details>"]
    text = "\n".join(parts)
    tail = f"\n\n{footer}" if footer else ""
    bodies: list[str] = []
    for part in range(1, SUMMARY_PARTS + 1):
        head = markers.summary(part) + "\n"
        room = limit - len(head) - len(tail)
        if len(text) <= room or part == SUMMARY_PARTS:
            bodies.append(cap(head + text + tail, limit))
            break
        more = "\n\n_… continued in the next comment._"
        keep, closers = _cut(text, room - len(more))
        if not keep:  # not even one line fits: cut it rather than loop
            bodies.append(cap(head + text + tail, limit))
            break
        bodies.append(head + keep + closers + more)
        text = _reopen(text[: len(keep)]) + text[len(keep) :].lstrip("\n")
    return bodies


def _reopen(done: str) -> str:
    """What the next comment must open again for the rest to render as it would have."""
    fence, depth = open_blocks(done)
    return "<details><summary>(continued)</summary>\n\n" * depth + (f"{fence}\n" if fence else "")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|").replace("`", "'")


def attempt(result: PublishResult, surface: str, call: Callable[[], _T], hint: Callable[[PublishError], str]) -> _T | None:
    """Run one surface's requests; an API failure becomes one warning line and the
    other surfaces still go out. The exit code is the findings' business alone."""
    try:
        return call()
    except PublishError as exc:
        extra = hint(exc)
        result.warnings.append(f"{surface} not posted: {exc}" + (f" ({extra})" if extra else ""))
        return None


def chunks(items: Sequence, size: int) -> list[Sequence]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [items[:0]]
