"""Kyverno conformance: run the upstream `kyverno-test.yaml` corpus and score it.

Usage: python benchmarks/conformance_kyverno.py [CORPUS_DIR] [--verbose]

CORPUS_DIR is the corpus root holding `kyverno/cases.json` (or the `kyverno`
directory itself); or `$PRCHECK_CORPUS`. One item is scored per expected result in
`cases.json`; a test that cannot be loaded or crashes fails all its items.
Prints `matched/total`, the split per tier and per expected outcome, the
worst tests, and every mismatch grouped by cause. Exit status is 0 whatever
the score: this script measures, it does not assert.
"""

from __future__ import annotations

import json
import re
import sys
import traceback
from collections import Counter, defaultdict
from pathlib import Path

from corpus import corpus_dir  # benchmarks/ is on sys.path when a script runs

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from prcheck.checks.policy.kyverno.testrunner import Row, run_test_file


def cause(expected: str, actual: str, message: str) -> str:
    """A short, resource-independent description of why an item mismatched."""
    got = actual or "not found"
    text = re.sub(r"'[^']*'", "'…'", message)
    text = re.sub(r"/[\w./-]*/", "/…/", text)
    text = re.sub(r"\s+", " ", text)[:110]
    return f"want {expected}, got {got}" + (f": {text}" if actual in ("error", "skip", "") and text else "")


def score_case(root: Path, case: dict) -> "tuple[list[tuple[dict, bool, str]], str]":
    """(expected item, matched, cause) for every expected result of one case."""
    try:
        report = run_test_file(root / case["test_file"])
    except Exception as exc:  # a crash fails the whole test, it must not stop the run
        detail = f"crash: {type(exc).__name__}: {exc}"
        traceback.print_exc(file=sys.stderr)
        return [(item, False, detail) for item in case["expected"]], detail
    if report.error:
        detail = f"load error: {report.error}"
        return [(item, False, detail) for item in case["expected"]], detail
    rows: dict[tuple[str, str, str, str], Row] = {}
    for row in report.rows:
        rows.setdefault((row.policy, row.rule, row.kind, row.resource), row)
    scored = []
    for item in case["expected"]:
        row = rows.get((item["policy"], item["rule"], item["kind"], item["resource"]))
        if row is None:
            scored.append((item, False, "expected result missing from the test run"))
            continue
        matched = row.expected == item["result"] and row.ok
        scored.append((item, matched, "" if matched else cause(item["result"], row.actual, row.message)))
    return scored, ""


def main(argv: list[str]) -> int:
    root = corpus_dir(argv, "kyverno")
    verbose = "--verbose" in argv
    cases = json.loads((root / "cases.json").read_text())["cases"]
    total = matched = 0
    by_tier: dict[str, Counter] = defaultdict(Counter)
    by_outcome: dict[str, Counter] = defaultdict(Counter)
    causes: dict[str, list[str]] = defaultdict(list)
    worst: list[tuple[int, int, str]] = []
    for case in cases:
        scored, _ = score_case(root, case)
        case_ok = 0
        for item, ok, why in scored:
            total += 1
            matched += ok
            case_ok += ok
            by_tier[case["tier"]]["ok" if ok else "miss"] += 1
            by_outcome[item["result"]]["ok" if ok else "miss"] += 1
            if not ok:
                ref = f"{case['id']}: {item['rule']} {item['kind']}/{item['resource']}"
                causes[why].append(ref)
        worst.append((len(scored) - case_ok, len(scored), case["id"]))

    print(f"kyverno conformance: {matched}/{total} ({100 * matched / max(total, 1):.1f}%)")
    print("\nby tier:")
    for tier, counts in sorted(by_tier.items()):
        n = counts["ok"] + counts["miss"]
        print(f"  {tier:<34} {counts['ok']}/{n}")
    print("\nby expected outcome:")
    for outcome, counts in sorted(by_outcome.items()):
        n = counts["ok"] + counts["miss"]
        print(f"  {outcome:<6} {counts['ok']}/{n}")
    print_mismatches(worst, causes, total - matched, verbose)
    return 0


def print_mismatches(worst: list[tuple[int, int, str]], causes: dict[str, list[str]], missed: int,
                     verbose: bool) -> None:
    """The ten worst tests and every mismatch grouped by cause (five examples each unless verbose)."""
    failing = sorted((w for w in worst if w[0]), reverse=True)[:10]
    if failing:
        print("\nworst tests:")
        for count, n, case_id in failing:
            print(f"  {case_id}: {count}/{n} mismatched")
    if causes:
        print(f"\nmismatches by cause ({missed}):")
        for why, refs in sorted(causes.items(), key=lambda kv: -len(kv[1])):
            print(f"  [{len(refs)}] {why}")
            for ref in refs if verbose else refs[:5]:
                print(f"      {ref}")
            if not verbose and len(refs) > 5:
                print(f"      ... {len(refs) - 5} more")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
