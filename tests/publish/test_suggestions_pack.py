"""Suggestions for the built-in pack's rules, on the pack's real findings:
each fix is offered where the finding points, and applying them makes the
findings go away (a suggestion that does not fix is worse than none)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from prcheck.model import Finding
from prcheck.publish.suggestions import DEFAULT_SUGGESTERS, suggestion_for

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:latest
          imagePullPolicy: IfNotPresent
          securityContext:
            privileged: true
            allowPrivilegeEscalation: true
            readOnlyRootFilesystem: false
        - name: side
          image: busybox:1.36
"""
WORKFLOW = """\
name: ci
on: push
permissions: {contents: read}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4.2.2 # 11bd71901bbe5b1630ceea73d27597364c9af683
      - uses: actions/cache@v4.2.3
      - uses: actions/cache@5a3ec84eff668545956fd18022155c47e93e2684 # v4.2.3
      - uses: actions/setup-python@v5
"""
FIXABLE = set(DEFAULT_SUGGESTERS)


def check(root: Path) -> list[Finding]:
    done = subprocess.run([sys.executable, "-m", "prcheck", "check", "--format", "json", "--fail-on", "never", "."],
                          cwd=root, capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(ROOT),
                                                                                         "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    fields = set(Finding.__dataclass_fields__)
    return [Finding(**{k: v for k, v in f.items() if k in fields}) for f in json.loads(done.stdout)["findings"]]


def test_the_pack_s_fixable_findings_get_fixes_that_fix_them(tmp_path: Path):
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT)
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / ".github/workflows/ci.yml").write_text(WORKFLOW)
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    before = check(tmp_path)
    fixable = [f for f in before if f.rule in FIXABLE]
    suggested = [(f, suggestion_for(f, tmp_path)) for f in fixable]
    assert {f.rule for f, fix in suggested if fix is not None} == FIXABLE  # every fixable rule fired
    by_line = {(f.path, f.line): fix for f, fix in suggested}
    assert by_line[(".github/workflows/ci.yml", 8)] == \
        "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2"
    assert by_line[(".github/workflows/ci.yml", 9)] == \
        "      - uses: actions/cache@5a3ec84eff668545956fd18022155c47e93e2684 # v4.2.3"
    assert by_line[(".github/workflows/ci.yml", 11)] is None  # v5's SHA is not in the file: no guess

    # A reviewer applies one suggestion per line (two on one line would both add a securityContext).
    applied: dict[tuple[str, int], tuple[Finding, str]] = {}
    for finding, fix in suggested:
        if fix is not None:
            applied.setdefault((finding.path, finding.line), (finding, fix))
    for path in {p for p, _ in applied}:
        lines = (tmp_path / path).read_text().split("\n")
        for (where, line), (_, fix) in sorted(applied.items(), key=lambda item: -item[0][1]):
            if where == path:
                lines[line - 1 : line] = fix.split("\n")
        (tmp_path / path).write_text("\n".join(lines))
    after = {(f.rule, f.resource, f.message) for f in check(tmp_path)}
    fixed = {(f.rule, f.resource, f.message) for f, _ in applied.values()}
    assert len(fixed) >= 7 and not fixed & after, sorted(fixed & after)


def test_no_run_as_non_root_next_to_a_root_user(tmp_path: Path):
    text = DEPLOYMENT.replace("            privileged: true\n", "            privileged: true\n            runAsUser: 0\n")
    finding = Finding(rule="k8s/run-as-root", severity="warning", message="m", path="d.yaml", line=17)
    (tmp_path / "d.yaml").write_text(text)
    assert suggestion_for(finding, tmp_path) is None
    (tmp_path / "d.yaml").write_text(DEPLOYMENT)
    assert suggestion_for(finding, tmp_path) == "          securityContext:\n            runAsNonRoot: true"
