import os
from pathlib import Path

from prcheck.sources.collect import GitListing, classify, collect, excluded
from tests.conftest import git, write


def paths(entries):
    return {e.path: e.kind for e in entries}


def test_gitignore_and_untracked_files(repo: Path):
    write(repo, {
        ".gitignore": "ignored/\n",
        "deploy/app.yaml": "kind: Service\n",
        "ignored/x.yaml": "a: 1\n",
        "notes.txt": "not yaml",
    })
    git(repo, "add", "deploy/app.yaml", ".gitignore")
    git(repo, "commit", "-qm", "init")
    write(repo, {"deploy/new.yml": "a: 1\n"})  # untracked, not ignored: still checked
    entries, findings = collect([repo], repo)
    assert paths(entries) == {"deploy/app.yaml": "yaml", "deploy/new.yml": "yaml"}
    assert findings == []


def test_a_listing_started_early_collects_what_a_listing_started_late_does(repo: Path, tmp_path: Path):
    write(repo, {".gitignore": "ignored/\n", "deploy/app.yaml": "kind: Service\n", "ignored/x.yaml": "a: 1\n",
                 "deploy/new.yml": "a: 1\n"})
    git(repo, "add", "deploy/app.yaml", ".gitignore")
    early = GitListing(repo, [repo / "deploy"])
    assert collect([repo / "deploy"], repo, listing=early) == collect([repo / "deploy"], repo)
    assert paths(collect([repo], repo, listing=GitListing(repo, [repo]))[0]) == {"deploy/app.yaml": "yaml", "deploy/new.yml": "yaml"}
    assert GitListing(tmp_path / "not-a-repo", [tmp_path]).files() is None  # git refuses: the caller walks
    unread = GitListing(repo, [repo])
    unread.close()  # a run that stops before collecting leaves no process behind
    assert unread._process is not None and unread._process.returncode is not None


def test_plain_folder_outside_git(tmp_path: Path):
    write(tmp_path, {"a.yaml": "a: 1\n", "sub/b.json": "{}", ".git/config": "x", "c.txt": "x"})
    entries, _ = collect([tmp_path], tmp_path)
    assert set(paths(entries)) == {"a.yaml", "sub/b.json"}


def test_explicit_file_of_any_suffix_is_read(tmp_path: Path):
    write(tmp_path, {"manifest.txt": "a: 1\n"})
    entries, _ = collect([tmp_path / "manifest.txt"], tmp_path)
    assert set(paths(entries)) == {"manifest.txt"}


def test_config_exclude_globs(tmp_path: Path):
    write(tmp_path, {"vendor/x.yaml": "a: 1\n", "app/a.yaml": "a: 1\n", "app/gen/b.yaml": "a: 1\n"})
    entries, _ = collect([tmp_path], tmp_path, exclude=["vendor", "app/gen/*"])
    assert set(paths(entries)) == {"app/a.yaml"}
    assert excluded("a/b/c.yaml", ["a"]) and not excluded("ab/c.yaml", ["a"])


def test_symlink_leaving_the_repository_is_a_finding(repo: Path, tmp_path: Path):
    outside = tmp_path / "secret.yaml"
    outside.write_text("password: hunter2\n")
    write(repo, {"in.yaml": "a: 1\n"})
    os.symlink(outside, repo / "link.yaml")
    os.symlink(repo / "in.yaml", repo / "inner-link.yaml")
    entries, findings = collect([repo], repo)
    assert set(paths(entries)) == {"in.yaml", "inner-link.yaml"}
    assert [(f.rule, f.path) for f in findings] == [("path/symlink-outside-repo", "link.yaml")]
    assert "hunter2" not in findings[0].message


def test_classification():
    charts = {"charts/api"}
    assert classify(".github/workflows/ci.yml", charts) == "github-workflow"
    assert classify("actions/setup/action.yml", charts) == "github-action"
    assert classify(".gitlab-ci.yml", charts) == "gitlab-ci"
    assert classify("apps/base/kustomization.yaml", charts) == "kustomization"
    assert classify("charts/api/templates/deploy.yaml", charts) == "helm-template"
    assert classify("charts/api/values-prod.yaml", charts) == "helm-values"
    assert classify("charts/api/Chart.yaml", charts) == "helm-chart"
    assert classify("apps/base/deploy.yaml", charts) == "yaml"
    assert classify("x/data.json", charts) == "json"
    assert classify(".prcheck.yaml", charts) == "config"


def test_helm_templates_skipped_and_kustomize_patches_marked(tmp_path: Path):
    write(tmp_path, {
        "charts/api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n",
        "charts/api/templates/d.yaml": "{{ .Values.x }}\n",
        "overlays/prod/kustomization.yaml": "resources: [../../base]\npatches:\n  - path: replicas.yaml\npatchesStrategicMerge: [mem.yaml]\n",
        "overlays/prod/replicas.yaml": "kind: Deployment\n",
        "overlays/prod/mem.yaml": "kind: Deployment\n",
    })
    kinds = paths(collect([tmp_path], tmp_path)[0])
    assert "charts/api/templates/d.yaml" not in kinds
    assert kinds["overlays/prod/replicas.yaml"] == "kustomize-patch"
    assert kinds["overlays/prod/mem.yaml"] == "kustomize-patch"
