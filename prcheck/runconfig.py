"""`RunConfig`: everything the trust stage decided for one run, frozen.

The trust stage (`prcheck.trust`) is the only place that reads a config file
or decides which tree the rules come from. Every later stage receives this
value and nothing else, so no stage can go back to the checked tree's
`.prcheck.yaml` and let a pull request pick the rules it is judged by.
Sequences are stored as tuples so the value cannot be edited after the
decision; it still pickles, so worker processes receive it as is.
"""

from __future__ import annotations

import copy
from dataclasses import field, fields
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

from prcheck.model import Finding
from prcheck.checks.secrets.engine import SecretsSettings
from prcheck.records import dataclass
from prcheck.sources.yaml_loader import Limits

if TYPE_CHECKING:  # annotations only: a plain run never loads the render stage
    from prcheck.render.stage import RenderRequest
    from prcheck.sources.shard import Shard

SUPPRESSION_MODES = ("all", "trusted")


@dataclass(frozen=True)
class RunConfig:
    """Every setting of one check run, from the configuration file and the command line merged."""

    paths: tuple[str, ...] = (".",)
    root: Path | None = None
    exclude: tuple[str, ...] = ()
    kube_version: str = "1.32"
    strict: bool = False
    schema_locations: tuple[str, ...] = ()
    skip_kinds: tuple[str, ...] = ()
    skip_missing_schemas: bool = False
    policies: tuple[str, ...] = ()
    gatekeeper: tuple[str, ...] = ()  # config `gatekeeper:` paths (`--policy` ones are searched too)
    kyverno: tuple[str, ...] = ()  # config `kyverno:` paths (`--policy` ones are searched too)
    data: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ("main",)
    all_namespaces: bool = False
    combine: bool = False
    rego_engine: str = "embedded"
    rego_version: str = "auto"
    gatekeeper_engine: str = "auto"  # auto | cel | rego: which code of a ConstraintTemplate runs
    cel: dict[str, Any] = field(default_factory=dict, hash=False)  # config `cel:` (userInfo, authorizer rules)
    opa_url: str | None = None
    capabilities: str | None = None  # OPA capabilities file restricting Rego built-ins (a flag only)
    rego_strict: bool = False  # OPA strict mode for Rego policies (a flag only)
    limits: Limits = field(default_factory=Limits)
    rule_config: dict[str, Any] = field(default_factory=dict, hash=False)
    jobs: int | None = None  # worker processes for large runs and renders; None: one per core
    builtin: bool = True  # the built-in policy pack (`--no-builtin` / config `builtin: false` turn it off)
    exceptions: tuple[dict[str, Any], ...] = ()  # config `exceptions:`
    render: RenderRequest | None = None  # `--base`: render environments, compare with the base
    all_files: bool = False  # with `--base`: check every file, not only those the change affects
    shard: Shard | None = None  # `--shard I/N`: this job's share of the files and environments
    # `all`: honour every suppression (listing those the change added); `trusted`:
    # suppressions the change added or edited are reported and not honoured.
    suppressions: str = "all"
    trusted_ref: str = ""  # the commit the rules came from; "" when the work tree's config is used
    notices: tuple[Finding, ...] = ()  # the trust stage's own findings (trust/config-changed, ...)
    secrets: SecretsSettings = field(default_factory=SecretsSettings)  # config `secrets:`, rule file already read

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                object.__setattr__(self, f.name, tuple(value))
        # a private copy: whoever built the mapping cannot change the rules afterwards
        object.__setattr__(self, "rule_config", copy.deepcopy(dict(self.rule_config)))
        if self.suppressions not in SUPPRESSION_MODES:
            raise ValueError(f"suppressions must be one of {', '.join(SUPPRESSION_MODES)}")
