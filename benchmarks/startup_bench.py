"""The small runs: one file (pre-commit), a one-file pull request, and peak memory of a whole run.

    python benchmarks/startup_bench.py [--count 20000] [--runs 5] [--reference SRC] [--tools DIR]
                                       [--only one,pr,rss] [--keep DIR]

Scenarios, on the synthetic corpus of `check_bench.py` (a git repository):
- `one`: `prcheck check apps/team-0/bundle-0.yaml`, what a pre-commit hook runs;
  beside `kubeconform` on the same file when `--tools` (or $PRCHECK_TOOLS) names the
  folder holding it (see vs_kubeconform.py);
- `pr`: `prcheck check --base HEAD~1` after a one-file commit; its findings must equal
  those of the same run over every file (`--all-files`);
- `rss`: `prcheck check .`, the peak RSS of the largest process (the parent, which
  holds every worker's results).

With `--reference SRC` (another prcheck source tree, e.g. main before a change) every
scenario runs both trees alternately, A B A B ..., and stops unless both report
identical findings; the figures to trust on a loaded machine are the CPU times.
Only a digest of each run's findings is kept: a child's peak RSS counts the pages it
shares with this script until it starts prcheck, so this script must stay small.
It prints figures and asserts only on findings, never on time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vs_kubeconform import (KUBE, Run, counts, env_for, findings_of, make_git_repo, one_file_change,  # noqa: E402
                            pairs, prcheck_cmd, report, schemas_for, timed)

REPO = Path(__file__).resolve().parent.parent
ONE = "apps/team-0/bundle-0.yaml"


# A child's peak RSS counts this script's pages until it starts prcheck (fork, then exec),
# and this script grows when it reads 20 MB reports: the `rss` scenario starts prcheck
# from a small launcher (`python -S`, no imports) and reads the peak the launcher saw.
_LAUNCH = ("import os, sys; pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ); "
           "_, status, usage = os.wait4(pid, 0); open(sys.argv[1], 'w').write(str(usage.ru_maxrss)); "
           "sys.exit(os.waitstatus_to_exitcode(status))")


def lean(cmd: list[str], cwd: Path, env: dict, launcher: bool = False) -> Run:
    """`timed`, keeping a digest of the findings instead of the output."""
    if launcher:
        with tempfile.NamedTemporaryFile("r") as peak:
            run = timed([sys.executable, "-S", "-c", _LAUNCH, peak.name, *cmd], cwd, env)
            run.rss_mib = int(Path(peak.name).read_text()) / 1024
    else:
        run = timed(cmd, cwd, env)
    found = findings_of(run)
    digest = hashlib.sha256(repr(found).encode()).hexdigest()
    run.out = json.dumps({"digest": digest, "counts": counts(found), "sample": found[:5]})
    return run


def compare(name: str, cmd: list[str], cwd: Path, me: dict, ref: dict | None, runs: int,
            launcher: bool = False) -> str:
    """This tree against the reference tree (or alone), findings asserted identical."""
    a: Callable[[], Run] = lambda: lean(cmd, cwd, me, launcher)
    if ref is None:
        a()  # warm-up
        ra = [a() for _ in range(runs)]
        report(name, " ".join(cmd[2:]), "(no reference: A again)", ra, ra)
        return ra[0].out
    ra, rb = pairs(a, lambda: lean(cmd, cwd, ref, launcher), runs)
    report(name, "this tree: " + " ".join(cmd[2:]), "reference tree", ra, rb)
    if len({r.out for r in ra + rb}) != 1:
        sys.exit(f"{name}: findings differ between runs or trees: {sorted({r.out for r in ra + rb})}")
    print(f"  findings identical in every pair: {json.loads(ra[0].out)['counts']}")
    return ra[0].out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reference", type=Path, help="another prcheck source tree whose findings must be identical")
    parser.add_argument("--tools", default=os.environ.get("PRCHECK_TOOLS"), help="folder with kubeconform/")
    parser.add_argument("--only", default="one,pr,rss")
    parser.add_argument("--keep", type=Path, help="build the corpora here and keep them")
    args = parser.parse_args()
    only = set(args.only.split(","))
    work = args.keep or Path(tempfile.mkdtemp(prefix="prcheck-startup-"))
    me = env_for(REPO)
    ref = env_for(args.reference.resolve()) if args.reference else None
    for tree in [REPO, *([args.reference] if args.reference else [])]:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(tree) / "prcheck")], check=False,
                       capture_output=True)
    print(f"prcheck {REPO}  reference {args.reference or '-'}  cores {os.cpu_count()}  load {os.getloadavg()}")
    try:
        root = work / f"corpus-{args.count}"
        if not root.exists():
            root.mkdir(parents=True)
            make_git_repo(root, args.count)
        print(f"\n# {args.count:,} resources ({root})")
        if "one" in only:
            compare(f"one file (pre-commit): {ONE}", prcheck_cmd(ONE), root, me, ref, args.runs)
            if args.tools:
                kubeconform = str(Path(args.tools) / "kubeconform" / "kubeconform")
                location = schemas_for(Path(args.tools), work)
                ra, rb = pairs(lambda: timed(prcheck_cmd(ONE), root, me),
                               lambda: timed([kubeconform, "-summary", "-kubernetes-version", KUBE,
                                              "-schema-location", location, ONE], root), args.runs)
                report("one file beside kubeconform", f"prcheck check {ONE}", f"kubeconform {ONE}", ra, rb)
        if "pr" in only:
            pr_root = work / f"corpus-{args.count}-pr"
            if not pr_root.exists():
                shutil.copytree(root, pr_root, symlinks=True)
                one_file_change(pr_root)
            cmd = prcheck_cmd(".", "--base", "HEAD~1")
            found = compare("one-file PR: check --base HEAD~1", cmd, pr_root, me, ref, args.runs)
            full = lean([*cmd, "--all-files"], pr_root, me)
            if found != full.out:
                sys.exit(f"PR run differs from the run over every file: {found} vs {full.out}")
            print(f"  identical to the same change checked over every file ({full.wall:.2f} s, {full.cpu:.2f} s CPU)")
        if "rss" in only:
            compare("whole repository: peak RSS", prcheck_cmd("."), root, me, ref, max(1, args.runs // 2), launcher=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
