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


def test_group_version_kind_lists_are_found_as_the_regex_finds_them():
    import re

    regex = re.compile(rb'"x-kubernetes-group-version-kind":\s*(\[[^\]]*\])')
    key = b'"x-kubernetes-group-version-kind":'
    texts = [b"", key, key + b"[", key + b" \t\n\r\f\v[{}]", key + b"x[1]" + key + b"[2]", key + b"[" + key + b"[3]]",
             b"[" + key + b"  [1] ]" + key + b"\n[{\"a\": 2}]" + key, key + b" \x0b [4]" + key + b"\x00[5]"]
    folder = sorted(p for p in kube_api._schema_root().iterdir() if (p / "_definitions.json").is_file())[-1]
    texts.append((folder / "_definitions.json").read_bytes())
    for text in texts:
        assert kube_api._gvk_lists(text) == [m.group(1) for m in regex.finditer(text)], text[:80]


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


_PROBE = textwrap.dedent("""
    import gc, json, sys
    from prcheck.cli import main
    try:
        main(sys.argv[1:], standalone_mode=False)
    finally:
        # a dataclass without a docstring gets one made from inspect.signature at import
        undocumented = sorted(f"{m.__name__}.{c.__qualname__}" for m in list(sys.modules.values())
                              if m.__name__.startswith("prcheck")
                              for c in list(vars(m).values())
                              if isinstance(c, type) and c.__module__ == m.__name__ and "__dataclass_fields__" in vars(c)
                              and (c.__doc__ or "").startswith(c.__name__ + "("))
        # the standard decorator's methods are compiled from source text; prcheck.records' are closures
        generated = sorted(f"{m.__name__}.{c.__qualname__}" for m in list(sys.modules.values())
                           if m.__name__.startswith("prcheck")
                           for c in list(vars(m).values())
                           if isinstance(c, type) and c.__module__ == m.__name__ and "__dataclass_fields__" in vars(c)
                           and any(getattr(getattr(vars(c).get(n), "__code__", None), "co_filename", "") == "<string>"
                                   for n in ("__repr__", "__eq__", "__setattr__")))
        print(json.dumps({"modules": sorted(sys.modules), "gc": gc.isenabled(), "undocumented": undocumented,
                          "generated": generated}), file=sys.stderr)
""")

DEPLOYMENT = textwrap.dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers: [{name: web, image: "nginx:latest"}]
""")

WORKFLOW = textwrap.dedent("""\
    on: push
    jobs:
      build:
        runs-on: ubuntu-latest
        steps: [{uses: actions/checkout@v4}]
""")


def _probe_run(root, *paths: str) -> tuple[dict, dict]:
    done = subprocess.run([sys.executable, "-c", _PROBE, "check", *paths, "--format", "json", "--fail-on", "never"],
                          cwd=root, capture_output=True, text=True, timeout=120)
    return json.loads(done.stdout), json.loads(done.stderr.strip().splitlines()[-1])


def test_a_one_file_run_loads_no_rego_stack_and_leaves_the_gc_on(tmp_path):
    """pre-commit checks one manifest at a time: the Rego engine (and regorus) load only
    for a run with CI files or Rego policies (the pack's Rego rules still run on CI files),
    the immutable-field checks only with --base. Every dataclass it creates has a docstring:
    without one, `dataclass` builds one from `inspect.signature`, a third of its cost; and
    is made by `prcheck.records`, which compiles no method but `__init__`."""
    (tmp_path / "app.yaml").write_text(DEPLOYMENT)
    report, seen = _probe_run(tmp_path, "app.yaml")
    assert any(f["rule"] == "k8s/image-latest-tag" for f in report["findings"])
    assert not [m for m in seen["modules"] if m == "regorus" or m.startswith("prcheck.checks.policy.rego")
                and m != "prcheck.checks.policy.rego_input"]
    # nor what only --base runs use: the immutable-field checks, the admission configuration carried into them
    assert not {"prcheck.checks.policy.cel.immutable", "prcheck.checks.policy.cel.carried"} & set(seen["modules"])
    # nor the text format's module (and its escaping) when the report is JSON
    assert not {"prcheck.report.text", "prcheck.report.escaping"} & set(seen["modules"])
    # nor subprocess: git's two questions start through processes.Output
    assert "subprocess" not in seen["modules"]
    assert seen["gc"] is True
    assert seen["undocumented"] == []
    # every dataclass it creates comes from prcheck.records
    assert seen["generated"] == []
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(WORKFLOW)
    report, seen = _probe_run(tmp_path, "app.yaml", ".github/workflows/ci.yml")
    assert {"gha/unpinned-uses", "k8s/image-latest-tag"} <= {f["rule"] for f in report["findings"]}
    assert "regorus" in seen["modules"]


def test_a_broken_pack_is_an_error_as_soon_as_a_run_needs_its_rego(tmp_path, monkeypatch):
    """The shipped pack's Rego is read on the first CI document, so a pack without its
    entry rule stops that run (as it stopped every run when read up front); a pack
    given by path (`prcheck policy test`) is checked when the engine is made."""
    import shutil

    import pytest

    from prcheck.checks.policy import builtin
    from prcheck.checks.policy.base import PolicyError
    from prcheck.model import Document

    pack = tmp_path / "pack"
    shutil.copytree(builtin.pack_dir(), pack)
    (pack / "main.rego").write_text("package prcheck.main\n\nimport rego.v1\n\nnothing := true\n")
    with pytest.raises(PolicyError, match="no package prcheck.main with a deny rule"):
        builtin.BuiltinEngine(pack)
    monkeypatch.setattr(builtin, "pack_dir", lambda: pack)
    engine = builtin.BuiltinEngine()
    manifest = Document(path="app.yaml", index=0, line=1, obj={"apiVersion": "v1", "kind": "ConfigMap",
                                                              "metadata": {"name": "c"}}, file_kind="kubernetes")
    assert engine.evaluate([manifest]).passed == 1
    workflow = Document(path=".github/workflows/ci.yml", index=0, line=1, obj={"on": "push", "jobs": {}},
                        file_kind="github-workflow")
    with pytest.raises(PolicyError, match="no package prcheck.main with a deny rule"):
        engine.evaluate([workflow])


def test_star_globs_match_as_fnmatchcase_does():
    """starglob decides `*` patterns by string tests and hands the rest to fnmatch:
    every pattern x name over an alphabet that makes pieces overlap and repeat agrees."""
    import fnmatch
    import itertools
    import random

    from prcheck import starglob

    rng = random.Random(7)
    alphabet = "ab*.\n\x00"
    patterns = {"", "*", "**", "a*a", "*a*a*", "ab*ba", "a**b", "?a*", "[ab]*", "*.y*ml", ".*", "Chart.yaml"}
    patterns |= {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 7))) for _ in range(400)}
    names = {"".join(p) for n in range(5) for p in itertools.product("ab.\n", repeat=n)}
    names |= {"skaffold-dev.yaml", "mkdocs.yml", "Chart.yaml", ".sops.yaml", "compose.yaml", "x\x00y"}
    for pattern in patterns:
        match = starglob.matcher(pattern)
        assert [n for n in names if match(n)] == [n for n in names if fnmatch.fnmatchcase(n, pattern)], pattern


def test_client_side_kinds_decide_as_the_one_regex_did():
    """Pairwise glob tests give what the regex over `api\\0kind` gave, NUL or not."""
    from prcheck import kube_api

    kinds, _ = kube_api._client_side()
    apis = {a.replace("*", fill) for a, _ in kinds for fill in ("", "v1", "x/v1", "a\x00b")}
    apis |= {"v1", "apps/v1", "builtin", "tilt.dev/v1\x00Extension", "x.config.k8s.io"}
    names = {k.replace("*", fill) for _, k in kinds for fill in ("", "Foo")} | {"", "Config", "Pod", "x\x00Config"}
    regex = kube_api._client_side_pattern()
    assert len(apis) * len(names) > 500
    for api in apis:
        for kind in names:
            assert kube_api.client_side_kind(api, kind) == (regex.match(f"{api}\x00{kind}") is not None), (api, kind)
