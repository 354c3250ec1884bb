"""gator `Suite` files (test.gatekeeper.sh/v1alpha1), run the way `gator verify` runs them.

Differences from `prcheck check` are gator's, kept on purpose: a plain object
is reviewed with no operation, the inventory is only what a case lists (the
object under review is not in it), and a namespaceSelector that cannot be
decided rejects the object, as gatekeeper's autoreject does.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from prcheck.checks.policy.base import PolicyError
from prcheck.checks.policy.gatekeeper.engines import compile_template
from prcheck.checks.policy.gatekeeper.load import (
    Constraint,
    is_constraint,
    is_template,
    parameter_problems,
    parse_constraint,
    parse_template,
)
from prcheck.checks.policy.gatekeeper.match import MatchError, match_problems
from prcheck.checks.policy.gatekeeper.program import CompiledTemplate
from prcheck.checks.policy.gatekeeper.review import (
    Request,
    Violation,
    admission_request,
    build_inventory,
    decide_match,
    is_admission_review,
    namespace_cache,
    object_request,
    run_constraint,
    to_json,
)
from prcheck.model import Document
from prcheck.sources.yaml_loader import load_text

SUITE_GROUP = "test.gatekeeper.sh"
YAML_SUFFIXES = (".yaml", ".yml")


class CaseError(Exception):
    """The suite, a file it names, or an assertion is malformed (gator's ErrInvalid*)."""


@dataclass(frozen=True)
class Outcome:
    """One line of the result table: a case, or a whole test when it could not run."""

    suite: str
    test: str
    case: str
    status: str  # pass | fail | error | skip
    detail: str = ""
    messages: tuple[str, ...] = ()
    # for machine-readable output: the constraint (template kind/name), the reviewed
    # object, what the assertions want and what the template gave
    policy: str = ""
    resource: str = ""
    expected: str = ""
    got: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("pass", "skip")


@dataclass
class _Loaded:
    """A test's template and constraint, or why the test cannot run."""

    program: CompiledTemplate | None = None
    constraint: Constraint | None = None
    error: str = ""


@dataclass
class Verifier:
    """Runs suites; compiled templates are kept for the tests that share them."""

    run: re.Pattern[str] | None = None
    engine: str = "auto"  # auto | cel | rego: which code of a template runs (engines.py)
    _programs: dict[Path, CompiledTemplate | PolicyError] = field(default_factory=dict)

    def suites(self, paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
        return [p for p in _yaml_files(paths) if _is_suite(p)]

    def run_suite(self, path: Path, label: str | None = None) -> list[Outcome]:
        label = label or str(path)
        try:
            suite = _suite_document(path) or {}
        except CaseError as exc:
            return [Outcome(label, "", "", "error", str(exc))]
        if suite.get("skip") is True:
            return [Outcome(label, "", "", "skip")]
        tests = suite.get("tests") or []
        if not isinstance(tests, list):
            return [Outcome(label, "", "", "error", "tests must be a list")]
        outcomes: list[Outcome] = []
        for index, test in enumerate(tests):
            test = test if isinstance(test, dict) else {}
            outcomes.extend(self._run_test(label, path.parent, str(test.get("name") or f"tests[{index}]"), test))
        return outcomes

    def _selected(self, test: str, case: str | None = None) -> bool:
        """--run: a test runs when its name or one of its `test/case` names matches."""
        return self.run is None or bool(self.run.search(test if case is None else f"{test}/{case}"))

    def _run_test(self, label: str, base: Path, name: str, test: dict) -> list[Outcome]:
        cases = [c for c in test.get("cases") or [] if isinstance(c, dict)]
        wanted = self._selected(name) or any(self._selected(name, str(c.get("name"))) for c in cases)
        if test.get("skip") is True or not wanted:
            return [Outcome(label, name, "", "skip")]
        loaded = self._load_test(base, test)
        if loaded.error and not test.get("invalid"):
            return [Outcome(label, name, "", "error", loaded.error)]
        if test.get("invalid") is True:
            return [self._invalid_outcome(label, name, loaded)]
        outcomes = []
        for index, case in enumerate(test.get("cases") or []):
            case = case if isinstance(case, dict) else {}
            case_name = str(case.get("name") or f"cases[{index}]")
            if case.get("skip") is True or not self._selected(name, case_name):
                outcomes.append(Outcome(label, name, case_name, "skip"))
                continue
            outcomes.append(self._run_case(label, name, case_name, base, case, loaded))
        return outcomes

    @staticmethod
    def _invalid_outcome(label: str, name: str, loaded: _Loaded) -> Outcome:
        """`invalid: true` passes when gatekeeper would refuse the constraint, for schema reasons or match ones."""
        if loaded.error.startswith("constraint is invalid"):
            return Outcome(label, name, "", "pass", loaded.error)
        if loaded.error:
            return Outcome(label, name, "", "error", loaded.error)
        return Outcome(label, name, "", "fail", "constraint is valid, but the test expects it to be invalid")

    def _load_test(self, base: Path, test: dict) -> _Loaded:
        try:
            program = self._program(base, test.get("template"))
            constraint_doc = _single_object(base, test.get("constraint"), "constraint")
        except CaseError as exc:
            return _Loaded(error=str(exc))
        except PolicyError as exc:
            return _Loaded(error=f"template does not compile: {exc}")
        if not is_constraint(constraint_doc.obj):
            return _Loaded(program, error=f"{constraint_doc.path} is not a constraints.gatekeeper.sh object")
        if constraint_doc.obj.get("kind") != program.kind:
            return _Loaded(program, error=f"constraint kind '{constraint_doc.obj.get('kind')}' is not the "
                                          f"template's kind '{program.kind}'")
        problems = match_problems((constraint_doc.obj.get("spec") or {}).get("match"))
        if problems:
            return _Loaded(program, error=f"constraint is invalid: spec.match: {problems[0]}")
        try:
            constraint = parse_constraint(constraint_doc)
        except PolicyError as exc:
            return _Loaded(program, error=f"constraint cannot be added: {exc.message}")
        problems = parameter_problems(program.source, constraint)
        if problems:
            return _Loaded(program, constraint, error=f"constraint is invalid: {problems[0]}")
        return _Loaded(program, constraint)

    def _program(self, base: Path, rel: Any) -> CompiledTemplate:
        doc = _single_object(base, rel, "template")
        key = Path(doc.path).resolve()
        if key not in self._programs:
            if not is_template(doc.obj):
                raise CaseError(f"{doc.path} is not a templates.gatekeeper.sh ConstraintTemplate")
            try:
                self._programs[key] = compile_template(parse_template(doc), self.engine)
            except PolicyError as exc:
                self._programs[key] = exc
        found = self._programs[key]
        if isinstance(found, PolicyError):
            raise found
        return found

    def _run_case(self, label: str, test: str, name: str, base: Path, case: dict, loaded: _Loaded) -> Outcome:
        assert loaded.program is not None and loaded.constraint is not None
        try:
            assertions = case.get("assertions")
            if not isinstance(assertions, list) or not assertions:
                raise CaseError("assertions must be a non-empty list")
            obj = _single_object(base, case.get("object"), "object").obj
            request = _case_request(obj)
            inventory = [d.obj for rel in case.get("inventory") or [] for d in _objects(base, rel, "inventory")]
            violations = _review(loaded.program, loaded.constraint, request, inventory)
            messages = tuple(v.msg for v in violations)
            facts = {"policy": f"{loaded.constraint.kind}/{loaded.constraint.name}", "resource": _object_name(obj),
                     "expected": "; ".join(describe_assertion(a) for a in assertions),
                     "got": f"{len(messages)} violation{'' if len(messages) == 1 else 's'}"}
            for assertion in assertions:
                problem = check_assertion(assertion, messages)
                if problem:
                    return Outcome(label, test, name, "fail", problem, messages, **facts)
        except CaseError as exc:
            return Outcome(label, test, name, "error", str(exc))
        return Outcome(label, test, name, "pass", "", messages, **facts)


def _review(program: CompiledTemplate, constraint: Constraint, request: Request,
            inventory: Sequence[Any]) -> list[Violation]:
    objects = [o for o in inventory if isinstance(o, dict)]
    program.set_inventory(to_json(build_inventory(objects)))
    try:
        if not decide_match(constraint, request, namespace_cache(objects)):
            return []
    except MatchError as exc:
        return [Violation(f"autoreject: {exc}")]
    return run_constraint(program, constraint, request).violations


def _case_request(obj: Any) -> Request:
    if not isinstance(obj, dict):
        raise CaseError("the object under review must be a mapping")
    if is_admission_review(obj):
        try:
            return admission_request(obj)
        except ValueError as exc:
            raise CaseError(str(exc)) from None
    return object_request(obj, "")


def _violations_wanted(value: Any) -> str | int:
    """gator's `violations`: yes, no or a count; YAML 1.1 reads bare yes/no as booleans."""
    if value is None or value is True or value == "yes":
        return "yes"
    if value is False or value == "no":
        return "no"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise CaseError(f'assertion violations must be a nonnegative integer, "yes" or "no", not {value!r}')


def _object_name(obj: Any) -> str:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    name = meta.get("name", "") if isinstance(meta, dict) else ""
    return f"{obj.get('kind', '')}/{name}" if isinstance(obj, dict) else ""


def describe_assertion(assertion: Any) -> str:
    """What an assertion wants, in words (`at least 1 violation containing 'x'`)."""
    if not isinstance(assertion, dict):
        return "?"
    wanted = _violations_wanted(assertion.get("violations"))
    text = {"yes": "at least 1 violation", "no": "no violations"}.get(wanted) if isinstance(wanted, str) \
        else f"exactly {wanted} violation{'' if wanted == 1 else 's'}"
    pattern = assertion.get("message")
    return text + (f" containing {str(pattern)!r}" if pattern is not None else "")


def check_assertion(assertion: Any, messages: Sequence[str]) -> str | None:
    """None when the assertion holds, else what went wrong (in gator's words)."""
    if not isinstance(assertion, dict):
        raise CaseError("an assertion must be a mapping")
    wanted = _violations_wanted(assertion.get("violations"))
    pattern = assertion.get("message")
    counted = len(messages)
    about = ""
    if pattern is not None:
        try:
            regex = re.compile(str(pattern))
        except re.error as exc:
            raise CaseError(f"invalid message regex {pattern!r}: {exc}") from None
        counted = sum(1 for m in messages if regex.search(m))
        about = f" containing {str(pattern)!r}"
    if wanted == "yes" and counted == 0:
        return f"got 0 violations{about} but want at least 1"
    if wanted == "no" and counted > 0:
        return f"got {counted} violations{about} but want none"
    if isinstance(wanted, int) and counted != wanted:
        return f"got {counted} violations{about} but want exactly {wanted}"
    return None


def _yaml_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
        elif path.is_file():
            yield path
        else:
            raise PolicyError(str(raw), 0, 0, "no such file or folder")


def _suite_document(path: Path) -> dict | None:
    """The Suite in `path`, None when it holds none; a Suite file that does not parse is an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if "Suite" not in text:
        return None
    loaded = load_text(text, str(path))
    first = loaded.docs[0].obj if loaded.docs else None
    if isinstance(first, dict) and first.get("kind") == "Suite" and \
            str(first.get("apiVersion", "")).rpartition("/")[0] == SUITE_GROUP:
        return first
    broken = [f for f in loaded.findings if f.rule != "yaml/duplicate-key"]
    if broken and SUITE_GROUP in text:
        raise CaseError(f"{path}:{broken[0].line}: {broken[0].message}")
    return None


def _is_suite(path: Path) -> bool:
    try:
        return _suite_document(path) is not None
    except CaseError:
        return True  # listed, so that running it reports why it is broken


def _objects(base: Path, rel: Any, what: str) -> list[Document]:
    if not isinstance(rel, str) or not rel:
        raise CaseError(f"missing {what} path")
    path = base / rel
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseError(f"cannot read {what} {rel}: {exc}") from None
    loaded = load_text(text, str(path))
    broken = [f for f in loaded.findings if f.rule != "yaml/duplicate-key"]
    if broken:
        raise CaseError(f"{what} {rel}:{broken[0].line}: {broken[0].message}")
    docs = [d for d in loaded.docs if d.obj is not None]
    if not docs:
        raise CaseError(f"{what} {rel} defines no objects")
    return docs


def _single_object(base: Path, rel: Any, what: str) -> Document:
    docs = _objects(base, rel, what)
    if len(docs) != 1:
        raise CaseError(f"{what} {rel} defines {len(docs)} objects, want 1")
    return docs[0]
