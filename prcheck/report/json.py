"""Machine-readable output; the shape is documented in the README and versioned."""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, fields, is_dataclass
from itertools import repeat
from typing import Any, Iterator, Sequence

from prcheck import __version__
from prcheck.model import Finding, Report, Suppressed

FORMAT_VERSION = 1


_SCALARS = (str, int, float, bool, type(None))
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def finding_dict(f: Finding) -> dict[str, Any]:
    """What `dataclasses.asdict` gives, without its deep copy of every value:
    a large run has tens of thousands of findings, and asdict was the
    costliest part of rendering them."""
    names = _FIELD_NAMES.get(type(f))
    if names is None:
        names = _FIELD_NAMES[type(f)] = tuple(x.name for x in fields(f))
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(f, name)
        if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            value = list(value)  # envs: no JSON round trip for a list of strings
        elif not isinstance(value, _SCALARS):
            value = asdict(value) if is_dataclass(value) else json.loads(json.dumps(value, default=str))
        out[name] = value
    return out


def as_dict(report: Report) -> dict[str, Any]:
    return _envelope(report, lists=True)


def _envelope(report: Report, lists: bool) -> dict[str, Any]:
    """The report as `as_dict` gives it; without `lists`, findings, fixed and suppressed are `[]`."""
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
        "findings": [finding_dict(f) for f in report.findings] if lists else [],
        "fixed": [finding_dict(f) for f in report.fixed] if lists else [],
        "suppressed": [_suppressed_dict(s) for s in report.suppressed] if lists else [],
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


def render(report: Report, **options: object) -> str:
    return "".join(render_parts(report, **options))


def render_parts(report: Report, **_: object) -> Iterator[str]:
    """`json.dumps(as_dict(report), indent=2)`, byte for byte, in pieces: never every finding
    as a dict and the pure-Python encoder's millions of chunks at once (with `indent`, `json`
    never uses its C encoder), nor the whole text when it goes to a file or a pipe. At 20,000
    resources the report is 20 MB, and building it at once doubled the run's peak memory."""
    rest = json.dumps(_envelope(report, lists=False), indent=2, default=str)
    for key in _LISTS:  # each placeholder `\n  "findings": []`, in as_dict's key order
        items = getattr(report, key)
        if items:
            head, rest = rest.split(f'\n  "{key}": []', 1)
            yield head + f'\n  "{key}": [\n'
            for start in range(0, len(items), _BATCH):
                batch = items[start:start + _BATCH]
                text = _plain_findings(batch) if key != "suppressed" else None
                yield (",\n" if start else "") + (text if text is not None else ",\n".join(map(_item, batch)))
            yield "\n  ]"
    yield rest + "\n"


_LISTS = ("findings", "fixed", "suppressed")


def _suppressed_dict(s: Suppressed) -> dict[str, Any]:
    return {"source": s.source, "reason": s.reason, "added_by_change": s.added, "finding": finding_dict(s.finding)}


def _item(item: "Finding | Suppressed") -> str:
    """One element of a top-level list, as `json.dumps(..., indent=2)` writes it at depth 2."""
    if type(item) is Finding:
        text = _plain_findings([item])
        if text is not None:
            return text
    data = _suppressed_dict(item) if isinstance(item, Suppressed) else finding_dict(item)
    flat = all(isinstance(v, _SCALARS) or v == [] or v == {} for v in data.values())
    if flat:  # the common case, on the C encoder: one line per field
        dumps = _C_DUMPS
        return "    {\n" + ",\n".join(f"      {dumps(k)}: {dumps(v)}" for k, v in data.items()) + "\n    }" \
            if data else "    {}"
    return "\n".join("    " + line for line in json.dumps(data, indent=2, default=str).split("\n"))


_C_DUMPS = json.JSONEncoder(default=str).encode
# What each field of a plain finding holds: its default's type (str for the required fields);
# json.dumps writes a str or an int on one line, and a tuple only when empty.
_KINDS = tuple(str if f.default is MISSING else type(f.default) for f in fields(Finding))
_BATCH = 256
# what json.dumps writes for a str (ensure_ascii) and an int
_ENCODERS = {str: json.encoder.encode_basestring_ascii, int: int.__repr__}


def _texts() -> tuple[str, ...]:
    """The text around the values of one plain finding as `_item` writes it: the opening brace
    and `"rule": ` before the first value, a comma, new line and `"severity": ` between it and
    the next, ..., the closing brace after the last. A tuple field is always empty there, so its
    `[]` is part of the text."""
    texts = ["    {\n"]
    for index, (f, kind) in enumerate(zip(fields(Finding), _KINDS)):
        texts[-1] += (",\n" if index else "") + f"      {_C_DUMPS(f.name)}: " + ("[]" if kind is tuple else "")
        if kind is not tuple:
            texts.append("")
    texts[-1] += "\n    }"
    return tuple(texts)


_TEXTS = _texts()


def _plain_findings(findings: "Sequence[Finding]") -> str | None:
    """`_item` of each of `findings`, joined by ",\n", when every field of every one holds a
    value of its default's exact type and every tuple is empty, as nearly every finding does.
    Column by column, each distinct text escaped once, and one join for the batch: a Python
    loop over each finding's fields was most of the report's cost at 20,000 resources.
    None when a finding needs the general path."""
    if set(map(type, findings)) != {Finding}:
        return None
    parts: list[Any] = [repeat(_TEXTS[0])]
    for kind, column in zip(_KINDS, zip(*findings)):  # a finding is the tuple of its fields
        if set(map(type, column)) != {kind}:
            return None
        if kind is tuple:
            if any(column):
                return None
            continue
        encode = _ENCODERS.get(kind)
        if encode is None:
            return None
        distinct = set(column)
        if len(distinct) * 2 < len(column):  # rules, paths, messages, lines: each value once
            written = dict(zip(distinct, map(encode, distinct)))
            column = list(map(written.__getitem__, column))
        else:
            column = list(map(encode, column))
        parts.append(column)
        parts.append(repeat(_TEXTS[len(parts) // 2]))
    return ",\n".join(map("".join, zip(*parts)))


def _finding(data: dict[str, Any]) -> Finding:
    known = {f.name: f.type for f in fields(Finding)}
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known}
    return Finding(**values)


def report_from_dict(data: dict[str, Any]) -> Report:
    """The inverse of `as_dict` (what `prcheck merge` reads back); raises ValueError on another shape."""
    from prcheck.model import EnvDiff, ResourceChange

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

