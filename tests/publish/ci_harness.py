"""Run the shipped CI integrations the way their platforms do, on this machine.

`run_action` executes action.yml's composite steps as the Actions runner does
(`bash --noprofile --norc -eo pipefail <script>`, `${{ }}` expressions filled
in, `if:` conditions evaluated, one GITHUB_OUTPUT file per step, and
`actions/cache/restore` / `save` played by a local cache folder keyed like the
real one); `run_gitlab_job` runs a template job's
before_script and script in one bash session, as a GitLab shell runner does.
`git_fixture` builds a real origin with a base branch and a pull request branch.
`write_shim` puts a stand-in `prcheck` on PATH that records its arguments, so
the wiring can be tested before the real CLI has every flag.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")
CHECK_FLAGS = ("--config", "--base", "--filter-mode", "--fail-on", "--add-policy", "--kube-version", "--format", "--name",
               "--trusted-ref",
               "--publish", "--dry-run", "--github-token")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"})
    return done.stdout.strip()


@dataclass
class GitFixture:
    origin: Path
    base_sha: str
    head_sha: str


MANIFEST_BASE = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  replicas: \"1\"\n"
MANIFEST_HEAD = MANIFEST_BASE.replace('"1"', '"2"') + "  image: nginx:latest\n"


def git_fixture(root: Path) -> GitFixture:
    """origin.git with `main` (config and policies) and `feature`, whose pull
    request edits the manifest and also tries to swap the config and add a policy."""
    origin = root / "origin.git"
    git(root, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    work = root / "author"
    git(root, "init", "--quiet", "--initial-branch=main", str(work))
    for key, value in (("user.name", "Author"), ("user.email", "author@example.com"), ("commit.gpgsign", "false")):
        git(work, "config", key, value)
    (work / "apps").mkdir()
    (work / "apps/web.yaml").write_text(MANIFEST_BASE)
    (work / ".prcheck.yaml").write_text("# base config\n")
    (work / "policies").mkdir()
    (work / "policies/base.rego").write_text("package main\n")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "base")
    base = git(work, "rev-parse", "HEAD")
    git(work, "remote", "add", "origin", origin.as_uri())
    git(work, "push", "--quiet", "origin", "main")
    git(work, "checkout", "--quiet", "-b", "feature")
    (work / "apps/web.yaml").write_text(MANIFEST_HEAD)
    (work / ".prcheck.yaml").write_text("# pull request config: exclude everything\n")
    (work / "policies/evil.rego").write_text("package main\n")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "feature")
    head = git(work, "rev-parse", "HEAD")
    git(work, "push", "--quiet", "origin", "feature")
    return GitFixture(origin, base, head)


def shallow_checkout(fixture: GitFixture, dest: Path, branch: str = "feature") -> Path:
    """Like actions/checkout: one commit deep, so the base commit is not there yet."""
    git(dest.parent, "clone", "--quiet", "--depth=1", "--branch", branch, fixture.origin.as_uri(), str(dest))
    return dest


def pull_request_event(path: Path, fixture: GitFixture, number: int = 7, repo: str = "octo/gitops") -> Path:
    event = {
        "action": "opened",
        "number": number,
        "pull_request": {
            "number": number,
            "base": {"ref": "main", "sha": fixture.base_sha, "repo": {"full_name": repo}},
            "head": {"ref": "feature", "sha": fixture.head_sha, "repo": {"full_name": repo, "fork": False}},
        },
        "repository": {"full_name": repo},
    }
    path.write_text(json.dumps(event))
    return path


SHIM = '''#!{python}
"""Stand-in prcheck: records argv and writes the reports it is asked for; `ci base` is the real one."""
import json, os, sys

args = sys.argv[1:]
if args[:2] == ["ci", "base"]:
    os.environ["PYTHONPATH"] = {repo!r}
    os.execv(sys.executable, [sys.executable, "-m", "prcheck", *args])
with open(os.environ["SHIM_LOG"], "a") as log:
    log.write(json.dumps({{"argv": args, "token": os.environ.get("GITHUB_TOKEN", ""), "cwd": os.getcwd()}}) + "\\n")
if args == ["version"]:
    print("prcheck 0.0.0 (shim)")
    sys.exit(0)
issues = json.loads(os.environ.get("SHIM_ISSUES", "[]"))
count = lambda *levels: sum(1 for i in issues if i.get("severity") in levels)
formats = [args[i + 1] for i, arg in enumerate(args) if arg == "--format"]
outputs = [args[i + 1] for i, arg in enumerate(args) if arg == "-o"]
for index, fmt in enumerate(formats):
    if fmt == "codequality":
        body = json.dumps(issues)
    elif fmt == "json":
        body = json.dumps({{"summary": {{"errors": count("critical", "blocker"), "warnings": count("major"),
                                        "info": count("info", "minor")}}}})
    else:
        body = "shim %s report\\n" % fmt
    if index < len(outputs):
        with open(outputs[index], "w") as out:
            out.write(body)
    else:
        sys.stdout.write(body)
sys.exit(int(os.environ.get("SHIM_EXIT", "0")))
'''


def write_shim(bin_dir: Path) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / "prcheck"
    shim.write_text(SHIM.format(python=sys.executable, repo=str(REPO)))
    shim.chmod(0o755)
    return shim


@dataclass
class ActionRun:
    returncode: int
    log: str
    steps: dict[str, dict[str, str]] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


CACHE_ACTIONS = ("actions/cache/restore@", "actions/cache/save@")
_OPERAND = r"(?:'[^']*'|[A-Za-z_][\w.\-]*)"


def _condition(expression: str, evaluate) -> bool:
    """The `if:` forms action.yml uses: `a != 'x'`, `a == 'x'`, joined by `&&`."""
    result = True
    for part in expression.split("&&"):
        match = re.fullmatch(rf"\s*({_OPERAND})\s*(==|!=)\s*({_OPERAND})\s*", part)
        assert match, f"the harness cannot evaluate if: {expression}"
        left, right = (evaluate(x) if not x.startswith("'") else x[1:-1] for x in match.group(1, 3))
        op = match.group(2)
        result = result and ((left == right) if op == "==" else (left != right))
    return result


def _cache_step(uses: str, with_: dict[str, str], store: Path) -> dict[str, str]:
    """actions/cache/restore and save, with a folder per key standing in for the cache service."""
    target, key = Path(with_["path"]), with_["key"]
    entry = store / re.sub(r"[^\w.\-]", "_", key)
    if uses.startswith("actions/cache/restore@"):
        if entry.exists():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(entry, target, symlinks=True)
            return {"cache-hit": "true", "cache-primary-key": key, "cache-matched-key": key}
        return {"cache-hit": "", "cache-primary-key": key}
    if not entry.exists() and target.exists():
        shutil.copytree(target, entry, symlinks=True)
    return {}


def _read_outputs(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        key, _, value = line.partition("=")
        pairs[key] = value
    return pairs


def run_action(workspace: Path, runner_temp: Path, inputs: dict[str, str], env: dict[str, str],
               action_file: Path = REPO / "action.yml", cache_store: Path | None = None) -> ActionRun:
    action = yaml.safe_load(action_file.read_text())
    store = cache_store or runner_temp.parent / "actions-cache"
    store.mkdir(parents=True, exist_ok=True)
    github = {"action_path": str(action_file.parent), "event_name": env.get("GITHUB_EVENT_NAME", ""),
              "token": env.get("GITHUB_TOKEN", "")}
    steps: dict[str, dict[str, str]] = {}

    def evaluate(expression: str) -> str:
        if "||" in expression:
            return next((v for v in (evaluate(x.strip()) for x in expression.split("||")) if v), "")
        scope, _, rest = expression.partition(".")
        if scope == "inputs":
            return resolved[rest]
        if scope == "github":
            return github[rest]
        if scope == "steps":
            step_id, _, output = rest.partition(".outputs.")
            return steps.get(step_id, {}).get(output, "")
        raise AssertionError(f"the harness does not know ${{{{ {expression} }}}}")

    def fill(text: str) -> str:
        return EXPRESSION.sub(lambda m: evaluate(m.group(1)), text)

    resolved = {name: fill(str(spec.get("default", ""))) for name, spec in action["inputs"].items()}
    unknown = set(inputs) - set(resolved)
    assert not unknown, f"not inputs of the action: {unknown}"
    resolved.update(inputs)

    log = []
    timings: dict[str, float] = {}
    runner_temp.mkdir(parents=True, exist_ok=True)
    for index, step in enumerate(action["runs"]["steps"]):
        assert set(step) <= {"id", "name", "shell", "env", "run", "if", "uses", "with"}, f"unknown step keys: {step}"
        step_id = step.get("id", f"step{index}")
        if "if" in step and not _condition(step["if"], evaluate):
            steps[step_id] = {}
            continue
        started = time.monotonic()
        if "uses" in step:
            assert step["uses"].startswith(CACHE_ACTIONS), f"the harness plays only actions/cache: {step['uses']}"
            assert re.search(r"@[0-9a-f]{40}$", step["uses"]), "actions used by the action are pinned by SHA"
            steps[step_id] = _cache_step(step["uses"], {k: fill(str(v)) for k, v in step["with"].items()}, store)
            timings[step_id] = time.monotonic() - started
            continue
        assert step["shell"] == "bash"
        output = runner_temp / f"output-{step_id}"
        script = runner_temp / f"script-{step_id}.sh"
        script.write_text(step["run"])
        step_env = {**env, **{key: fill(str(value)) for key, value in (step.get("env") or {}).items()},
                    "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(runner_temp), "GITHUB_WORKSPACE": str(workspace)}
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                              env=step_env, capture_output=True, text=True, timeout=600)
        timings[step_id] = time.monotonic() - started
        log.append(f"## {step_id}\n{done.stdout}{done.stderr}")
        steps[step_id] = _read_outputs(output)
        if done.returncode:
            return ActionRun(done.returncode, "".join(log), steps, {}, timings)
    outputs = {name: fill(spec["value"]) for name, spec in action["outputs"].items()}
    return ActionRun(0, "".join(log), steps, outputs, timings)


def _flatten(items: list) -> list[str]:
    """GitLab flattens nested script lists (what YAML anchors of script lists give) into one script."""
    return [line for item in items for line in (_flatten(item) if isinstance(item, list) else [item])]


def run_gitlab_job(workspace: Path, job: str, env: dict[str, str],
                   template: Path = REPO / ".gitlab-ci-template.yml") -> subprocess.CompletedProcess:
    config = yaml.safe_load(template.read_text())
    spec = dict(config[job])
    parent = spec.pop("extends", None)
    if parent:
        spec = {**config[parent], **spec}
    variables = {key: str(value) for key, value in (spec.get("variables") or {}).items()}
    lines = _flatten([*spec.get("before_script", []), *spec["script"]])
    script = workspace.parent / f"{job.strip('.')}-job.sh"
    script.write_text("\n".join(lines) + "\n")
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                          env={**variables, **env}, capture_output=True, text=True, timeout=300)


def real_cli_env(tmp_path: Path) -> dict[str, str]:
    """`prcheck` on PATH as this interpreter running this checkout's package."""
    bin_dir = tmp_path / "cli-bin"
    bin_dir.mkdir(exist_ok=True)
    launcher = bin_dir / "prcheck"
    launcher.write_text(f"#!/bin/sh\nexec {sys.executable} -m prcheck \"$@\"\n")
    launcher.chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "HOME": os.environ.get("HOME", str(tmp_path)),
            "PYTHONPATH": str(REPO)}


def cli_missing(*flags: str) -> str:
    """Why the real `prcheck check` cannot run these tests yet ("" when it can)."""
    try:
        done = subprocess.run([sys.executable, "-m", "prcheck", "check", "--help"], capture_output=True,
                              text=True, timeout=60, cwd=REPO)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"prcheck check --help failed: {exc}"
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"prcheck check --help failed: {last}"
    lacking = [flag for flag in flags if not re.search(rf"(^|[\s,]){re.escape(flag)}([\s,=/]|$)", done.stdout, re.M)]
    return f"prcheck check lacks {', '.join(lacking)}" if lacking else ""
