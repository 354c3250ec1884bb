"""A kustomization listing files in other folders: those files are one applied unit
for `k8s/duplicate-resource` in a pull-request run and in a shard, as in a full run."""

from __future__ import annotations

import json
from pathlib import Path

from prcheck.checks.lint.duplicate_resource import related
from prcheck.sources.affected import affected_paths
from prcheck.sources.shard import Shard, select_files
from prcheck.sources.yaml_loader import Limits, load_bytes
from tests.conftest import write
from tests.render.conftest import commit

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: shop}}\ndata: {{key: {value}}}\n"

FILES = {
    # the overlay applies its own file and two shared ones from other folders
    "clusters/prod/kustomization.yaml": "resources:\n  - settings.yaml\n  - ../../shared/config/common.yaml\n"
                                        "  - ../../shared/extra/flags.yaml\n",
    "clusters/prod/settings.yaml": CONFIGMAP.format(name="settings", value="prod"),
    "clusters/prod/unlisted.yaml": CONFIGMAP.format(name="other", value="x"),
    "shared/config/common.yaml": CONFIGMAP.format(name="common", value="a"),
    "shared/extra/flags.yaml": CONFIGMAP.format(name="flags", value="on"),
    # alternatives side by side in one folder, never applied together: not one unit
    "alternatives/aws.yaml": CONFIGMAP.format(name="storage", value="ebs"),
    "alternatives/gcp.yaml": CONFIGMAP.format(name="storage", value="pd"),
}


def _check(run_cli, root: Path, *args: str) -> dict:
    result = run_cli(["check", "--base", "HEAD~1", "--no-render", "--format", "json", "--fail-on", "never", *args],
                     root)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _duplicates(report: dict) -> list[tuple[str, int, str]]:
    return sorted((f["path"], f["line"], f["message"]) for f in report["findings"]
                  if f["rule"] == "k8s/duplicate-resource")


def test_a_changed_shared_file_is_compared_with_the_overlay_that_lists_it(repo: Path, run_cli) -> None:
    write(repo, FILES)
    commit(repo, "base")
    # the shared file now also defines the overlay's `settings`: applied together, the second wins silently
    write(repo, {"shared/extra/flags.yaml": FILES["shared/extra/flags.yaml"] + "---\n"
                 + CONFIGMAP.format(name="settings", value="shared")})
    commit(repo)
    narrowed, full = _check(run_cli, repo), _check(run_cli, repo, "--all-files")
    assert _duplicates(narrowed) == _duplicates(full) != []
    assert [p for p, _, _ in _duplicates(narrowed)] == ["shared/extra/flags.yaml"]
    assert "clusters/prod/settings.yaml" in _duplicates(narrowed)[0][2]
    # read: the changed file, the kustomization listing it and the files it lists; nothing else
    assert narrowed["stats"]["affected"] == {"checked": 1, "read": 4, "files": 7}


def test_a_changed_kustomization_compares_every_file_it_lists(repo: Path, run_cli) -> None:
    write(repo, FILES)
    write(repo, {"shared/more/settings.yaml": CONFIGMAP.format(name="settings", value="elsewhere")})
    commit(repo, "base")
    write(repo, {"clusters/prod/kustomization.yaml": FILES["clusters/prod/kustomization.yaml"]
                 + "  - ../../shared/more/settings.yaml\n"})
    commit(repo)
    narrowed, full = _check(run_cli, repo), _check(run_cli, repo, "--all-files")
    assert _duplicates(narrowed) == _duplicates(full)
    assert len(_duplicates(narrowed)) == 1
    assert narrowed["stats"]["affected"]["read"] == 5  # the kustomization and the four files it lists


def test_files_sharing_only_a_folder_are_not_pulled_in(repo: Path, run_cli) -> None:
    write(repo, FILES)
    commit(repo, "base")
    write(repo, {"alternatives/gcp.yaml": CONFIGMAP.format(name="storage", value="pd-ssd")})
    commit(repo)
    narrowed = _check(run_cli, repo)
    assert _duplicates(narrowed) == []
    assert narrowed["stats"]["affected"] == {"checked": 1, "read": 1, "files": 7}


def _kustomizations() -> list:
    path = "clusters/prod/kustomization.yaml"
    return [load_bytes(FILES[path].encode(), path, "kustomization", Limits())]


def test_related_keys_follow_the_kustomization_not_the_folder() -> None:
    keys = related(_kustomizations())
    assert keys("shared/config/common.yaml") == keys("clusters/prod/settings.yaml") == {"clusters/prod/kustomization.yaml"}
    assert keys("clusters/prod/kustomization.yaml") == {"clusters/prod/kustomization.yaml"}
    assert keys("clusters/prod/unlisted.yaml") == set()
    changed = affected_paths(sorted(FILES), {"shared/config/common.yaml"}, [keys])
    assert changed == {"clusters/prod/kustomization.yaml", "clusters/prod/settings.yaml",
                       "shared/config/common.yaml", "shared/extra/flags.yaml"}


def test_a_shard_keeps_the_files_one_kustomization_lists_together() -> None:
    keys = related(_kustomizations())
    paths = sorted(FILES)
    unit = {"clusters/prod/kustomization.yaml", "clusters/prod/settings.yaml", "shared/config/common.yaml",
            "shared/extra/flags.yaml"}
    shares = [select_files(paths, [100] * len(paths), Shard(i, 3), [keys]) for i in (1, 2, 3)]
    assert set().union(*shares) == set(paths) and sum(len(s) for s in shares) == len(paths)
    assert [s for s in shares if unit & s] == [s for s in shares if unit <= s]
    # the folder-mates that are not one unit are spread like any other files
    assert any("clusters/prod/unlisted.yaml" in s and not unit <= s for s in shares)
