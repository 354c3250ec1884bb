"""Score prcheck's schema verdicts against kubeconform's fixtures.

`python benchmarks/conformance_kubeconform.py [CORPUS_DIR]` (or the
`kubeconform` folder of the corpus directory in $PRCHECK_CORPUS). One item per (fixture, mode);
upstream-asserted and derived outcomes are reported apart. kubeconform has
no duplicate or lint checks, so only schema and parse verdicts are compared.
Each mismatch is printed with its cause; the deliberate differences
(docs/compat.md) are named as such.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from corpus import corpus_dir  # benchmarks/ is on sys.path when a script runs

from prcheck.pipeline import CheckOptions, run_check

ERROR_RULES = {"yaml/syntax", "yaml/tab-indentation", "yaml/duplicate-key", "k8s/missing-required-field",
               "k8s/non-mapping-document", "schema/unknown-api", "yaml/invalid-utf8", "yaml/binary-file"}


def outcome(findings) -> str:
    rules = {f.rule for f in findings}
    if rules & ERROR_RULES:
        return "error"
    if "schema/invalid" in rules:
        return "invalid"
    if "schema/missing" in rules:
        return "missing-schema"
    return "valid"


def cause(findings, expected: str, got: str) -> str:
    """Why prcheck's verdict differs: one of docs/compat.md's deliberate differences, or unexplained."""
    rules = {f.rule for f in findings}
    if got == "error" and "yaml/duplicate-key" in rules:
        return "deliberate (docs/compat.md): duplicate keys are always an error"
    if got == "error" and "schema/unknown-api" in rules and expected == "missing-schema":
        return "deliberate (docs/compat.md): an unknown kind in a built-in group is an error"
    if expected == "error" and got == "valid" and not rules:
        return "deliberate (docs/compat.md): YAML that is not a Kubernetes object is not validated"
    return "unexplained: " + (", ".join(sorted(rules)) or "no finding")


def main() -> None:
    root = corpus_dir(sys.argv[1:], "kubeconform")
    cases = json.loads((root / "cases.json").read_text())
    score: Counter[str] = Counter()
    total: Counter[str] = Counter()
    mismatches = []
    for fixture in cases["fixtures"]:
        path = root / fixture["file"]
        if fixture.get("role") != "manifest" or not path.exists():
            continue
        for mode in ("default", "strict"):
            expected = fixture[mode]["outcome"]
            source = "upstream" if fixture[mode]["source"].startswith("upstream") else "derived"
            opts = CheckOptions(paths=[str(path)], root=root, strict=mode == "strict", builtin=False)
            findings = run_check(opts, cwd=root).findings
            got = outcome(findings)
            total[source] += 1
            if got == expected:
                score[source] += 1
            else:
                mismatches.append((fixture["file"], mode, expected, got, cause(findings, expected, got)))
    for source in ("upstream", "derived"):
        print(f"{source:<9} {score[source]}/{total[source]}")
    print(f"{'all':<9} {sum(score.values())}/{sum(total.values())}")
    for file, mode, expected, got, why in mismatches:
        print(f"  mismatch {file} [{mode}]: expected {expected}, got {got} -- {why}")


if __name__ == "__main__":
    main()
