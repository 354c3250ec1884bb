"""Bounded retries for both API clients.

Retries live in urllib3 under the clients' `requests` sessions: 5xx, 429 and
(on GitHub) secondary rate limits are retried with exponential backoff, a
`Retry-After` header is honoured but never waited on for longer than
`max_wait`, and after `total` retries the request fails for good, so a CI job
never hangs on an outage.
"""

from __future__ import annotations

from typing import Any

from github import GithubRetry
from urllib3 import Retry

RETRY_STATUSES = (429, 500, 502, 503, 504)


def _capped(value: float | None, max_wait: float) -> float | None:
    return None if value is None else min(value, max_wait)


class BoundedRetry(Retry):
    """urllib3's Retry, with the server-requested wait capped at `max_wait` seconds."""

    def __init__(self, *args: Any, max_wait: float = 60.0, **kwargs: Any) -> None:
        self.max_wait = max_wait
        super().__init__(*args, **kwargs)

    def new(self, **kw: Any) -> "BoundedRetry":
        kw.setdefault("max_wait", self.max_wait)
        return super().new(**kw)  # type: ignore[return-value]

    def get_retry_after(self, response: Any) -> float | None:
        return _capped(super().get_retry_after(response), self.max_wait)


class BoundedGithubRetry(GithubRetry):
    """PyGithub's retry (it recognises secondary rate limits sent as 403), capped the same way."""

    def __init__(self, *args: Any, max_wait: float = 60.0, **kwargs: Any) -> None:
        self.max_wait = max_wait
        super().__init__(*args, **kwargs)

    def new(self, **kw: Any) -> "BoundedGithubRetry":
        kw.setdefault("max_wait", self.max_wait)
        return super().new(**kw)  # type: ignore[return-value]

    def get_retry_after(self, response: Any) -> float | None:
        return _capped(super().get_retry_after(response), self.max_wait)


def github_retry(retries: int, backoff: float, max_wait: float) -> BoundedGithubRetry:
    return BoundedGithubRetry(
        total=retries,
        backoff_factor=backoff,
        status_forcelist=list(RETRY_STATUSES),
        allowed_methods=None,  # every verb: PATCH and DELETE too
        raise_on_status=True,
        respect_retry_after_header=True,
        secondary_rate_wait=min(60.0, max_wait),
        max_rate_limit_wait=max_wait,
        max_wait=max_wait,
    )


def gitlab_retry(retries: int, backoff: float, max_wait: float) -> BoundedRetry:
    return BoundedRetry(
        total=retries,
        backoff_factor=backoff,
        status_forcelist=list(RETRY_STATUSES),
        allowed_methods=None,
        raise_on_status=True,
        respect_retry_after_header=True,
        max_wait=max_wait,
    )
