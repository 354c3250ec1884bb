"""The request log of one pull request's life, as the Action publishes it.

Runs action.yml's steps (the runner emulation of tests/publish/ci_harness.py)
with the real `prcheck` against the stateful fake GitHub API on 127.0.0.1, on
real git clones made the way actions/checkout makes them:

1. the pull request is opened (a :latest image and a privileged container);
2. a reviewer replies on the privileged comment, and a fix is pushed;
3. the same commit is checked again (a re-run);
4. a second job with another `name` checks part of the repository.

Prints every request of each run (status, method, path) and what the pull
request shows afterwards.

    python benchmarks/ci_lifecycle.py
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_httpserver import HTTPServer  # noqa: E402

from tests.publish.checkouts import actions_checkout, author_and_origin, git  # noqa: E402
from tests.publish.ci_harness import run_action  # noqa: E402
from tests.publish.publish_fakes import FakeGitHub  # noqa: E402

BASE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""
V1 = BASE.replace("image: nginx:1.27", "image: nginx:latest\n          securityContext:\n            privileged: true")
V2 = BASE.replace("image: nginx:1.27", "image: nginx:latest")


def commit(work: Path, text: str, message: str) -> str:
    (work / "apps/web.yaml").write_text(text)
    git(work, "commit", "--quiet", "-am", message)
    return git(work, "rev-parse", "HEAD")


def pr_files(work: Path, base: str, head: str) -> list[dict]:
    """GET /pulls/N/files as GitHub builds it: the per-file patch of base...head."""
    patch = git(work, "diff", "-U3", f"{base}...{head}", "--", "apps/web.yaml")
    hunks = patch[patch.index("@@"):]
    return [{"sha": "b" * 40, "filename": "apps/web.yaml", "status": "modified", "additions": 0, "deletions": 0,
             "changes": 0, "blob_url": "", "raw_url": "", "contents_url": "", "patch": hunks}]


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    tmp = Path(tempfile.mkdtemp(prefix="prcheck-lifecycle-"))
    try:
        work, origin = author_and_origin(tmp)
        (work / "apps").mkdir()
        (work / "apps/web.yaml").write_text(BASE)
        git(work, "add", "-A")
        git(work, "commit", "--quiet", "-m", "base")
        base = git(work, "rev-parse", "HEAD")
        git(work, "push", "--quiet", "origin", "main")
        git(work, "checkout", "--quiet", "-b", "feature")
        v1 = commit(work, V1, "latest + privileged")
        v2 = commit(work, V2, "drop privileged")
        git(work, "push", "--quiet", "origin", "feature", f"{v1}:refs/pr/v1", f"{v2}:refs/pr/v2")

        api = FakeGitHub(server, head_sha=v1)
        api.files = pr_files(work, base, v1)
        bin_dir = tmp / "bin"
        bin_dir.mkdir()
        (bin_dir / "prcheck").write_text(f"#!/bin/sh\nexec {sys.executable} -m prcheck \"$@\"\n")
        (bin_dir / "prcheck").chmod(0o755)

        def run(label: str, head: str, inputs: dict[str, str], action: str) -> None:
            ws = actions_checkout(origin, tmp / f"ws-{label}", head)
            event = tmp / f"event-{label}.json"
            event.write_text(json.dumps({"action": action, "number": 7, "pull_request": {
                "number": 7, "commits": 2, "head": {"sha": head, "repo": {"full_name": "octo/gitops"}},
                "base": {"sha": base, "repo": {"full_name": "octo/gitops"}}}}))
            env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT), "HOME": str(tmp),
                   "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event),
                   "GITHUB_REPOSITORY": "octo/gitops", "GITHUB_API_URL": api.base, "GITHUB_RUN_ID": label,
                   "GITHUB_SERVER_URL": "https://github.example", "GITHUB_STEP_SUMMARY": str(tmp / f"summary-{label}.md"),
                   "GITHUB_TOKEN": "ghs_lifecycle"}
            start = len(api.log)
            result = run_action(ws, tmp / f"runner-{label}", {"install": "false", "fail-on": "never", **inputs}, env)
            print(f"\n## {label}: exit {result.returncode}, step summary "
                  f"{Path(env['GITHUB_STEP_SUMMARY']).stat().st_size if Path(env['GITHUB_STEP_SUMMARY']).exists() else 0} bytes")
            for record in api.log[start:]:
                detail = ""
                if record.path.endswith("graphql"):
                    detail = "  (" + record.json["query"].split("{")[1].split("(")[0].strip() + ")"
                elif record.method == "POST" and record.path.endswith("/reviews"):
                    detail = f"  ({len(record.json['comments'])} comments)"
                elif record.method == "POST" and record.path.endswith("/check-runs"):
                    detail = f"  (name {record.json['name']}, {len(record.json['output']['annotations'])} annotations)"
                elif "/statuses/" in record.path:
                    detail = f"  (context {record.json['context']}, {record.json['state']})"
                print(f"{record.line()}{detail}")

        run("1-opened", v1, {}, "opened")
        privileged = next(cid for cid, c in api.review_comments.items() if "privileged" in c["body"])
        api.replies_to(privileged, "Needed for the node agent? Please explain.")
        api.move_head(v2, pr_files(work, base, v2))
        run("2-fix-pushed", v2, {}, "synchronize")
        run("3-re-run", v2, {}, "synchronize")
        run("4-second-job", v2, {"name": "infra", "paths": "apps"}, "synchronize")

        print("\n## what the pull request shows")
        for cid, c in sorted(api.review_comments.items()):
            first = c["body"].split("\n")[0]
            state = " (minimised)" if c.get("minimized") else ""
            print(f"review comment {cid} by {c['user']['login']} line {c['line']}: {first}{state}")
        for cid, c in sorted(api.issue_comments.items()):
            print(f"issue comment {cid} by {c['user']['login']}: {c['body'].splitlines()[0]}")
        print(f"check runs: {sorted((r['name'], r['conclusion']) for r in api.check_runs.values())}")
        print(f"statuses: {[(s['context'], s['state']) for s in api.statuses]}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
