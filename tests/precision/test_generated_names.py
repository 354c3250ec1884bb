"""Objects with generated names (Helm `randAlphaNum`, `generateName`, hash suffixes) keep
one identity between the base and head renders: no diff churn, and their findings are
new only when the change made them."""

from __future__ import annotations

import json
from pathlib import Path

from prcheck.diff import diff_env
from prcheck.filter.changed_lines import Baseline, is_new, signature
from prcheck.filter.fixed import fixed
from prcheck.model import Document, EnvDiff, Finding
from prcheck.sources.gitdiff import ChangeSet
from tests.conftest import write
from tests.render.conftest import commit, needs_helm

JOB = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-migrate-{{ randAlphaNum 5 | lower }}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: example/migrate:1.0
          securityContext: {{ .Values.security | toJson }}
"""
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata: {size: '{{ .Values.size }}'}\n"


def _doc(name: str, image: str = "busybox", path: str = "chart/templates/job.yaml", generate: bool = False) -> Document:
    meta = {"generateName": name} if generate else {"name": name, "labels": {"job": name}}
    return Document(path=path, index=0, line=0, obj={
        "apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
        "spec": {"template": {"spec": {"containers": [{"name": "t", "image": image}]}}}})


def test_words_are_not_generated_suffixes():
    for old, new in (("web-stage", "web-alpha"), ("web-blue", "web-pink"), ("web-old", "web-new")):
        diff = diff_env("e", [_doc(old)], [_doc(new)])
        assert (len(diff.added), len(diff.removed), diff.renamed) == (1, 1, {}), (old, new)
    # Helm's lower-cased random suffix, a generateName-style suffix, a kustomize content hash
    for old, new in (("web-mjdg2", "web-8dxw7"), ("web-bcdfg", "web-xkqwz"), ("cm-5f6g7h8k9m", "cm-t2b8c4m9d6")):
        diff = diff_env("e", [_doc(old)], [_doc(new)])
        assert diff.renamed == {f"Job.batch/{new}": f"Job.batch/{old}"}, (old, new)


def test_several_generated_objects_of_one_template_pair_with_their_identical_partner():
    base = [_doc("web-aaaa1", "one"), _doc("web-aaaa2", "two")]
    head = [_doc("web-bbbb2", "two"), _doc("web-bbbb1", "one")]
    diff = diff_env("e", base, head)
    assert (diff.added, diff.removed, diff.changed, diff.unchanged) == ([], [], [], 2)


def test_generate_name_is_the_identity():
    diff = diff_env("e", [_doc("migrate-", generate=True)], [_doc("migrate-", generate=True)])
    assert (diff.added, diff.removed, diff.unchanged) == ([], [], 1)


def _finding(name: str, message: str = "container t runs as root") -> Finding:
    return Finding(rule="k8s/run-as-root", severity="warning", message=f"{message} in Job/{name}",
                   path="chart/templates/job.yaml", resource=f"Job/{name}", env="chart")


def test_findings_on_a_renamed_object_keep_their_base_identity():
    diff = EnvDiff(env="chart", renamed={"Job.batch/web-8dxw7": "Job.batch/web-mjdg2"})
    baseline = Baseline.of(["chart"], [_finding("web-mjdg2")], [diff])
    head = _finding("web-8dxw7")
    assert signature(head, baseline.renamed) == signature(_finding("web-mjdg2"))
    assert not is_new(head, ChangeSet("base", "head"), "added", {}, baseline)
    assert is_new(_finding("web-8dxw7", "container t is privileged"), ChangeSet("base", "head"), "added", {}, baseline)
    assert fixed([head], None, baseline) == []
    # without the pairing, every render would make it new and its base twin fixed
    assert is_new(head, ChangeSet("base", "head"), "added", {}, Baseline.of(["chart"], [_finding("web-mjdg2")]))


def _check(run_cli, root: Path) -> dict:
    result = run_cli(["check", "--base", "HEAD~1", "--format", "json", "--fail-on", "never"], root)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@needs_helm
def test_a_random_name_outside_test_hooks_churns_nothing(repo: Path, run_cli):
    write(repo, {"chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
                 "chart/values.yaml": "size: 1\nsecurity: {runAsNonRoot: false}\n",
                 "chart/templates/job.yaml": JOB, "chart/templates/cm.yaml": CM})
    commit(repo, "base")
    (repo / "chart/values.yaml").write_text("size: 2\nsecurity: {runAsNonRoot: false}\n")
    commit(repo, "unrelated values change")
    report = _check(run_cli, repo)
    [diff] = report["diffs"]
    assert [c["key"] for c in diff["changed"]] == ["ConfigMap/chart-cm"]
    assert diff["added"] == [] and diff["removed"] == []
    assert [f for f in report["findings"] if "migrate" in f.get("resource", "")] == []
    assert report["fixed"] == []
    held_back = [f for f in report["stats"]["pre_existing"] if "migrate" in f.get("resource", "")]
    assert held_back  # the Job's findings are there, as pre-existing ones

    # the change that makes the same Job privileged: that finding, and only that, is new
    (repo / "chart/values.yaml").write_text("size: 2\nsecurity: {runAsNonRoot: false, privileged: true}\n")
    commit(repo, "privileged migration")
    report = _check(run_cli, repo)
    new = {f["rule"] for f in report["findings"] if "migrate" in f.get("resource", "")}
    assert new == {"k8s/privileged-container"}
    [diff] = report["diffs"]
    assert len(diff["changed"]) == 1 and diff["added"] == [] and diff["removed"] == []


def test_a_chart_that_calls_a_random_function_pairs_word_like_suffixes(tmp_path: Path):
    from prcheck.diff import DiffOptions
    from prcheck.render.changes import _random_templates
    from prcheck.render.runner import RenderResult

    # `randAlphaNum 5 | lower` drew letters only, vowels included, on both sides
    base, head = [_doc("web-migrate-wmhee")], [_doc("web-migrate-aoxue")]
    assert len(diff_env("e", base, head).added) == 1  # by shape alone: two words
    write(tmp_path, {"chart/templates/_helpers.tpl": '{{- define "web.suffix" -}}{{ randAlphaNum 5 | lower }}{{- end -}}\n',
                     "chart/templates/job.yaml": "name: x-{{ include \"web.suffix\" . }}\n",
                     "other/templates/cm.yaml": "name: fixed\n"})
    rendered = [RenderResult(env="e", side="head", docs=[_doc("a"), _doc("b", path="other/templates/cm.yaml"),
                                                         _doc("c", path="kustomize/app.yaml")])]
    sources = _random_templates(rendered, {"head": tmp_path})
    assert sources == {"chart/templates/job.yaml"}
    paired = diff_env("e", base, head, DiffOptions(random_sources=sources))
    assert (paired.added, paired.removed, paired.unchanged) == ([], [], 1)
    # a word rename from a template without random calls stays visible
    kept = diff_env("e", [_doc("web-stage", path="other/templates/cm.yaml")],
                    [_doc("web-alpha", path="other/templates/cm.yaml")], DiffOptions(random_sources=sources))
    assert (len(kept.added), len(kept.removed)) == (1, 1)


def test_environments_that_drew_different_names_show_one_problem_with_one_fingerprint():
    from prcheck.filter.merge import merge
    from prcheck.render.stage import generated_names

    staging, prod = _doc("web-migrate-wmhee"), _doc("web-migrate-q6ptu")
    generated = generated_names({"staging": [staging], "prod": [prod]}, [], {"chart/templates/job.yaml"})
    assert generated[("prod", "Job/web-migrate-q6ptu")] == ("web-migrate-q6ptu", "Job:chart/templates/job.yaml#0")

    def found(env: str, name: str) -> Finding:
        return Finding(rule="k8s/privileged-container", severity="error", message=f"Job/{name} runs privileged",
                       path="chart/templates/job.yaml", resource=f"Job/{name}", env=env)

    [one] = merge([found("staging", "web-migrate-wmhee"), found("prod", "web-migrate-q6ptu")], generated)
    assert one.envs == ("prod", "staging")
    # the next render draws other names: the same fingerprint, so a publisher updates its comment
    again = {("staging", "Job/web-migrate-x1y2z"): ("web-migrate-x1y2z", "Job:chart/templates/job.yaml#0"),
             ("prod", "Job/web-migrate-abcde"): ("web-migrate-abcde", "Job:chart/templates/job.yaml#0")}
    [two] = merge([found("staging", "web-migrate-x1y2z"), found("prod", "web-migrate-abcde")], again)
    assert two.fingerprint == one.fingerprint
    # two objects of one template in one environment stay two findings
    other = _doc("web-migrate-zzzz9")
    other.index = 1
    both = generated_names({"prod": [prod, other]}, [], {"chart/templates/job.yaml"})
    assert len(merge([found("prod", "web-migrate-q6ptu"), found("prod", "web-migrate-zzzz9")], both)) == 2
    # without a generated name nothing changes: different objects, different findings
    assert len(merge([found("staging", "web-a"), found("prod", "web-b")], {})) == 2


@needs_helm
def test_two_environments_of_a_chart_with_a_random_name_report_the_problem_once(repo: Path, run_cli):
    values = "security: {runAsNonRoot: false}\n"
    write(repo, {"chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n", "chart/values.yaml": values,
                 "chart/values-staging.yaml": values, "chart/values-prod.yaml": values, "chart/templates/job.yaml": JOB})
    commit(repo, "base")
    (repo / "chart/values.yaml").write_text("security: {runAsNonRoot: false, privileged: true}\n")
    commit(repo, "privileged migration")
    first, second = _check(run_cli, repo), _check(run_cli, repo)
    [one] = [f for f in first["findings"] if f["rule"] == "k8s/privileged-container"]
    assert one["envs"] == ["chart-prod", "chart-staging"]
    [again] = [f for f in second["findings"] if f["rule"] == "k8s/privileged-container"]
    assert again["fingerprint"] == one["fingerprint"]
