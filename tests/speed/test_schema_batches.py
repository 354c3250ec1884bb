"""The kinds one check meets share one registry (`SchemaStore.prepare`): every finding equals
what one validator per kind against the whole definitions file gives, in every lookup case."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema_rs
import pytest

from prcheck.checks import schema
from prcheck.checks.context import CheckContext
from prcheck.checks.crd_schema import schemas_from
from prcheck.checks.schema_definitions import Definitions
from prcheck.checks.schema_store import K8S_DEFINITIONS_ID, SchemaStore
from prcheck.sources.yaml_loader import load_text
from tests.precision.test_crd_schemas_from_repo import CRD

POD = "containers: [{name: c, image: nginx, ports: [{containerPort: 80}]}]"
BAD_POD = "containers: [{name: c, image: 3, ports: [{containerPort: http}], resources: {limits: {cpu: []}}, bogus: 1}]"
TEMPLATE = "{{metadata: {{labels: {{app: a}}}}, spec: {{{pod}}}}}"

DOCS = [
    *(f"apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: a}}\nspec: {{selector: {{matchLabels: {{app: a}}}}, "
      f"template: {TEMPLATE.format(pod=pod)}{extra}}}\n"
      for kind, extra in (("Deployment", ", replicas: 2"), ("StatefulSet", ", serviceName: s"), ("DaemonSet", ""),
                          ("Deployment", ", replicas: two"), ("ReplicaSet", ", minReadySeconds: -1"))
      for pod in (POD, BAD_POD)),
    f"apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: a}}\nspec: {{schedule: 5, jobTemplate: {{spec: "
    f"{{template: {TEMPLATE.format(pod=BAD_POD)}}}}}}}\n",
    f"apiVersion: batch/v1\nkind: Job\nmetadata: {{name: a}}\nspec: {{template: {TEMPLATE.format(pod=POD)}}}\n",
    f"apiVersion: v1\nkind: Pod\nmetadata: {{name: a, labels: {{x: 1}}}}\nspec: {{{BAD_POD}}}\n",
    "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: '80', targetPort: http}], type: 7}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: 1}\nbogus: true\n",
    "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {password: not-base64!}\n",
    "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, creationTimestamp: yesterday}\n",
    "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: a}\nspec: {resources: {requests: {storage: lots}}}\n",
    "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: a}\nspec: {rules: [{host: 1, http: {paths: "
    "[{path: /, pathType: Sometimes, backend: {service: {name: s, port: {number: x}}}}]}}]}\n",
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: {podSelector: {}, policyTypes: 1}\n",
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: a}\nrules: [{verbs: get}]\n",
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: a}\nroleRef: {kind: Role}\n",
    "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: a}\nspec: {maxReplicas: x}\n",
    "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: a}\nspec: {minAvailable: 1.5}\n",
    "apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}, data: {k: 1}}\n"
    "  - {apiVersion: v1, kind: Namespace, metadata: {name: c}, spec: {finalizers: x}}\n",
    "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: removed}\n",
    "apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: typo}\n",
    "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: no-schema}\n",
    "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: carried}\nspec: {size: big, bogus: 1}\n",
    "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: shipped}\nspec: {secretName: 1, extra: x}\n",
    "apiVersion: located.example.com/v1\nkind: Thing\nmetadata: {name: located}\nspec: {size: 0}\n",
    "apiVersion: v1\nkind: Event\nmetadata: {name: skipped}\ninvolvedObject: 1\n",
    "apiVersion: v1\nkind: Bad Kind\nmetadata: {name: odd}\n",
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: 1\n",
]


def _location(tmp_path: Path) -> str:
    folder = tmp_path / "schemas" / "located.example.com"
    folder.mkdir(parents=True)
    (folder / "_defs.json").write_text(json.dumps({"$defs": {"size": {"type": "integer", "minimum": 1}}}))
    (folder / "thing_v1.json").write_text(json.dumps({
        "type": "object", "properties": {"spec": {"type": "object", "additionalProperties": False,
                                                  "properties": {"size": {"$ref": "_defs.json#/$defs/size"}}}}}))
    return str(tmp_path / "schemas" / "{{ .Group }}" / "{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json")


def _whole_file_store(store: SchemaStore) -> SchemaStore:
    """The general path: nothing prepared, every Kubernetes kind against every definition."""
    store.prepare = lambda keys: None  # type: ignore[method-assign]
    store._k8s_registry = lambda schemas: jsonschema_rs.Registry(  # type: ignore[method-assign]
        [(K8S_DEFINITIONS_ID, store._definitions.whole())])
    return store


def _run(store: SchemaStore, ctx: CheckContext, texts: list[str]) -> list[tuple]:
    docs = [doc for index, text in enumerate(texts) for doc in load_text(text, f"m{index}.yaml", kind="kubernetes").docs]
    return [(f.path, f.line, f.rule, f.severity, f.resource, f.message) for f in schema.check(docs, ctx, store)]


@pytest.mark.parametrize("strict", [False, True])
def test_one_registry_for_a_checks_kinds_finds_what_the_whole_file_finds(tmp_path: Path, strict: bool):
    locations = (_location(tmp_path),)
    crds = schemas_from([__import__("yaml").safe_load(CRD)])
    ctx = CheckContext(strict=strict, schema_locations=locations, skip_kinds=frozenset({"v1/Event"}))

    def store() -> SchemaStore:
        return SchemaStore("1.32", strict, locations, crds=crds)

    batched = store()
    found = _run(batched, ctx, DOCS)
    assert found == _run(_whole_file_store(store()), ctx, DOCS)
    # and each document alone (one kind per registry) finds its share of it
    alone = [finding for index, text in enumerate(DOCS)
             for finding in _run(store(), ctx, [""] * index + [text])]
    assert alone == found
    rules = {rule for _, _, rule, *_ in found}
    assert {"schema/invalid", "schema/unknown-api", "schema/missing"} <= rules
    origins = {batched.origin(*key) for key in batched._cache}
    assert origins == {"kubernetes", "crd", "catalog", "location", ""}
    paths = {path for path, *_ in found}
    quiet = [index for index, text in enumerate(DOCS) if "kind: Event" in text or "kind: Kustomization" in text]
    assert len(quiet) == 2 and not paths & {f"m{index}.yaml" for index in quiet}  # skipped kind, client-side config
    assert not batched._prepared  # every prepared kind was compiled, from one registry


def test_prepared_kinds_share_one_registry_and_keep_the_lookup_order(tmp_path: Path):
    crds = schemas_from([__import__("yaml").safe_load(CRD.replace("example.com", "apps").replace("Widget", "Job"))])
    store = SchemaStore("1.32", crds={("batch/v1", "Job"): crds[("apps/v1", "Job")]})
    store.prepare(dict.fromkeys([("apps/v1", "Deployment"), ("v1", "ConfigMap"), ("batch/v1", "Job"),
                                 ("example.com/v1", "Widget"), ("v1", "Bad Kind"), ("apps/v1", "Deployment")]))
    assert set(store._prepared) == {("apps/v1", "Deployment"), ("v1", "ConfigMap")}  # not the carried Job
    assert len({id(registry) for _, registry in store._prepared.values()}) == 1
    assert store.origin("batch/v1", "Job") == "crd"
    store.prepare([("apps/v1", "Deployment")])  # prepared already: nothing new
    assert store.origin("apps/v1", "Deployment") == "kubernetes" and ("apps/v1", "Deployment") not in store._prepared
    derived = store.with_crds({("v1", "ConfigMap"): {"type": "object"}})
    assert ("v1", "ConfigMap") not in derived._prepared and derived.origin("v1", "ConfigMap") == "crd"
    assert store.origin("v1", "ConfigMap") == "kubernetes"


def test_a_kind_that_cannot_be_prepared_fails_as_the_general_path_does(tmp_path: Path):
    folder = tmp_path / "v1.32.0-local"
    store = SchemaStore("1.32")
    shutil.copytree(store.bundled, folder, ignore=lambda _, names: [n for n in names if n not in (
        "_definitions.json", "configmap-v1.json", "service-v1.json")])
    (folder / "service-v1.json").write_text("{not json")
    outcomes = []
    for prepare in (True, False):
        store = SchemaStore("1.32")
        store.bundled, store._definitions = folder, Definitions(folder / "_definitions.json")
        if not prepare:
            store.prepare = lambda keys: None  # type: ignore[method-assign]
        store.prepare([("v1", "ConfigMap"), ("v1", "Service"), ("v1", "Secret")])
        assert store.validator("v1", "Secret") is None  # no file: no schema
        assert store.validator("v1", "ConfigMap").is_valid({"data": {"a": "b"}})
        with pytest.raises(ValueError) as raised:
            store.validator("v1", "Service")
        outcomes.append(str(raised.value))
    assert outcomes[0] == outcomes[1]


def test_a_definitions_file_laid_out_otherwise_is_read_whole(tmp_path: Path):
    body = {"A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}}, "B": {"type": "string"}}
    cases = {
        "last entry not an object": ({"$defs": {**body, "C": 1}, "z": {"B": {"type": "integer"}, "D": {"a": 1}}}, None),
        "empty object": ({"$defs": {"E": {}, **body}}, None),
        "object member after": ({"$defs": body, "z": {"A": {"type": "integer"}, "B": {"x": 1}}}, set(body)),
        "scalar members after": ({"$defs": body, "$id": "x", "$schema": "y"}, set(body)),
    }
    for name, (document, names) in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(document, indent=2))
        definitions = Definitions(path)
        closure = definitions.closure([{"$ref": "#/$defs/A"}])
        assert (set(definitions._starts) if definitions._starts is not None else None) == names, name
        assert closure == (document if names is None else {"$defs": body}), name


def test_a_run_without_manifests_never_imports_jsonschema_rs(tmp_path: Path):
    import subprocess
    import sys

    (tmp_path / "values.yaml").write_text("replicas: 2\nimage: {tag: x}\n")
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: 1}\n")
    probe = ("import sys; from pathlib import Path; from prcheck.pipeline import CheckOptions, run_check; "
             "report = run_check(CheckOptions(paths=[sys.argv[1]], root=Path(sys.argv[2]), builtin=False)); "
             "print('jsonschema_rs' in sys.modules, sorted({f.rule for f in report.findings if f.rule.startswith('schema/')}))")
    root = Path(__file__).resolve().parents[2]
    runs = [subprocess.run([sys.executable, "-c", probe, str(tmp_path / name), str(tmp_path)], capture_output=True,
                           text=True, check=True, cwd=root, env={**__import__("os").environ, "PYTHONPATH": str(root)}
                           ).stdout.split(None, 1) for name in ("values.yaml", "cm.yaml")]
    assert runs == [["False", "[]\n"], ["True", "['schema/invalid']\n"]]
