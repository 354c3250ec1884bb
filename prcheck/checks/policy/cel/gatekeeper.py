"""Gatekeeper's K8sNativeValidation (CEL) engine for ConstraintTemplates.

Gatekeeper turns a template's CEL block into a ValidatingAdmissionPolicy
whose `params` is the constraint: `variables.params` is the constraint's
`spec.parameters`, `variables.anyObject` the object under review (its
`oldObject` on DELETE), and the template's `variables` follow in order.
Each `validations` entry that is false is one violation with its
`messageExpression` (else `message`). An expression that errors is a
violation too, as gatekeeper reports a failed CEL evaluation (failurePolicy
Fail), unless the template says `failurePolicy: Ignore`.
"""

from __future__ import annotations

import json
from typing import Any

from prcheck.checks.policy.base import PolicyError
from prcheck.checks.policy.gatekeeper.load import TemplateSource
from prcheck.checks.policy.gatekeeper.program import Answer

from .program import Compiler, compile_program, run
from .runtime import Runtime, plain


class CelTemplate:
    """A template's CEL code compiled once; the same interface the Rego program offers the reviewers."""

    reads_inventory = False  # CEL templates cannot read data.inventory

    def __init__(self, source: TemplateSource, runtime: "Runtime | None" = None) -> None:
        if source.cel is None or source.document is None:
            raise PolicyError(source.path, source.line, 0,
                              f"ConstraintTemplate '{source.name}' has no K8sNativeValidation code")
        self.source, self.kind = source, source.kind
        self.runtime = runtime or Runtime()
        compiler = Compiler(self.runtime, source.document, list(source.cel_keypath))
        self.program = compile_program(compiler, source.cel)
        if compiler.problems:
            first = compiler.problems[0]
            raise PolicyError(first.path, first.line, 0, f"ConstraintTemplate '{source.name}': {first.message}")
        if not self.program.validations:
            raise PolicyError(source.path, source.line, 0,
                              f"ConstraintTemplate '{source.name}': K8sNativeValidation has no validations")
        self.ignore_errors = str(source.cel.get("failurePolicy") or "Fail") == "Ignore"

    def set_inventory(self, inventory_json: str) -> None:
        """Nothing to do: CEL templates never see the inventory."""

    def violations(self, review_json: str, parameters_json: str) -> Answer:
        review = plain(json.loads(review_json))
        parameters = json.loads(parameters_json)
        obj, old = review.get("object"), review.get("oldObject")
        any_object = obj if obj is not None else old
        bindings: dict[str, Any] = {"object": obj, "oldObject": old, "request": review,
                                    "params": {"spec": {"parameters": parameters}}, "namespaceObject": None}
        verdict = run(self.runtime, self.program, bindings,
                      preset_variables={"params": parameters, "anyObject": any_object})
        results: list[dict] = [{"msg": v.message} for v in verdict.violations]
        if verdict.error and not self.ignore_errors:
            results.append({"msg": f"CEL evaluation error: {verdict.error}"})
        return Answer(results=results)
