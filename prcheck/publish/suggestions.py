"""Fixes a review comment can offer as a one-click suggestion.

`Finding` stays a plain record: a fix is looked up here by rule id, and built
from the file as it is in the checkout. A suggester gets the finding and the
file's lines and returns the text that replaces the finding's line (it may hold
several lines, to insert after it), or None when it cannot be sure. Only fixes
that are right without outside knowledge belong here: a missing
`readOnlyRootFilesystem: true` can be suggested, the commit SHA to pin an
action to cannot (it is not known offline), so there is none for that rule.
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


DEFAULT_SUGGESTERS: Mapping[str, Suggester] = MappingProxyType(
    {
        "read-only-root-filesystem": security_context_field("readOnlyRootFilesystem", "true"),
        "no-privilege-escalation": security_context_field("allowPrivilegeEscalation", "false"),
        "run-as-non-root": security_context_field("runAsNonRoot", "true"),
        "no-privileged-containers": security_context_field("privileged", "false"),
    }
)


def _rule_key(rule: str) -> str:
    """Rule ids compare without case, namespace or separators: `K8S/read_only_root_filesystem` matches."""
    last = re.split(r"[/:]", rule)[-1]
    return re.sub(r"[^a-z0-9]", "", last.lower())


def suggestion_for(
    finding: "Finding",
    repo_root: str | Path,
    suggesters: Mapping[str, Suggester] | None = None,
) -> str | None:
    """The replacement text for the finding's line, or None."""
    table = {_rule_key(rule): fn for rule, fn in (suggesters or DEFAULT_SUGGESTERS).items()}
    suggest = table.get(_rule_key(finding.rule))
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
