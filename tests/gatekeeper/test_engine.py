"""GatekeeperEngine: templates and constraints from files, findings over a run's documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from prcheck.checks.policy.base import PolicyError
from prcheck.checks.policy.gatekeeper import GatekeeperEngine
from prcheck.model import Document
from prcheck.sources.yaml_loader import load_text
from tests.conftest import write
from tests.gatekeeper.helpers import (
    REQUIRED_LABELS,
    UNIQUE_HOST,
    constraint,
    dump,
    ingress,
    obj,
    template,
)

MATCH_CM = {"kinds": [{"apiGroups": [""], "kinds": ["ConfigMap"]}]}


def docs_of(text: str, path: str = "manifests.yaml") -> list[Document]:
    return load_text(text, path).docs


def engine(tmp_path: Path, *files: str) -> GatekeeperEngine:
    write(tmp_path, {f"policy/{i}.yaml": text for i, text in enumerate(files)})
    found = GatekeeperEngine.from_paths([tmp_path / "policy"])
    assert found is not None
    return found


def test_none_without_templates_or_constraints(tmp_path: Path) -> None:
    write(tmp_path, {"p/policy.rego": "package main\n", "p/cm.yaml": dump(obj("ConfigMap", "x"))})
    assert GatekeeperEngine.from_paths([tmp_path / "p"]) is None


def test_finding_carries_constraint_rule_and_object_location(tmp_path: Path) -> None:
    gk = engine(tmp_path, REQUIRED_LABELS, constraint("K8sRequiredLabels", "need-owner", MATCH_CM, {"labels": ["owner", "team"]}))
    docs = docs_of(dump(obj("Secret", "s"), obj("ConfigMap", "cm", "ns1", labels={"team": "a"}),
                        obj("ConfigMap", "ok", labels={"owner": "o", "team": "t"})))
    result = gk.evaluate(docs)
    (finding,) = result.findings
    assert finding.rule == "K8sRequiredLabels/need-owner"
    assert finding.engine == "gatekeeper" and finding.severity == "error"
    assert finding.message == "missing labels: owner"
    assert (finding.path, finding.line, finding.resource) == ("manifests.yaml", docs[1].line, "ConfigMap/ns1/cm")
    assert result.passed == 1


@pytest.mark.parametrize("spec, severity", [
    ({}, "error"), ({"enforcementAction": "deny"}, "error"), ({"enforcementAction": "warn"}, "warning"),
    ({"enforcementAction": "dryrun"}, "info"),
    ({"enforcementAction": "scoped", "scopedEnforcementActions": [
        {"action": "warn", "enforcementPoints": [{"name": "validation.gatekeeper.sh"}]},
        {"action": "deny", "enforcementPoints": [{"name": "audit.gatekeeper.sh"}]}]}, "warning"),
])
def test_enforcement_action_sets_severity(tmp_path: Path, spec: dict, severity: str) -> None:
    gk = engine(tmp_path, REQUIRED_LABELS, constraint("K8sRequiredLabels", "c", MATCH_CM, {"labels": ["a"]}, **spec))
    (finding,) = gk.evaluate(docs_of(dump(obj("ConfigMap", "cm")))).findings
    assert finding.severity == severity


def test_parameters_reach_the_template_per_constraint(tmp_path: Path) -> None:
    gk = engine(tmp_path, REQUIRED_LABELS,
                constraint("K8sRequiredLabels", "one", MATCH_CM, {"labels": ["a"]}),
                constraint("K8sRequiredLabels", "two", MATCH_CM, {"labels": ["a", "b"]}),
                constraint("K8sRequiredLabels", "none", MATCH_CM))
    findings = gk.evaluate(docs_of(dump(obj("ConfigMap", "cm")))).findings
    assert sorted((f.rule, f.message) for f in findings) == [
        ("K8sRequiredLabels/one", "missing labels: a"), ("K8sRequiredLabels/two", "missing labels: a, b")]


def test_libs_and_code_engine_source(tmp_path: Path) -> None:
    rego = """
        package k8sdisallowedtags
        import data.lib.images.tag

        violation[{"msg": msg}] {
          c := input.review.object.spec.containers[_]
          tag(c.image) == input.parameters.tags[_]
          msg := sprintf("container <%v> uses a disallowed tag", [c.name])
        }
    """
    lib = """
        package lib.images
        tag(image) = t {
          parts := split(image, ":")
          count(parts) > 1
          t := parts[count(parts) - 1]
        }
    """
    gk = engine(tmp_path, template("K8sDisallowedTags", rego, libs=(lib,), code=True),
                constraint("K8sDisallowedTags", "no-latest", None, {"tags": ["latest"]}))
    pod = obj("Pod", "p", spec={"containers": [{"name": "a", "image": "nginx:latest"}, {"name": "b", "image": "nginx:1.2"}]})
    assert [f.message for f in gk.evaluate(docs_of(dump(pod))).findings] == ["container <a> uses a disallowed tag"]


def test_review_fields_are_those_gatekeeper_sends(tmp_path: Path) -> None:
    rego = """
        package k8sreviewfields
        violation[{"msg": msg}] {
          r := input.review
          msg := sprintf("%v %v/%v %v %v %v", [r.operation, r.kind.group, r.kind.version, r.kind.kind, r.name, r.namespace])
        }
    """
    gk = engine(tmp_path, template("K8sReviewFields", rego), constraint("K8sReviewFields", "c"))
    deploy = obj("Deployment", "web", "shop", api_version="apps/v1")
    assert [f.message for f in gk.evaluate(docs_of(dump(deploy))).findings] == ["CREATE apps/v1 Deployment web shop"]


def test_inventory_from_all_documents_of_the_run(tmp_path: Path) -> None:
    gk = engine(tmp_path, UNIQUE_HOST, constraint("K8sUniqueIngressHost", "unique-host"))
    docs = docs_of(dump(ingress("a", "shop", "shop.example.com"), ingress("b", "blog", "shop.example.com"),
                        ingress("c", "blog", "blog.example.com")))
    findings = gk.evaluate(docs).findings
    assert sorted(f.resource for f in findings) == ["Ingress/blog/b", "Ingress/shop/a"]
    assert all("shop.example.com" in f.message for f in findings)
    # the inventory is rebuilt per evaluation, not kept from the last one
    assert gk.evaluate(docs[2:]).findings == []


def test_namespace_selector_uses_namespaces_of_the_run(tmp_path: Path) -> None:
    match = {**MATCH_CM, "namespaceSelector": {"matchLabels": {"env": "prod"}}}
    gk = engine(tmp_path, REQUIRED_LABELS, constraint("K8sRequiredLabels", "prod-owner", match, {"labels": ["owner"]}))
    docs = docs_of(dump(obj("Namespace", "prod", labels={"env": "prod"}), obj("Namespace", "dev", labels={"env": "dev"}),
                        obj("ConfigMap", "a", "prod"), obj("ConfigMap", "b", "dev"), obj("ConfigMap", "c", "elsewhere")))
    findings = gk.evaluate(docs).findings
    errors = [f for f in findings if f.severity == "error"]
    assert [f.resource for f in errors] == ["ConfigMap/prod/a"]
    (note,) = [f for f in findings if f.severity == "info"]
    assert "elsewhere" in note.message and note.rule == "K8sRequiredLabels/prod-owner"


def test_template_without_rego_is_reported_not_skipped_silently(tmp_path: Path) -> None:
    cel_only = template("K8sCelOnly", "package x\nviolation[{\"msg\": \"x\"}] { true }", code=True)
    cel_only = cel_only.replace("engine: Rego", "engine: Other")
    gk = engine(tmp_path, cel_only, constraint("K8sCelOnly", "c"))
    (finding,) = gk.evaluate(docs_of(dump(obj("ConfigMap", "cm")))).findings
    assert finding.severity == "info" and "not evaluated offline" in finding.message


def test_failing_builtin_leaves_other_violation_rules_alone(tmp_path: Path) -> None:
    rego = """
        package k8sboom
        violation[{"msg": msg}] { msg := sprintf("%v", [to_number(input.review.object.data.size)]) }
        violation[{"msg": "always"}] { true }
    """
    gk = engine(tmp_path, template("K8sBoom", rego), constraint("K8sBoom", "c"))
    findings = gk.evaluate(docs_of(dump(obj("ConfigMap", "cm", data={"size": "1.5x"})))).findings
    assert [(f.severity, f.message) for f in findings if f.severity != "info"] == [("error", "always")]
    (note,) = [f for f in findings if f.severity == "info"]
    assert "ConfigMap/cm: could not parse string as number" in note.message
    findings = gk.evaluate(docs_of(dump(obj("ConfigMap", "cm", data={"size": "15"})))).findings
    assert sorted(f.message for f in findings) == ["15", "always"]


def test_unknown_function_is_refused_at_load(tmp_path: Path) -> None:
    rego = 'package k8sext\nviolation[{"msg": m}] { r := external_data({"provider": "p", "keys": []}); m := "x" }'
    write(tmp_path, {"policy/t.yaml": template("K8sExt", rego)})
    with pytest.raises(PolicyError, match="calls external_data, which the embedded Rego engine"):
        GatekeeperEngine.from_paths([tmp_path / "policy"])


@pytest.mark.parametrize("files, message", [
    ((constraint("K8sMissing", "c"),), "no ConstraintTemplate"),
    ((REQUIRED_LABELS.replace("name: k8srequiredlabels", "name: labels"),), "must be the lowercase of its kind"),
    ((template("K8sNoViolation", "package x\ndeny[msg] { msg := 1 }"),), "must define a `violation` rule"),
    ((template("K8sBadLib", "package x\nviolation[{\"msg\": \"m\"}] { true }", libs=("package helpers\nx := 1",)),),
     "package under `lib`"),
    ((template("K8sOtherData", "package x\nviolation[{\"msg\": m}] { m := data.secrets.x }"),), "data.lib and data.inventory"),
    ((REQUIRED_LABELS, constraint("K8sRequiredLabels", "c", None, {"labels": "owner"})), "does not fit its template's schema"),
    ((REQUIRED_LABELS, constraint("K8sRequiredLabels", "c",
                                  {"labelSelector": {"matchExpressions": [{"key": "a", "operator": "Is"}]}})), "spec.match"),
    ((REQUIRED_LABELS, constraint("K8sRequiredLabels", "c", None, None, enforcementAction="block")), "enforcementAction"),
])
def test_refused_like_gatekeeper_refuses(tmp_path: Path, files: tuple[str, ...], message: str) -> None:
    write(tmp_path, {f"policy/{i}.yaml": text for i, text in enumerate(files)})
    with pytest.raises(PolicyError, match=message):
        GatekeeperEngine.from_paths([tmp_path / "policy"])


@pytest.mark.parametrize("rego, want", [
    ("package x\n\nviolation[{\"msg\": m}] {\n  m :=\n}\n", ("violation",)),  # a `|` block: the rule's line
    ("package x\nviolation[{\"msg\": m}] {\n  m := \n}\n", ("rego:",)),  # trailing blank forces quoting: the key
])
def test_rego_error_points_into_the_yaml_file(tmp_path: Path, rego: str, want: tuple[str, ...]) -> None:
    broken = template("K8sBroken", rego)
    write(tmp_path, {"policy/t.yaml": broken})
    with pytest.raises(PolicyError, match="expecting") as caught:
        GatekeeperEngine.from_paths([tmp_path / "policy"])
    line = broken.splitlines()[caught.value.line - 1].strip()
    assert caught.value.path.endswith("t.yaml") and line.startswith(want)


def test_identical_duplicates_are_fine_different_ones_are_not(tmp_path: Path) -> None:
    c = constraint("K8sRequiredLabels", "c", MATCH_CM, {"labels": ["a"]})
    engine(tmp_path, REQUIRED_LABELS, REQUIRED_LABELS, c, c)
    other = constraint("K8sRequiredLabels", "c", MATCH_CM, {"labels": ["b"]})
    write(tmp_path, {"policy/9.yaml": other})
    with pytest.raises(PolicyError, match="defined differently"):
        GatekeeperEngine.from_paths([tmp_path / "policy"])


def test_check_command_wires_policy_flag_and_config(repo: Path, run_cli) -> None:
    write(repo, {
        "gatekeeper/template.yaml": REQUIRED_LABELS,
        "gatekeeper/constraint.yaml": constraint("K8sRequiredLabels", "owner", MATCH_CM, {"labels": ["owner"]},
                                                 enforcementAction="warn"),
        "apps/cm.yaml": dump(obj("ConfigMap", "cm", "shop")),
    })
    result = run_cli(["check", "--policy", "gatekeeper", "--fail-on", "warning", "apps"], repo)
    assert result.exit_code == 1, result.output
    assert "K8sRequiredLabels/owner" in result.output and "missing labels: owner" in result.output
    write(repo, {".prcheck.yaml": "gatekeeper: [gatekeeper]\n"})
    result = run_cli(["check", "--fail-on", "warning", "apps"], repo)
    assert result.exit_code == 1 and "K8sRequiredLabels/owner" in result.output
