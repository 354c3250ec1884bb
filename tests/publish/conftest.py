"""Fixtures for the publisher tests: fake APIs on 127.0.0.1, a checkout with one
manifest, a report with findings on changed and unchanged lines, and the CI
environment variables each platform sets."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from prcheck.model import Finding, Report
from prcheck.publish import PublishOptions
from tests.publish.publish_fakes import FakeGitHub, FakeGitLab

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: nginx:latest
          securityContext:
            runAsNonRoot: true
"""

# The pull request changed lines 7 and 12 and added 13-14 of MANIFEST.
PATCH = """\
@@ -4,9 +4,11 @@ metadata:
   name: web
   namespace: shop
 spec:
-  replicas: 1
+  replicas: 2
   template:
     spec:
       containers:
         - name: web
-          image: nginx:1.25
+          image: nginx:latest
+          securityContext:
+            runAsNonRoot: true"""

PATH = "apps/web/deployment.yaml"
RESOURCE = "Deployment/shop/web"
TOKEN = "ghs_" + "S3cr3tT0k3n" * 3


def finding(rule: str, severity: str, line: int, message: str, path: str = PATH, **kw: str) -> Finding:
    resource = kw.pop("resource", RESOURCE)
    return Finding(rule=rule, severity=severity, message=message, path=path, line=line, resource=resource, **kw)  # type: ignore[arg-type]


ROFS = finding("k8s/writable-root-filesystem", "error", 13, "container web: set securityContext.readOnlyRootFilesystem: true")
LATEST = finding("k8s/image-latest-tag", "warning", 12, "container web uses the mutable tag :latest")
REPLICAS = finding("replicas-min", "info", 7, "2 replicas: consider a PodDisruptionBudget")
LABELS = finding("missing-labels", "warning", 3, "metadata.labels lacks app.kubernetes.io/name")
OTHER_FILE = finding(
    "privileged", "error", 5, "container api runs privileged", path="apps/api/deployment.yaml", resource="Deployment/shop/api"
)
RENDER = Finding(rule="render-failed", severity="error", message="helm template failed: missing value image.tag", env="prod")


@pytest.fixture
def report() -> Report:
    return Report(findings=[ROFS, LATEST, REPLICAS, LABELS, OTHER_FILE, RENDER])


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    (root / "apps/web").mkdir(parents=True)
    (root / PATH).write_text(MANIFEST)
    return root


@pytest.fixture
def fast_options(checkout: Path) -> PublishOptions:
    """No pause between writes, no backoff: the retry tests measure Retry-After alone."""
    return PublishOptions(repo_root=str(checkout), retries=2, backoff=0.0, max_wait=5.0, throttle=False, timeout=10)


@pytest.fixture
def fake_github(httpserver: HTTPServer) -> FakeGitHub:
    api = FakeGitHub(httpserver)
    api.add_file(PATH, PATCH)
    api.add_file("README.md", "@@ -1 +1 @@\n-old\n+new")
    api.add_file("docs/logo.png", None, status="added")  # binary: the API sends no patch
    api.add_file("apps/old.yaml", "@@ -1 +0,0 @@\n-kind: Service", status="removed")
    return api


@pytest.fixture
def github_env(fake_github: FakeGitHub, tmp_path: Path) -> dict[str, str]:
    event = {
        "action": "synchronize",
        "number": fake_github.number,
        "pull_request": {
            "number": fake_github.number,
            "head": {"sha": fake_github.head_sha, "ref": "feature", "repo": {"full_name": fake_github.repo, "fork": False}},
            "base": {"sha": "f" * 40, "ref": "main", "repo": {"full_name": fake_github.repo}},
        },
        "repository": {"full_name": fake_github.repo},
    }
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event))
    summary = tmp_path / "step-summary.md"
    summary.write_text("")
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": fake_github.repo,
        "GITHUB_SHA": "9" * 40,
        "GITHUB_API_URL": fake_github.base,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "555",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_TOKEN": TOKEN,
    }


@pytest.fixture
def fake_gitlab(httpserver: HTTPServer) -> FakeGitLab:
    api = FakeGitLab(httpserver)
    api.add_diff(PATH, PATCH)
    return api


@pytest.fixture
def gitlab_env(fake_gitlab: FakeGitLab) -> dict[str, str]:
    return {
        "GITLAB_CI": "true",
        "CI_SERVER_URL": fake_gitlab.base,
        "CI_PROJECT_ID": str(fake_gitlab.project_id),
        "CI_MERGE_REQUEST_PROJECT_ID": str(fake_gitlab.project_id),
        "CI_MERGE_REQUEST_IID": str(fake_gitlab.iid),
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": fake_gitlab.diff_refs["base_sha"],
        "CI_COMMIT_SHA": fake_gitlab.diff_refs["head_sha"],
        "CI_PIPELINE_ID": "777",
        "CI_JOB_URL": "https://gitlab.example/group/gitops/-/jobs/888",
        "CI_JOB_TOKEN": "job-token-value",
        "PRCHECK_GITLAB_TOKEN": "glpat-" + "x" * 20,
    }


@pytest.fixture
def out() -> io.StringIO:
    return io.StringIO()
