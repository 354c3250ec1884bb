"""The PR summary stays under the comment limit and says what it left out."""

from __future__ import annotations

from prcheck.model import EnvDiff, Finding, Report, ResourceChange, Suppressed
from prcheck.report import markdown


def change(key: str, lines: int) -> ResourceChange:
    text = f"--- base/{key}\n+++ head/{key}\n@@ -1,{lines} +1,{lines} @@\n" + "".join(
        f"-  k{i}: old\n+  k{i}: new\n" for i in range(lines))
    return ResourceChange(key, {}, {}, text)


def test_summary_layout() -> None:
    report = Report(
        findings=[Finding(rule="policy/no-latest", severity="error", message="image uses <latest> | tag",
                          path="base/deploy.yaml", line=12, env="prod", resource="Deployment/prod/web")],
        suppressed=[Suppressed(Finding(rule="x", severity="warning", message="m"), "inline")],
        diffs=[EnvDiff(env="prod", changed=[change("Deployment.apps/prod/web", 2)], unchanged=3),
               EnvDiff(env="staging", skipped=True)])
    body = markdown.render(report)
    assert body.startswith("## prcheck\n\n❌ **prcheck failed**: 1 error, 0 warnings, 0 info · 1 of 2 environments changed")
    assert "| `prod` | 0 | 1 | 0 | 0 | 3 | 🔴 1 |" in body
    assert "| `staging` | – | – | – | – | inputs unchanged, not rendered | — |" in body
    assert "`policy/no-latest` base/deploy.yaml:12 (`Deployment/prod/web`): image uses &lt;latest&gt; \\| tag" in body
    assert "<details><summary><b>prod</b>: 0 added, 1 changed, 0 removed</summary>" in body
    assert "```diff\n--- base/Deployment.apps/prod/web\n" in body
    assert "_Suppressed: 1 by inline (`x`)._" in body  # names the rules
    assert "Left out" not in body
    assert markdown.render(report, fail_on="never").startswith("## prcheck\n\n✅ **prcheck passed**")


def test_long_diff_is_cut_per_resource() -> None:
    report = Report(diffs=[EnvDiff(env="prod", changed=[change("ConfigMap/big", 500), change("ConfigMap/small", 1)])])
    body = markdown.render(report)
    assert "_Diff cut: " in body and "more lines of this resource not shown._" in body
    assert "ConfigMap/small" in body and "+  k0: new" in body


def test_size_cap_and_closing_line() -> None:
    diffs = [EnvDiff(env=f"env{i}", changed=[change(f"ConfigMap/c{j}", 60) for j in range(10)]) for i in range(20)]
    findings = [Finding(rule="r", severity="warning", message="m" * 100, path=f"f{i}.yaml", line=1)
                for i in range(300)]
    body = markdown.render(Report(findings=findings, diffs=diffs))
    assert len(body) < 60_000
    last = body.rstrip("\n").splitlines()[-1]
    assert last.startswith("_Left out to stay under the comment size limit: ")
    assert "resource diffs" in last
    assert body.count("<details>") == body.count("</details>")
    assert body.count("```diff") * 2 == body.count("```")


def test_backticks_in_a_diff_do_not_break_the_fence() -> None:
    body = markdown.render(Report(diffs=[EnvDiff(env="e", changed=[
        ResourceChange("ConfigMap/c", {}, {}, "--- a\n+++ b\n@@ -1 +1 @@\n-x: ```\n+x: ````\n")])]))
    assert "`````diff\n" in body
