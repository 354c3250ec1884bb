"""The errors a user can cause (bad flags, config, policies, paths): one line, exit 2."""

from __future__ import annotations

from prcheck.checks.policy.base import PolicyError
from prcheck.checks.schema_store import SchemaConfigError
from prcheck.config import ConfigError

USER_ERRORS: tuple[type[BaseException], ...] = (ConfigError, PolicyError, SchemaConfigError, FileNotFoundError)
