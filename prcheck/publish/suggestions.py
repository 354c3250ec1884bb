"""Fixes a review comment can offer as a one-click suggestion.

`Finding` stays a plain record: a fix is looked up here by rule id, and built
from the file as it is in the checkout. A suggester gets the finding and the
file's lines and returns the text that replaces the finding's line (it may hold
several lines, to insert after it), or None when it cannot be sure. Only fixes
that are right without outside knowledge belong here: a missing
`readOnlyRootFilesystem: true` can be suggested; the commit SHA to pin an
action to only when the file itself names it (a `# <sha>` comment on the line,
or the same action and ref pinned by SHA elsewhere in the file), since it is
not known offline otherwise.

The table is keyed by the built-in pack's rule ids, and the tests run it on
the pack's real findings, so a renamed rule cannot silently lose its fix.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

if TYPE_CHECKING:
    from prcheck.model import Finding

Suggester = Callable[["Finding", Sequence[str]], "str | None"]

_KEY = r"^(?P<indent>\s*)(?P<dash>- )?{key}:\s*(?P<value>[^#]*?)\s*(#.*)?$"


def security_context_field(key: str, value: str) -> Suggester:
    """Set `securityContext.<key>: <value>` where the finding points.

    The finding's line may be the key itself with the wrong value, the
    `securityContext:` line, or the container's `- name:` line when the
    container has no securityContext at all; anything else gets no suggestion.
    """

    def suggest(finding: "Finding", lines: Sequence[str]) -> str | None:
        if not 1 <= finding.line <= len(lines):
            return None
        index = finding.line - 1
        line = lines[index]
        own = re.match(_KEY.format(key=re.escape(key)), line)
        if own:
            if own["value"] == value:
                return None
            return f"{own['indent']}{own['dash'] or ''}{key}: {value}"
        context = re.match(_KEY.format(key="securityContext"), line)
        if context:
            if context["value"] not in ("", "{}"):
                return None
            head = f"{context['indent']}{context['dash'] or ''}securityContext:"
            child = _child_indent(lines, index, _width(context["indent"], context["dash"]))
            if context["value"] == "{}" or child is None:
                child = _width(context["indent"], context["dash"]) + 2
            return f"{head}\n{' ' * child}{key}: {value}"
        item = re.match(r"^(?P<indent>\s*)- name:\s*\S", line)
        if item and not _block_has_key(lines, index, len(item["indent"]) + 2, "securityContext"):
            field_indent = len(item["indent"]) + 2
            return f"{line}\n{' ' * field_indent}securityContext:\n{' ' * (field_indent + 2)}{key}: {value}"
        return None

    return suggest


def _width(indent: str, dash: str | None) -> int:
    return len(indent) + (len(dash) if dash else 0)


def _child_indent(lines: Sequence[str], index: int, parent: int) -> int | None:
    for line in lines[index + 1 :]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        width = len(line) - len(line.lstrip())
        return width if width > parent else None
    return None


def _block_has_key(lines: Sequence[str], index: int, field_indent: int, key: str) -> bool:
    """Does the sequence item starting at `index` already have `key`?"""
    for line in lines[index + 1 :]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        width = len(line) - len(line.lstrip())
        if width < field_indent:
            return False
        if width == field_indent and line.strip().startswith(f"{key}:"):
            return True
    return False


def _unless_root_user(suggest: Suggester) -> Suggester:
    """`runAsNonRoot: true` next to `runAsUser: 0` (in the pod or the container) stops
    the pod from starting: then the fix is not mechanical, and none is offered."""

    def guarded(finding: "Finding", lines: Sequence[str]) -> str | None:
        if any(re.match(r"^\s*(- )?runAsUser:\s*['\"]?0['\"]?\s*(#.*)?$", line) for line in lines):
            return None
        return suggest(finding, lines)

    return guarded


_PULL_POLICY = re.compile(r"^(?P<head>\s*(- )?imagePullPolicy:\s*)(?P<value>[^#\s]+)(?P<tail>\s*(#.*)?)$")


def image_pull_policy(finding: "Finding", lines: Sequence[str]) -> str | None:
    """`imagePullPolicy: Always` on the key the finding points at."""
    if not 1 <= finding.line <= len(lines):
        return None
    match = _PULL_POLICY.match(lines[finding.line - 1])
    if not match or match["value"].strip("'\"") == "Always":
        return None
    return f"{match['head']}Always{match['tail']}"


_USES = re.compile(r"^(?P<head>\s*(- )?uses:\s*)(?P<q>['\"]?)(?P<action>[^@\s'\"#]+)@(?P<ref>[^\s'\"#]+)(?P=q)(?P<tail>\s*(#\s*(?P<comment>.*))?)$")
_SHA = re.compile(r"\b[0-9a-f]{40}\b")


def pin_uses(finding: "Finding", lines: Sequence[str]) -> str | None:
    """`uses: owner/repo@<sha> # <ref>` when the file already says which SHA `<ref>` is:
    in the line's own comment (`@v4 # <sha>`), or where the same action and ref
    are pinned elsewhere in the file (`@<sha> # v4`)."""
    if not 1 <= finding.line <= len(lines):
        return None
    match = _USES.match(lines[finding.line - 1])
    if not match or _SHA.fullmatch(match["ref"]):
        return None
    action, ref = match["action"], match["ref"]
    own = _SHA.search(match["comment"] or "")
    sha = own.group(0) if own else None
    if sha is None:
        for index, line in enumerate(lines):
            other = _USES.match(line)
            if index == finding.line - 1 or not other or other["action"] != action:
                continue
            if _SHA.fullmatch(other["ref"]) and (other["comment"] or "").split() [:1] == [ref]:
                sha = other["ref"]
                break
    if sha is None:
        return None
    quote = match["q"]
    return f"{match['head']}{quote}{action}@{sha}{quote} # {ref}"


DEFAULT_SUGGESTERS: Mapping[str, Suggester] = MappingProxyType(
    {
        "k8s/writable-root-filesystem": security_context_field("readOnlyRootFilesystem", "true"),
        "k8s/privilege-escalation": security_context_field("allowPrivilegeEscalation", "false"),
        "k8s/run-as-root": _unless_root_user(security_context_field("runAsNonRoot", "true")),
        "k8s/privileged-container": security_context_field("privileged", "false"),
        "k8s/image-pull-policy": image_pull_policy,
        "gha/unpinned-uses": pin_uses,
    }
)


def suggestion_for(
    finding: "Finding",
    repo_root: str | Path,
    suggesters: Mapping[str, Suggester] | None = None,
) -> str | None:
    """The replacement text for the finding's line, or None."""
    suggest = (DEFAULT_SUGGESTERS if suggesters is None else suggesters).get(finding.rule)
    if suggest is None or not finding.path or finding.line < 1:
        return None
    root = Path(repo_root).resolve()
    path = (root / finding.path).resolve()
    if not path.is_relative_to(root):  # never quote a file from outside the checkout in a comment
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return suggest(finding, text.split("\n"))
