"""Settings for commands that run without a trusted ref (`prcheck diff`, `prcheck envs`, tests).

`prcheck check` goes through the trust stage (`prcheck.trust.decide`); this
module keeps the same rules for callers that want the settings only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prcheck.runconfig import RunConfig
from prcheck.sources.collect import root_for
from prcheck.trust import settings, work_tree_source


def load_config(config_path: str | None, cwd: Path, root: Path) -> tuple[dict, Path]:
    """The work tree's config and the folder its relative paths are relative to."""
    source = work_tree_source(config_path, cwd, root)
    return dict(source.conf), Path(source.resolve("."))


def build_check_options(paths: list[str], config_path: str | None, flags: dict[str, Any],
                        cwd: Path) -> tuple[RunConfig, str]:
    root = root_for(Path(paths[0]), cwd)
    notices: list = []
    config, fail_on = settings.build(paths, root, work_tree_source(config_path, cwd, root), flags,
                                     lambda p: p, notices)
    return RunConfig(**{**config.__dict__, "notices": tuple(notices)}), fail_on
