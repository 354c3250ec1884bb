"""Kyverno CEL conformance: `validate.cel` ClusterPolicies and ValidatingPolicies.

Usage: python benchmarks/conformance_kyverno_cel.py [CORPUS_DIR] [--verbose]

CORPUS_DIR is the corpus root holding `kyverno-cel/cases.json` (or that
directory itself); or `$PRCHECK_CORPUS`. Scoring is the Kyverno corpus's: one
item per expected result; a ValidatingPolicy result has no rule. Prints
`matched/total`, the split per tier and per policy kind, the worst tests and
every mismatch grouped by cause. Measures, never asserts.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict

from conformance_kyverno import print_mismatches, score_case
from corpus import corpus_dir


def main(argv: list[str]) -> int:
    root = corpus_dir(argv, "kyverno-cel")
    verbose = "--verbose" in argv
    cases = json.loads((root / "cases.json").read_text())["cases"]
    total = matched = 0
    by_tier: dict[str, Counter] = defaultdict(Counter)
    by_kind: dict[str, Counter] = defaultdict(Counter)
    causes: dict[str, list[str]] = defaultdict(list)
    worst: list[tuple[int, int, str]] = []
    for case in cases:
        for item in case["expected"]:
            item["rule"] = item.get("rule") or ""  # ValidatingPolicy results name no rule
        scored, _ = score_case(root, case)
        kinds = " + ".join(sorted(set(case["policy_kinds"])))
        case_ok = 0
        for item, ok, why in scored:
            total += 1
            matched += ok
            case_ok += ok
            by_tier[case["tier"]]["ok" if ok else "miss"] += 1
            by_kind[kinds]["ok" if ok else "miss"] += 1
            if not ok:
                causes[why].append(f"{case['id']}: {item['rule'] or '-'} {item['kind']}/{item['resource']}")
        worst.append((len(scored) - case_ok, len(scored), case["id"]))
    print(f"kyverno CEL conformance: {matched}/{total} ({100 * matched / max(total, 1):.1f}%)")
    for title, table in (("by tier", by_tier), ("by policy kind", by_kind)):
        print(f"\n{title}:")
        for name, counts in sorted(table.items()):
            print(f"  {name:<52} {counts['ok']}/{counts['ok'] + counts['miss']}")
    print_mismatches(worst, causes, total - matched, verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
