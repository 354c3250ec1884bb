"""Output formats: one module each, each with `render(report, **options) -> str`.

Modules are imported only when their format is asked for, so a plain text run
never pays for XML or SARIF machinery.
"""

from __future__ import annotations

import importlib
from typing import Any, Iterable, Iterator

from prcheck.model import Finding, Report

FORMATS: dict[str, str] = {
    "text": "prcheck.report.text",
    "json": "prcheck.report.json",
    "sarif": "prcheck.report.sarif",
    "junit": "prcheck.report.junit",
    "codequality": "prcheck.report.codequality",
    "markdown": "prcheck.report.markdown",
}


def available() -> list[str]:
    return [name for name, module in FORMATS.items() if importlib.util.find_spec(module) is not None]


def render(fmt: str, report: Report, **options: Any) -> str:
    module = importlib.import_module(FORMATS[fmt])
    return module.render(report, **options)


def render_parts(fmt: str, report: Report, **options: Any) -> Iterator[str]:
    """The same text in pieces, for writing without holding it all (a format may offer
    `render_parts`; the others give their text as one piece)."""
    module = importlib.import_module(FORMATS[fmt])
    parts = getattr(module, "render_parts", None)
    return parts(report, **options) if parts is not None else iter([module.render(report, **options)])


def batched(parts: Iterable[str], size: int = 1 << 20) -> Iterator[str]:
    """Pieces joined into about `size` characters each: few writes, little held."""
    batch: list[str] = []
    length = 0
    for part in parts:
        batch.append(part)
        length += len(part)
        if length >= size:
            yield "".join(batch)
            batch, length = [], 0
    if batch:
        yield "".join(batch)


def pre_existing(report: Report) -> list[Finding]:
    """`check --base` keeps findings the change did not introduce in `stats["pre_existing"]`."""
    listed = report.stats.get("pre_existing")
    if not isinstance(listed, list):
        return []
    return [f if isinstance(f, Finding) else Finding(**f) for f in listed if isinstance(f, (Finding, dict))]
