"""Which documents are Kubernetes objects, and which API groups are built in."""

from __future__ import annotations

from pathlib import Path

import pytest

from prcheck import kube_api
from prcheck.pipeline import CheckOptions, run_check
from tests.conftest import write

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.25"}]}
"""


def _errors(root: Path, **opts) -> list[tuple[str, str, str]]:
    report = run_check(CheckOptions(paths=[str(root)], root=root, builtin=False, **opts))
    return sorted((f.path, f.rule, f.message) for f in report.findings if f.severity == "error")


@pytest.mark.parametrize("obj, expected", [
    ({"apiVersion": "apps/v1", "kind": "Deployment"}, kube_api.OBJECT),
    ({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute"}, kube_api.OBJECT),
    ({"kind": "Deployment"}, kube_api.OBJECT),  # half a claim: the missing apiVersion is reported
    ({"apiVersion": "app/v1", "kind": "Deployment"}, kube_api.OBJECT),  # a typo of a built-in kind stays visible
    ({"apiVersion": "builtin", "kind": "LabelTransformer"}, kube_api.CLIENT_CONFIG),
    ({"apiVersion": "builtin", "kind": "SomeFutureGenerator"}, kube_api.CLIENT_CONFIG),
    ({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}, kube_api.CLIENT_CONFIG),
    ({"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration"}, kube_api.CLIENT_CONFIG),
    ({"apiVersion": "skaffold/v4beta11", "kind": "Config"}, kube_api.CLIENT_CONFIG),
    ({"apiVersion": "othertool/v2", "kind": "Settings"}, kube_api.CLIENT_CONFIG),  # dotless, not a Kubernetes group
    ({"apiVersion": "kind.x-k8s.io/v1alpha4", "kind": "Cluster"}, kube_api.CLIENT_CONFIG),
    ({"apiVersion": "k3d.io/v1alpha5", "kind": "Simple"}, kube_api.CLIENT_CONFIG),
    ({"apiVersion": "v1", "kind": "Config", "clusters": []}, kube_api.CLIENT_CONFIG),  # kubeconfig
    ({"apiVersion": 1, "datasources": []}, kube_api.NOT_KUBERNETES),  # Grafana provisioning
    ({"apiVersion": "2.1", "name": "x"}, kube_api.NOT_KUBERNETES),
    ({"name": "x"}, kube_api.NOT_KUBERNETES),
    (["a"], kube_api.NOT_KUBERNETES),
])
def test_object_class(obj, expected):
    assert kube_api.object_class(obj) == expected


def test_builtin_groups_come_from_the_bundled_schemas():
    from prcheck.checks.schema_store import SchemaStore

    store = SchemaStore("1.32")
    for group in ("", "apps", "batch", "networking.k8s.io", "rbac.authorization.k8s.io", "extensions"):
        assert store.is_builtin_group(group), group
    for group in ("gateway.networking.k8s.io", "snapshot.storage.k8s.io", "autoscaling.k8s.io", "example.com"):
        assert not store.is_builtin_group(group), group


def test_client_side_configs_are_yaml_only(repo: Path):
    write(repo, {
        "overlay/kustomization.yaml": "resources: [deploy.yaml]\ntransformers: [labels.yaml]\n"
                                      "generators: [gen.yaml]\nconfigurations: [fieldspecs.yaml]\n",
        "overlay/deploy.yaml": DEPLOYMENT,
        # listed as a transformer: a config of any group is a kustomize input, not an object
        "overlay/labels.yaml": "apiVersion: example.com/v1\nkind: MyLabeller\nmetadata: {name: l}\nlabels: {a: b}\n",
        "overlay/gen.yaml": "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: g}\nliterals: [a=b]\n",
        "overlay/fieldspecs.yaml": "nameReference:\n- kind: Thing\n",
        "skaffold.yaml": "apiVersion: skaffold/v4beta11\nkind: Config\nbuild: {}\n---\napiVersion: skaffold/v4beta11\nkind: Config\nprofiles: []\n",
        "kind-cluster.yaml": "apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\nnodes: [{role: control-plane}]\n",
        "kubeconfig.yaml": "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\n",
        "otel/grafana-datasources.yaml": "apiVersion: 1\ndatasources:\n- name: Prometheus\n  type: prometheus\n",
        "charts/x/Chart.yaml": "apiVersion: v2\nname: x\nversion: 0.1.0\n",
        ".tool.yml": "apiVersion: schema.example.io/v1beta1\nkind: Config\nvalidate: {}\n",
    })
    assert _errors(repo) == []


def test_real_objects_are_still_checked_beside_client_configs(repo: Path):
    write(repo, {
        "app/deploy.yaml": DEPLOYMENT.replace("kind: Deployment", "kind: Deployment\nbogus: 1"),
        "app/typo.yaml": "apiVersion: app/v1\nkind: Deployment\nmetadata: {name: x}\n",
        "app/half.yaml": "kind: ConfigMap\nmetadata: {name: x}\n",
        "app/gone.yaml": "apiVersion: extensions/v1beta1\nkind: DaemonSet\nmetadata: {name: x}\n",
    })
    rules = {(path, rule) for path, rule, _ in _errors(repo, strict=True)}
    assert ("app/deploy.yaml", "schema/invalid") in rules
    assert ("app/typo.yaml", "schema/unknown-api") in rules
    assert ("app/half.yaml", "k8s/missing-required-field") in rules
    assert ("app/gone.yaml", "schema/unknown-api") in rules


def test_custom_groups_under_k8s_io_are_custom_resources(repo: Path):
    write(repo, {"gw.yaml": "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: envoy}\n"
                            "spec: {controllerName: x}\n---\n"
                            "apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata: {name: s}\n---\n"
                            "apiVersion: autoscaling.k8s.io/v1\nkind: VerticalPodAutoscaler\nmetadata: {name: v}\n"})
    report = run_check(CheckOptions(paths=[str(repo)], root=repo, builtin=False))
    assert [f for f in report.findings if f.severity == "error"] == []
    assert {f.rule for f in report.findings} <= {"schema/missing"}
    assert all(f.severity == "info" for f in report.findings)
