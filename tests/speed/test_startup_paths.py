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
