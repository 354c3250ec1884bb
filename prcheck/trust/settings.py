"""Flags and one config mapping → a `RunConfig`: a flag given wins, else the config, else the default.

Some settings choose where repository content goes or how much the run may
spend: `rego_engine`/`opa_url` (a server that receives every document),
`jobs`, `limits` (the hostile-input guards) and paths that leave the
repository (`data`, `schema_locations`, policy folders). From a config the
run does not trust (the checked tree's own `.prcheck.yaml`, the default for
local runs) they are taken only where they spend less or stay inside the
repository; everything else is ignored with a `trust/untrusted-setting`
finding, and can be given by flag or by the trusted ref's config instead.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import fields
from pathlib import Path
from typing import Any, Callable, Mapping

from prcheck.checks.secrets import settings_from_config as secrets_settings
from prcheck.model import Finding
from prcheck.processes import default_jobs
from prcheck.records import dataclass
from prcheck.runconfig import RunConfig
from prcheck.sources.yaml_loader import Limits

UNTRUSTED_SETTING = "trust/untrusted-setting"
ROUTING_KEYS = ("rego_engine", "opa_url")
PATH_KEYS = ("policies", "data", "kyverno", "gatekeeper", "schema_locations")


@dataclass(frozen=True)
class ConfigSource:
    """One config mapping and how to read the paths it names."""

    conf: Mapping[str, Any]
    label: str  # for messages: the file, and the ref it came from
    path: str = ""  # repository-relative path of the file, "" when outside the repository or none
    trusted: bool = False  # may it choose where data goes and how much is spent?
    # config-relative path → absolute path to read (the trusted tree maps into its folder)
    resolve: Callable[[str], str] = lambda p: p


def _split(values: Any) -> list[str]:
    """`--skip-kinds a,b --skip-kinds c` and YAML lists both become [a, b, c]."""
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in str(value).split(",") if v.strip())
    return out


def _static_prefix(location: str) -> str:
    """The folder part of a schema location template before its first `{{`."""
    if "{{" not in location:
        return location
    head = location.split("{{", 1)[0]
    return head if head.endswith("/") else (posixpath.dirname(head) or ".")


def _outside(path: str, root: Path) -> bool:
    if "://" in path:
        return True
    real = os.path.realpath(_static_prefix(path))
    return not (real == str(root) or real.startswith(str(root).rstrip(os.sep) + os.sep))


def _limits(conf: Mapping[str, Any], trusted: bool, ignored: list[str]) -> Limits:
    wanted = dict(conf.get("limits") or {})
    if trusted:
        return Limits(**wanted)
    default = Limits()
    kept: dict[str, Any] = {}
    for f in fields(Limits):
        if f.name not in wanted:
            continue
        if wanted[f.name] <= getattr(default, f.name):
            kept[f.name] = wanted[f.name]  # a tighter guard is always welcome
        else:
            ignored.append(f"limits.{f.name}")
    return Limits(**kept)


def build(paths: list[str], root: Path, source: ConfigSource, flags: Mapping[str, Any],
          resolve_flag: Callable[[str], str], notices: list[Finding]) -> tuple[RunConfig, str]:
    """The run's settings from `source` and `flags`; refused settings are added to `notices`."""
    conf = source.conf
    ignored: list[str] = []

    def pick(name: str, default: Any) -> Any:
        value = flags.get(name)
        if value not in (None, ()):
            return value
        return conf.get(name, default)

    def routed(name: str, default: Any) -> Any:
        value = flags.get(name)
        if value not in (None, ()):
            return value
        if name in conf and not source.trusted:
            ignored.append(name)
            return default
        return conf.get(name, default)

    def config_paths(key: str) -> list[str]:
        out: list[str] = []
        for raw in conf.get(key) or []:
            resolved = source.resolve(str(raw))
            if not source.trusted and _outside(resolved, root):
                ignored.append(f"{key}: {raw}")
                continue
            out.append(resolved)
        return out

    def paths_for(flag: str, key: str) -> list[str]:
        given = [resolve_flag(str(p)) for p in flags.get(flag) or ()]
        return given or config_paths(key)

    jobs = flags.get("jobs")
    if not jobs and conf.get("jobs"):
        if source.trusted or int(conf["jobs"]) <= default_jobs():
            jobs = int(conf["jobs"])
        else:
            ignored.append("jobs")
    render_conf = {k: v for k, v in conf.items() if k != "jobs"}
    render = None  # `request` is None without --base/--render; a plain run never loads the render stage
    if flags.get("base") or flags.get("render"):
        from prcheck.render.stage import request as render_request

        render = render_request({**flags, "jobs": jobs}, render_conf)
    suppressions = flags.get("suppressions") or ("trusted" if conf.get("suppressions") == "trusted" else "all")
    config = RunConfig(
        paths=tuple(paths),
        root=root,
        exclude=(*conf.get("exclude", []), *(flags.get("exclude") or ())),  # `--exclude GLOB` adds to the config's
        kube_version=str(pick("kube_version", "1.32")).lstrip("v"),
        strict=bool(pick("strict", False)),
        schema_locations=tuple(paths_for("schema_location", "schema_locations")),
        skip_kinds=tuple(_split(pick("skip_kinds", []))),
        skip_missing_schemas=bool(pick("skip_missing_schemas", False)),
        policies=tuple(dict.fromkeys([*paths_for("policies", "policies"),  # --add-policy: on top, never instead
                                      *(resolve_flag(str(p)) for p in flags.get("added_policies") or ())])),
        gatekeeper=tuple(config_paths("gatekeeper")),
        kyverno=tuple(config_paths("kyverno")),
        data=tuple(paths_for("data", "data")),
        namespaces=tuple(pick("namespaces", ["main"])),
        all_namespaces=bool(pick("all_namespaces", False)),
        combine=bool(pick("combine", False)),
        rego_engine=routed("rego_engine", "embedded"),
        rego_version=pick("rego_version", "auto"),
        gatekeeper_engine=str(pick("gatekeeper_engine", "auto")),
        cel=dict(conf.get("cel") or {}),
        opa_url=routed("opa_url", None),
        capabilities=resolve_flag(str(flags["capabilities"])) if flags.get("capabilities") else None,
        rego_strict=bool(flags.get("rego_strict")),
        limits=_limits(conf, source.trusted, ignored),
        rule_config=dict(conf.get("rules", {})),
        jobs=jobs,
        builtin=bool(pick("builtin", True)),
        exceptions=tuple(conf.get("exceptions", [])),
        render=render,
        all_files=bool(flags.get("all_files")),
        shard=flags.get("shard"),
        suppressions=suppressions,
        secrets=secrets_settings(conf, source.resolve, source.path, root),
    )
    if ignored:
        notices.append(Finding(
            rule=UNTRUSTED_SETTING, severity="warning", path=source.path, engine="prcheck",
            message=f"{source.label} sets {', '.join(ignored)}: where documents are sent, how much a run may "
                    "spend and files outside the repository are taken only from flags or from the trusted "
                    "ref's config (--trusted-ref), never from the checked tree; ignored"))
    return config, pick("fail_on", "error")
