"""`--publish auto`: which platform the CI environment is, from its own variables."""

from __future__ import annotations

from typing import Mapping

from prcheck.publish.base import PublishError

PLATFORMS = ("github", "gitlab")


def detect_platform(requested: str, environ: Mapping[str, str]) -> str:
    """`github` or `gitlab`; `auto` looks at the CI variables and refuses to guess outside CI."""
    if requested in PLATFORMS:
        return requested
    if requested != "auto":
        raise PublishError(f"unknown --publish value {requested!r}: use github, gitlab or auto")
    if environ.get("GITHUB_ACTIONS") == "true" and environ.get("GITHUB_EVENT_PATH"):
        return "github"
    if environ.get("GITLAB_CI") == "true" and environ.get("CI_MERGE_REQUEST_IID"):
        return "gitlab"
    if environ.get("GITLAB_CI") == "true":
        raise PublishError(
            "--publish auto: this GitLab pipeline is not a merge request pipeline (CI_MERGE_REQUEST_IID is unset); "
            'run the job with `rules: - if: $CI_PIPELINE_SOURCE == "merge_request_event"` or use --publish gitlab'
        )
    raise PublishError(
        "--publish auto: not running in GitHub Actions (GITHUB_ACTIONS and GITHUB_EVENT_PATH unset) "
        "nor in a GitLab merge request pipeline (GITLAB_CI and CI_MERGE_REQUEST_IID unset); "
        "use --publish github or --publish gitlab"
    )
