"""`prcheck check --base`: transition rules, oldObject and immutable fields on a real git repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prcheck.checks.policy.cel import immutable
from prcheck.sources.base_tree import index_objects
from prcheck.sources.yaml_loader import load_text

from ..conftest import write
from ..render.conftest import commit
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
