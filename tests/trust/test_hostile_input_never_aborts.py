"""No input aborts the run: each hostile file ends as findings on that file, and
everything else in the repository is still checked and reported."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import git, write
from tests.render.conftest import needs_kustomize
from tests.trust.conftest import commit_pr, run_prcheck

PRIVILEGED = ('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n'
              'spec: {containers: [{name: c, image: "nginx:1", securityContext: {privileged: true}}]}\n')
BOMB_DOC = ("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: b{i}}}\nx:\n"
            "  a: &a [x,x,x,x,x,x,x,x,x,x]\n  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
            "  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
            "  e: [*d,*d,*d,*d,*d,*d,*d]\n")


def _nested(depth: int) -> str:
    return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nz: " + "[" * depth + "]" * depth + "\n"


HOSTILE = {
    "nesting-126": {"bad.yaml": _nested(126)},
    "nesting-199": {"bad.yaml": _nested(199)},
    "inf-nan": {"bad.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: .inf, x: .nan}\n"},
    "huge-int": {"bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: h}\nx: " + "9" * 400 + "\n"},
    "binary-key": {"bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n  ? !!binary aGk=\n  : x\n"},
    "kind-mapping": {"bad.yaml": "apiVersion: v1\nkind: {a: b}\nmetadata: {name: k}\n"},
    "kind-list": {"bad.yaml": "apiVersion: v1\nkind: [a]\nmetadata: {name: k}\n"},
    "kind-300": {"bad.yaml": f"apiVersion: v1\nkind: {'K' * 300}\nmetadata: {{name: k}}\n"},
    "kind-int": {"bad.yaml": f"apiVersion: v1\nkind: {'7' * 400}\nmetadata: {{name: k}}\n"},
    "apiversion-path": {"bad.yaml": "apiVersion: ../../../../etc/x\nkind: Pod\nmetadata: {name: k}\n"},
    "deep-kustomization": {"kustomization.yaml": "resources: " + "[" * 900 + "]" * 900 + "\n"},
    "alias-bombs-one-file": {"bad.yaml": "".join(BOMB_DOC.format(i=i) for i in range(3000))},
    "alias-bombs-many-files": {f"bombs/b{n}.yaml": BOMB_DOC.format(i=0) + BOMB_DOC.format(i=1) for n in range(40)},
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_file_is_a_finding_and_the_rest_is_checked(repo: Path, case: str, run_cli) -> None:
    write(repo, {"apps/pod.yaml": PRIVILEGED, **HOSTILE[case]})
    flags: list[str] = []
    if case.startswith("nesting"):
        # the depth cut is what a Rego engine sees (the pack's Kubernetes rules read the document
        # as it is): a user policy must get the document cut, with a finding saying so
        write(repo, {"policy/p.rego": "package main\n\ndeny[msg] {\n  input.kind == \"Secret\"\n  msg := \"no\"\n}\n"})
        flags = ["--policy", "policy"]
    run = run_cli(["check", ".", "--format", "json", "-j", "1", *flags], repo)
    assert run.exit_code == 1, run.output
    report = json.loads(run.stdout)
    rules = {(f["path"], f["rule"]) for f in report["findings"]}
    assert ("apps/pod.yaml", "k8s/privileged-container") in rules
    hostile_paths = set(HOSTILE[case])
    # huge-int: out of range for every Go number, so Kubernetes (and prcheck) read it as a string: nothing to report
    # nesting-126: deep, but within what regorus reads (the pack's input wrapper added the levels it once refused)
    if case not in ("kind-300", "apiversion-path", "binary-key", "kind-mapping", "kind-list", "huge-int",
                    "nesting-126"):  # not objects: plain YAML
        assert any(path in hostile_paths for path, _ in rules), rules
    if case == "nesting-199":
        assert ("bad.yaml", "policy/input-sanitised") in rules, rules


def test_symlink_loop_is_a_finding(repo: Path) -> None:
    write(repo, {"apps/pod.yaml": PRIVILEGED})
    os.symlink("loop.yaml", repo / "loop.yaml")
    run = run_prcheck(["check", ".", "--format", "json"], repo)
    assert run.returncode == 1 and "internal error" not in run.stderr
    rules = {(f["path"], f["rule"]) for f in json.loads(run.stdout)["findings"]}
    assert ("loop.yaml", "path/symlink-loop") in rules and ("apps/pod.yaml", "k8s/privileged-container") in rules


@pytest.mark.parametrize("config", [
    "exclude: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"x{n}: &{n} [{','.join(['*' + p] * 10)}]\n" for p, n in zip("abcdefgh", "bcdefghi")),
    "a: " + "[" * 3000 + "]" * 3000 + "\n",
    "rules: {a: &x [1, 2]}\nexclude: *x\nexclude: [y]\n",
])
def test_config_bombs_are_one_line(repo: Path, config: str) -> None:
    write(repo, {"apps/pod.yaml": PRIVILEGED, ".prcheck.yaml": config})
    run = run_prcheck(["check", "."], repo, timeout=60)
    assert run.returncode in (1, 2)
    assert "internal error" not in run.stderr and len(run.stderr.strip().splitlines()) <= 1


@needs_kustomize
def test_device_and_fd_links_in_an_environment_are_never_read(hostile_repo: Path) -> None:
    commit_pr(hostile_repo, {"base/kustomization.yaml": "resources: [cm.yaml]\n",
                             "base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
                             "overlays/prod/kustomization.yaml": "resources: [../../base]\n"},
              links={"overlays/prod/zero": "/dev/zero", "overlays/prod/out": "/proc/self/fd/1",
                     "overlays/prod/random": "/dev/urandom"})
    run = run_prcheck(["check", ".", "--base", "main", "--format", "json"], hostile_repo, timeout=60)
    assert run.returncode in (0, 1) and "internal error" not in run.stderr


@needs_kustomize
def test_hostile_discovery_files_with_base(hostile_repo: Path) -> None:
    appset = ("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: s}\nspec:\n"
              "  generators: [{list: {elements: [{env: a}]}}]\n  template:\n"
              "    metadata: {name: '{{env}}'}\n    spec:\n      source: {repoURL: x, path: apps}\n"
              "      x: &a [y,y,y,y,y,y,y,y,y,y]\n" + "".join(
                  f"      x{n}: &{n} [{','.join(['*' + p] * 10)}]\n" for p, n in zip("abcdefgh", "bcdefghi")))
    deep_argo = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: d}\nspec: " + \
        "[" * 900 + "]" * 900 + "\n"
    commit_pr(hostile_repo, {"argo/set.yaml": appset, "argo/deep.yaml": deep_argo, "apps/pod.yaml": PRIVILEGED,
                             ".prcheck.yml": "environments: [1, 2]\n"})
    run = run_prcheck(["check", ".", "--base", "main", "--format", "json"], hostile_repo, timeout=120)
    assert run.returncode == 1 and "internal error" not in run.stderr, run.stderr
    assert "k8s/privileged-container" in run.stdout
    git(hostile_repo, "status")
