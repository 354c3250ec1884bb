"""The errors a user can cause (bad flags, config, policies, paths): one line, exit 2.

They are named, not imported: importing the modules that define them would
load Gatekeeper, publishing and rendering for every run. A module that was
never imported cannot have raised its error, so only loaded ones are looked up.
"""

from __future__ import annotations

import sys

_NAMED: tuple[tuple[str, str], ...] = (
    ("prcheck.config", "ConfigError"),
    ("prcheck.checks.policy.base", "PolicyError"),
    ("prcheck.checks.schema_store", "SchemaConfigError"),
    ("prcheck.publish.base", "PublishError"),
    ("prcheck.render.worktree", "GitError"),
    ("prcheck.render.environments", "EnvironmentConfigError"),
    ("prcheck.report.files", "ReportPathError"),
)


def user_errors() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = [FileNotFoundError]
    for module, name in _NAMED:
        loaded = sys.modules.get(module)
        if loaded is not None:
            found.append(getattr(loaded, name))
    return tuple(found)
