"""`KyvernoEngine`: the PolicyEngine that runs Kyverno validate rules offline.

Policies are compiled once in the constructor and indexed by the kinds their
rules match, so a resource only meets the rules that can apply to it. Rule
results become findings: `fail` → error (`Enforce`) or warning (`Audit`),
`error` → warning (the rule could not be evaluated, which must not pass
silently), `pass` is counted, `skip` is dropped. Rules Kyverno would run but
that need a cluster or are not validate rules (mutate, generate,
verifyImages, CEL, podSecurity) are reported once per policy as `info`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from prcheck.model import Document, Finding

from ..base import Evaluation
from .context import add_variables, base_context, resource_of
from .evaluate import Evaluator, Result
from .load import is_policy, kyverno_documents
from .match import Request, matches, request_for
from .rules import Policy, Rule, compile_policy
from .valuesfile import Values, load_values
from .variables import Jmes

ENGINE = "kyverno"


@dataclass
class RuleResponse:
    policy: Policy
    rule: Rule
    result: Result


class KyvernoEngine:
    name = ENGINE
    per_document = False  # namespace labels and once-per-run notes come from the whole run

    def __init__(self, policies: list[Policy], values: "Values | None" = None, offline: str = "skip",
                 unsupported: "Sequence[Document]" = ()) -> None:
        """`offline="skip"`: rules needing cluster data without values are skipped with a
        note; `"ignore"`: those context entries stay unset, exactly as `kyverno test` does.
        `unsupported`: other Kyverno documents found with the policies, reported as info."""
        self.policies = policies
        self.unsupported = [(d.path, d.line, d.kind, d.name) for d in unsupported]
        self.values = values or Values()
        self._evaluator = Evaluator(Jmes(), self.values, offline)
        self._by_kind: dict[str, list[tuple[int, int]]] = {}
        self._any_kind: list[tuple[int, int]] = []
        for p_index, policy in enumerate(policies):
            for r_index, rule in enumerate(policy.rules):
                if rule.kinds is None:
                    self._any_kind.append((p_index, r_index))
                for kind in rule.kinds or ():
                    self._by_kind.setdefault(kind, []).append((p_index, r_index))
        self._candidates: dict[str, list[tuple[int, int]]] = {}
        self._runners = [[self._evaluator.prepare(p.name, r) for r in p.rules] for p in policies]

    def __getstate__(self) -> dict:
        """Compiled rules hold closures; a pickled engine (for worker processes) carries
        the policies as written and compiles them again on arrival."""
        return {"sources": [(p.path, p.line, p.source) for p in self.policies],
                "values": self.values, "offline": self._evaluator.offline, "unsupported": self.unsupported}

    def __setstate__(self, state: dict) -> None:
        policies = [compile_policy(Document(path=path, index=0, line=line, obj=obj))
                    for path, line, obj in state["sources"]]
        self.__init__(policies, state["values"], state["offline"])  # type: ignore[misc]
        self.unsupported = state["unsupported"]

    @classmethod
    def from_paths(cls, paths: Sequence["str | Path"], values: "str | Path | None" = None) -> "KyvernoEngine | None":
        """Load and compile every Kyverno policy under `paths`; `None` when there is none.
        A malformed policy raises `PolicyError` with its file and line."""
        docs = kyverno_documents(paths)
        if not docs:
            return None
        policies = [compile_policy(doc) for doc in docs if is_policy(doc)]
        others = [doc for doc in docs if not is_policy(doc)]
        return cls(policies, load_values(values) if values else None, unsupported=others)

    def _rules_for(self, kind: str) -> list[tuple[int, int]]:
        cached = self._candidates.get(kind)
        if cached is None:
            cached = sorted(set(self._by_kind.get(kind, [])) | set(self._any_kind))
            self._candidates[kind] = cached
        return cached

    def apply(self, resource: dict, namespace_labels: "dict[str, dict[str, str]] | None" = None,
              user: "dict | None" = None) -> list[RuleResponse]:
        """Every matching rule's result for one resource, in policy and rule order."""
        candidates = self._rules_for(str(resource.get("kind") or ""))
        if not candidates:
            return []
        labels_by_ns = {**self.values.namespace_labels, **(namespace_labels or {})}
        name = str(((resource.get("metadata") or {}).get("name")) or "")
        shared: dict[str, tuple[dict, Request]] = {}
        prepared: dict[int, tuple[dict, Request]] = {}
        applied: set[int] = set()  # policies with applyRules: One that already applied a rule
        responses: list[RuleResponse] = []
        policies, runners = self.policies, self._runners
        for p_index, r_index in candidates:
            policy = policies[p_index]
            if p_index in applied:
                continue
            found = prepared.get(p_index)
            if found is None:
                found = prepared[p_index] = self._prepare(policy, resource, name, labels_by_ns, user, shared)
            context, request = found
            if policy.namespace and policy.namespace != (request.namespace or "default"):
                continue  # a namespaced Policy only sees its namespace (unset means "default")
            rule = policy.rules[r_index]
            if not matches(rule.match, rule.exclude, request):
                continue
            result = runners[p_index][r_index](context, request)
            responses.append(RuleResponse(policy, rule, result))
            if policy.apply_one and result.status in ("pass", "fail"):
                applied.add(p_index)
        return responses

    def _prepare(self, policy: Policy, resource: dict, name: str, labels_by_ns: dict, user: "dict | None",
                 shared: dict[str, tuple[dict, Request]]) -> tuple[dict, Request]:
        """The rule context and match request for one policy: shared across policies unless
        the values file sets variables for this policy and resource."""
        variables = self.values.for_resource(policy.name, name)
        key = repr(sorted(variables.items(), key=lambda kv: kv[0])) if variables else ""
        if key not in shared:
            operation = str(variables.get("request.operation") or "CREATE").upper()
            context = add_variables(base_context(resource, operation, user), variables)
            target = resource_of(context)
            target = target if isinstance(target, dict) else resource
            namespace = str(((target.get("metadata") or {}).get("namespace")) or "")
            shared[key] = (context, request_for(target, operation, labels_by_ns.get(namespace, {}), user))
        return shared[key]

    def evaluate(self, docs: Sequence[Document]) -> Evaluation:
        evaluation = Evaluation()
        namespace_labels = _namespace_labels(docs)
        needs_cluster: set[tuple[str, str]] = set()
        for doc in docs:
            if not isinstance(doc.obj, dict) or not doc.obj.get("kind"):
                continue
            for response in self.apply(doc.obj, namespace_labels):
                if response.result.status == "pass":
                    evaluation.passed += 1
                    continue
                finding = self._finding(doc, response, needs_cluster)
                if finding is not None:
                    evaluation.findings.append(finding)
        evaluation.findings.extend(self._unsupported())
        return evaluation

    def _finding(self, doc: Document, response: RuleResponse, needs_cluster: set) -> "Finding | None":
        result, policy, rule = response.result, response.policy, response.rule
        rule_id = f"{policy.name}/{rule.name}"
        env = _env_of(doc.origin)
        if result.status == "fail":
            severity = "error" if rule.action_for(doc.namespace) == "Enforce" else "warning"
            message = result.message or f"validation error: rule {rule.name} failed"
            return Finding(rule=rule_id, severity=severity, message=message, path=doc.path, line=doc.line,
                           resource=doc.resource, engine=ENGINE, env=env)
        if result.status == "error":
            return Finding(rule=rule_id, severity="warning", message=f"rule error: {result.message}", path=doc.path,
                           line=doc.line, resource=doc.resource, engine=ENGINE, env=env)
        if result.needs_cluster and (policy.key, rule.name) not in needs_cluster:
            needs_cluster.add((policy.key, rule.name))
            return Finding(rule=rule_id, severity="info", message=f"not evaluated offline: {result.message}",
                           path=policy.path, line=policy.line, engine=ENGINE, env=env)
        return None

    def _unsupported(self) -> Iterator[Finding]:
        for path, line, kind, name in self.unsupported:
            yield Finding(rule=f"{name}/*", severity="info", path=path, line=line, engine=ENGINE,
                          message=f"{kind} {name}: not evaluated offline (prcheck runs ClusterPolicy and "
                                  "Policy validate rules)")
        for policy in self.policies:
            for problem in policy.problems:
                yield Finding(rule="policy/invalid", severity="error", message=f"{policy.kind} {policy.name}: "
                              f"{problem.message}", path=problem.path, line=problem.line, engine=ENGINE)
            if not policy.unsupported:
                continue
            detail = ", ".join(f"{rule} ({feature})" for rule, feature in policy.unsupported)
            yield Finding(rule=f"{policy.name}/*", severity="info",
                          message=f"{policy.kind} {policy.name}: not evaluated offline: {detail}",
                          path=policy.path, line=policy.line, engine=ENGINE)


def _namespace_labels(docs: Sequence[Document]) -> dict[str, dict[str, str]]:
    labels: dict[str, dict[str, str]] = {}
    for doc in docs:
        if doc.kind == "Namespace" and doc.name:
            raw = (doc.obj.get("metadata") or {}).get("labels") or {}
            labels[doc.name] = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    return labels


def _env_of(origin: str) -> str:
    """`env:<name>@<side>` → `<name>`; files carry no environment."""
    if not origin.startswith("env:"):
        return ""
    return origin[4:].rsplit("@", 1)[0]
