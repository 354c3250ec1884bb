"""Machine-readable output; the shape is documented in the README and versioned."""

from __future__ import annotations

import json
from dataclasses import asdict, fields, is_dataclass
from typing import Any, Iterator

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
            for index, item in enumerate(items):
                yield (",\n" if index else "") + _item(item)
            yield "\n  ]"
    yield rest + "\n"


_LISTS = ("findings", "fixed", "suppressed")


def _suppressed_dict(s: Suppressed) -> dict[str, Any]:
    return {"source": s.source, "reason": s.reason, "added_by_change": s.added, "finding": finding_dict(s.finding)}


def _item(item: "Finding | Suppressed") -> str:
    """One element of a top-level list, as `json.dumps(..., indent=2)` writes it at depth 2."""
    if type(item) is Finding:
        text = _plain_finding(item)
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
_HEADS: dict[type, tuple[tuple[str, str], ...]] = {}


def _plain_finding(f: Finding) -> str | None:
    """`_item` of a finding whose fields are all strings, ints and an empty `envs` (nearly every
    finding), written field by field with the C encoder's own string escaper and `int.__repr__`,
    as `json.dumps` writes them: no dict per finding and no encoder call per key.
    None when another value needs the general path."""
    heads = _HEADS.get(type(f))
    if heads is None:
        heads = _HEADS[type(f)] = tuple((x.name, f"      {_C_DUMPS(x.name)}: ") for x in fields(f))
    lines = []
    for name, head in heads:
        value = getattr(f, name)
        kind = type(value)
        if kind is str:
            lines.append(head + _ESCAPE(value))
        elif kind is int:
            lines.append(head + int.__repr__(value))
        elif value == () and kind is tuple:
            lines.append(head + "[]")
        else:
            return None
    return "    {\n" + ",\n".join(lines) + "\n    }" if lines else None


_ESCAPE = json.encoder.encode_basestring_ascii  # what JSONEncoder (ensure_ascii) uses for a str


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
