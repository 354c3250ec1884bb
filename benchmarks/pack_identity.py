"""The built-in pack's findings, this tree against a reference tree, on documents users mistype.

    python benchmarks/pack_identity.py --reference SRC [--corpus DIR ...]

Every document of the pack's fixtures (the reference tree's testdata) is
mutated: each value in it (mappings, lists and scalars) becomes null, a
string, 7, 0, true, false, a float, an empty list, an empty mapping, a list
of lists and a mapping with a digit key, in turn. Both trees evaluate every variant with
their own pack (same YAML text, so lines are compared too), and the script
prints how many documents and findings it compared and stops at the first
difference in (rule, severity, path, line, resource, message). `--corpus`
adds every YAML file under DIR unchanged (e.g. the benchmark corpora).

Documents on which the reference reports builtin/evaluation-error (its Rego
gave up on the whole document, e.g. `sprintf("%d")` of a float) are counted
and listed apart: there the two trees may differ on purpose.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ODD = [None, "x", 7, 0, True, False, 80.5, [], {}, [["a"]], {"0": "a"}]
ERROR = "builtin/evaluation-error"


def _paths(node, path=()):
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in children:
        yield path + (key,)
        yield from _paths(value, path + (key,))


def variants(fixtures: Path) -> list[dict]:
    """{"path", "kind", "text"} for every fixture document and each of its mutations."""
    out: list[dict] = []
    for file in sorted(fixtures.rglob("testdata/*.y*ml")):
        text = file.read_text(encoding="utf-8")
        kind = next((p.split("=", 1)[1] for p in text.splitlines()[0].split() if p.startswith("kind=")), "kubernetes")
        out.append({"path": str(file.name), "kind": kind, "text": text})
        for index, doc in enumerate(d for d in yaml.safe_load_all(text) if isinstance(d, dict)):
            for keypath in _paths(doc):
                for value in ODD:
                    obj = copy.deepcopy(doc)
                    target = obj
                    for key in keypath[:-1]:
                        target = target[key]
                    target[keypath[-1]] = value
                    out.append({"path": f"{file.name}#{index}:{'.'.join(map(str, keypath))}={value!r}",
                                "kind": kind, "text": yaml.safe_dump(obj, sort_keys=False)})
    return out


def emit(cases: Path) -> None:
    """Child mode, run inside one tree: the pack's findings for every case, as JSON lines."""
    from prcheck.checks.policy.builtin import BuiltinEngine
    from prcheck.sources.yaml_loader import load_text

    engine = BuiltinEngine()
    for case in json.loads(cases.read_text(encoding="utf-8")):
        docs = [d for d in load_text(case["text"], case["path"], case["kind"]).docs if d.obj is not None]
        found = sorted((f.rule, f.severity, f.path, f.line, f.resource, f.message) for f in engine.evaluate(docs).findings)
        print(json.dumps(found))


def run(tree: Path, cases: Path) -> list[list]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, __file__, "--emit", str(cases)], env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"{tree}: {out.stderr[-2000:]}")
    return [json.loads(line) for line in out.stdout.splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", type=Path, help="prcheck source tree to compare with")
    parser.add_argument("--corpus", type=Path, action="append", default=[], help="also every YAML file under DIR")
    parser.add_argument("--emit", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.emit:
        return emit(args.emit)
    if not args.reference:
        sys.exit("give --reference SRC")
    here = Path(__file__).resolve().parent.parent
    cases = variants(args.reference / "policies")
    for corpus in args.corpus:
        cases += [{"path": str(p.relative_to(corpus)), "kind": "kubernetes", "text": p.read_text(encoding="utf-8")}
                  for p in sorted(corpus.rglob("*.yaml")) if ".git" not in p.parts]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(cases, handle)
    try:
        mine, theirs = run(here, Path(handle.name)), run(args.reference, Path(handle.name))
    finally:
        os.unlink(handle.name)
    compared = findings = 0
    apart: list[str] = []
    for case, a, b in zip(cases, mine, theirs):
        if any(f[0] == ERROR for f in b):
            apart.append(f"{case['path']}: reference {[f[5][:90] for f in b if f[0] == ERROR][0]}; here {len(a)} findings")
            continue
        if a != b:
            only_a = [f for f in a if f not in b][:3]
            only_b = [f for f in b if f not in a][:3]
            sys.exit(f"{case['path']} differs\n  only here: {only_a}\n  only in reference: {only_b}\n{case['text'][:1500]}")
        compared += 1
        findings += len(a)
    print(f"{compared} documents, {findings} findings identical to {args.reference}")
    print(f"{len(apart)} documents the reference could not evaluate (compared apart):")
    for line in apart[:20]:
        print("  " + line)


if __name__ == "__main__":
    main()
