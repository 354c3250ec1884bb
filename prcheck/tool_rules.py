"""Findings prcheck raises about the run itself, as data.

Rendering, collection, the policy engines and the trust stage report what
went wrong with an input (a render that failed, a path refused, a policy
that does not load, a setting the trusted config did not make) as findings
with rule ids of their own. A user who meets one in a report looks it up
with `prcheck rules ID` like any other rule, and SARIF describes it, so the
ids are listed here once, with the severity they are raised at.

`tests/core/test_rules_listing.py` collects every rule id the code can emit
and fails when one is missing from `prcheck rules`, or when an entry here is
no longer raised anywhere.
"""

from __future__ import annotations

from prcheck.checks.policy.builtin_catalog import RuleInfo

_RENDER_FIX = "Run `prcheck envs` to see the environment, then build it locally with the same tool."

TOOL_RULES: tuple[RuleInfo, ...] = (
    RuleInfo("render/failed", "Environment did not render", "error", "render",
             "kustomize or Helm refused the environment (its error is quoted, masked). Nothing of the "
             "environment is checked or diffed. Reported at info when the base revision failed too.",
             _RENDER_FIX),
    RuleInfo("render/timeout", "Environment render timed out", "error", "render",
             "The render did not finish within `--timeout` seconds and was stopped.",
             "Raise `--timeout`, or look for a generator or chart that loops."),
    RuleInfo("render/tool-missing", "Render tool not available", "error", "render",
             "Neither `kustomize` nor `kubectl` (for kustomizations), or no Helm (binary or the `helm` "
             "extra's embedded SDK), could be run.",
             "Install kubectl/kustomize, or `pip install 'prcheck[helm]'`."),
    RuleInfo("render/remote-refused", "Remote render input refused", "error", "render",
             "The environment needs a remote base, chart or values file; renders read only the repository "
             "unless `--allow-remote` is given.",
             "Vendor the remote input, or pass `--allow-remote` where the network is wanted."),
    RuleInfo("render/path-outside-repo", "Render input outside the repository", "error", "render",
             "A kustomization, chart dependency or values file points outside the repository (or into .git, "
             "or through a symlink that leaves it); it is not read.",
             "Keep every render input inside the repository."),
    RuleInfo("render/missing-dependency", "Chart dependency not vendored", "error", "render",
             "A chart's `dependencies` are missing from its `charts/` folder and only a chart repository has "
             "them (local `file://` ones are built automatically).",
             "Run `helm dependency build <chart>` and commit `charts/`."),
    RuleInfo("render/invalid-yaml", "Rendered output not readable in full", "warning", "render",
             "Some files of a rendered environment could not be parsed; their objects are missing from the "
             "checks and the diff."),
    RuleInfo("path/unreadable", "File could not be read", "error", "lint",
             "The file is listed by git but reading it failed (permissions, a special file)."),
    RuleInfo("path/symlink-loop", "Symlink loop", "error", "lint",
             "A symlink leads back to itself; it is not followed."),
    RuleInfo("policy/invalid", "Policy does not load", "error", "prcheck",
             "A Kyverno policy, ValidatingAdmissionPolicy, binding or CEL expression of the run's policies is "
             "malformed or does not compile; the rest of the policies still run.",
             "Fix the policy (the message names the field and the compiler's error)."),
    RuleInfo("policy/input-refused", "Document not evaluated by Rego policies", "error", "rego",
             "The document cannot be given to the Rego engine even sanitised, so no Rego policy judged it."),
    RuleInfo("policy/input-sanitised", "Document sanitised for Rego policies", "warning", "rego",
             "Values JSON cannot hold (.inf, .nan, integers beyond 64 bits, non-string keys) reached the Rego "
             "policies as strings, and nesting was cut; their verdicts on those values may differ from OPA's."),
    RuleInfo("policy/builtin-refused", "Policy calls a refused built-in", "error", "rego",
             "A Rego rule calls a built-in that would reach the network (`http.send`, "
             "`net.lookup_ip_addr`); rules that call it produce no result.",
             "Give the policy the data it needs through `--data` instead."),
    RuleInfo("crd/validation-rule", "CRD validation rule failed", "error", "cel",
             "An `x-kubernetes-validations` rule of the object's CRD evaluates to false (or its message "
             "expression says why), as the API server would reject the object."),
    RuleInfo("k8s/immutable-field-changed", "Immutable field changed", "error", "cel",
             "The change edits a field the API server refuses to update in place (a Deployment's selector, a "
             "Service's clusterIP, a Job's template, ...); the apply would fail.",
             "Delete and recreate the object, or revert the field."),
    RuleInfo("trust/config-changed", "prcheck configuration changed by the change", "warning", "prcheck",
             "With `--trusted-ref`, the checked tree's config, policies or exceptions differ from the trusted "
             "ones; the trusted ones are used and a reviewer should look at the difference."),
    RuleInfo("trust/untrusted-setting", "Setting not taken from an untrusted config", "warning", "prcheck",
             "A setting that routes evaluation or names paths was set by the checked tree's config, not the "
             "trusted one; it is ignored."),
    RuleInfo("trust/suppression-added", "Suppression added by the change", "warning", "prcheck",
             "The change adds a suppression (inline comment, annotation or exception), or brings a new finding "
             "under an existing one with `--suppressions trusted`; a reviewer should accept it explicitly."),
)
