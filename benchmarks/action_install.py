"""How long the Action's install takes, cold and with the virtualenv cache.

Runs action.yml's steps with `install: true` (the runner emulation of
tests/publish/ci_harness.py, where actions/cache/restore and save are played
by a local folder keyed like the real cache): first with an empty cache, so
the hash-locked requirements are downloaded and installed into a new
virtualenv, then again in a fresh runner temp folder with the cache present,
so only prcheck itself is installed from the action's checkout. Prints the
seconds of each install step and the size of the virtualenv.

    python benchmarks/action_install.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_httpserver import HTTPServer  # noqa: E402

from tests.publish.ci_harness import run_action  # noqa: E402
from tests.publish.publish_fakes import FakeGitHub  # noqa: E402


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


def main() -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    api = FakeGitHub(server, head_sha="0" * 40)
    tmp = Path(tempfile.mkdtemp(prefix="prcheck-install-"))
    workspace = tmp / "workspace"
    workspace.mkdir()
    subprocess.run(["git", "init", "--quiet", str(workspace)], check=True)
    (workspace / "ok.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n")
    event = tmp / "event.json"
    event.write_text(json.dumps({}))
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp), "RUNNER_OS": "Linux", "GITHUB_EVENT_NAME": "workflow_dispatch",
           "GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "octo/gitops", "GITHUB_SHA": "0" * 40,
           "GITHUB_API_URL": api.base, "GITHUB_TOKEN": "ghs_benchmark", "GITHUB_ACTIONS": "true"}
    store = tmp / "cache"
    for label in ("cold", "cached"):
        run = run_action(workspace, tmp / f"runner-{label}" / "temp", {"fail-on": "never"}, env, cache_store=store)
        venv = Path(run.steps["setup"]["venv"])
        steps = {k: round(v, 1) for k, v in run.timings.items() if k in ("setup", "restore", "install", "save")}
        total = round(sum(steps.values()), 1)
        print(f"{label}: exit {run.returncode}, install steps {total} s {steps}, venv {size_mb(venv):.0f} MB, "
              f"cache hit {run.steps['restore'].get('cache-hit') == 'true'}")
        if run.returncode:
            print(run.log[-3000:])
            break
    server.stop()


if __name__ == "__main__":
    main()
