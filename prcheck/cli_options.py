"""`prcheck check`'s options, once: the click command and the fast parser are both made from this table."""

from __future__ import annotations

from typing import Any

from prcheck.cli_spec import Choice, IntRange, Opt, PathType
from prcheck.publish.flags import PUBLISH_OPTIONS

FORMAT_CHOICES = ["text", "json", "sarif", "junit", "codequality", "markdown"]

# The one argument: any number of paths, each a click.Path().
PATHS, PATHS_TYPE = "paths", PathType()


def shard_value(value: str | None) -> Any:
    """`--shard I/N` as a Shard; ValueError (click: a bad parameter) for anything else."""
    if not value:
        return None
    from prcheck.sources.shard import Shard

    return Shard.parse(value)


CHECK_OPTIONS: tuple[Opt, ...] = (
    Opt("config_file", "--config", type=PathType(dir_okay=False), help="Config file (default: .prcheck.yaml found upward to the git root)."),
    Opt("kube_version", "--kube-version", help="Kubernetes version to validate against (default 1.32)."),
    Opt("strict", "--strict/--no-strict", default=None, help="Reject fields the schema does not know."),
    Opt("schema_location", "--schema-location", multiple=True, help="Local schema location template, kubeconform style (repeatable)."),
    Opt("skip_kinds", "--skip-kinds", multiple=True, help="Kinds (or version/Kind) not schema-validated; comma-separated or repeated."),
    Opt("skip_missing_schemas", "--skip-missing-schemas", is_flag=True, default=None, help="Say nothing about kinds with no schema."),
    Opt("policies", "--policy", multiple=True, type=PathType(), help="Rego policy folder or file (repeatable)."),
    Opt("added_policies", "--add-policy", multiple=True, type=PathType(), help="Rego policy folder or file run in addition to the config's policies (repeatable)."),
    Opt("data", "--data", multiple=True, type=PathType(), help="JSON/YAML data file or folder merged under `data` (repeatable)."),
    Opt("namespaces", "--namespace", multiple=True, help="Rego package to query (repeatable, default main)."),
    Opt("all_namespaces", "--all-namespaces", is_flag=True, default=None, help="Query every Rego package."),
    Opt("combine", "--combine", is_flag=True, default=None, help="Evaluate policies once with all documents as input."),
    Opt("rego_engine", "--rego-engine", type=Choice(["embedded", "opa"]), help="Embedded engine (default) or an OPA server."),
    Opt("rego_version", "--rego-version", type=Choice(["auto", "v0", "v1"]), help="Rego syntax; auto detects per module."),
    Opt("gatekeeper_engine", "--gatekeeper-engine", type=Choice(["auto", "cel", "rego"]), help="ConstraintTemplate code to run: auto (CEL when the template has K8sNativeValidation, as Gatekeeper), cel or rego."),
    Opt("opa_url", "--opa-url", help="OPA server URL for --rego-engine opa (default: start a local `opa run --server`)."),
    Opt("capabilities", "--capabilities", type=PathType(dir_okay=False), help="OPA capabilities JSON: Rego may only call the built-ins it lists (conftest --capabilities)."),
    Opt("rego_strict", "--rego-strict", is_flag=True, default=None, help="OPA strict mode for Rego policies: unused variables and imports are errors (conftest --strict)."),
    Opt("builtin", "--builtin/--no-builtin", default=None, help="Run the built-in policy pack (default on; see `prcheck rules`)."),
    Opt("base", "--base", help="Git ref the change is compared against: render environments, fail only on new findings. `auto`: the merge base with the branch's upstream, else with origin/HEAD."),
    Opt("head", "--head", help="Git ref of the change with --base (default: the work tree)."),
    Opt("filter_mode", "--filter-mode", type=Choice(["added", "diff_context", "file", "nofilter"]), help="With --base: which findings fail the run (default added)."),
    Opt("allow_remote", "--allow-remote", is_flag=True, default=None, help="With --base: let kustomize and helm fetch remote resources."),
    Opt("ignore_labels", "--ignore-labels", is_flag=True, default=None, help="With --base: ignore helm.sh/chart-style label churn in diffs."),
    Opt("jobs", "--jobs", "-j", type=IntRange(min=1), help="Processes that check a large run (prcheck itself is one of them) and that render (default: number of cores)."),
    Opt("no_render", "--no-render", is_flag=True, default=False, help="Never render environments (fast pre-commit runs); with --base the change filter still applies."),
    Opt("render", "--render", is_flag=True, default=False, help="Without --base: render every environment at head and check the output, comparing nothing (a default branch's report)."),
    Opt("shard", "--shard", convert=shard_value, metavar="I/N", help="Check only share I of N (files and environments; for CI matrices); join the JSON reports with `prcheck merge`."),
    Opt("all_files", "--all-files", is_flag=True, default=False, help="With --base: check every file, not only those the change affects (same findings, slower)."),
    *PUBLISH_OPTIONS,
    Opt("formats", "--format", multiple=True, type=Choice(FORMAT_CHOICES), help="Output format (repeatable; pairs with -o in order)."),
    Opt("outputs", "-o", "--output", multiple=True, type=PathType(dir_okay=False), help="Write the matching --format to this file (repeatable)."),
    Opt("fail_on", "--fail-on", type=Choice(["error", "warning", "info", "never"]), help="Lowest severity that fails the run (default error)."),
    Opt("trusted_ref", "--trusted-ref", help="Git ref whose tree supplies config, policies, data, schemas, environments and exceptions (a pull request's base); the checked tree is only data."),
    Opt("suppressions", "--suppressions", type=Choice(["all", "trusted"]), help="trusted: suppressions the change added or edited are reported, not honoured (default all)."),
    Opt("quiet", "--quiet", "-q", is_flag=True, help="Hide info findings and the summary of a clean run."),
    Opt("exclude", "--exclude", multiple=True, metavar="GLOB", help="Leave out files matching GLOB (a path or any parent folder; repeatable, adds to the config's exclude)."),
    Opt("summary", "--summary", is_flag=True, default=False, help="End text output with the findings per rule (always shown past 20 findings)."),
)
