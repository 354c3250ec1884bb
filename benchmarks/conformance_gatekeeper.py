"""Gatekeeper conformance: run the gatekeeper-library gator suites and score them.

Usage: python benchmarks/conformance_gatekeeper.py [CORPUS_DIR] [--verbose] [--cel]

With `--cel` the `gatekeeper-cel` corpus is scored with the K8sNativeValidation
code only (`--gatekeeper-engine cel`: a template without CEL fails to compile,
nothing falls back to Rego), as upstream's `gator verify
--enable-k8s-native-validation` CI does.

CORPUS_DIR is the corpus root holding `gatekeeper/cases.json` (or the
`gatekeeper` directory itself); or `$PRCHECK_CORPUS`. One item is scored per
case of `cases.json`: it matches when all its assertions hold, as
`gator verify` decides. Also printed: the split per kind of case, the simpler
"disallowed has a violation, allowed has none" score, the templates that are
not perfect, and every mismatch grouped by cause. Exit status is 0 whatever the
score: this script measures, it does not assert.
"""

from __future__ import annotations

import json
import re
import sys
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path

from corpus import corpus_dir  # benchmarks/ is on sys.path when a script runs

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from prcheck.checks.policy.gatekeeper.verify import Outcome, Verifier  # noqa: E402


def kinds_of(case: dict) -> list[str]:
    kinds = ["admission review" if case.get("admission_review") else "plain object"]
    if case.get("inventory"):
        kinds.append("inventory")
    if any(a.get("message") is not None for a in case.get("assertions") or []):
        kinds.append("message assertion")
    return kinds


def cause(outcome: Outcome | None) -> str:
    """A short, object-independent description of why a case mismatched."""
    if outcome is None:
        return "case not run"
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", outcome.detail)
    text = re.sub(r"\s+", " ", text)[:140]
    return f"{outcome.status}: {text}"


def run_template(root: Path, entry: dict, engine: str = "auto") -> dict[tuple[str, str], Outcome]:
    """Outcomes of one template directory's suite, by (test, case)."""
    verifier = Verifier(engine=engine)
    suite = root / entry["suite"]
    try:
        outcomes = verifier.run_suite(suite, entry["id"])
    except Exception as exc:  # a crash fails the template's cases; it must not stop the run
        traceback.print_exc(file=sys.stderr)
        crash = Outcome(entry["id"], "", "", "error", f"crash: {type(exc).__name__}: {exc}")
        return {(t["name"], c["name"]): crash for t in entry["tests"] for c in t["cases"]}
    by_case: dict[tuple[str, str], Outcome] = {}
    for outcome in outcomes:
        if outcome.case:
            by_case[(outcome.test, outcome.case)] = outcome
        else:  # the whole test could not run: every case of it fails with the same reason
            for test in entry["tests"]:
                if test["name"] == outcome.test:
                    by_case.update({(test["name"], c["name"]): outcome for c in test["cases"]})
    return by_case


def main(argv: list[str]) -> int:
    engine = "cel" if "--cel" in argv else "auto"
    root = corpus_dir(argv, "gatekeeper-cel" if engine == "cel" else "gatekeeper")
    verbose = "--verbose" in argv
    cases = json.loads((root / "cases.json").read_text(encoding="utf-8"))["cases"]
    total = matched = simple = 0
    by_kind: dict[str, Counter] = defaultdict(Counter)
    by_expect: dict[str, Counter] = defaultdict(Counter)
    per_template: dict[str, Counter] = defaultdict(Counter)
    causes: dict[str, list[str]] = defaultdict(list)
    started = time.perf_counter()
    for entry in cases:
        outcomes = run_template(root, entry, engine)
        for test in entry["tests"]:
            for case in test["cases"]:
                outcome = outcomes.get((test["name"], case["name"]))
                ok = outcome is not None and outcome.status == "pass"
                violated = bool(outcome and outcome.messages)
                simple_ok = outcome is not None and outcome.status != "error" and \
                    violated == (case["expect"] == "disallowed")
                total += 1
                matched += ok
                simple += simple_ok
                for kind in kinds_of(case):
                    by_kind[kind].update(total=1, matched=int(ok))
                by_expect[case["expect"]].update(total=1, matched=int(ok))
                per_template[entry["id"]].update(total=1, matched=int(ok))
                if not ok:
                    causes[cause(outcome)].append(f"{entry['id']} {test['name']}/{case['name']}")
                if verbose and outcome is not None:
                    print(f"{'ok ' if ok else 'BAD'} {entry['id']} {test['name']}/{case['name']} "
                          f"violations={len(outcome.messages)} {outcome.detail}")
    elapsed = time.perf_counter() - started

    print(f"gatekeeper conformance ({root}, engine {engine})")
    print(f"  matched: {matched}/{total} ({100.0 * matched / max(total, 1):.1f}%) in {elapsed:.2f}s")
    print(f"  simple score (disallowed has a violation, allowed has none): {simple}/{total}")
    for label, table in (("by kind of case", by_kind), ("by expected outcome", by_expect)):
        print(f"  {label}:")
        for key, counts in sorted(table.items()):
            print(f"    {key:<20} {counts['matched']}/{counts['total']}")
    imperfect = {t: c for t, c in per_template.items() if c["matched"] != c["total"]}
    print(f"  templates: {len(per_template) - len(imperfect)}/{len(per_template)} with every case matched")
    for template, counts in sorted(imperfect.items()):
        print(f"    {template:<55} {counts['matched']}/{counts['total']}")
    print(f"  mismatches by cause: {sum(len(v) for v in causes.values())}")
    for reason, items in sorted(causes.items(), key=lambda kv: -len(kv[1])):
        print(f"    [{len(items)}] {reason}")
        for item in items:
            print(f"        {item}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
