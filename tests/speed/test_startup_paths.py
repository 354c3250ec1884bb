"""Start-up shortcuts give what the slow way gives: built-in kinds read without parsing every
schema definition, Rego extension functions imported on their first call."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from prcheck import kube_api


def test_builtin_kinds_scan_equals_a_full_parse_for_every_bundled_version():
    folders = sorted(p for p in kube_api._schema_root().iterdir() if (p / "_definitions.json").is_file())
    assert len(folders) >= 2
    for folder in folders:
        schema = json.loads((folder / "_definitions.json").read_text(encoding="utf-8"))
        parsed = frozenset((gvk.get("group", ""), gvk.get("kind", ""))
                           for definition in (schema.get("$defs") or schema.get("definitions") or {}).values()
                           if isinstance(definition, dict)
                           for gvk in definition.get("x-kubernetes-group-version-kind") or ())
        assert kube_api._gvks_in(folder / "_definitions.json") == parsed, folder.name


def test_rego_extensions_import_their_module_on_first_call():
    probe = textwrap.dedent("""
        import sys
        from prcheck.checks.policy.rego_builtins import ALL, new_engine
        new_engine()
        before = "prcheck.checks.policy.rego_builtins.template" in sys.modules
        render = next(e for e in ALL if e.name == "strings.render_template")
        print(before, render.fn("{{.a}}-x", {"a": 1}), "prcheck.checks.policy.rego_builtins.template" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "1-x", "True"]


def test_json_report_is_byte_for_byte_what_json_dumps_writes():
    from prcheck.model import EnvDiff, Finding, Report, ResourceChange, Suppressed
    from prcheck.report.json import as_dict, render

    found = [Finding(rule="r/x", severity="error", message='say "hi" é\n\ttab', path="a.yaml", line=3,
                     resource="Deployment/n", engine="lint"),
             Finding(rule="r/y", severity="info", message="x", envs=("prod", "stage")),
             Finding(rule="r/z", severity="warning", message="", column=7),
             # odd values: each either written field by field exactly as json.dumps would, or left to it
             Finding(rule="r/\u2028", severity="error", message="\x00\x1f\x7f \\ / \ud800 \U0001f600 \u00ff",
                     line=-3, column=10**30, fingerprint="f" * 64),
             Finding(rule="r/b", severity="error", message="m", line=True, column=1.5),  # type: ignore[arg-type]
             Finding(rule="r/e", severity="error", message="m", line=float("nan"), envs=[])]  # type: ignore[arg-type]
    full = Report(findings=found, fixed=[found[1]], suppressed=[Suppressed(found[0], "inline", "why")],
                  diffs=[EnvDiff(env="prod", added=[ResourceChange("k", None, None, "a\nb")])],
                  stats={"files": 3, "timings": {"load": 1.5}, "findings": [], "pre_existing": []})
    for report in (full, Report(), Report(findings=found[:1]), Report(suppressed=[Suppressed(found[1], "annotation", "")])):
        assert render(report) == json.dumps(as_dict(report), indent=2, default=str) + "\n"


def test_classification_by_path_alone():
    from prcheck.sources.collect import chart_dirs, classify

    expected = {"a.yaml": "yaml", "x.json": "json", ".json": "yaml", "dir/.prcheck.yaml": "config",
                "charts/web/Chart.yaml": "helm-chart", "charts/web/values-prod.yaml": "helm-values",
                "charts/web/templates/d.yaml": "helm-template", "charts/web/crds/c.yaml": "yaml",
                "charts/webx/values.yaml": "yaml", "templates/x.yaml": "yaml",
                "x/.github/workflows/ci.yml": "github-workflow", ".github/ci.yml": "yaml",
                "sub/action.yaml": "github-action", "ci/templates.gitlab-ci.yml": "gitlab-ci",
                "k/Kustomization": "kustomization", "a/b.tar.json": "json"}
    assert {p: classify(p, {"charts/web"}) for p in expected} == expected
    assert [classify(p, {"."}) for p in ("templates/x.yaml", "values.yaml", "a.yaml")] == \
        ["helm-template", "helm-values", "yaml"]
    assert chart_dirs(["Chart.yaml", "charts/web/Chart.yaml", "charts/web/x.yaml", "NotChart.yaml"]) == {".", "charts/web"}
