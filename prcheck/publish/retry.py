"""Bounded retries for both API clients.

Retries live in urllib3 under the clients' `requests` sessions: 5xx, 429 and
(on GitHub) secondary rate limits are retried with exponential backoff, a
`Retry-After` header is honoured but never waited on for longer than
`max_wait`, and after `total` retries the request fails for good, so a CI job
never hangs on an outage.
"""

from __future__ import annotations

from typing import Any, Self

from github import GithubRetry
from urllib3 import Retry

RETRY_STATUSES = (429, 500, 502, 503, 504)


class _CappedWait:
    """The `Retry-After` cap both retries share. A mixin rather than a base class:
    the GitHub retry must keep PyGithub's `GithubRetry` (it recognises secondary
    rate limits) as its base, the GitLab one plain urllib3 `Retry`."""

    max_wait: float

    def __init__(self, *args: Any, max_wait: float = 60.0, **kwargs: Any) -> None:
        self.max_wait = max_wait
        super().__init__(*args, **kwargs)

    def new(self, **kw: Any) -> Self:
        """urllib3 makes a new Retry per attempt; the cap must survive that."""
        kw.setdefault("max_wait", self.max_wait)
        return super().new(**kw)  # type: ignore[misc]

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)  # type: ignore[misc]
        return None if value is None else min(value, self.max_wait)


class BoundedRetry(_CappedWait, Retry):
    """urllib3's Retry, with the server-requested wait capped at `max_wait` seconds."""


class BoundedGithubRetry(_CappedWait, GithubRetry):
    """PyGithub's retry (it recognises secondary rate limits sent as 403), capped the same way."""


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
