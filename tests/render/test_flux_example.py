"""The recorded Flux pull request: compare with the expected diff in its README.

The example lives outside the repository; this test runs only when
PRCHECK_FLUX_EXAMPLE names its folder (with `base/`, `head/`, `cases.json`).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from prcheck.diff import api_group
from prcheck.render.changes import compare
from tests.conftest import git
from tests.render.conftest import commit, needs_kustomize

EXAMPLE = os.environ.get("PRCHECK_FLUX_EXAMPLE", "")

pytestmark = [needs_kustomize, pytest.mark.skipif(not EXAMPLE, reason="PRCHECK_FLUX_EXAMPLE is not set")]


def _copy(src: Path, dst: Path) -> None:
    for path in dst.iterdir():
        if path.name != ".git":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    shutil.copytree(src, dst, dirs_exist_ok=True)
    for path in dst.rglob("*"):
        path.chmod(path.stat().st_mode | 0o200)


def _key(entry: dict) -> str:
    group = api_group(entry["apiVersion"])
    head = f"{entry['kind']}.{group}" if group else entry["kind"]
    return "/".join(p for p in (head, entry.get("namespace") or "", entry["name"]) if p)


def test_flux_example(repo: Path) -> None:
    example = Path(EXAMPLE)
    _copy(example / "base", repo)
    commit(repo, "base")
    _copy(example / "head", repo)
    commit(repo, "head")
    found = compare(repo, "HEAD~1", jobs=2)
    cases = json.loads((example / "cases.json").read_text())
    assert found.findings == []
    diffs = {d.env: d for d in found.diffs}
    assert set(diffs) == set(cases["expected_env_diffs"])
    for env, expected in cases["expected_env_diffs"].items():
        got = diffs[env]
        for op in ("added", "removed", "changed"):
            assert sorted(c.key for c in getattr(got, op)) == sorted(_key(e) for e in expected if e["op"] == op), (env, op)
        assert got.moved == []
        summary = cases["expected_diff_summary"][env]
        assert (len(got.added), len(got.changed), len(got.removed)) == (
            summary["added"], summary["changed"], summary["removed"])
    issuer = {env: next(c for c in d.changed if c.key.startswith("ClusterIssuer")) for env, d in diffs.items()}
    assert "server: https://acme-staging-v02.api.letsencrypt.org/directory" in issuer["staging"].text
    assert "server: https://acme-v02.api.letsencrypt.org/directory" in issuer["production"].text
    podinfo = next(c for c in diffs["staging"].changed if c.key.endswith("podinfo/podinfo"))
    assert "interval" not in "".join(l for l in podinfo.text.splitlines() if l[:1] in "+-" and l[:3] not in ("+++", "---"))
    assert git(repo, "worktree", "list").count("\n") == 1
