"""What to render for one environment: the `Environment` plus what a GitOps
controller adds on top of its folder or chart."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from prcheck.model import Environment
from prcheck.render.kustomize import Overlay


@dataclass(frozen=True)
class RenderSpec:
    env: Environment
    overlay: Overlay = field(default_factory=Overlay)
    helm_values: Mapping[str, Any] = field(default_factory=dict)  # inline values, applied after the files

    @property
    def name(self) -> str:
        return self.env.name
