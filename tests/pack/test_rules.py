"""Rule behaviour the fixtures do not pin down: versions, config, lines, robustness."""

from __future__ import annotations

import copy
from pathlib import Path

from prcheck.checks.policy.builtin import BuiltinEngine
from prcheck.checks.policy.builtin_catalog import pack_dir
from prcheck.checks.policy.builtin_testing import find_fixtures, parse_fixture
from prcheck.model import Document
from prcheck.sources.yaml_loader import load_text
from tests.pack.conftest import rules_of

CRONJOB_V1BETA1 = """
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: c, namespace: jobs}
spec:
  schedule: "* * * * *"
  startingDeadlineSeconds: 60
  jobTemplate: {spec: {template: {spec: {containers: [{name: a, image: a:1}]}}}}
"""


def test_api_removals_follow_the_target_version(evaluate):
    def api_rules(version: str) -> set[str]:
        return rules_of(evaluate(CRONJOB_V1BETA1, kube_version=version)) & {"k8s/removed-api", "k8s/deprecated-api"}

    assert api_rules("1.20") == set()  # batch/v1 not served yet: nothing to migrate to
    assert api_rules("1.21") == {"k8s/deprecated-api"}
    assert api_rules("1.24") == {"k8s/deprecated-api"}
    assert api_rules("1.25") == {"k8s/removed-api"}
    assert api_rules("v1.33.1") == {"k8s/removed-api"}


def test_removed_api_message_names_the_replacement(evaluate):
    [finding] = [f for f in evaluate(CRONJOB_V1BETA1, kube_version="1.30") if f.rule == "k8s/removed-api"]
    assert "batch/v1beta1 CronJob was removed in Kubernetes 1.25" in finding.message
    assert finding.message.endswith("use apiVersion batch/v1")
    assert (finding.line, finding.severity, finding.engine) == (1, "error", "builtin")


def test_findings_point_at_the_uses_line(evaluate):
    findings = evaluate("""
        name: ci
        on: push
        permissions: {contents: read}
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - name: checkout
                uses: actions/checkout@v4
    """, kind="github-workflow", path=".github/workflows/ci.yml")
    [finding] = [f for f in findings if f.rule == "gha/unpinned-uses"]
    assert finding.line == 9
    assert finding.severity == "error"  # an unpinned action fails the run by default
    assert "pin the full 40-character commit SHA of v4 and keep '# v4' as a comment" in finding.message


def test_workflow_with_on_parsed_as_true_still_has_triggers(evaluate):
    findings = evaluate("""
        on:
          pull_request_target:
        permissions: {contents: read}
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
                with: {ref: "${{ github.event.pull_request.head.ref }}"}
    """, kind="github-workflow")
    assert "gha/dangerous-trigger" in rules_of(findings)


def test_allowed_owners_may_use_tags():
    engine = BuiltinEngine(rule_config={"gha/unpinned-uses": {"allowed_owners": ["Actions"]}})
    try:
        text = "on: push\njobs:\n  b:\n    steps:\n      - uses: actions/checkout@v4\n      - uses: docker/build-push-action@v6\n"
        docs = load_text(text, "ci.yml", "github-workflow").docs
        refs = [f.message.split(" ")[0] for f in engine.evaluate(docs).findings if f.rule == "gha/unpinned-uses"]
    finally:
        engine.close()
    assert refs == ["docker/build-push-action@v6"]


def test_gitlab_allowed_owners_may_follow_refs_and_pins_are_errors():
    engine = BuiltinEngine(rule_config={"gitlab/unpinned-include": {"allowed_owners": ["Platform/CI"]}})
    try:
        text = ("include:\n  - project: platform/ci/templates\n    ref: main\n    file: /a.yml\n"
                "  - project: platform/cix/templates\n    file: /b.yml\n"
                "  - project: other/templates\n    ref: main\n    file: /c.yml\n"
                "  - component: gitlab.example/platform/ci/sast@main\n"
                "  - component: gitlab.example/other/sast@main\n"
                "  - remote: https://gitlab.example/platform/ci/raw/main/x.yml\n"
                "stages: [test]\n")
        docs = load_text(text, ".gitlab-ci.yml", "gitlab-ci").docs
        found = [f for f in engine.evaluate(docs).findings if f.rule == "gitlab/unpinned-include"]
    finally:
        engine.close()
    assert sorted(f.line for f in found) == [5, 8, 11, 12]  # platform/cix is not platform/ci; remotes never
    assert {f.severity for f in found} == {"error"}


def test_severities_come_from_the_rule_metadata(evaluate):
    findings = evaluate("""
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        spec: {type: NodePort, ports: [{port: 80}]}
    """)
    assert [(f.rule, f.severity) for f in findings] == [("k8s/exposed-service", "info")]


def test_rendered_documents_without_a_file_kind_are_manifests(pack: BuiltinEngine):
    doc = Document(path="env:prod", index=0, line=1, obj={
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "a", "image": "a:1", "securityContext": {"privileged": True}}]}})
    assert "k8s/privileged-container" in rules_of(pack.evaluate([doc]).findings)


def test_with_kube_version_shares_the_compiled_pack(pack: BuiltinEngine):
    older = pack.with_kube_version("1.24")
    assert older.kube_version == "1.24" and pack.kube_version == "1.32"
    doc = load_text(CRONJOB_V1BETA1.lstrip(), "c.yaml", "kubernetes").docs
    assert "k8s/deprecated-api" in rules_of(older.evaluate(doc).findings)
    assert "k8s/removed-api" in rules_of(pack.evaluate(doc).findings)


def _mutations(node, path=()):
    """Key paths of every mapping and list below `node`: the places a user can leave empty or mistype."""
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in children:
        if isinstance(value, (dict, list)):
            yield path + (key,)
            yield from _mutations(value, path + (key,))


def test_malformed_documents_never_break_evaluation(pack: BuiltinEngine):
    """regorus aborts a query when a built-in gets the wrong type; every rule must
    type-check what it iterates. Every mapping/list of every fixture becomes null, a
    string and a number in turn; no document may end in builtin/evaluation-error."""
    checked = 0
    for path in find_fixtures(pack_dir()):
        text = path.read_text(encoding="utf-8")
        fixture = parse_fixture(path, text)
        for doc in load_text(text, str(path), fixture.kind or "kubernetes").docs:
            if not isinstance(doc.obj, dict):
                continue
            kind = fixture.kind or ("kubernetes" if "apiVersion" in doc.obj else "yaml")
            mutated = []
            for keypath in _mutations(doc.obj):
                for value in (None, "x", 7):
                    obj = copy.deepcopy(doc.obj)
                    target = obj
                    for key in keypath[:-1]:
                        target = target[key]
                    target[keypath[-1]] = value
                    mutated.append(Document(path=str(path), index=0, line=1, obj=obj, file_kind=kind))
            checked += len(mutated)
            errors = [f.message for f in pack.evaluate(mutated).findings if f.rule == "builtin/evaluation-error"]
            assert not errors, f"{path.name}: {errors[:3]}"
    assert checked > 1000


def test_the_pack_ships_where_the_wheel_puts_it():
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"policies" = "prcheck/_data/policies"' in pyproject
    assert (pack_dir() / "main.rego").is_file()


def test_main_gates_are_the_file_kinds_prcheck_queries_rego_for():
    """prcheck only sends REGO_FILE_KINDS documents to the pack's Rego; main.rego must gate on exactly those."""
    import re

    from prcheck.checks.policy.builtin import REGO_FILE_KINDS

    main = (pack_dir() / "main.rego").read_text(encoding="utf-8")
    gated = set(re.findall(r'"([\w-]+)"', " ".join(re.findall(r"input\.file_kind (?:in \{.*?\}|== \S+)", main))))
    assert gated == set(REGO_FILE_KINDS)
