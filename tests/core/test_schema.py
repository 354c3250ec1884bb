import json
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource

from prcheck.checks import schema
from prcheck.checks.context import CheckContext
from prcheck.checks.schema_store import SchemaConfigError, SchemaStore, bundled_version_dir, expand_template, GVK
from prcheck.sources.yaml_loader import load_text

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          {extra}
"""


def check(text: str, **ctx_args):
    ctx = CheckContext(**ctx_args)
    store = SchemaStore(ctx.kube_version, ctx.strict, ctx.schema_locations)
    docs = load_text(text, "m.yaml", kind="kubernetes").docs
    return list(schema.check(docs, ctx, store))


def test_valid_deployment_passes():
    assert check(DEPLOYMENT.format(replicas=2, extra="")) == []


def test_type_error_reports_path_and_line():
    (finding,) = check(DEPLOYMENT.format(replicas='"2"', extra=""))
    assert finding.rule == "schema/invalid" and finding.severity == "error"
    assert finding.line == 6
    assert finding.message.startswith("spec.replicas: ")
    assert finding.resource == "Deployment/web"


def test_strict_mode_rejects_unknown_fields_and_points_at_them():
    text = DEPLOYMENT.format(replicas=2, extra="bogus: 1")
    assert check(text) == []
    (finding,) = check(text, strict=True)
    assert "bogus" in finding.message and finding.line == 16
    assert finding.message.startswith("spec.template.spec.containers[0]: ")


def test_removed_api_version_is_an_error():
    (finding,) = check("apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: a}\n")
    assert finding.rule == "schema/unknown-api" and "1.32" in finding.message
    # still served by an older version
    hpa = "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: a}\n"
    assert [f.rule for f in check(hpa, kube_version="1.25")] != ["schema/unknown-api"]
    assert [f.rule for f in check(hpa, kube_version="1.26")] == ["schema/unknown-api"]


def test_custom_resource_without_schema_is_info_or_skipped():
    text = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: a}\n"
    (finding,) = check(text)
    assert (finding.rule, finding.severity) == ("schema/missing", "info")
    assert check(text, skip_missing_schemas=True) == []


def test_skip_kinds_by_kind_or_version_kind():
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: 1}\n"
    assert check(text) != []
    assert check(text, skip_kinds=frozenset({"Service"})) == []
    assert check(text, skip_kinds=frozenset({"v1/Service"})) == []


def test_list_items_are_validated_one_by_one():
    text = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a}\n    data: {k: 1}\n"
    (finding,) = check(text)
    assert finding.message.startswith("items[0].data.k: ") and finding.line == 7


def test_user_schema_location_template_with_local_ref(tmp_path: Path):
    folder = tmp_path / "schemas" / "example.com"
    folder.mkdir(parents=True)
    (folder / "_defs.json").write_text(json.dumps({"$defs": {"size": {"type": "integer", "minimum": 1}}}))
    (folder / "widget_v1.json").write_text(json.dumps({
        "type": "object", "required": ["spec"],
        "properties": {"spec": {"type": "object", "properties": {"size": {"$ref": "_defs.json#/$defs/size"}}}},
    }))
    template = str(tmp_path / "schemas" / "{{ .Group }}" / "{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json")
    base = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: a}\nspec:\n  size: "
    assert check(base + "3\n", schema_locations=(template,)) == []
    (finding,) = check(base + "0\n", schema_locations=(template,))
    assert finding.message.startswith("spec.size: ") and finding.line == 5


def test_shipped_crd_schemas_are_used():
    text = "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: a}\nspec: {secretName: 1}\n"
    findings = check(text)
    assert findings and findings[0].rule == "schema/invalid"


def test_remote_schema_locations_are_refused():
    with pytest.raises(SchemaConfigError, match="remote"):
        SchemaStore("1.32", False, ("https://example.com/{{ .ResourceKind }}.json",))


def test_kube_version_selection():
    assert bundled_version_dir("1.30", False).name == "v1.30.0-local"
    assert bundled_version_dir("1.30.4", True).name == "v1.30.0-local-strict"
    with pytest.raises(SchemaConfigError):
        bundled_version_dir("1.20", False)


def test_kubeconform_template_variables():
    gvk = GVK.parse("sagemaker.aws.amazon.com/v1", "TrainingJob")
    out = expand_template("{{ .NormalizedKubernetesVersion }}{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json", gvk, "1.32", True)
    assert out == "v1.32.0-strict/trainingjob-sagemaker-v1.json"
    assert expand_template("{{.ResourceKind}}{{.KindSuffix}}", GVK.parse("v1", "Pod"), "1.32", False) == "pod-v1"


# Cross-check: the Rust validator must agree with the reference implementation.
CROSS_CHECK = [
    DEPLOYMENT.format(replicas=2, extra=""),
    DEPLOYMENT.format(replicas='"2"', extra=""),
    DEPLOYMENT.format(replicas=2, extra="bogus: 1"),
    DEPLOYMENT.format(replicas=2, extra="ports: [{containerPort: http}]"),
    DEPLOYMENT.format(replicas=2, extra="resources: {limits: {cpu: 1}}"),
    DEPLOYMENT.format(replicas=2, extra="env: [{name: A}]"),
    DEPLOYMENT.format(replicas=2, extra="env: [{value: x}]"),
    "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80, targetPort: http}]}\n",
    "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: '80'}]}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: b}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {x: 1}}\n",
    "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: a}\nspec: {rules: [{host: a.example.com}]}\n",
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: a}\nrules: [{verbs: ['*'], resources: ['*'], apiGroups: ['*']}]\n",
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: a}\nrules: [{verbs: get}]\n",
    "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: a}\nspec: {schedule: 5, jobTemplate: {}}\n",
]


@pytest.mark.parametrize("strict", [False, True])
def test_jsonschema_rs_agrees_with_reference_jsonschema(strict: bool):
    folder = bundled_version_dir("1.32", strict)
    definitions = json.loads((folder / "_definitions.json").read_text())
    registry = Registry().with_resource(definitions["$id"], Resource.from_contents(definitions))
    store = SchemaStore("1.32", strict)
    for text in CROSS_CHECK:
        obj = load_text(text, "x.yaml").docs[0].obj
        api = obj["apiVersion"].split("/")[0].split(".")[0] + ("-" + obj["apiVersion"].split("/")[1] if "/" in obj["apiVersion"] else "")
        kind_schema = json.loads((folder / f"{obj['kind'].lower()}-{api}.json").read_text())
        reference = jsonschema.Draft202012Validator(kind_schema, registry=registry).is_valid(obj)
        assert store.validator(obj["apiVersion"], obj["kind"]).is_valid(obj) == reference, text
    verdicts = {store.validator(*(lambda o: (o["apiVersion"], o["kind"]))(load_text(t, "x").docs[0].obj)).is_valid(load_text(t, "x").docs[0].obj) for t in CROSS_CHECK}
    assert verdicts == {True, False}  # the fixture set exercises both outcomes


def test_schema_messages_never_quote_secret_values():
    (finding,) = check("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  token: 123456789\n")
    assert finding.message.startswith("stringData.token: ") and "123456789" not in finding.message
    (other,) = check("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  port: 42\n")
    # any value can be a secret (an unquoted numeric password): messages say what was expected, never the value
    assert other.message == "data.port: expected null or string, got integer (value not shown)"


@pytest.mark.parametrize("text", [
    # a value in the wrong field
    "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nimmutable: Wq8zR3kT5vN1\n",
    # an unquoted last-applied-configuration: YAML reads the JSON as a mapping holding the Secret
    ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n"
     "    kubectl.kubernetes.io/last-applied-configuration: {\"data\": {\"password\": \"Wq8zR3kT5vN1\"}}\n"),
    # a SecretList is validated as one object, its items are Secrets all the same
    ("apiVersion: v1\nkind: SecretList\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata: {name: s}\n"
     "    data: {password: {nested: Wq8zR3kT5vN1}}\n"),
    "apiVersion: v1\nkind: SecretList\nitems: [Wq8zR3kT5vN1]\n",
    # a Secret inside a `kind: List`
    ("apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata: {name: s}\n"
     "    type: [Wq8zR3kT5vN1]\n"),
])
def test_schema_messages_hide_every_value_inside_a_secret(text: str):
    findings = check(text, strict=True)
    assert findings, text
    for finding in findings:
        assert "Wq8zR3kT5vN1" not in finding.message, finding.message


def test_schema_messages_on_a_secret_itself_still_name_keys():
    findings = check("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstrinData: {password: Wq8zR3kT5vN1}\n", strict=True)
    assert [f.message for f in findings] == ["(root): Additional properties are not allowed ('strinData' was unexpected)"]


def test_client_side_documents_are_not_validated_whether_marked_or_listed():
    """kustomize configs and kubeconfigs are no API objects: such a document has no schema
    verdict, whether mark_manifests classified it, its file came as a manifest, or it is an item
    of a `kind: List`; the invalid object beside it has one."""
    from prcheck import kube_api

    kustomization = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: 3\n"
    bad = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: 1}\n"
    loaded = load_text(kustomization + "---\n" + bad, "m.yaml", kind="yaml")
    kube_api.mark_manifests(loaded)
    assert [d.file_kind for d in loaded.docs] == ["client-config", "kubernetes"]
    ctx = CheckContext()
    store = SchemaStore(ctx.kube_version, ctx.strict, ctx.schema_locations)
    for docs in (loaded.docs, load_text(kustomization + "---\n" + bad, "m.yaml", kind="kubernetes").docs):
        assert [(f.rule, f.line) for f in schema.check(docs, ctx, store)] == [("schema/invalid", 8)]
    listed = ("apiVersion: v1\nkind: List\nitems:\n"
              "  - {apiVersion: kustomize.config.k8s.io/v1beta1, kind: Kustomization, resources: 3}\n"
              "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {k: 1}}\n")
    assert [(f.rule, f.resource) for f in check(listed)] == [("schema/invalid", "ConfigMap/a")]
