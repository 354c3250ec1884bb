"""What the built-in pack's rules are: ids, titles, severities, docs.

The Rego rules describe themselves in OPA `# METADATA` blocks (title,
description, and `custom: {id, severity, remediation}`). regorus has no
`rego.metadata` built-ins, so the blocks are read here, from the source,
once per run; the Python rules declare the same fields as `RuleInfo`s.
One catalog then serves severities at run time, `prcheck rules` and the docs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from prcheck.checks.policy.base import PolicyError
from prcheck.pyyaml_import import safe_load, yaml_error
from prcheck.records import dataclass
from prcheck.resources import data_dir

SEVERITIES = ("error", "warning", "info")
_COMMENT = re.compile(r"^\s*#( ?)(.*)$")


@dataclass(frozen=True)
class RuleInfo:
    """A rule's catalog entry, as `prcheck rules`, SARIF and rule settings see it."""

    id: str
    title: str
    severity: str
    engine: str  # "rego" or "python" for the pack; "lint", "schema", "prcheck" for the rest
    description: str = ""
    remediation: str = ""
    source: str = ""


def pack_dir() -> Path:
    """The shipped pack: `prcheck/_data/policies` in a wheel, `policies/` in a checkout."""
    return data_dir("policies")


def pack_modules(root: Path, with_tests: bool = False) -> list[Path]:
    """The pack's Rego files; fixtures (testdata/) are never policies, and unit
    tests (`*_test.rego`) only load for `prcheck policy test`."""
    files = sorted(p for p in root.rglob("*.rego") if "testdata" not in p.relative_to(root).parts)
    return files if with_tests else [p for p in files if not p.name.endswith("_test.rego")]


def metadata_blocks(text: str) -> Iterable[tuple[dict, str]]:
    """Each `# METADATA` block as (parsed YAML, first code line after it)."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() != "# METADATA":
            index += 1
            continue
        body: list[str] = []
        index += 1
        while index < len(lines):
            match = _COMMENT.match(lines[index])
            if not match:
                break
            body.append(match.group(2))
            index += 1
        following = next((line.strip() for line in lines[index:] if line.strip()), "")
        try:
            parsed = safe_load("\n".join(body)) or {}
        except yaml_error() as exc:
            raise PolicyError("", index, 0, f"invalid METADATA block: {exc}") from None
        yield (parsed if isinstance(parsed, dict) else {}), following


def rego_rules(files: Sequence[Path], root: Path | None = None) -> list[RuleInfo]:
    """Rule-scoped METADATA blocks that carry `custom.id`."""
    rules: list[RuleInfo] = []
    for file in files:
        text = file.read_text(encoding="utf-8")
        source = f"{root.name}/{file.relative_to(root).as_posix()}" if root else str(file)
        try:
            blocks = list(metadata_blocks(text))
        except PolicyError as exc:
            raise PolicyError(str(file), exc.line, 0, exc.message) from None
        for meta, following in blocks:
            custom = meta.get("custom") or {}
            if following.startswith("package") or not isinstance(custom, dict) or "id" not in custom:
                continue
            severity = str(custom.get("severity", "warning"))
            if severity not in SEVERITIES:
                raise PolicyError(str(file), 0, 0, f"rule {custom['id']}: severity must be one of {', '.join(SEVERITIES)}")
            rules.append(RuleInfo(
                id=str(custom["id"]), title=str(meta.get("title", custom["id"])), severity=severity, engine="rego",
                description=" ".join(str(meta.get("description", "")).split()),
                remediation=" ".join(str(custom.get("remediation", "")).split()), source=source,
            ))
    return rules


def load_catalog(root: Path | None = None) -> list[RuleInfo]:
    """Every rule of the pack (Rego and Python), sorted by id; ids are unique."""
    from prcheck.checks import secrets
    from prcheck.checks.policy import builtin_k8s, builtin_pins

    root = root or pack_dir()
    rules = (rego_rules(pack_modules(root), root) + [r.info for r in builtin_k8s.RULES] + list(secrets.RULES)
             + [builtin_pins.RULE])
    seen: dict[str, RuleInfo] = {}
    for rule in rules:
        if rule.id in seen:
            raise PolicyError(rule.source, 0, 0, f"rule id {rule.id} is declared twice (also in {seen[rule.id].source})")
        seen[rule.id] = rule
    return sorted(seen.values(), key=lambda r: r.id)


# Findings prcheck itself raises about suppressions and the pack.
META_RULES: Sequence[RuleInfo] = (
    RuleInfo("suppress/missing-reason", "Suppression without a reason", "warning", "prcheck",
             "An inline `# prcheck:ignore[rule]` comment or a `prcheck.dev/ignore` annotation gives no reason. "
             "The finding is still suppressed; the reason is what a reviewer reads to accept it.",
             "Write the reason after the comment (`# prcheck:ignore[rule-id] why this is fine`) or set "
             "`prcheck.dev/ignore-reason`."),
    RuleInfo("suppress/expired-exception", "Config exception expired", "warning", "prcheck",
             "A `.prcheck.yaml` exception is past its `expires` date, so it no longer suppresses anything.",
             "Fix the findings it covered, or renew the exception with a new date and reason."),
    RuleInfo("builtin/evaluation-error", "Built-in rule failed on a document", "warning", "prcheck",
             "A built-in rule could not evaluate one document (an unexpected shape); the other documents are checked.",
             "Report the document shape to the prcheck maintainers; suppress the finding meanwhile."),
)
