"""The CEL engine of a run without CEL policy paths: loaded only for documents that need it,
and finding exactly what `CelEngine` finds either way."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from prcheck.checks.context import CheckContext
from prcheck.checks.policy.cel.deferred import DeferredCelEngine, needs_runtime
from prcheck.checks.policy.cel.engine import CelEngine
from prcheck.sources.base_tree import index_objects
from prcheck.sources.yaml_loader import load_text
from tests.cel.test_crd_rules import CRD, cron
from tests.cel.test_vap import BINDING, NAMESPACES, POLICY, deployment

PLAIN = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ns}
spec: {selector: {matchLabels: {app: NEW}}, template: {spec: {containers: [{name: c, image: nginx}]}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: ns}
immutable: true
data: {mode: NEW}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: ns}
spec: {podSelector: {}}
"""


def docs(text: str):
    return [d for d in load_text(textwrap.dedent(text).strip("\n"), "x.yaml").docs if d.obj is not None]


def both(text: str, base: str = "") -> tuple[list, list]:
    ctx = CheckContext(base_objects=index_objects(docs(base)) if base else {})
    found = [DeferredCelEngine().for_context(ctx).evaluate(docs(text)).findings,
             CelEngine().for_context(ctx).evaluate(docs(text)).findings]
    return found[0], found[1]


@pytest.mark.parametrize("text, base", [
    (PLAIN, PLAIN.replace("NEW", "OLD")),  # built-in kinds only: immutable fields, no runtime
    (CRD + "---\n" + cron("c", "{minReplicas: 3, replicas: 1, maxReplicas: 5}"), ""),  # a CRD's own rules
    (cron("c", "{minReplicas: 3, replicas: 1, maxReplicas: 5}"), ""),  # a custom resource alone
    ("---\n".join([POLICY, BINDING, NAMESPACES, deployment("d", 9)]), ""),  # the repository's own VAP
])
def test_same_findings_as_the_cel_engine(text: str, base: str):
    deferred, real = both(text, base)
    assert deferred == real
    assert real or "CronTab" in text and "CustomResourceDefinition" not in text  # the cases find something


def test_only_built_in_kinds_need_no_runtime():
    assert not needs_runtime(docs(PLAIN), CheckContext())
    assert needs_runtime(docs(POLICY), CheckContext())
    assert needs_runtime(docs(CRD), CheckContext())
    assert needs_runtime(docs(cron("c", "{}")), CheckContext())
    assert needs_runtime(docs(PLAIN), CheckContext(crd_schemas={("stable.example.com/v1", "CronTab"): {}}))


def test_a_plain_check_never_loads_the_cel_runtime(tmp_path: Path):
    (tmp_path / "app.yaml").write_text(textwrap.dedent(PLAIN))
    (tmp_path / "policy.yaml").write_text("---\n".join([POLICY, BINDING, NAMESPACES, deployment("d", 9, "test")]))
    probe = textwrap.dedent("""
        import json, sys
        from prcheck.cli import main
        try:
            main(sys.argv[1:], standalone_mode=False)
        finally:
            print(json.dumps(sorted(m for m in sys.modules if m.startswith("cel_expr_python"))), file=sys.stderr)
    """)

    def run(*paths: str) -> tuple[dict, list]:
        done = subprocess.run([sys.executable, "-c", probe, "check", *paths, "--format", "json", "--fail-on", "never"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        return json.loads(done.stdout), json.loads(done.stderr.strip().splitlines()[-1])

    report, loaded = run("app.yaml")
    assert loaded == []
    report, loaded = run("app.yaml", "policy.yaml")
    assert loaded and any(f["rule"] == "ValidatingAdmissionPolicy/demo-policy.example.com" for f in report["findings"])
