"""Machine-readable output; the shape is documented in the README and versioned."""

from __future__ import annotations

import json
from dataclasses import asdict, fields, is_dataclass
from typing import Any

from prcheck import __version__
from prcheck.model import Finding, Report

FORMAT_VERSION = 1


_SCALARS = frozenset({str, int, float, bool, type(None)})
_SCALAR_BASES = (str, int, float, bool, type(None))
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def finding_dict(f: Finding) -> dict[str, Any]:
    """What `dataclasses.asdict` gives, without its deep copy of every value:
    a large run has tens of thousands of findings, and asdict was the
    costliest part of rendering them. A Finding's `__dict__` holds its
    fields in their order; only the few non-scalar values (envs) are copied."""
    names = _FIELD_NAMES.get(type(f))
    if names is None:
        names = _FIELD_NAMES[type(f)] = tuple(x.name for x in fields(f))
    attrs = getattr(f, "__dict__", None)
    out = dict(attrs) if attrs is not None and tuple(attrs) == names else {name: getattr(f, name) for name in names}
    for name, value in out.items():
        if type(value) not in _SCALARS:
            out[name] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, (tuple, list)) and all(type(v) is str for v in value):
        return list(value)
    if isinstance(value, _SCALAR_BASES):  # subclasses (a str enum): as json.dumps writes them
        return value
    return asdict(value) if is_dataclass(value) else json.loads(json.dumps(value, default=str))


def as_dict(report: Report) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "tool": {"name": "prcheck", "version": __version__},
        "summary": {
            "errors": report.count("error"),
            "warnings": report.count("warning"),
            "info": report.count("info"),
            "suppressed": len(report.suppressed),
            "files": report.stats.get("files", 0),
            "documents": report.stats.get("documents", 0),
            "pre_existing": len(report.stats.get("pre_existing") or ()),
            "fixed": len(report.fixed),
        },
        "findings": [finding_dict(f) for f in report.findings],
        "fixed": [finding_dict(f) for f in report.fixed],
        "suppressed": [
            {"source": s.source, "reason": s.reason, "added_by_change": s.added, "finding": finding_dict(s.finding)}
            for s in report.suppressed
        ],
        "diffs": [
            {
                "env": d.env,
                "skipped": d.skipped,
                "unchanged": d.unchanged,
                **{kind: [{"key": c.key, "diff": c.text} for c in getattr(d, kind)]
                   for kind in ("added", "removed", "changed", "moved")},
            }
            for d in report.diffs
        ],
        "stats": report.stats,
    }


def render(report: Report, **_: object) -> str:
    return json.dumps(as_dict(report), indent=2, sort_keys=False, default=str) + "\n"


def _finding(data: dict[str, Any]) -> Finding:
    known = {f.name: f.type for f in fields(Finding)}
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known}
    return Finding(**values)


def report_from_dict(data: dict[str, Any]) -> Report:
    """The inverse of `as_dict` (what `prcheck merge` reads back); raises ValueError on another shape."""
    from prcheck.model import EnvDiff, ResourceChange, Suppressed

    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION or not isinstance(data.get("findings"), list):
        raise ValueError(f"not a prcheck JSON report (format version {FORMAT_VERSION})")
    diffs = [
        EnvDiff(env=d["env"], skipped=bool(d.get("skipped")), unchanged=int(d.get("unchanged") or 0),
                **{kind: [ResourceChange(c["key"], None, None, c["diff"]) for c in d.get(kind) or []]
                   for kind in ("added", "removed", "changed", "moved")})
        for d in data.get("diffs") or []
    ]
    return Report(
        findings=[_finding(f) for f in data["findings"]],
        suppressed=[Suppressed(_finding(s["finding"]), s["source"], s.get("reason", "")) for s in data.get("suppressed") or []],
        diffs=diffs,
        stats=dict(data.get("stats") or {}),
    )
