"""One problem, one finding: the same finding seen in several places is merged.

A problem in a base that three overlays include is found four times: once
in the source file and once in each rendered environment, each time pointing
at the same source line. A reviewer wants it once, with the environments it
affects, so every format and every publisher (one annotation, one review
comment "in staging, production") receives the merged finding.

Two findings are one problem when they have the same rule, message and
source location (path and line); without a line, the same resource. The
namespace is ignored there, because an overlay setting `namespace:` makes
`Deployment/web` of the base `Deployment/staging/web` in the environment.
The merged finding is the repository file's own when there is one (its
fingerprint is then the same with or without rendering), takes the highest
severity, and lists every environment in `envs`; `env` stays set only on a
finding seen in one environment alone.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Mapping, Sequence

from prcheck.model import SEVERITY_RANK, Finding

Key = tuple[str, str, int, str, str]


def _without_namespace(resource: str) -> str:
    parts = resource.split("/")
    return f"{parts[0]}/{parts[-1]}" if len(parts) == 3 else resource


# (env, resource) → (name, identity) of rendered objects whose name each render draws anew
Generated = Mapping[tuple[str, str], tuple[str, str]]


def _generic(finding: Finding, generated: Generated) -> tuple[str, str] | None:
    """(identity, message without the drawn name) of a finding on a generated name, else None."""
    known = generated.get((finding.env, finding.resource)) if generated and finding.env else None
    if known is None:
        return None
    name, identity = known
    return identity, finding.message.replace(name, "<generated>")


def problem_key(finding: Finding, generated: Generated | None = None) -> Key:
    generic = _generic(finding, generated or {})
    if generic is not None:  # one object of one template, whatever name each environment drew
        return finding.rule, finding.path, finding.line, generic[0], generic[1]
    where = "" if finding.line and finding.path else _without_namespace(finding.resource)
    return finding.rule, finding.path, finding.line, where, finding.message


def _stable(finding: Finding, source: Finding, generated: Generated | None) -> Finding:
    """The fingerprint of a finding on a generated name comes from its identity, so publishers
    update one comment instead of posting one per name drawn."""
    generic = _generic(source, generated or {})
    if generic is None:
        return finding
    return replace(finding, fingerprint=replace(finding, resource=generic[0], message=generic[1],
                                                fingerprint="").fingerprint)


def _repeated(findings: Sequence[Finding], generated: Generated | None) -> dict[int, list[Finding]]:
    """id of each problem's first finding → all its findings, for the problems seen more than
    once. Every key holds the path, so findings are compared path by path: a run's problem keys
    all at once (50,000 tuples at 20,000 resources) were the largest thing it held at its end."""
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        same = by_path.get(finding.path)
        if same is None:
            by_path[finding.path] = [finding]
        else:
            same.append(finding)
    repeated: dict[int, list[Finding]] = {}
    for same in by_path.values():
        if len(same) < 2:
            continue
        groups: dict[Key, list[Finding]] = {}
        for finding in same:
            groups.setdefault(problem_key(finding, generated), []).append(finding)
        if len(groups) < len(same):
            repeated.update((id(group[0]), group) for group in groups.values() if len(group) > 1)
    return repeated


def merge(findings: Iterable[Finding], generated: Generated | None = None) -> list[Finding]:
    """Merged findings, in the order their problems were first seen. `generated`: the rendered
    objects with drawn names (render/stage.py `generated_names`), known by their identity."""
    findings = findings if isinstance(findings, Sequence) else list(findings)
    repeated = _repeated(findings, generated)
    merged: list[Finding] = []
    later: set[int] = {id(f) for group in repeated.values() for f in group[1:]}
    for finding in findings:
        group = repeated.pop(id(finding), None) if repeated else None
        if group is None:
            if later and id(finding) in later:
                continue
            if not finding.env and not finding.envs:  # a repository file's own finding: as it is
                merged.append(finding)
                continue
            envs = tuple(sorted(set(finding.environments)))
            merged.append(_stable(replace(finding, envs=envs) if envs != finding.envs else finding, finding, generated))
            continue
        envs = tuple(sorted({e for f in group for e in f.environments}))
        first = min(group, key=lambda f: (bool(f.env), f.env))  # the repository file's own, else the first env
        severity = max((f.severity for f in group), key=SEVERITY_RANK.__getitem__)
        merged.append(_stable(replace(first, env="", envs=envs, severity=severity, fingerprint=""), first, generated))
    return merged
