"""`--shard I/N` splits a run into disjoint, complete shares; `prcheck merge` joins them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prcheck.sources.shard import Shard, assign, select_envs, select_files
from tests.conftest import write
from tests.speed.test_affected import DEPLOYMENT
from tests.render.conftest import commit, gitops  # noqa: F401  (fixture)



def _repo(root: Path) -> Path:
    files = {}
    for team in range(6):
        for n in range(4):
            bad = (team * 4 + n) % 5 == 0
            files[f"apps/t{team}/app{n}.yaml"] = DEPLOYMENT.format(
                name=f"t{team}-app{n}", replicas='"2"' if bad else 2, tag="latest" if bad else "1.0")
    # a duplicate only a cross-file rule sees: both files must land in the same shard
    files["apps/t3/copy.yaml"] = DEPLOYMENT.format(name="t3-app1", replicas=2, tag="1.0")
    files["apps/t4/broken.yaml"] = "a: [\n"
    write(root, files)
    commit(root, "base")
    return root


def _json(run_cli, root: Path, *args: str) -> dict:
    result = run_cli([*args, "--format", "json", "--fail-on", "never"], root)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_the_union_of_the_shards_is_the_unsharded_run(repo: Path, run_cli, tmp_path: Path, count: int) -> None:
    root = _repo(repo)
    full = _json(run_cli, root, "check", ".")
    reports = []
    for index in range(1, count + 1):
        report = _json(run_cli, root, "check", ".", "--shard", f"{index}/{count}")
        assert report["stats"]["shard"]["index"] == index
        path = tmp_path / f"shard-{index}.json"
        path.write_text(json.dumps(report))
        reports.append(report)
    paths = [f["path"] for r in reports for f in r["findings"]]
    assert {"apps/t3/copy.yaml", "apps/t4/broken.yaml"} <= set(paths)
    # disjoint: no file is checked by two shards
    shares = [{f["path"] for f in r["findings"]} for r in reports]
    assert sum(len(s) for s in shares) == len(set().union(*shares))
    merged = _json(run_cli, root, "merge", *[str(tmp_path / f"shard-{i}.json") for i in range(1, count + 1)])
    assert merged["findings"] == full["findings"]
    assert merged["summary"] == full["summary"]


def test_merge_refuses_an_incomplete_set(repo: Path, run_cli, tmp_path: Path) -> None:
    root = _repo(repo)
    (tmp_path / "one.json").write_text(json.dumps(_json(run_cli, root, "check", ".", "--shard", "1/2")))
    result = run_cli(["merge", str(tmp_path / "one.json")], root)
    assert result.exit_code == 2 and "complete set of shards" in result.output
    (tmp_path / "junk.json").write_text("{}")
    result = run_cli(["merge", str(tmp_path / "junk.json")], root)
    assert result.exit_code == 2 and "not a prcheck JSON report" in result.output


def test_environments_are_shared_out_too(gitops: Path, run_cli, tmp_path: Path) -> None:  # noqa: F811
    image = gitops / "base/deployment.yaml"
    image.write_text(image.read_text().replace("nginx:1.25", "nginx:latest"))
    full = _json(run_cli, gitops, "check", ".", "--base", "HEAD", "--no-builtin")
    envs = []
    for index in (1, 2):
        report = _json(run_cli, gitops, "check", ".", "--base", "HEAD", "--no-builtin", "--shard", f"{index}/2")
        envs.append({d["env"] for d in report["diffs"]})
        (tmp_path / f"{index}.json").write_text(json.dumps(report))
    assert envs[0] and envs[1] and not envs[0] & envs[1]
    assert envs[0] | envs[1] == {d["env"] for d in full["diffs"]}
    merged = _json(run_cli, gitops, "merge", str(tmp_path / "1.json"), str(tmp_path / "2.json"))
    assert merged["findings"] == full["findings"]
    assert [d["env"] for d in merged["diffs"]] == sorted(d["env"] for d in full["diffs"])


def test_assignment_is_balanced_stable_and_keeps_folders_together() -> None:
    paths = [f"f{n % 7}/x{n}.yaml" for n in range(70)]
    sizes = [100 + n for n in range(70)]
    folder = lambda p: p.split("/")[0]  # noqa: E731
    shares = [select_files(paths, sizes, Shard(i, 3), [folder]) for i in (1, 2, 3)]
    assert sorted(p for s in shares for p in s) == sorted(paths)
    assert all({folder(p) for p in s}.isdisjoint({folder(p) for t in shares if t is not s for p in t}) for s in shares)
    assert shares == [select_files(list(reversed(paths)), list(reversed(sizes)), Shard(i, 3), [folder]) for i in (1, 2, 3)]
    loads = sorted(sum(s for p, s in zip(paths, sizes) if p in share) for share in shares)
    assert loads[-1] - loads[0] <= max(sizes) * 10 + 1000
    assert assign([("a", 5), ("b", 5), ("c", 1)], 2) == assign([("c", 1), ("b", 5), ("a", 5)], 2)
    assert select_envs(["staging", "production", "dev"], Shard(1, 1)) == {"staging", "production", "dev"}


@pytest.mark.parametrize("text", ["0/2", "3/2", "1/0", "a/b", "2"])
def test_bad_shard_specs_are_usage_errors(text: str, repo: Path, run_cli) -> None:
    with pytest.raises(ValueError):
        Shard.parse(text)
    result = run_cli(["check", ".", "--shard", text], repo)
    assert result.exit_code == 2
