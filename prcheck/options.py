"""Merge `.prcheck.yaml` with command-line flags: a flag given wins, else the config, else the default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prcheck import config as config_file
from prcheck.pipeline import CheckOptions
from prcheck.render.stage import request as render_request
from prcheck.sources.collect import root_for
from prcheck.sources.yaml_loader import Limits


def _split(values: Any) -> list[str]:
    """`--skip-kinds a,b --skip-kinds c` and YAML lists both become [a, b, c]."""
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in str(value).split(",") if v.strip())
    return out


def _relative_to(base: Path, paths: list[str]) -> list[str]:
    return [str((base / p).expanduser()) if not Path(p).expanduser().is_absolute() else p for p in paths]


def load_config(config_path: str | None, cwd: Path, root: Path) -> tuple[dict, Path]:
    """The config and the folder its relative paths are relative to."""
    if config_path:
        path = Path(config_path)
        return config_file.load(path), path.resolve().parent
    found = config_file.discover(cwd, root)
    return (config_file.load(found), found.parent) if found else ({}, cwd)


def build_check_options(paths: list[str], config_path: str | None, flags: dict[str, Any],
                        cwd: Path) -> tuple[CheckOptions, str]:
    root = root_for(Path(paths[0]), cwd)
    conf, conf_dir = load_config(config_path, cwd, root)

    def pick(name: str, default: Any) -> Any:
        value = flags.get(name)
        if value not in (None, ()):
            return value
        return conf.get(name, default)

    policies = list(flags.get("policies") or ()) or _relative_to(conf_dir, conf.get("policies", []))
    data = list(flags.get("data") or ()) or _relative_to(conf_dir, conf.get("data", []))
    limits = Limits(**conf.get("limits", {}))
    opts = CheckOptions(
        paths=paths,
        root=root,
        exclude=list(conf.get("exclude", [])),
        kube_version=str(pick("kube_version", "1.32")).lstrip("v"),
        strict=bool(pick("strict", False)),
        schema_locations=list(flags.get("schema_location") or ()) or _relative_to(conf_dir, conf.get("schema_locations", [])),
        skip_kinds=_split(pick("skip_kinds", [])),
        skip_missing_schemas=bool(pick("skip_missing_schemas", False)),
        policies=policies,
        gatekeeper=_relative_to(conf_dir, conf.get("gatekeeper", [])),
        kyverno=_relative_to(conf_dir, conf.get("kyverno", [])),
        data=data,
        namespaces=list(pick("namespaces", ["main"])),
        all_namespaces=bool(pick("all_namespaces", False)),
        combine=bool(pick("combine", False)),
        rego_engine=pick("rego_engine", "embedded"),
        rego_version=pick("rego_version", "auto"),
        opa_url=pick("opa_url", None),
        limits=limits,
        rule_config=dict(conf.get("rules", {})),
        jobs=pick("jobs", None),
        builtin=bool(pick("builtin", True)),
        exceptions=list(conf.get("exceptions", [])),
        render=render_request(flags, conf),
    )
    return opts, pick("fail_on", "error")
