"""Which of a template's engines runs it, chosen the way Gatekeeper chooses.

`auto` (the default, like Gatekeeper with K8sNativeValidation enabled):
the CEL code when the template has a K8sNativeValidation block with
validations, else its Rego. `cel` and `rego` force one engine; a template without it fails to
compile instead of falling back, so a forced run never silently measures
the other engine.
"""

from __future__ import annotations

from typing import Any

from prcheck.checks.policy.base import PolicyError
from prcheck.checks.policy.gatekeeper.load import TemplateSource
from prcheck.checks.policy.gatekeeper.program import CompiledTemplate

ENGINES = ("auto", "cel", "rego")


def uses_cel(source: TemplateSource, engine: str) -> bool:
    """auto: a CEL block with validations (an empty placeholder block leaves the Rego in charge)."""
    return engine == "cel" or engine == "auto" and bool(source.cel and source.cel.get("validations"))


def compile_template(source: TemplateSource, engine: str = "auto", runtime: Any = None) -> Any:
    """A compiled template (Rego or CEL); raises PolicyError when the chosen engine's code is missing or broken."""
    if engine not in ENGINES:
        raise PolicyError(source.path, source.line, 0, f"unknown Gatekeeper engine {engine!r}")
    if uses_cel(source, engine):
        from prcheck.checks.policy.cel.gatekeeper import CelTemplate
        return CelTemplate(source, runtime)
    return CompiledTemplate(source)


def runnable(source: TemplateSource, engine: str) -> bool:
    """Whether the chosen engine has code to run in this template."""
    return source.cel is not None if uses_cel(source, engine) else source.rego is not None
