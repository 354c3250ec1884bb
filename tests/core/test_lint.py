from prcheck.checks import lint
from prcheck.checks.context import CheckContext
from prcheck.sources.yaml_loader import load_text


def run(files):
    loaded = []
    for path, text in files.items():
        file = load_text(text, path, kind="kubernetes")
        loaded.append(file)
    return [(f.rule, f.path, f.line) for f in lint.check(loaded, CheckContext())]


GOOD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"


def test_clean_manifest_has_no_findings():
    assert run({"a.yaml": GOOD}) == []


def test_missing_required_fields():
    assert run({"a.yaml": "kind: ConfigMap\nmetadata:\n  name: a\n"}) == [("k8s/missing-required-field", "a.yaml", 1)]
    assert run({"b.yaml": "apiVersion: v1\nmetadata:\n  name: a\n"}) == [("k8s/missing-required-field", "b.yaml", 1)]
    assert run({"c.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {}\n"}) == [
        ("k8s/missing-required-field", "c.yaml", 3)]
    assert run({"d.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: job-\n"}) == []
    assert run({"e.yaml": "apiVersion: v1\nkind: List\nitems: []\n"}) == []


def test_non_mapping_document():
    assert run({"a.yaml": GOOD + "---\n- a\n- b\n"}) == [("k8s/non-mapping-document", "a.yaml", 6)]


def test_empty_document_between_documents_only():
    other = GOOD.replace("name: a", "name: b")
    assert run({"a.yaml": GOOD + "---\n---\n" + other}) == [("k8s/empty-document", "a.yaml", 5)]
    assert run({"b.yaml": GOOD + "---\n"}) == []


def test_duplicate_resource_in_what_is_applied_together():
    # one file, and the files one kustomization lists, are applied together
    assert run({"app/a.yaml": GOOD + "---\n" + GOOD}) == [("k8s/duplicate-resource", "app/a.yaml", 6)]
    kustomization = load_text("resources: [a.yaml, b.yaml]\n", "app/kustomization.yaml", kind="kustomization")
    both = [load_text(GOOD, "app/a.yaml", kind="kubernetes"), load_text(GOOD, "app/b.yaml", kind="kubernetes")]
    assert [(f.rule, f.path) for f in lint.check([kustomization, *both], CheckContext())] == [
        ("k8s/duplicate-resource", "app/b.yaml")]
    # alternatives side by side in one folder are not (install.yaml vs namespace-install.yaml)
    assert run({"app/a.yaml": GOOD, "app/b.yaml": GOOD}) == []
    assert run({"staging/a.yaml": GOOD, "prod/a.yaml": GOOD}) == []
    other_ns = GOOD + "  namespace: other\n"
    assert run({"app/a.yaml": GOOD + "---\n" + other_ns}) == []
    # a rendered environment is one unit, whatever files its objects came from
    rendered = [(f.rule, f.path) for f in lint.check(both, CheckContext(env="staging"))]
    assert rendered == [("k8s/duplicate-resource", "app/b.yaml")]


def test_non_manifest_files_are_not_linted_as_kubernetes():
    file = load_text("name: x\nvalues: [1]\n", "values.yaml", kind="helm-values")
    assert list(lint.check([file], CheckContext())) == []
