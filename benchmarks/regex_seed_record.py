"""Record the patterns representative runs hand `re`, into `prcheck/regex_seed_patterns.txt`.

    python benchmarks/regex_seed_record.py CORPUS [--check]

CORPUS is a generated corpus folder holding a git repository (see `corpus.py`); the runs
work on a scratch copy of it: a one-file check in every output format, a file that takes the
general YAML path (PyYAML), a file of secret-looking values, the whole repository, and
`--base HEAD~1` after a one-file change. Every pattern a run asks `re` for (hit or miss,
with the module asking) is kept: the list is what the build compiles into the seed
(`prcheck/regex_seed.py`). It prints, per run, how many patterns `re` had to compile
because the seed did not have them; with `--check` it only prints (run it after
`python hatch_build.py`, so the seed is current).
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIST = ROOT / "prcheck" / "regex_seed_patterns.txt"
ONE = "apps/team-0/bundle-0.yaml"
FORMATS = ("text", "json", "sarif", "junit", "codequality", "markdown")
# a document with an anchor, an alias and a merge key: loaded on the general path
GENERAL = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: general
  labels: &labels {app: general}
data:
  base: &base {a: "1"}
  merged:
    <<: *base
    b: "2"
---
apiVersion: v1
kind: Service
metadata: {name: general, labels: *labels}
spec: {selector: *labels, ports: [{port: 80}]}
"""
# secret-looking values: the secrets check and the report's masking build what only such texts need
SECRETS = """\
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData:
  password: Correct-Horse-Battery-9
  url: postgres://admin:S3cr3tP4ss@db.example:5432/app
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data:
  API_TOKEN: """ + "ghp_" + "R7mK2pQ9xT4vB8nL3wZ6yH1cF5dJ0sA2gE9u" + """
  endpoint: https://example.com/hook?api_key=0123456789abcdef0123
  key.pem: "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----"
"""

# Runs `prcheck ARGS` and writes every (pattern, flags) `re._compile` is asked for to OUT:
# whether it was already cached, and the first module outside `re` that asked.
HOOK = """
import atexit, re, runpy, sys
out, sys.argv = sys.argv[1], ["prcheck", *sys.argv[2:]]
asked, compile_ = {}, re._compile
def origin(frame):
    while frame.f_globals.get("__name__") in ("re", "functools", "fnmatch"):
        frame = frame.f_back
    return frame.f_globals.get("__name__", "?")
def recording(pattern, flags):
    value = flags.value if isinstance(flags, re.RegexFlag) else flags
    key = (pattern, value)
    if type(pattern) in (str, bytes) and not value & re.DEBUG and key not in asked:
        asked[key] = ((type(pattern), pattern, value) in re._cache, origin(sys._getframe(1)))
    return compile_(pattern, flags)
re._compile = recording
atexit.register(lambda: open(out, "w", encoding="utf-8").write(ascii(asked)))
runpy.run_module("prcheck", run_name="__main__", alter_sys=True)
"""


def record(tree: Path, args: list[str]) -> dict[tuple, tuple[bool, str]]:
    with tempfile.NamedTemporaryFile("r", suffix=".txt", encoding="utf-8") as out:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
        subprocess.run([sys.executable, "-c", HOOK, out.name, *args], cwd=tree, env=env, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return ast.literal_eval(out.read() or "{}")


def scratch_repository(corpus: Path, scratch: Path) -> Path:
    tree = scratch / "repo"
    shutil.copytree(corpus, tree, symlinks=True)
    (tree / "general.yaml").write_text(GENERAL, encoding="utf-8")
    (tree / "secrets.yaml").write_text(SECRETS, encoding="utf-8")
    git = ["git", "-C", str(tree), "-c", "user.name=record", "-c", "user.email=record@example.invalid"]
    subprocess.run([*git, "add", "-A"], check=True, capture_output=True)
    subprocess.run([*git, "commit", "-qm", "general path, secrets"], check=True, capture_output=True)
    changed = tree / ONE
    changed.write_text(changed.read_text(encoding="utf-8").replace("replicas: ", "replicas: 1", 1), encoding="utf-8")
    subprocess.run([*git, "commit", "-qam", "one change"], check=True, capture_output=True)
    return tree


def runs() -> list[list[str]]:
    never = ["--fail-on", "never"]
    return [*(["check", ONE, *never, "--format", f] for f in FORMATS), ["check", "general.yaml", *never],
            *(["check", "secrets.yaml", *never, "--format", f] for f in ("text", "sarif")),
            ["check", ".", *never, "--format", "json"], ["check", "--base", "HEAD~1", *never, "--format", "json"]]


def write_list(asked: dict[tuple, tuple[bool, str]]) -> None:
    lines = sorted(f"{where}\t{flags}\t{pattern!a}" for (pattern, flags), (_, where) in asked.items())
    header = ["# Patterns the build compiles into the seed for re's cache (prcheck/regex_seed.py).",
              "# Recorded by benchmarks/regex_seed_record.py from representative runs; refresh by running it again.",
              "# One per line: the module that asked for it, its flags, ascii() of the pattern (tab-separated)."]
    LIST.write_text("\n".join(header + lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--check", action="store_true", help="only print what the seed misses")
    options = parser.parse_args()
    everything: dict[tuple, tuple[bool, str]] = {}
    with tempfile.TemporaryDirectory(prefix="regex-seed-") as scratch:
        tree = scratch_repository(options.corpus.resolve(), Path(scratch))
        for args in runs():
            asked = record(tree, args)
            missed = sorted(where for cached, where in asked.values() if not cached)
            print(f"{' '.join(args):70} asked {len(asked):3}  compiled {len(missed):3}  {' '.join(missed)}")
            for key, value in asked.items():
                everything.setdefault(key, value)
    print(f"{len(everything)} distinct patterns")
    if not options.check:
        write_list(everything)
        print(f"wrote {LIST.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
