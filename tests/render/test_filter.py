"""reviewdog's filter modes over findings from files and from rendered environments."""

from __future__ import annotations

import pytest

from prcheck.filter.changed_lines import split
from prcheck.model import EnvDiff, Finding, ResourceChange
from prcheck.sources.gitdiff import ChangeSet, FileChange

CHANGES = ChangeSet(base="b", head="", files={
    "app.yaml": FileChange(path="app.yaml", status="M", added=((10, 11),), context=((7, 14),)),
    "gone.yaml": FileChange(path="gone.yaml", status="D"),
})


def f(path: str, line: int, env: str = "", resource: str = "", rule: str = "r") -> Finding:
    return Finding(rule=rule, severity="error", message=f"{path}:{line}", path=path, line=line, env=env,
                   resource=resource)


FINDINGS = [f("app.yaml", 10), f("app.yaml", 13), f("app.yaml", 30), f("other.yaml", 1), f("app.yaml", 0),
            f("gone.yaml", 1)]


@pytest.mark.parametrize("mode, new", [
    ("added", ["app.yaml:10", "app.yaml:0"]),
    ("diff_context", ["app.yaml:10", "app.yaml:13", "app.yaml:0"]),
    ("file", ["app.yaml:10", "app.yaml:13", "app.yaml:30", "app.yaml:0"]),
    ("nofilter", [x.message for x in FINDINGS]),
])
def test_modes(mode: str, new: list[str]) -> None:
    failing, pre_existing = split(FINDINGS, CHANGES, mode)
    assert [x.message for x in failing] == new
    assert len(failing) + len(pre_existing) == len(FINDINGS)


def test_rendered_findings_count_when_their_object_changed() -> None:
    diffs = [EnvDiff(env="prod", changed=[ResourceChange("Deployment.apps/prod/web", {}, {}, "")])]
    in_changed = f("base/deploy.yaml", 3, env="prod", resource="Deployment/prod/web")
    untouched = f("base/deploy.yaml", 3, env="prod", resource="Deployment/prod/api")
    same_object_other_env = f("base/deploy.yaml", 3, env="staging", resource="Deployment/prod/web")
    render_failure = f("overlays/prod", 0, env="prod", rule="render/failed")
    failing, old = split([in_changed, untouched, same_object_other_env, render_failure], CHANGES, "added", diffs)
    assert failing == [in_changed, render_failure]
    assert old == [untouched, same_object_other_env]


def test_unknown_mode() -> None:
    with pytest.raises(ValueError, match="unknown filter mode"):
        split([], CHANGES, "lines")


def test_baseline_decides_for_rendered_findings() -> None:
    from prcheck.filter.changed_lines import Baseline

    was_there = f("base/deploy.yaml", 3, env="prod", resource="Deployment/prod/web", rule="replicas")
    introduced = f("base/deploy.yaml", 3, env="prod", resource="Deployment/prod/web", rule="image")
    new_env = f("base/deploy.yaml", 3, env="preview", resource="Deployment/preview/web", rule="image")
    baseline = Baseline.of(["prod"], [was_there])
    failing, old = split([was_there, introduced, new_env], CHANGES, "added", baseline=baseline)
    assert failing == [introduced, new_env] and old == [was_there]
