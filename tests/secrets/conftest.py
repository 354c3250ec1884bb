"""The pack's session fixtures, shared with the secrets tests rather than copied."""

from tests.pack.conftest import evaluate, pack  # noqa: F401
