"""`CelEngine`: the PolicyEngine for CEL admission policies in `prcheck check`.

It evaluates ValidatingAdmissionPolicies with their bindings and Kyverno
ValidatingPolicies, found in the policy paths and among the checked
documents themselves (a GitOps repository applies its own admission
policies, so its changes should pass them). Compile errors are
`policy/invalid` findings at the expression's line; an object's base
version (the base render, or the base tree of a modified file) is its
`oldObject`, which makes the request an UPDATE.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from prcheck.model import Document, Finding
from prcheck.sources.base_tree import object_key

from ..base import Evaluation
from . import carried, crd_rules, immutable, vap
from .bindings import bindings_for, match_request
from .kinds import KindTable
from .kyverno_policies import (PolicyRunner, ValidatingPolicy, compile_validating_policy, is_validating_policy,
                               library_bindings)
from .library import authz
from .program import Problem, Verdict, run
from .runtime import Runtime, plain

ENGINE = "cel"


def _policy_docs(paths: Sequence["str | Path"]) -> list[Document]:
    from prcheck.checks.policy.kyverno.load import documents, yaml_files
    return [d for f in yaml_files(paths) for d in documents(f)
            if vap.is_policy(d) or vap.is_binding(d) or is_validating_policy(d)]


class CelEngine:
    name = ENGINE
    per_document = False  # bindings, params, Namespaces and base versions come from the whole run
    # A pull-request run may still narrow to the files the change affects: the
    # changed objects are what admission would see; policies, bindings, params and
    # Namespaces outside that set are carried in from every file (carried.py).
    whole_run = False

    def __init__(self, policy_docs: Sequence[Document] = (), runtime: "Runtime | None" = None) -> None:
        self.runtime = runtime or Runtime()
        self.policy_docs = list(policy_docs)
        self.ctx: Any = None

    @classmethod
    def from_paths(cls, paths: Sequence["str | Path"]) -> "CelEngine":
        return cls(_policy_docs(paths))

    def for_context(self, ctx: Any) -> "CelEngine":
        bound = copy.copy(self)
        bound.ctx = ctx
        return bound

    def evaluate(self, docs: Sequence[Document]) -> Evaluation:
        evaluation = Evaluation()
        context = carried.unchecked(getattr(self.ctx, "admission_docs", None) or (), docs)
        every = [*self.policy_docs, *context, *docs]
        policies, bindings = vap.load(self.runtime, every)
        kyverno = [compile_validating_policy(self.runtime, d) for d in every if is_validating_policy(d)]
        # Carried files configure the run; what is wrong with them is reported where they are checked.
        carried_paths = {d.path for d in context} - {d.path for d in [*self.policy_docs, *docs]}
        found: list[Finding] = list(self._problems(policies, kyverno))
        runnable = [p for p in policies if not p.problems]
        found.extend(_needs_network(p) for p in kyverno if p.network and not p.problems)
        kyverno = [p for p in kyverno if not p.problems and not p.network]
        by_name = {p.name: p for p in runnable}
        pairs = [(by_name[b.policy], b) for b in bindings if b.policy in by_name]
        found.extend(self._unbound(runnable, bindings))
        evaluation.findings.extend(f for f in found if f.path not in carried_paths)
        base = getattr(self.ctx, "base_objects", None) or {}
        self._crd_rules(docs, base, evaluation)
        evaluation.findings.extend(immutable.check(docs, base, getattr(self.ctx, "base_docs", ())))
        if not pairs and not kyverno:
            return evaluation
        objects = carried.objects(docs)
        known = objects + carried.objects(context)  # params, Namespaces and lookups also come from carried files
        kinds = KindTable(known)
        namespaces = {d.name: d.obj for d in [*context, *docs] if d.kind == "Namespace" and d.api_version == "v1"
                      and d.name}
        config = getattr(self.ctx, "cel", None) or {}
        user = config.get("userInfo") if isinstance(config.get("userInfo"), dict) else {}
        rules = [r for r in config.get("authorizer") or [] if isinstance(r, dict)]
        extra = {"authorizer": authz.authorizer(str(user.get("username") or ""), rules)}
        if kyverno:
            extra = {**library_bindings(self.runtime, known, [], kinds, rules, str(user.get("username") or "")),
                     **extra}
        runner = PolicyRunner(self.runtime, kyverno, kinds)
        plain_objects = [plain(o) for o in known if any(p.param_kind for p, _ in pairs)]
        by_resource: dict[str, list] = {}
        for pair in pairs:
            for resource in pair[0].constraints.resources() or {"*"}:
                by_resource.setdefault(resource, []).append(pair)
        anywhere = by_resource.pop("*", [])
        for doc in docs:
            obj = doc.obj
            if not isinstance(obj, dict) or not obj.get("kind") or not obj.get("apiVersion") or _exempt(doc):
                continue
            old = base.get(object_key(obj)) if base else None
            operation = "UPDATE" if old is not None else "CREATE"
            namespace_obj = namespaces.get(doc.namespace)
            req = match_request(obj, operation, kinds, namespace_obj)
            bound = bindings_for(obj, old, req, user, namespace_obj, extra)
            shared = None  # one activation for every policy that takes no params
            for policy, binding in by_resource.get(req.resource, []) + anywhere:
                if policy.constraints.matches(req) and vap.binds(binding, req):
                    if shared is None and policy.param_kind is None:
                        shared = self.runtime.activation({**bound, "params": None})
                    self._run_vap(policy, binding, req, bound, plain_objects, kinds, doc, evaluation, shared)
            for vpol in kyverno:
                verdict = runner.evaluate(vpol, obj, operation, old, user, namespace_obj, extra)
                if verdict is not None:
                    self._record(verdict, f"ValidatingPolicy/{vpol.name}", _severity(vpol.actions),
                                 f"ValidatingPolicy '{vpol.name}'", vpol.failure_policy, doc, evaluation)
        return evaluation

    def _crd_rules(self, docs: Sequence[Document], base: Any, evaluation: Evaluation) -> None:
        """x-kubernetes-validations of the run's CRDs, `--schema-location` and bundled schemas."""
        ctx = self.ctx
        catalog = crd_rules.RuleCatalog(self.runtime, getattr(ctx, "kube_version", "1.32"),
                                        getattr(ctx, "strict", False), getattr(ctx, "schema_locations", ()))
        catalog.add_crds(docs)
        catalog.add_schemas(getattr(ctx, "crd_schemas", None) or {})
        found, passed = crd_rules.check(catalog, self.runtime, docs, base)
        evaluation.findings.extend(found)
        evaluation.passed += passed
        evaluation.findings.extend(
            Finding(rule="policy/invalid", severity="error", message=p.message, path=p.path, line=p.line, engine=ENGINE)
            for p in dict.fromkeys(catalog.problems))

    def _run_vap(self, policy: vap.Policy, binding: vap.Binding, req: Any, bound: dict, objects: list,
                 kinds: KindTable, doc: Document, evaluation: Evaluation, shared: Any = None) -> None:
        if policy.param_kind is None:
            params: "list | None" = [None]
        else:
            namespaced = kinds.namespaced(policy.param_kind[0].rpartition("/")[0], policy.param_kind[1])
            params = vap.find_params(policy, binding, objects, req.namespace, namespaced)
        who = f"ValidatingAdmissionPolicy '{policy.name}' with binding '{binding.name}'"
        rule = f"ValidatingAdmissionPolicy/{policy.name}"
        if params is None:
            if binding.param_ref is None or binding.param_ref.not_found != "Allow":
                evaluation.findings.append(_finding(rule, binding.severity, doc, f"{who} denied request: failed to "
                                                    "configure binding: no params found for policy binding with "
                                                    "`Deny` parameterNotFoundAction"))
            return
        for param in params:
            verdict = run(self.runtime, policy.program, {**bound, "params": param},
                          activation=shared if param is None else None)
            self._record(verdict, rule, binding.severity, who, policy.failure_policy, doc, evaluation)

    @staticmethod
    def _record(verdict: Verdict, rule: str, severity: str, who: str, failure_policy: str, doc: Document,
                evaluation: Evaluation) -> None:
        if verdict.status == "pass":
            evaluation.passed += 1
        elif verdict.status == "fail":
            evaluation.findings.extend(_finding(rule, severity, doc, f"{who} denied request: {v.message}")
                                       for v in verdict.violations)
        elif verdict.status == "error" and failure_policy != "Ignore":
            evaluation.findings.append(_finding(rule, severity, doc, f"{who} failed: {verdict.error}"))
        # What the API server writes into the request's audit event, keyed `<policy>/<key>`.
        policy = rule.partition("/")[2]
        evaluation.findings.extend(_finding(rule, "info", doc, f"{who} audit annotation {policy}/{key}: {value}")
                                   for key, value in sorted(verdict.annotations.items()))

    @staticmethod
    def _problems(policies: Sequence[vap.Policy], kyverno: Sequence[ValidatingPolicy]) -> Iterator[Finding]:
        seen: set[Problem] = set()
        for owner, problems in [(f"ValidatingAdmissionPolicy {p.name}", p.problems) for p in policies] + \
                               [(f"{p.kind} {p.name}", p.problems) for p in kyverno]:
            for problem in problems:
                if problem not in seen:
                    seen.add(problem)
                    yield Finding(rule="policy/invalid", severity="error", message=f"{owner}: {problem.message}",
                                  path=problem.path, line=problem.line, engine=ENGINE)

    @staticmethod
    def _unbound(policies: Sequence[vap.Policy], bindings: Sequence[vap.Binding]) -> Iterator[Finding]:
        bound = {b.policy for b in bindings}
        for policy in policies:
            if policy.name not in bound:
                yield Finding(rule=f"ValidatingAdmissionPolicy/{policy.name}", severity="info", path=policy.path,
                              line=policy.line, engine=ENGINE,
                              message=f"ValidatingAdmissionPolicy '{policy.name}' has no binding among the checked "
                                      "files: the API server does not enforce it, and prcheck does not evaluate it")


def _exempt(doc: Document) -> bool:
    """The API server never runs admission policies on the objects that configure admission."""
    return doc.api_version.startswith(vap.GROUP + "/")


def _needs_network(policy: ValidatingPolicy) -> Finding:
    return Finding(rule=f"ValidatingPolicy/{policy.name}", severity="info", path=policy.path, line=policy.line,
                   engine=ENGINE, message=f"{policy.kind} '{policy.name}' calls http or globalContext, which need "
                                          "the network or a cluster: not evaluated offline")


def _severity(actions: Sequence[str]) -> str:
    found = [vap.ACTION_SEVERITY[a] for a in actions if a in vap.ACTION_SEVERITY]
    return max(found, key=vap.RANK.__getitem__) if found else "error"


def _finding(rule: str, severity: str, doc: Document, message: str) -> Finding:
    return Finding(rule=rule, severity=severity, message=message, path=doc.path, line=doc.line,  # type: ignore[arg-type]
                   resource=doc.resource, engine=ENGINE)
