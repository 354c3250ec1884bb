from pathlib import Path

import pytest

from prcheck.checks.policy.base import PolicyError
from prcheck.checks.policy.rego import RegoEngine
from prcheck.checks.policy.rego_modules import load_modules, parse_module
from prcheck.sources.yaml_loader import load_text
from tests.conftest import write

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: c
      image: nginx:latest
"""

V1_POLICY = """\
package main

deny contains msg if {
  input.kind == "Pod"
  some c in input.spec.containers
  endswith(c.image, ":latest")
  msg := sprintf("container %s uses a latest tag", [c.name])
}

warn contains msg if {
  not input.metadata.labels
  msg := "no labels"
}

violation contains {"msg": "objects work too", "details": {"k": 1}} if input.kind == "Pod"

deny_images contains {"msg": "pinned line", "path": ["spec", "containers", 0, "image"], "rule": "corp/pinned"} if input.kind == "Pod"
"""

V0_POLICY = """\
package main

deny[msg] {
  input.kind == "Pod"
  msg := "v0 says no"
}
"""


def docs(text: str = POD):
    return load_text(text, "pod.yaml", kind="kubernetes").docs


def engine(tmp_path: Path, files: dict[str, str], **kwargs) -> RegoEngine:
    write(tmp_path / "policy", files)
    built = RegoEngine.from_paths([str(tmp_path / "policy")], **kwargs)
    assert built is not None
    return built


def summary(evaluation):
    return sorted((f.rule, f.severity, f.message, f.line) for f in evaluation.findings)


def test_conftest_rule_kinds_messages_and_lines(tmp_path: Path):
    result = engine(tmp_path, {"p.rego": V1_POLICY}).evaluate(docs())
    assert summary(result) == [
        ("corp/pinned", "error", "pinned line", 8),
        ("main/deny", "error", "container c uses a latest tag", 1),
        ("main/violation", "error", "objects work too", 1),
        ("main/warn", "warning", "no labels", 1),
    ]
    assert all(f.engine == "rego" and f.resource == "Pod/p" for f in result.findings)


def test_v0_and_v1_modules_side_by_side(tmp_path: Path):
    result = engine(tmp_path, {"a.rego": V0_POLICY, "b.rego": "package main\nimport rego.v1\nwarn contains \"v1\" if true\n"}).evaluate(docs())
    assert {f.message for f in result.findings} == {"v0 says no", "v1"}
    assert parse_module("a.rego", V0_POLICY).v0 is True
    assert parse_module("b.rego", V1_POLICY).v0 is False


def test_future_keywords_module_is_read_as_v0(tmp_path: Path):
    text = "package main\nimport future.keywords.if\nimport future.keywords.contains\ndeny contains \"x\" if input.kind == \"Pod\"\n"
    assert parse_module("f.rego", text).v0 is True
    assert [f.message for f in engine(tmp_path, {"f.rego": text}).evaluate(docs()).findings] == ["x"]


def test_forced_rego_version_rejects_the_other_syntax(tmp_path: Path):
    write(tmp_path / "policy", {"a.rego": V0_POLICY})
    with pytest.raises(PolicyError) as err:
        load_modules([str(tmp_path / "policy")], rego_version="v1")
    assert err.value.path.endswith("a.rego") and err.value.line == 3


def test_syntax_error_names_file_line_and_column(tmp_path: Path):
    write(tmp_path / "policy", {"bad.rego": "package main\n\ndeny contains msg if {\n  input.x ==\n}\n"})
    with pytest.raises(PolicyError) as err:
        load_modules([str(tmp_path / "policy")])
    assert (Path(err.value.path).name, err.value.line, err.value.column) == ("bad.rego", 5, 1)
    assert "\n" not in str(err.value) and "backtrace" not in str(err.value).lower()


def test_object_rule_without_contains_is_refused_like_conftest(tmp_path: Path):
    write(tmp_path / "policy", {"o.rego": "package main\nimport rego.v1\ndeny[msg] if { msg := \"x\" }\n"})
    with pytest.raises(PolicyError, match="'if' keyword without 'contains' keyword"):
        load_modules([str(tmp_path / "policy")])


def test_bare_boolean_deny_is_a_pass(tmp_path: Path):
    result = engine(tmp_path, {"b.rego": "package main\nimport rego.v1\ndeny if { true }\n"}).evaluate(docs())
    assert result.findings == []


def test_exceptions_suppress_named_rules_and_are_counted(tmp_path: Path):
    policy = V1_POLICY + '\nexception contains rules if {\n  input.metadata.name == "p"\n  rules := ["images"]\n}\n'
    result = engine(tmp_path, {"p.rego": policy}).evaluate(docs())
    assert "corp/pinned" not in {f.rule for f in result.findings}
    assert [(s.source, s.finding.rule) for s in result.suppressed] == [("rego-exception", "corp/pinned")]


def test_empty_string_exception_excepts_bare_rules_like_conftest(tmp_path: Path):
    policy = ('package main\nimport rego.v1\ndeny contains "bare" if true\nwarn contains "bare warn" if true\n'
              'deny_named contains "named" if true\nexception contains [""] if input.metadata.name == "p"\n')
    result = engine(tmp_path, {"e.rego": policy}).evaluate(docs())
    assert [f.message for f in result.findings] == ["named"]
    assert sorted(s.finding.message for s in result.suppressed) == ["bare", "bare warn"]
    assert all(s.source == "rego-exception" for s in result.suppressed)


def test_data_files_merge_under_data(tmp_path: Path):
    write(tmp_path, {"data/allowed.yaml": "registries: [ghcr.io]\n", "data/more.json": '{"limits": {"max": 1}}'})
    policy = ("package main\nimport rego.v1\ndeny contains msg if {\n  some c in input.spec.containers\n"
              "  not startswith(c.image, data.registries[0])\n  msg := sprintf(\"%s not from %s (max %d)\", [c.image, data.registries[0], data.limits.max])\n}\n")
    result = engine(tmp_path, {"p.rego": policy}, data_paths=[str(tmp_path / "data")]).evaluate(docs())
    assert [f.message for f in result.findings] == ["nginx:latest not from ghcr.io (max 1)"]


def test_namespaces(tmp_path: Path):
    files = {"a.rego": "package main\nimport rego.v1\ndeny contains \"main\" if true\n",
             "b.rego": "package corp.k8s\nimport rego.v1\ndeny contains \"corp\" if true\n"}
    assert {f.message for f in engine(tmp_path, files).evaluate(docs()).findings} == {"main"}
    only_corp = engine(tmp_path, files, namespaces=["corp.k8s"]).evaluate(docs())
    assert [(f.rule, f.message) for f in only_corp.findings] == [("corp.k8s/deny", "corp")]
    everything = engine(tmp_path, files, all_namespaces=True).evaluate(docs())
    assert {f.message for f in everything.findings} == {"main", "corp"}


def test_combine_gives_all_documents_at_once(tmp_path: Path):
    policy = ("package main\nimport rego.v1\ndeny contains msg if {\n  names := [d.contents.metadata.name | some d in input]\n"
              "  count(names) != count({n | some n in names})\n  msg := \"duplicate names\"\n}\n")
    two = docs(POD + "---\n" + POD)
    assert engine(tmp_path, {"c.rego": policy}).evaluate(two).findings == []
    combined = engine(tmp_path, {"c.rego": policy}, combine=True).evaluate(two)
    assert [f.message for f in combined.findings] == ["duplicate names"]


def test_runtime_error_is_a_policy_error(tmp_path: Path):
    policy = "package main\nimport rego.v1\ndeny := x if { x := input.kind }\ndeny := y if { y := input.metadata.name }\n"
    with pytest.raises(PolicyError, match="data.main.deny"):
        engine(tmp_path, {"r.rego": policy}).evaluate(docs())


def test_no_policies_found_gives_no_engine(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    assert RegoEngine.from_paths([str(tmp_path / "empty")]) is None


def test_undefined_complete_rule_is_a_pass(tmp_path: Path):
    result = engine(tmp_path, {"u.rego": "package main\nimport rego.v1\ndeny := \"x\" if { false }\n"}).evaluate(docs())
    assert result.findings == [] and result.passed == 1
