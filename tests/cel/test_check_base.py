"""`prcheck check --base`: transition rules, oldObject and immutable fields on a real git repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prcheck.checks.policy.cel import immutable
from prcheck.sources.base_tree import index_objects
from prcheck.sources.yaml_loader import load_text

from ..conftest import write
from ..render.conftest import commit, gitops, needs_kustomize  # noqa: F401 (gitops: a fixture)
from .test_crd_rules import CRD, cron

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: team}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: {app}}}
  template:
    metadata: {{labels: {{app: {app}}}}}
    spec: {{containers: [{{name: c, image: nginx:1.25}}]}}
"""


def _check(run_cli, root: Path) -> list[tuple[str, str, int, str]]:
    result = run_cli(["check", "--base", "HEAD~1", "--no-render", "--no-builtin", "--format", "json",
                      "--fail-on", "never"], root)
    assert result.exit_code == 0, result.output
    return [(f["rule"], f["path"], f["line"], f["message"]) for f in json.loads(result.output)["findings"]]


def test_changed_selector_and_transition_rule_are_caught_at_pr_time(repo: Path, run_cli) -> None:
    write(repo, {"apps/deploy.yaml": DEPLOY.format(app="web"), "crds/crontab.yaml": CRD,
                 "apps/cron.yaml": cron("c", "{minReplicas: 1, replicas: 1, maxReplicas: 1, name: first}")})
    commit(repo, "base")
    write(repo, {"apps/deploy.yaml": DEPLOY.format(app="web2"),
                 "apps/cron.yaml": cron("c", "{minReplicas: 1, replicas: 1, maxReplicas: 1, name: second}")})
    commit(repo, "change")
    found = _check(run_cli, repo)
    rules = {(rule, path, line) for rule, path, line, _ in found}
    assert ("k8s/immutable-field-changed", "apps/deploy.yaml", 6) in rules
    assert ("crd/validation-rule", "apps/cron.yaml", 4) in rules
    message = next(m for r, _, _, m in found if r == "k8s/immutable-field-changed")
    assert "spec.selector is immutable" in message and "ValidateDeploymentUpdate" in message


def test_new_objects_have_no_old_version(repo: Path, run_cli) -> None:
    write(repo, {"crds/crontab.yaml": CRD})
    commit(repo, "base")
    write(repo, {"apps/deploy.yaml": DEPLOY.format(app="web"),
                 "apps/cron.yaml": cron("c", "{minReplicas: 1, replicas: 1, maxReplicas: 1, name: x}")})
    commit(repo, "change")
    assert _check(run_cli, repo) == []


def _docs(text: str):
    return [d for d in load_text(text, "f.yaml").docs if d.obj is not None]


@pytest.mark.parametrize("before,after,field", [
    ("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: 10.0.0.1}\n",
     "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: 10.0.0.2}\n", "spec.clusterIP"),
    ("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec: {serviceName: a, replicas: 1}\n",
     "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec: {serviceName: b, replicas: 3}\n",
     "spec.serviceName"),
    ("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: p}\nspec: {resources: {requests: {storage: 10Gi}}}\n",
     "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: p}\nspec: {resources: {requests: {storage: 5Gi}}}\n",
     "spec.resources.requests.storage"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nimmutable: true\ndata: {a: '1'}\n",
     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nimmutable: true\ndata: {a: '2'}\n", "data"),
    ("apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {template: {spec: {containers: [{name: a, image: x:1}]}}}\n",
     "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {template: {spec: {containers: [{name: a, image: x:2}]}}}\n",
     "spec.template"),
])
def test_immutable_fields(before: str, after: str, field: str) -> None:
    [finding] = immutable.check(_docs(after), index_objects(_docs(before)))
    assert finding.rule == "k8s/immutable-field-changed" and f": {field} " in finding.message


@pytest.mark.parametrize("before,after", [
    # growth, allowed fields and omitted defaults are fine
    ("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: p}\nspec: {resources: {requests: {storage: 5Gi}}}\n",
     "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: p}\nspec: {resources: {requests: {storage: 10Gi}}}\n"),
    ("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: 10.0.0.1}\n",
     "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '1'}\n",
     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '2'}\n"),
    ("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec: {serviceName: a, replicas: 1}\n",
     "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec: {serviceName: a, replicas: 5}\n"),
])
def test_allowed_updates_are_not_flagged(before: str, after: str) -> None:
    assert immutable.check(_docs(after), index_objects(_docs(before))) == []


def _vap_repo(repo: Path, replicas_at_base: int) -> None:
    """Policy, binding, params and Namespace each in its own folder, away from the workload."""
    from .test_vap import BINDING, NAMESPACES, PARAM_BINDING, PARAM_POLICY, PARAMS, POLICY, deployment
    write(repo, {"admission/policy.yaml": POLICY, "admission/binding.yaml": BINDING,
                 "admission/params-policy.yaml": PARAM_POLICY + "---" + PARAM_BINDING,
                 "config/params.yaml": PARAMS, "namespaces/all.yaml": NAMESPACES,
                 "apps/web.yaml": deployment("web", replicas_at_base), "apps/other.yaml": deployment("other", 9)})
    commit(repo, "base")


def test_a_narrowed_pr_run_sees_admission_policies_anywhere_in_the_repository(repo: Path, run_cli) -> None:
    """The change touches one workload; the policies, bindings, params and the Namespace whose
    labels the binding selects live in other folders, which the narrowed run does not check."""
    from .test_vap import deployment
    _vap_repo(repo, 2)
    write(repo, {"apps/web.yaml": deployment("web", 7)})
    commit(repo, "change")
    found = _check(run_cli, repo)
    assert sorted((rule, path, message.rsplit(": ", 1)[1]) for rule, path, _, message in found) == [
        ("ValidatingAdmissionPolicy/demo-policy.example.com", "apps/web.yaml",
         "object.spec.replicas <= 5"),
        ("ValidatingAdmissionPolicy/replicalimit-policy.example.com", "apps/web.yaml",
         "object.spec.replicas must be no greater than 3")]


def test_a_violation_the_base_already_had_is_not_new_in_a_narrowed_run(repo: Path, run_cli) -> None:
    from .test_vap import deployment
    _vap_repo(repo, 7)
    write(repo, {"apps/web.yaml": deployment("web", 7).replace("image: nginx", "image: nginx:2")})
    commit(repo, "change")
    assert _check(run_cli, repo) == []


def test_a_renamed_object_is_a_recreate(repo: Path, run_cli) -> None:
    """Name and namespace cannot be updated: the apply creates a new object and prunes or
    orphans the old one. The rename is recognised by the document's place in its file."""
    write(repo, {"apps/deploy.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: team}\n"
                                     "---\n" + DEPLOY.format(app="web"),
                 "apps/pvc.yaml": "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n"
                                  "  namespace: team\nspec: {resources: {requests: {storage: 1Gi}}}\n"})
    commit(repo, "base")
    write(repo, {"apps/deploy.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: team}\n"
                                     "---\n" + DEPLOY.format(app="web").replace("name: web,", "name: web-v2,"),
                 "apps/pvc.yaml": "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n"
                                  "  namespace: team-b\nspec: {resources: {requests: {storage: 1Gi}}}\n"})
    commit(repo, "change")
    found = sorted(f for f in _check(run_cli, repo) if f[0] == "k8s/immutable-field-changed")
    assert [(path, line) for _, path, line, _ in found] == [("apps/deploy.yaml", 7), ("apps/pvc.yaml", 5)]
    assert "metadata.name changed from 'web' to 'web-v2'" in found[0][3] and "recreate" in found[0][3]
    assert "metadata.namespace changed from 'team' to 'team-b'" in found[1][3]


@pytest.mark.parametrize("before,after", [
    # a kustomize configMapGenerator hash: the same object rendered again
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config-5g2bh7k4dm}\n",
     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config-9t8c4f6m2k}\n"),
    # another kind in the same place: a replacement, not one object renamed
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n", "apiVersion: v1\nkind: Secret\nmetadata: {name: b}\n"),
    # the namespace was left to the sync's destination before: no telling it changed
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: team}\n"),
])
def test_what_is_not_a_rename(before: str, after: str) -> None:
    base = _docs(before)
    assert immutable.check(_docs(after), index_objects(base), base) == []


def test_a_rename_needs_one_object_gone_and_one_new_in_the_same_place() -> None:
    before = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"
    moved = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
    base = _docs(before)
    # `a` moved down (still there), `b` removed, `c` added where `a` was: no rename
    assert immutable.check(_docs(moved), index_objects(base), base) == []
    renamed = before.replace("name: b}", "name: b2}")
    [finding] = immutable.check(_docs(renamed), index_objects(base), base)
    assert "from 'b' to 'b2'" in finding.message and finding.line == 7


@needs_kustomize
def test_a_rename_in_a_rendered_environment(gitops: Path, run_cli) -> None:
    """A namePrefix added to an overlay renames every object it renders: each is a recreate,
    paired with its base version through the source document the render built it from."""
    write(gitops, {"overlays/staging/kustomization.yaml": "namespace: staging\nnamePrefix: v2-\n"
                                                          "resources: [../../base]\n"})
    commit(gitops, "rename")
    result = run_cli(["check", "--base", "HEAD~1", "--no-builtin", "--format", "json", "--fail-on", "never"], gitops)
    found = sorted((f["env"], f["path"], f["message"].split(";")[0]) for f in json.loads(result.output)["findings"]
                   if f["rule"] == "k8s/immutable-field-changed")
    assert found == [("staging", "base/deployment.yaml", "Deployment web: metadata.name changed from 'web' to 'v2-web'"),
                     ("staging", "base/service.yaml", "Service web: metadata.name changed from 'web' to 'v2-web'")]
