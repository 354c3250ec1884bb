"""Renders read only regular files inside the repository, never `.git`, never the network.

Each test is a pull request an attacker could open, on a real repository whose
environment, `.git/config` and surroundings hold the canary.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.render.conftest import needs_helm, needs_kustomize
from tests.trust.conftest import ALL_FORMATS, Canary, all_formats_args, commit_pr, run_prcheck

CHART = {
    "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
    "charts/app/values.yaml": "replicas: 1\n",
    "charts/app/values-prod.yaml": "replicas: 2\n",
}
FILES_GET = ('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leak}\ndata:\n'
             '  raw: {{ .Files.Get "files/x" | quote }}\n  b64: {{ .Files.Get "files/x" | b64enc | quote }}\n')
ARGO_APP = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: leak, namespace: argocd}}\n"
            "spec:\n  project: default\n  destination: {{server: https://kubernetes.default.svc, namespace: prod}}\n"
            "  source: {{repoURL: https://git.example.com/org/repo.git, path: '{path}'}}\n")


def _check(repo: Path, canary: Canary, *extra: str, env: dict[str, str] | None = None):
    run = run_prcheck(["check", ".", "--base", "main", *all_formats_args(), *extra], repo,
                      env={**canary.env, **(env or {})}, outputs=ALL_FORMATS)
    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    assert canary.leaks(*run.everything()) == []
    return run


@needs_helm
@pytest.mark.parametrize("target", ["/proc/self/environ", "../../../.git/config", "OUTSIDE/secret.txt"])
def test_helm_chart_symlink_leaving_the_repository_is_refused(hostile_repo: Path, canary: Canary, target: str) -> None:
    target = target.replace("OUTSIDE", str(canary.outside))
    commit_pr(hostile_repo, {**CHART, "charts/app/templates/leak.yaml": FILES_GET},
              links={"charts/app/files/x": target})
    run = _check(hostile_repo, canary)
    assert run.returncode == 1
    assert "charts/app/files/x is a symlink to a path outside the repository" in run.stdout
    assert "render/path-outside-repo" in run.stdout


@needs_helm
@pytest.mark.parametrize("link", ["charts/app/templates/leak.yaml", "charts/app/templates/ext"])
def test_helm_templates_linked_outside_are_refused(hostile_repo: Path, canary: Canary, link: str) -> None:
    target = canary.outside / ("cm.yaml" if link.endswith(".yaml") else "dir")
    commit_pr(hostile_repo, CHART, links={link: str(target)})
    run = _check(hostile_repo, canary)
    assert f"{link} is a symlink" in run.stdout and run.returncode == 1


@needs_helm
def test_helm_chart_at_the_repository_root_never_reads_git(hostile_repo: Path, canary: Canary) -> None:
    commit_pr(hostile_repo, {"Chart.yaml": "apiVersion: v2\nname: root\nversion: 0.1.0\n", "values.yaml": "a: 1\n",
                             "values-prod.yaml": "a: 2\n",
                             "templates/cm.yaml": FILES_GET.replace("files/x", ".git/config")})
    run = _check(hostile_repo, canary)
    assert ".git: a .git folder is never rendered" in run.stdout


@needs_kustomize
def test_root_kustomization_cannot_generate_from_git_config(hostile_repo: Path, canary: Canary) -> None:
    commit_pr(hostile_repo, {"argo/app.yaml": ARGO_APP.format(path="."),
                             "kustomization.yaml": "configMapGenerator:\n- name: gitcfg\n  files: [.git/config]\n"})
    run = _check(hostile_repo, canary)
    assert "render/path-outside-repo" in run.stdout and ".git/config" in run.stdout


@needs_kustomize
@pytest.mark.parametrize("path", ["../outside", "/../../../../../../OUTSIDE", ".git"])
def test_argo_source_path_outside_the_repository_is_refused(hostile_repo: Path, canary: Canary, path: str) -> None:
    rel = os.path.relpath(canary.outside, hostile_repo)
    commit_pr(hostile_repo, {"argo/app.yaml": ARGO_APP.format(path=path.replace("../outside", rel)
                                                             .replace("/OUTSIDE", str(canary.outside)))})
    run = _check(hostile_repo, canary)
    assert "render/path-outside-repo" in run.stdout and run.returncode == 1


@needs_kustomize
def test_components_outside_the_repository_are_refused(hostile_repo: Path, canary: Canary) -> None:
    rel = os.path.relpath(canary.outside / "dir", hostile_repo / "apps")
    app = ARGO_APP.format(path="apps") + f"    kustomize: {{components: ['{rel}']}}\n"
    flux = ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\n"
            f"spec: {{interval: 1m, path: ./apps, prune: true, sourceRef: {{kind: GitRepository, name: flux-system}}, "
            f"components: ['{os.path.relpath(canary.outside / 'dir', hostile_repo / 'apps')}']}}\n")
    commit_pr(hostile_repo, {"argo/app.yaml": app, "clusters/prod/apps.yaml": flux,
                             "apps/kustomization.yaml": "resources: [cm.yaml]\n"})
    run = _check(hostile_repo, canary)
    assert "outside the repository" in run.stdout


@needs_kustomize
def test_plain_folder_with_a_symlinked_yaml_is_refused(hostile_repo: Path, canary: Canary) -> None:
    commit_pr(hostile_repo, {".prcheck.yaml": "environments:\n- {name: plain, path: envs/plain}\n",
                             "envs/plain/ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n"},
              links={"envs/plain/leak.yaml": str(canary.outside / "cm.yaml")})
    run = _check(hostile_repo, canary)
    assert "envs/plain/leak.yaml is a symlink" in run.stdout


KUSTOMIZE_LISTS = ("generators", "transformers", "validators", "resources", "components", "crds", "configurations")
REMOTE_FORMS = ("deploy@127.0.0.1:org/repo.git//x", "ci@127.0.0.1:PORT/repo", "ssh://git@127.0.0.1:PORT/r.git",
                "git::http://127.0.0.1:PORT/r.git", "http://127.0.0.1:PORT/x.yaml", "127.0.0.1:PORT/org/repo",
                "github.com/org/repo//x?ref=v1", "oci://127.0.0.1:PORT/chart")


@pytest.mark.parametrize("key", KUSTOMIZE_LISTS)
@pytest.mark.parametrize("form", REMOTE_FORMS)
def test_scan_refuses_every_remote_form_in_every_list(tmp_path: Path, key: str, form: str) -> None:
    from prcheck.render.kustomize import scan

    (tmp_path / "kustomization.yaml").write_text(f"{key}: ['{form.replace('PORT', '1')}']\n")
    found = scan(tmp_path, tmp_path)
    assert found.remote and not found.outside


@needs_kustomize
def test_remote_references_never_reach_the_network(hostile_repo: Path, canary: Canary, listener: list[str],
                                                   ssh_stub) -> None:
    stub_env, log = ssh_stub
    files = {"base/kustomization.yaml": "resources: [cm.yaml]\n",
             "base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"}
    for index, key in enumerate(KUSTOMIZE_LISTS):
        entry = REMOTE_FORMS[index % len(REMOTE_FORMS)].replace("PORT", listener[0])
        files[f"overlays/{key}/kustomization.yaml"] = f"resources: [../../base]\n{key}: ['{entry}']\n"
    commit_pr(hostile_repo, files)
    run = _check(hostile_repo, canary, env=stub_env)
    for key in KUSTOMIZE_LISTS:
        assert f"render/remote-refused [{key}]" in run.stdout, run.stdout
    assert listener[1:] == [] and not log.exists()


@needs_kustomize
def test_a_generator_config_file_cannot_read_git_config(hostile_repo: Path, canary: Canary) -> None:
    commit_pr(hostile_repo, {"argo/app.yaml": ARGO_APP.format(path="."),
                             "kustomization.yaml": "generators: [gen.yaml]\n",
                             "gen.yaml": "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: g}\n"
                                         "files: [.git/config]\n"})
    run = _check(hostile_repo, canary)
    assert "render/path-outside-repo" in run.stdout


def test_symlinked_path_arguments_never_move_the_root(hostile_repo: Path, canary: Canary) -> None:
    commit_pr(hostile_repo, {}, links={"clusters": str(canary.outside), "apps/prod.yaml": str(canary.outside / "cm.yaml")})
    for target in ("clusters", "apps/prod.yaml", "clusters/dir"):
        run = run_prcheck(["check", target, "--format", "json"], hostile_repo, env=canary.env)
        assert run.returncode == 1, run.stderr
        assert canary.leaks(*run.everything()) == []
        assert str(hostile_repo) in run.stdout and "path/symlink-outside-repo" in run.stdout
