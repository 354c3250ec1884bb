"""prcheck side by side with kubeconform, on the same corpus, in one run.

    python benchmarks/vs_kubeconform.py --tools DIR [--counts 2000 20000] [--runs 5]
                                        [--reference SRC] [--only full,strict,pr,one]

`--tools` (or $PRCHECK_TOOLS) is a folder holding `kubeconform/kubeconform`
and `standalone_schemas.py` (kubeconform cannot resolve the bundled schemas'
`$ref`s offline, so standalone copies are written once into a temp folder).
Each scenario runs prcheck (A) and its anchor (B) alternately, A B A B ...,
after one warm-up each, and prints the median of the per-pair wall ratio with
its min-max, the CPU time (user+sys of the whole process tree, less sensitive
to a loaded machine than wall time) and the peak RSS of the largest process.

Findings are checked, not only timed:
- prcheck's `schema/invalid` count equals the resources kubeconform calls invalid;
- with `--reference SRC` (another prcheck source tree, e.g. the commit before a
  speed-up), the findings of every scenario must be identical to what that
  tree reports; the script stops if they are not;
- the PR scenario (`check --base HEAD~1` after a one-file commit) must report
  exactly the new findings a full run reports on the same change.

It prints figures and asserts only on findings, never on time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_bench import make_repo  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
KUBE = "1.32.0"


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mib: float
    out: str


# Linux carries a process's peak RSS across exec, so a child of this script (which holds
# 20 MB reports) would report this script's peak as its own. GNU time forks from a small
# process, so its figure is the command's.
GNU_TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Wall, CPU (user+sys incl. reaped children) and max RSS of one process tree, output to a file."""
    with tempfile.TemporaryFile("w+") as log, tempfile.NamedTemporaryFile("r") as rss:
        wrapped = [GNU_TIME, "-q", "-f", "%M", "-o", rss.name, *cmd] if GNU_TIME else cmd
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        out = log.read()
        peak_kib = next((int(line) for line in rss.read().split() if line.isdigit()), usage.ru_maxrss)
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out[-2000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, peak_kib / 1024, out)


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def make_git_repo(root: Path, count: int) -> None:
    make_repo(root, count)
    git(root, "init", "-q")
    git(root, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "add", "-A")
    git(root, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm", "corpus")


def one_file_change(root: Path) -> str:
    """A realistic one-file PR: a new image tag (pinned to latest) and a quoted replica count."""
    path = "apps/team-0/bundle-0.yaml"
    text = (root / path).read_text()
    text = text.replace("image: ghcr.io/example/app-0:1.0.0", "image: ghcr.io/example/app-0:latest", 1)
    text = text.replace("replicas: 2\n", 'replicas: "3"\n', 1)
    (root / path).write_text(text)
    git(root, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qam", "one file")
    return path


def prcheck_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "prcheck", "check", *args, "--fail-on", "never", "--format", "json"]


def env_for(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src), "NO_COLOR": "1"}


def findings_of(run: Run) -> list[tuple]:
    report = json.loads(run.out)
    return sorted((f["rule"], f["severity"], f["path"], f["line"], f["resource"], f["message"])
                  for f in report["findings"])


def counts(found: list[tuple]) -> str:
    sev: dict[str, int] = {}
    for f in found:
        sev[f[1]] = sev.get(f[1], 0) + 1
    invalid = sum(1 for f in found if f[0] == "schema/invalid")
    return f"{len(found)} findings ({', '.join(f'{k} {v}' for k, v in sorted(sev.items()))}; schema/invalid {invalid})"


def kubeconform_invalid(out: str) -> int:
    match = re.search(r"Invalid: (\d+)", out)
    if match is None or "could not find schema" in out:
        sys.exit(f"kubeconform did not validate:\n{out[-1000:]}")
    return int(match.group(1))


def pairs(a: Callable[[], Run], b: Callable[[], Run], runs: int) -> tuple[list[Run], list[Run]]:
    a(), b()  # warm-up: page cache, .pyc
    ra: list[Run] = []
    rb: list[Run] = []
    for _ in range(runs):
        ra.append(a())
        rb.append(b())
    return ra, rb


def span(values: list[float], fmt: str = "{:.3f}") -> str:
    return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}-{fmt.format(max(values))}]"


def report(name: str, label_a: str, label_b: str, ra: list[Run], rb: list[Run]) -> None:
    ratios = [x.wall / y.wall for x, y in zip(ra, rb)]
    cpu_ratios = [x.cpu / y.cpu for x, y in zip(ra, rb) if y.cpu]
    load = os.getloadavg()[0]
    print(f"\n## {name}  (n={len(ra)} pairs, 1-min load {load:.1f})")
    print(f"  A  {label_a}")
    print(f"  B  {label_b}")
    print(f"  wall s   A {span([r.wall for r in ra])}   B {span([r.wall for r in rb])}")
    print(f"  CPU s    A {span([r.cpu for r in ra])}   B {span([r.cpu for r in rb])}")
    print(f"  peak MiB A {span([r.rss_mib for r in ra], '{:.0f}')}   B {span([r.rss_mib for r in rb], '{:.0f}')}")
    print(f"  A/B wall {span(ratios, '{:.2f}')}   A/B CPU {span(cpu_ratios, '{:.2f}')}")


def same_findings(label: str, mine: list[tuple], reference_run: Run | None) -> None:
    if reference_run is None:
        return
    theirs = findings_of(reference_run)
    if mine != theirs:
        only_mine = [f for f in mine if f not in set(theirs)][:5]
        only_theirs = [f for f in theirs if f not in set(mine)][:5]
        sys.exit(f"{label}: findings differ from the reference\n  only here: {only_mine}\n  only there: {only_theirs}")
    print(f"  findings identical to the reference: {counts(theirs)}")


def schemas_for(tools: Path, cache: Path) -> str:
    target = cache / "schemas"
    if not (target / f"v{KUBE}-standalone").is_dir():
        import kubernetes_validate

        src = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
        subprocess.run([sys.executable, str(tools / "standalone_schemas.py"), str(src), str(target), f"v{KUBE}"],
                       check=True, capture_output=True)
    return str(target) + "/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"


def prepare(tree: Path) -> bool:
    """Compile `tree`'s modules and build its C loader in place; whether the loader imports."""
    if (tree / "hatch_build.py").is_file():
        subprocess.run([sys.executable, "hatch_build.py"], cwd=tree, check=False, capture_output=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "prcheck")], check=False, capture_output=True)
    probe = subprocess.run([sys.executable, "-c", "import prcheck.sources._fastyaml"], env=env_for(tree), cwd=tree,
                           capture_output=True)
    return probe.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tools", default=os.environ.get("PRCHECK_TOOLS"), help="folder with kubeconform/ and standalone_schemas.py")
    parser.add_argument("--counts", nargs="*", type=int, default=[2000, 20000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reference", type=Path, help="another prcheck source tree whose findings must be identical")
    parser.add_argument("--only", default="full,strict,pr,one", help="comma-separated scenarios")
    parser.add_argument("--keep", type=Path, help="build the corpora here and keep them")
    args = parser.parse_args()
    if not args.tools:
        sys.exit("give --tools DIR (or $PRCHECK_TOOLS): kubeconform is the anchor of every figure here")
    tools = Path(args.tools)
    kubeconform = str(tools / "kubeconform" / "kubeconform")
    only = set(args.only.split(","))
    work = args.keep or Path(tempfile.mkdtemp(prefix="prcheck-bench-"))
    location = schemas_for(tools, work)
    me = env_for(REPO)
    ref = env_for(args.reference.resolve()) if args.reference else None
    # as a wheel install would be: without .pyc every run compiles prcheck again, and the
    # C YAML loader is built (a source tree nobody built it in would measure the slow path)
    loader = {tree: prepare(tree) for tree in (REPO, args.reference and args.reference.resolve()) if tree}
    print(f"prcheck {REPO}  reference {args.reference or '-'}  cores {os.cpu_count()}  load {os.getloadavg()}")
    print("  C YAML loader: " + ", ".join(f"{tree} {'built' if built else 'NOT built'}" for tree, built in loader.items()))
    try:
        for count in args.counts:
            root = work / f"corpus-{count}"
            if not root.exists():
                root.mkdir(parents=True)
                make_git_repo(root, count)

            def kc(*flags: str) -> Callable[[], Run]:
                return lambda: timed([kubeconform, "-summary", "-kubernetes-version", KUBE, "-schema-location", location,
                                      *flags, "."], root)

            def pc(*flags: str, env: dict[str, str] = me) -> Callable[[], Run]:
                return lambda: timed(prcheck_cmd(".", *flags), root, env)

            print(f"\n# {count:,} resources ({root})")
            if "full" in only:
                ra, rb = pairs(pc(), kc(), args.runs)
                report(f"{count}: whole repository, built-in pack", "prcheck check .", "kubeconform .", ra, rb)
                mine = findings_of(ra[0])
                print(f"  {counts(mine)}; kubeconform invalid {kubeconform_invalid(rb[0].out)}")
                assert sum(1 for f in mine if f[0] == "schema/invalid") == kubeconform_invalid(rb[0].out)
                serial = pc("-j", "1")()
                assert findings_of(serial) == mine, "one process and the worker pool must find the same"
                print(f"  -j 1 finds the same ({serial.wall:.2f} s wall, {serial.cpu:.2f} s CPU, {serial.rss_mib:.0f} MiB)")
                same_findings("full", mine, pc(env=ref)() if ref else None)
            if "strict" in only:
                ra, rb = pairs(pc("--strict"), kc("-strict"), args.runs)
                report(f"{count}: --strict", "prcheck check . --strict", "kubeconform -strict .", ra, rb)
                mine = findings_of(ra[0])
                print(f"  {counts(mine)}; kubeconform invalid {kubeconform_invalid(rb[0].out)}")
                same_findings("strict", mine, pc("--strict", env=ref)() if ref else None)
            if "one" in only:
                one = "apps/team-0/bundle-0.yaml"
                ra, rb = pairs(lambda: timed(prcheck_cmd(one), root, me),
                               lambda: timed([kubeconform, "-summary", "-kubernetes-version", KUBE, "-schema-location",
                                              location, one], root), args.runs)
                report(f"{count}: one file (pre-commit)", f"prcheck check {one}", f"kubeconform {one}", ra, rb)
                same_findings("one", findings_of(ra[0]), timed(prcheck_cmd(one), root, ref) if ref else None)
            if "pr" in only:
                pr_root = work / f"corpus-{count}-pr"
                if not pr_root.exists():
                    shutil.copytree(root, pr_root, symlinks=True)
                    one_file_change(pr_root)
                base = ("--base", "HEAD~1")
                ra, rb = pairs(lambda: timed(prcheck_cmd(".", *base), pr_root, me),
                               lambda: timed(prcheck_cmd(".", *base, "--no-render"), pr_root, me), args.runs)
                report(f"{count}: one-file PR", "prcheck check --base HEAD~1", "prcheck check --base HEAD~1 --no-render", ra, rb)
                mine = findings_of(ra[0])
                print(f"  {counts(mine)}")
                assert mine == findings_of(rb[0]), "--no-render must keep the change filter"
                # the same change judged by a run over every file, filtered to new findings
                full = timed([*prcheck_cmd(".", *base), "--all-files"], pr_root, me)
                assert mine == findings_of(full), f"PR run differs from the full run: {mine} vs {findings_of(full)}"
                print(f"  identical to the full run over every file ({full.wall:.2f} s)")
                if ref:
                    same_findings("pr", mine, timed(prcheck_cmd(".", *base), pr_root, ref))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
