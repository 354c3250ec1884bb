"""conftest conformance: run conftest's own acceptance cases through `prcheck check`.

Usage: python benchmarks/conformance_conftest.py [CORPUS_DIR] [--verbose]

CORPUS_DIR is the corpus root holding `conftest/cases.json` (or the `conftest`
directory itself); or `$PRCHECK_CORPUS`. The corpus is copied to a temporary folder
first, so the few things a case needs that are not files (an empty policy
folder its notes ask for, a stdin input) can be made without touching it.

Each case's conftest argv is mapped to `prcheck check --no-builtin --format
json` (`-p/--policy`, `-d/--data`, `-n/--namespace`, `--all-namespaces`,
`--combine`, `--rego-version` with conftest's default `v1`, `--fail-on-warn`,
`--capabilities`, `--strict` (as `--rego-strict`),
`--no-fail`, the `policy`/`namespace`/`data` keys of `conftest.toml`, and a
stdin input `-` written to a file). Flags that only shape conftest's output
(`--no-color`, `-o`, `--quiet`, `--trace`, `--suppress-exceptions`) are dropped.
What is comparable is scored, in four parts:

1. exit code, as "failed vs passed". conftest exits 1 both on failures and
   when the policies cannot be loaded; prcheck exits 1 on findings and 2 on
   a policy error. So a prcheck 2 matches a conftest 1 only when the case is
   a policy-load error, and a prcheck 1 (findings) does not match a conftest
   policy-load error: it failed for another reason.
2. result counts of conftest's summary line (`N tests, P passed, W warnings,
   F failures, E exceptions`) against prcheck's JSON: warnings = rego warning
   findings, failures = rego error findings, exceptions = suppressed with
   source `rego-exception`. `tests`/`passed` are printed, not scored: conftest
   counts one test per rule body, prcheck one pass per rule name.
3. `output_contains`/`output_not_contains` assertions whose text is a policy
   message (it matches a string literal of the case's policies), against the
   messages of prcheck's findings.
4. `-o github` annotations (`::error file=F,line=N::`): a result's severity,
   file and line (a policy's `_loc`), against prcheck's findings.

Every other assertion tests conftest's own output text and is listed as not
scored. Prints `matched/total` per part and every mismatch with its cause.
Exit status is 0 whatever the score: this script measures, it does not assert.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from corpus import corpus_dir  # benchmarks/ is on sys.path when a script runs

import tomllib
import yaml

REPO = Path(__file__).resolve().parent.parent

# conftest `test` flags taking a value, by every spelling, mapped to one name
VALUE_FLAGS = {
    "-p": "policy", "--policy": "policy", "-d": "data", "--data": "data",
    "-n": "namespace", "--namespace": "namespace", "--rego-version": "rego-version",
    "-o": "output", "--output": "output", "-c": "config", "--config-file": "config",
    "--capabilities": "capabilities", "--parser": "parser", "--ignore": "ignore",
    "--file": "file", "--proto-file-dirs": "proto-file-dirs",
}
BOOL_FLAGS = {
    "--all-namespaces", "--combine", "--no-color", "--quiet", "--trace", "--suppress-exceptions",
    "--fail-on-warn", "--no-fail", "--strict", "--show-builtin-errors", "--update",
}
# change what conftest prints, never which results it finds or its exit code
OUTPUT_ONLY = {"no-color", "quiet", "trace", "suppress-exceptions", "output", "show-builtin-errors"}
# change what conftest evaluates, and prcheck has no counterpart
UNSUPPORTED = {"parser", "ignore", "file", "proto-file-dirs", "update"}

SUMMARY = re.compile(
    r"(?P<tests>\d+) tests?, (?P<passed>\d+) passed, (?P<warnings>\d+) warnings?, (?P<failures>\d+) failures?"
    r"(?:, (?P<exceptions>\d+) exceptions?)?"
)
# what conftest prints when policies do not load (OPA's compile and parse errors, its own checks)
LOAD_ERROR_TEXT = re.compile(
    r"undefined function|rego_(?:parse|compile|type|unsafe_var|recursion)_error|keyword without|"
    r"no policies found|parse error|compile error|unexpected \w+ token",
    re.IGNORECASE,
)
# Rego v1 refuses a rule body without `if` (`deny[msg] {`, `allow {`) and conftest
# refuses `deny[msg] if` (an object rule in v1); both only at column 0, where heads are
V0_ONLY_HEAD = re.compile(r"^[A-Za-z_]\w*(?:\[[^\]\n]*\]|\([^)\n]*\))?\s*\{\s*$", re.MULTILINE)
OBJECT_RESULT_RULE = re.compile(r"^(?:deny|violation|warn)\w*\[[^\]\n]*\]\s+if\b", re.MULTILINE)
GITHUB_ANNOTATION = re.compile(r"::(?P<level>error|warning) file=(?P<file>[^,:]+),line=(?P<line>\d+)::")
STRING_LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"|`([^`]*)`')
FORMAT_VERB = re.compile(r"%[-+# 0-9.]*[a-zA-Z]")


@dataclass
class Invocation:
    """One conftest `test` argv, read the way conftest reads it."""

    inputs: list[str] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    all_namespaces: bool = False
    combine: bool = False
    rego_version: str = "v1"  # conftest's default
    fail_on: str = "error"
    config: str | None = None
    capabilities: str | None = None
    strict: bool = False
    output_only: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)


def parse_argv(argv: list[str]) -> Invocation:
    inv = Invocation()
    args = list(argv[1:] if argv and argv[0] == "test" else argv)
    while args:
        arg = args.pop(0)
        name, has_value, value = arg.partition("=")
        if arg == "-" or not arg.startswith("-"):
            inv.inputs.append(arg)
            continue
        if name in VALUE_FLAGS:
            key = VALUE_FLAGS[name]
            if not has_value:
                value = args.pop(0) if args else ""
            if key == "policy":
                inv.policies.append(value)
            elif key == "data":
                inv.data.append(value)
            elif key == "namespace":
                inv.namespaces.append(value)
            elif key == "rego-version":
                inv.rego_version = value
            elif key == "config":
                inv.config = value
            elif key == "capabilities":
                inv.capabilities = value
            elif key in OUTPUT_ONLY:
                inv.output_only.append(f"{name} {value}")
            else:
                inv.unsupported.append(f"{name} {value}")
        elif name in BOOL_FLAGS:
            key = name[2:]
            if key == "all-namespaces":
                inv.all_namespaces = True
            elif key == "combine":
                inv.combine = True
            elif key == "fail-on-warn":
                inv.fail_on = "warning"
            elif key == "no-fail":
                inv.fail_on = "never"
            elif key == "strict":
                inv.strict = True
            elif key in OUTPUT_ONLY:
                inv.output_only.append(name)
            else:
                inv.unsupported.append(name)
        else:
            inv.unsupported.append(arg)
    return inv


def apply_config(inv: Invocation, cwd: Path) -> str | None:
    """conftest.toml (from the working folder, or `-c`) fills what the flags left unset."""
    path = cwd / (inv.config or "conftest.toml")
    if not path.is_file():
        return None
    config = tomllib.loads(path.read_text(encoding="utf-8"))

    def as_list(value: object) -> list[str]:
        return [str(v) for v in value] if isinstance(value, list) else [str(value)] if value else []

    inv.policies = inv.policies or as_list(config.get("policy"))
    inv.namespaces = inv.namespaces or as_list(config.get("namespace"))
    inv.data = inv.data or as_list(config.get("data"))
    inv.all_namespaces = inv.all_namespaces or bool(config.get("all-namespaces"))
    inv.combine = inv.combine or bool(config.get("combine"))
    return path.name


def prepare(work: Path, case: dict, inv: Invocation) -> tuple[Path, list[str]]:
    """The case's working folder and prcheck inputs, with what the case needs but cannot ship."""
    cwd = work / case["cwd"]
    for note in case.get("notes") or []:
        match = re.match(r"(\S+) holds no \.rego files", note)
        if match and "create it empty" in note:
            (cwd / match.group(1)).mkdir(parents=True, exist_ok=True)
    inputs = []
    for item in inv.inputs:
        if item == "-":
            source = work / case["stdin"]
            target = Path(tempfile.mkdtemp(prefix="stdin-", dir=work)) / f"stdin{source.suffix or '.yaml'}"
            shutil.copyfile(source, target)
            inputs.append(str(target))
        else:
            inputs.append(item)
    return cwd, inputs


def prcheck_argv(inv: Invocation, inputs: list[str]) -> list[str]:
    argv = [*inputs, "--no-builtin", "--format", "json", "--rego-version", inv.rego_version, "--fail-on", inv.fail_on]
    for policy in inv.policies or ["policy"]:  # conftest's default policy folder
        argv += ["--policy", policy]
    for data in inv.data:
        argv += ["--data", data]
    for namespace in inv.namespaces:
        argv += ["--namespace", namespace]
    if inv.all_namespaces:
        argv.append("--all-namespaces")
    if inv.combine:
        argv.append("--combine")
    if inv.capabilities:
        argv += ["--capabilities", inv.capabilities]
    if inv.strict:
        argv.append("--rego-strict")  # conftest's --strict is OPA's strict mode; prcheck's --strict is the schemas'
    return argv


@dataclass
class Run:
    argv: list[str]
    code: int
    report: dict | None
    error: str
    cwd: Path
    inputs: list[str]

    def rego_findings(self, severity: str | None = None) -> list[dict]:
        findings = (self.report or {}).get("findings", [])
        return [f for f in findings if f.get("engine") == "rego" and (severity is None or f["severity"] == severity)]

    def exceptions(self) -> list[dict]:
        return [s for s in (self.report or {}).get("suppressed", []) if s.get("source") == "rego-exception"]

    def messages(self) -> list[str]:
        return [f["message"] for f in self.rego_findings()] + [s["finding"]["message"] for s in self.exceptions()]


def run_prcheck(cwd: Path, inputs: list[str], argv: list[str]) -> Run:
    env = dict(os.environ, NO_COLOR="1", PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-m", "prcheck", "check", *argv], check=False, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    report = None
    if proc.stdout.strip():
        try:
            report = json.loads(proc.stdout)
        except json.JSONDecodeError:
            pass
    error = " ".join(proc.stderr.split())[:300]
    return Run(argv, proc.returncode, report, error, cwd, inputs)


def policy_files(cwd: Path, inv: Invocation) -> list[Path]:
    files: list[Path] = []
    for raw in inv.policies or ["policy"]:
        path = cwd / raw
        files.extend(sorted(path.rglob("*.rego")) if path.is_dir() else [path] if path.is_file() else [])
    return files


def load_error_reason(case: dict, inv: Invocation, files: list[Path]) -> str:
    """Why conftest cannot load this case's policies ('' when it can), from the case alone."""
    if case.get("expected_exit_code") != 1:
        return ""
    for note in case.get("notes") or []:
        if "no policies found" in note:
            return "no policies found"
    for assertion in case["assertions"]:
        if assertion["type"] in ("output_contains", "line_contains", "line_equals") and LOAD_ERROR_TEXT.search(str(assertion["value"])):
            return f"conftest reports: {assertion['value']}"
    if inv.rego_version == "v1":
        for file in files:
            text = file.read_text(encoding="utf-8")
            if V0_ONLY_HEAD.search(text):
                return f"{file.name}: v0 syntax under Rego v1"
            if OBJECT_RESULT_RULE.search(text):
                return f"{file.name}: `if` without `contains`"
    if not files:
        return "no policies found"
    return ""


def message_patterns(files: list[Path]) -> list[re.Pattern[str]]:
    """A regex per string literal of the policies, format verbs (`%s`, `%v`) matching anything."""
    patterns = []
    for file in files:
        for match in STRING_LITERAL.finditer(file.read_text(encoding="utf-8")):
            literal = match.group(1) if match.group(1) is not None else match.group(2)
            if len(literal) < 8 or " " not in literal:
                continue  # keys, names and paths are not messages
            parts = FORMAT_VERB.split(literal)
            patterns.append(re.compile(".*".join(re.escape(p) for p in parts), re.DOTALL))
    return patterns


def is_policy_message(text: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(p.fullmatch(text) or (len(text) >= 12 and p.search(text)) for p in patterns)


def is_empty_yaml(path: Path) -> bool:
    try:
        return all(doc is None for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False


def input_cause(run: Run) -> str:
    """Non-empty when prcheck read no document that a policy could see, and why."""
    stats = (run.report or {}).get("summary", {})
    if run.report is None or stats.get("documents"):
        return ""
    if run.inputs and all(is_empty_yaml(run.cwd / i) for i in run.inputs):
        return ("real semantic difference: conftest evaluates an empty input file (input null), "
                "prcheck loads no document from it")
    return "unsupported input format: prcheck loaded no document from the input"


@dataclass
class Item:
    part: str
    case: str
    what: str
    ok: bool
    cause: str = ""


def exit_item(case: dict, inv: Invocation, run: Run, load_error: str) -> Item | None:
    expected = case["expected_exit_code"]
    if expected is None:
        return None
    want = "policy-load error" if load_error else ("failed" if expected else "passed")
    got = {0: "passed", 1: "failed", 2: "policy error"}.get(run.code, f"exit {run.code}")
    if load_error:
        ok = run.code == 2
    else:
        ok = run.code == expected
    what = f"exit: conftest {expected} ({want}), prcheck {run.code} ({got})"
    if ok:
        return Item("exit code", case["id"], what, True)
    if inv.unsupported:
        why = f"unsupported flag {', '.join(inv.unsupported)}"
        if load_error and run.code == 1:
            why += ": conftest refuses the policies, prcheck evaluates them and fails on findings"
    elif run.code == 2:
        why = f"real semantic difference: prcheck policy error where conftest evaluates: {run.error}"
    elif input_cause(run):
        why = input_cause(run)
    elif run.code == 1 and not run.rego_findings("error"):
        others = sorted({f"{f['engine']}:{f['rule']}" for f in (run.report or {}).get("findings", [])})
        why = f"real semantic difference: non-policy findings fail the run ({', '.join(others)})"
    elif load_error:
        why = f"real semantic difference: conftest cannot load the policies ({load_error}), prcheck {got}"
    else:
        why = f"real semantic difference: want {want}, got {got}"
    return Item("exit code", case["id"], what, False, why)


def count_items(case: dict, run: Run) -> list[Item]:
    items = []
    for assertion in case["assertions"]:
        match = SUMMARY.search(str(assertion.get("value", "")))
        if not match or assertion["type"] in ("output_not_contains", "line_count"):
            continue
        want = {k: int(v) for k, v in match.groupdict().items() if v is not None}
        got = {"warnings": len(run.rego_findings("warning")), "failures": len(run.rego_findings("error")),
               "exceptions": len(run.exceptions())}
        keys = [k for k in ("warnings", "failures", "exceptions") if k in want]
        ok = run.code != 2 and all(want[k] == got[k] for k in keys)
        passes = (run.report or {}).get("stats", {}).get("policy_passes")
        what = (f"counts: conftest {' '.join(f'{k}={want[k]}' for k in keys)} (tests={want['tests']} passed={want['passed']}), "
                f"prcheck {' '.join(f'{k}={got[k]}' for k in keys)} (policy_passes={passes})")
        why = ""
        if not ok:
            if run.code == 2:
                why = f"real semantic difference: prcheck policy error: {run.error}"
            else:
                why = input_cause(run) or "real semantic difference: result counts differ"
        items.append(Item("result counts", case["id"], what, ok, why))
    return items


def message_items(case: dict, run: Run, patterns: list[re.Pattern[str]], inv: Invocation) -> tuple[list[Item], list[str]]:
    items, not_scored = [], []
    for assertion in case["assertions"]:
        kind, value = assertion["type"], str(assertion.get("value", ""))
        if kind in ("output_contains", "output_not_contains") and is_policy_message(value, patterns):
            found = any(value in m for m in run.messages())
            ok = found if kind == "output_contains" else not found
            what = f"{kind} {value!r}"
            why = ""
            if not ok:
                why = input_cause(run) or (f"real semantic difference: prcheck policy error: {run.error}" if run.code == 2
                                           else "real semantic difference: message " + ("missing" if not found else "present"))
            items.append(Item("policy messages", case["id"], what, ok, why))
        elif SUMMARY.search(value) and kind not in ("output_not_contains", "line_count"):
            continue  # scored as result counts
        elif GITHUB_ANNOTATION.search(value) and kind != "output_not_contains":
            continue  # scored as result locations
        else:
            shown = f"{kind}[{assertion['index']}]" if "index" in assertion else kind
            flags = [f for f in inv.output_only if any(f.startswith(x) for x in ("-o", "--output", "--trace"))]
            why = "conftest output formatting" + (f" ({', '.join(flags)})" if flags else "")
            if LOAD_ERROR_TEXT.search(value):
                why = "conftest's error text"
            not_scored.append(f"{case['id']}: {shown} {value!r}: {why}")
    return items, not_scored


def location_items(case: dict, run: Run) -> list[Item]:
    """`-o github` annotations carry a result's severity, file and line (`_loc` when the
    policy sets it): compared with prcheck's findings, not with conftest's text."""
    items = []
    for assertion in case["assertions"]:
        if assertion["type"] == "output_not_contains":
            continue
        for match in GITHUB_ANNOTATION.finditer(str(assertion.get("value", ""))):
            severity = "error" if match["level"] == "error" else "warning"
            found = [f for f in run.rego_findings(severity) if f["path"] == match["file"] and f["line"] == int(match["line"])]
            got = sorted({f"{f['severity']} {f['path']}:{f['line']}" for f in run.rego_findings()}) or ["no rego finding"]
            what = f"location: conftest {severity} {match['file']}:{match['line']}, prcheck {', '.join(got)}"
            why = "" if found else (input_cause(run) or "real semantic difference: result location differs")
            items.append(Item("result locations", case["id"], what, bool(found), why))
    return items


def main(argv: list[str]) -> int:
    source = corpus_dir(argv, "conftest")
    verbose = "--verbose" in argv
    cases = json.loads((source / "cases.json").read_text(encoding="utf-8"))["cases"]
    items: list[Item] = []
    not_scored: list[str] = []
    with tempfile.TemporaryDirectory(prefix="conftest-corpus-") as tmp:
        work = Path(tmp) / "conftest"
        shutil.copytree(source, work)
        for case in cases:
            inv = parse_argv(case["argv"])
            cwd = work / case["cwd"]
            config = apply_config(inv, cwd)
            cwd, inputs = prepare(work, case, inv)
            files = policy_files(cwd, inv)
            run = run_prcheck(cwd, inputs, prcheck_argv(inv, inputs))
            load_error = load_error_reason(case, inv, files)
            if verbose:
                print(f"# {case['id']}\n  prcheck check {' '.join(run.argv)}  (cwd {case['cwd']}"
                      f"{', config ' + config if config else ''}) -> {run.code}"
                      f"{'  ' + run.error if run.error else ''}")
            item = exit_item(case, inv, run, load_error)
            if item:
                items.append(item)
            items.extend(count_items(case, run))
            items.extend(location_items(case, run))
            scored, skipped = message_items(case, run, message_patterns(files), inv)
            items.extend(scored)
            not_scored.extend(skipped)

    print(f"conftest conformance ({len(cases)} cases, `prcheck check --no-builtin`)")
    for part in ("exit code", "result counts", "policy messages", "result locations"):
        mine = [i for i in items if i.part == part]
        print(f"  {part:<16} {sum(i.ok for i in mine)}/{len(mine)}")
    print(f"  {'all scored':<16} {sum(i.ok for i in items)}/{len(items)}")
    misses = [i for i in items if not i.ok]
    print(f"\nmismatches ({len(misses)}):")
    for item in misses:
        print(f"  [{item.part}] {item.case}\n      {item.what}\n      cause: {item.cause}")
    if not misses:
        print("  none")
    print(f"\nnot scored ({len(not_scored)} assertions on conftest's own output):")
    for line in not_scored:
        print(f"  {line}")
    if verbose:
        print("\nscored items:")
        for item in items:
            print(f"  {'ok  ' if item.ok else 'MISS'} [{item.part}] {item.case}: {item.what}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
