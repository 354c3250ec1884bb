"""The errors a user can cause (bad flags, config, policies, paths): one line, exit 2."""

from __future__ import annotations

from prcheck.checks.policy.base import PolicyError
from prcheck.checks.schema_store import SchemaConfigError
from prcheck.config import ConfigError
from prcheck.publish.base import PublishError
from prcheck.render.environments import EnvironmentConfigError
from prcheck.render.worktree import GitError
from prcheck.report.files import ReportPathError

USER_ERRORS: tuple[type[BaseException], ...] = (
    ConfigError, PolicyError, SchemaConfigError, FileNotFoundError,
    PublishError, GitError, EnvironmentConfigError, ReportPathError,
)
