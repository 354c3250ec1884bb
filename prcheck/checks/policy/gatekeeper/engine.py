"""Gatekeeper constraints over the documents of a run, behind the PolicyEngine interface."""

from __future__ import annotations

import os
from typing import Sequence

from prcheck.checks.policy.base import Evaluation, PolicyError
from prcheck.checks.policy.gatekeeper.engines import compile_template, runnable
from prcheck.checks.policy.gatekeeper.load import (
    Constraint,
    PolicySet,
    TemplateSource,
    parameter_problems,
    read_policies,
    unique_templates,
)
from prcheck.checks.policy.gatekeeper.match import MatchError
from prcheck.checks.policy.gatekeeper.program import CompiledTemplate
from prcheck.checks.policy.gatekeeper.review import (
    Violation,
    build_inventory,
    decide_match,
    namespace_cache,
    object_request,
    reviewable,
    run_constraint,
    to_json,
)
from prcheck.model import Document, Finding

ENGINE = "gatekeeper"


def _same_constraint(a: Constraint, b: Constraint) -> bool:
    return (a.match, a.parameters, a.action) == (b.match, b.parameters, b.action)


def resolve_constraints(templates: dict[str, TemplateSource], found: PolicySet) -> list[Constraint]:
    """Constraints whose template is known and whose parameters its schema accepts, once each."""
    chosen: dict[tuple[str, str], Constraint] = {}
    for _, constraint in found.constraints:
        template = templates.get(constraint.kind)
        if template is None:
            raise PolicyError(constraint.path, constraint.line, 0, f"constraint '{constraint.name}' is of kind "
                              f"'{constraint.kind}', which no ConstraintTemplate in the policy paths defines")
        problems = parameter_problems(template, constraint)
        if problems:
            raise PolicyError(constraint.path, constraint.line, 0,
                              f"constraint '{constraint.name}' does not fit its template's schema: {problems[0]}")
        seen = chosen.get((constraint.kind, constraint.name))
        if seen is not None and not _same_constraint(seen, constraint):
            raise PolicyError(constraint.path, constraint.line, 0,
                              f"constraint {constraint.rule} is also defined differently in {seen.path}")
        chosen.setdefault((constraint.kind, constraint.name), constraint)
    return list(chosen.values())


class GatekeeperEngine:
    """Templates compiled once at construction; `evaluate` reviews every object as a CREATE."""

    name = ENGINE
    per_document = False  # referential templates read the inventory of the whole run

    def __init__(self, programs: Sequence[CompiledTemplate], constraints: Sequence[Constraint],
                 rego_less: Sequence[TemplateSource] = ()) -> None:
        self.programs = {p.kind: p for p in programs}
        self.constraints = [c for c in constraints if c.kind in self.programs and c.action is not None]
        used = {c.kind for c in constraints}
        self.rego_less = [t for t in rego_less if t.kind in used]

    @classmethod
    def from_paths(cls, paths: Sequence[str | os.PathLike[str]], engine: str = "auto") -> "GatekeeperEngine | None":
        """None when the paths hold no ConstraintTemplate and no constraint. `engine`:
        which code of a template runs (auto: CEL when present, as Gatekeeper does)."""
        found = read_policies(paths)
        if not found.templates and not found.constraints:
            return None
        return cls.from_policies(found, engine)

    @classmethod
    def from_policies(cls, found: PolicySet, engine: str = "auto") -> "GatekeeperEngine":
        templates = unique_templates(found.templates)
        constraints = resolve_constraints(templates, found)
        programs = [compile_template(t, engine) for t in templates.values() if runnable(t, engine)]
        return cls(programs, constraints, [t for t in templates.values() if not runnable(t, engine)])

    def close(self) -> None:
        """Nothing to release: the engines are in-process and garbage-collected."""

    def evaluate(self, docs: Sequence[Document]) -> Evaluation:
        result = Evaluation(findings=[self._rego_less_finding(t) for t in self.rego_less])
        targets = [d for d in docs if reviewable(d.obj)]
        if not self.constraints or not targets:
            return result
        namespaces = namespace_cache(d.obj for d in targets)
        self._load_inventory(targets)
        undecided: dict[int, set[str]] = {}
        failed: dict[int, list[str]] = {}
        for doc in targets:
            request = object_request(doc.obj, "CREATE")
            for index, constraint in enumerate(self.constraints):
                try:
                    if not decide_match(constraint, request, namespaces):
                        continue
                except MatchError:
                    undecided.setdefault(index, set()).add(request.namespace)
                    continue
                verdict = run_constraint(self.programs[constraint.kind], constraint, request)
                result.passed += not verdict.violations
                result.findings.extend(self._finding(constraint, v, doc) for v in verdict.violations)
                if verdict.errors:
                    failed.setdefault(index, []).append(f"{doc.resource}: {verdict.errors[0]}")
        result.findings.extend(self._undecided_finding(self.constraints[i], ns) for i, ns in sorted(undecided.items()))
        result.findings.extend(self._failed_finding(self.constraints[i], why) for i, why in sorted(failed.items()))
        return result

    def _load_inventory(self, targets: Sequence[Document]) -> None:
        """One JSON copy of the run's objects, handed to the templates that read `data.inventory`."""
        kinds = {c.kind for c in self.constraints}
        readers = [p for kind, p in self.programs.items() if kind in kinds and p.reads_inventory]
        if readers:
            inventory = to_json(build_inventory(d.obj for d in targets))
            for program in readers:
                program.set_inventory(inventory)

    @staticmethod
    def _finding(constraint: Constraint, violation: Violation, doc: Document) -> Finding:
        return Finding(rule=constraint.rule, severity=constraint.severity, message=violation.msg,
                       path=doc.path, line=doc.line, resource=doc.resource, engine=ENGINE)

    @staticmethod
    def _undecided_finding(constraint: Constraint, namespaces: set[str]) -> Finding:
        names = ", ".join(sorted(namespaces))
        return Finding(
            rule=constraint.rule, severity="info", path=constraint.path, line=constraint.line, engine=ENGINE,
            message=f"namespaceSelector not evaluated for objects in namespace(s) {names}: no Namespace object "
                    "with their labels is among the checked files, so these objects were not reviewed",
        )

    @staticmethod
    def _failed_finding(constraint: Constraint, reasons: list[str]) -> Finding:
        return Finding(
            rule=constraint.rule, severity="info", path=constraint.path, line=constraint.line, engine=ENGINE,
            message=f"a built-in function failed in a violation rule for {len(reasons)} object(s), first {reasons[0]}; "
                    "gatekeeper treats that rule as undefined, and so does prcheck",
        )

    @staticmethod
    def _rego_less_finding(template: TemplateSource) -> Finding:
        engines = ", ".join(template.engines) or "none"
        return Finding(
            rule=template.kind, severity="info", path=template.path, line=template.line, engine=ENGINE,
            message=f"ConstraintTemplate '{template.name}' has no code for the chosen engine (engines: {engines}); "
                    "its constraints are not evaluated offline",
        )
