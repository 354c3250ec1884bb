"""`.prcheck.yaml`: found upward from the working folder, validated before use.

A typo in a config key would otherwise silently disable what the user meant
to turn on, so every unknown key is an error that names it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prcheck.resources import data_dir
from prcheck.sources.yaml_loader import load_bytes

if TYPE_CHECKING:
    import jsonschema

CONFIG_NAME = ".prcheck.yaml"


class ConfigError(ValueError):
    """An unusable config file: exit 2 with this one line."""


def discover(start: Path, stop: Path) -> Path | None:
    """The nearest `.prcheck.yaml` from `start` up to `stop` (the git root)."""
    current = start.resolve()
    stop = stop.resolve()
    while True:
        candidate = current / CONFIG_NAME
        if candidate.is_file():
            return candidate
        if current == stop or current.parent == current:
            return None
        current = current.parent


def _where(error: jsonschema.ValidationError) -> str:
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _describe(error: jsonschema.ValidationError) -> str:
    """Names the key and what the schema wanted, never the value: a config holds
    URLs with credentials and tokens as often as anything else."""
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})), key=str)
        return f"{_where(error)}: unknown key {', '.join(repr(k) for k in extra)}"
    wanted = error.validator_value
    if error.validator == "type":
        return f"{_where(error)}: expected {' or '.join(wanted) if isinstance(wanted, list) else wanted} (value not shown)"
    if error.validator == "enum":
        return f"{_where(error)}: must be one of {', '.join(map(str, wanted))} (value not shown)"
    if error.validator == "required":
        return f"{_where(error)}: missing {', '.join(repr(k) for k in wanted if k not in (error.instance or {}))}"
    return f"{_where(error)}: does not match the config schema ({error.validator}; value not shown)"


def validate(config: Any, path: str) -> dict:
    schema = json.loads((data_dir("schemas") / "prcheck-config.schema.json").read_text(encoding="utf-8"))
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: the config must be a mapping")
    import jsonschema  # pure Python and slow to import: only a run that has a config pays for it

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ConfigError(f"{path}: " + "; ".join(_describe(e) for e in errors[:5]))
    return config


def load(path: Path) -> dict:
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    # the guarded loader: a config is part of the change, and an alias bomb or a 3,000-deep
    # nesting in it must be a one-line error, not gigabytes of expansion or a RecursionError
    loaded = load_bytes(raw_bytes, str(path))
    if loaded.findings:
        problem = loaded.findings[0]
        raise ConfigError(f"{path}:{problem.line}: {problem.message}")
    docs = [d for d in loaded.docs if d.obj is not None]
    if len(docs) > 1:
        raise ConfigError(f"{path}: the config must be one YAML document")
    return validate(docs[0].obj if docs else None, str(path))
