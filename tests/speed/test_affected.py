"""Pull-request runs check what the change affects, and find what a full run finds."""

from __future__ import annotations

import json
from pathlib import Path

from prcheck.sources.affected import affected_paths, narrow, run_inputs
from tests.conftest import write
from tests.render.conftest import commit, gitops  # noqa: F401  (fixture)

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: team}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: app
          image: example/{name}:{tag}
"""


def _repo(repo: Path) -> Path:
    files = {f"apps/{team}/{name}.yaml": DEPLOYMENT.format(name=f"{team}-{name}", replicas=2, tag="1.0")
             for team in ("a", "b", "c") for name in ("one", "two", "three")}
    files["apps/a/broken-before.yaml"] = DEPLOYMENT.format(name="old", replicas='"2"', tag="latest")
    files["policy/rules.rego"] = 'package main\nimport rego.v1\ndeny contains "no" if input.metadata.name == "never"\n'
    write(repo, files)
    commit(repo, "base")
    return repo


def _check(run_cli, root: Path, *args: str) -> dict:
    result = run_cli(["check", "--base", "HEAD~1", "--format", "json", "--fail-on", "never", *args], root)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _findings(report: dict) -> list[tuple]:
    return sorted((f["rule"], f["path"], f["line"], f["message"]) for f in report["findings"])


def test_one_file_change_checks_that_file_and_what_its_kustomization_lists(repo: Path, run_cli) -> None:
    root = _repo(repo)
    edited = root / "apps/a/two.yaml"
    edited.write_text(DEPLOYMENT.format(name="a-two", replicas='"3"', tag="latest"))
    # a second definition of an object the folder's kustomization already applies: only a cross-file rule sees it
    write(root, {"apps/a/zcopy.yaml": DEPLOYMENT.format(name="a-one", replicas=2, tag="1.0"),
                 "apps/a/kustomization.yaml": "resources: [one.yaml, two.yaml, three.yaml, zcopy.yaml]\n"})
    commit(root, "change")

    narrowed = _check(run_cli, root, "--no-render")
    full = _check(run_cli, root, "--no-render", "--all-files")
    assert _findings(narrowed) == _findings(full)
    rules = {f[0] for f in _findings(narrowed)}
    assert {"schema/invalid", "k8s/image-latest-tag", "k8s/duplicate-resource"} <= rules
    assert {f[1] for f in _findings(narrowed)} == {"apps/a/two.yaml", "apps/a/zcopy.yaml"}
    # three changed files checked; the other files their kustomization lists read for duplicate-resource;
    # neither the folder's unlisted file nor other folders at all
    assert narrowed["stats"]["affected"] == {"checked": 3, "read": 5, "files": 12}
    assert "affected" not in full["stats"]
    assert narrowed["summary"]["documents"] == 5


def test_no_render_keeps_the_change_filter(repo: Path, run_cli) -> None:
    root = _repo(repo)
    (root / "apps/b/one.yaml").write_text(DEPLOYMENT.format(name="b-one", replicas=2, tag="2.0"))
    commit(root, "change")
    report = _check(run_cli, root, "--no-render")
    # the pre-existing invalid Deployment in apps/a is not reported: the change did not touch it
    assert not [f for f in report["findings"] if f["rule"] == "schema/invalid"]
    assert all(f["path"] == "apps/b/one.yaml" for f in report["findings"])


def test_a_changed_policy_affects_every_file(repo: Path, run_cli) -> None:
    root = _repo(repo)
    (root / "policy/rules.rego").write_text(
        'package main\nimport rego.v1\ndeny contains "named old" if input.metadata.name == "old"\n')
    commit(root, "policy")
    report = _check(run_cli, root, "--no-render", "--policy", "policy", "--filter-mode", "nofilter")
    assert "affected" not in report["stats"]
    assert ("rego", "apps/a/broken-before.yaml") in {(f["engine"], f["path"]) for f in report["findings"]}
    # a policy change judged in the default mode also reads everything
    assert "affected" not in _check(run_cli, root, "--no-render", "--policy", "policy")["stats"]


def test_render_stage_skips_the_base_checkout_for_changes_no_environment_reads(gitops: Path, run_cli) -> None:
    write(gitops, {"docs/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: docs}\n"})
    commit(gitops, "plain file")
    report = _check(run_cli, gitops)
    assert report["diffs"] and all(d["skipped"] for d in report["diffs"])
    assert "checkout" not in report["stats"]["timings"]


def test_affected_paths_rules() -> None:
    paths = ["a/x.yaml", "a/y.yaml", "b/z.yaml", "policy/p.rego"]
    folder = lambda p: p.rsplit("/", 1)[0]  # noqa: E731
    assert affected_paths(paths, {"a/x.yaml"}, [folder]) == {"a/x.yaml", "a/y.yaml"}
    assert affected_paths(paths, {"a/x.yaml"}, []) == {"a/x.yaml"}
    assert affected_paths(paths, {"policy/p.rego"}, [folder], inputs=["policy"]) is None
    assert affected_paths(paths, {".prcheck.yaml"}, [folder]) is None
    assert affected_paths(paths, {"a/x.yaml"}, [folder], whole_run=True) is None
    assert affected_paths(paths, {"gone.yaml"}, [folder]) == set()
    assert narrow(paths, None, str) == paths
    assert run_inputs(["/repo/policy", "data.json", "/elsewhere/p", "/repo/s/{{ .ResourceKind }}.json"], "/repo") == [
        "policy", "data.json", "s"]
