"""The render stage's entry: every environment at base and head, and how each differs.

The base is the merge base of `base_ref` and the head (what a pull request
is compared against), checked out in a temporary worktree; the head is the
work tree, or a second worktree when `head_ref` is given. Environments come
from the run's config (the trust stage decided which; the same declarations
apply to both sides), or are discovered on each side separately, so an environment the
change adds or deletes shows as wholly added or removed.

An environment whose inputs hash the same on both sides is not rendered at
all and is reported as skipped.
"""

from __future__ import annotations

import re
import time
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

from prcheck.diff import DiffOptions, diff_env, new_mask_key, skipped_env
from prcheck.model import Document, EnvDiff, Environment, Finding
from prcheck.render import argo, environments, flux, inputs
from prcheck.render.containment import inside
from prcheck.render.kustomize import KUSTOMIZATION_FILES
from prcheck.render.remotes import repository_urls
from prcheck.processes import capped_jobs
from prcheck.render.runner import RenderOptions, RenderResult, RenderTask, render_all
from prcheck.render.sandbox import SandboxPool
from prcheck.render.spec import RenderSpec
from prcheck.render.worktree import git, materialise, remove_stale, toplevel
from prcheck.sources.gitdiff import ChangeSet, merge_base
from prcheck.sources.shard import Shard, select_envs

# A change this large is compared the ordinary way (one base checkout).
MAX_QUICK_CHANGES = 200
_DEFINES_ENVS = (argo.MARKER.encode(), flux.MARKER.encode(), b"GitRepository", b"ArtifactGenerator")


@dataclass
class Comparison:
    diffs: list[EnvDiff] = field(default_factory=list)
    head_docs: dict[str, list[Document]] = field(default_factory=dict)
    base_docs: dict[str, list[Document]] = field(default_factory=dict)  # environments rendered at both sides
    findings: list[Finding] = field(default_factory=list)
    environments: list[Environment] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)  # env → Flux Kustomizations not followed, and why
    base_commit: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    random_sources: frozenset[str] = frozenset()  # templates whose chart calls a random function


def _specs(root: Path, declared: list[RenderSpec] | None, remotes: Sequence[str], kube_version: str) -> dict[str, RenderSpec]:
    found = declared if declared is not None else environments.discover(root, remotes, kube_version)
    return {s.name: s for s in found}


def _share(specs: dict[str, RenderSpec], other: Mapping[str, RenderSpec], shard: Shard | None) -> dict[str, RenderSpec]:
    """This shard's environments of one side, dealt over the names of both sides alike."""
    if shard is None:
        return specs
    mine = select_envs(specs.keys() | other.keys(), shard)
    return {name: spec for name, spec in specs.items() if name in mine}


def _may_define_environments(repo: Path, base_commit: str, path: str) -> bool:
    """A file whose change could add, remove or redefine an environment:
    by its name, or because it mentions Argo CD or Flux on either side."""
    name = path.rsplit("/", 1)[-1]
    if name in KUSTOMIZATION_FILES or name == "Chart.yaml" or name.startswith("values") or \
            name in (".prcheck.yaml", ".prcheck.yml"):
        return True
    try:
        with open(repo / path, "rb") as fh:
            head = fh.read()
    except OSError:
        return True
    base = git(repo, "cat-file", "-p", f"{base_commit}:{path}", check=False).encode("utf-8", "surrogateescape")
    return any(marker in text for text in (head, base) for marker in _DEFINES_ENVS)


def _untouched_environments(repo: Path, base_commit: str, change: ChangeSet, head: Mapping[str, RenderSpec],
                            hasher: inputs.Hasher) -> bool:
    """True when the change cannot alter any environment's render, judged on
    the work tree alone, so the base need not be checked out: it only added
    or modified files, none of which defines environments (the base's
    environments are then the head's) or is an input of one (so every digest
    would match)."""
    files = change.files
    if not files or len(files) > MAX_QUICK_CHANGES or any(f.status not in "AM" for f in files.values()):
        return False
    if any(_may_define_environments(repo, base_commit, p) for p in files):
        return False
    touched = {str((repo / p).resolve()) for p in files}
    return not any(touched.intersection(hasher.files(spec)) for spec in head.values())


def compare(root: Path, base_ref: str, head_ref: str | None = None, *, config: Mapping[str, Any] | None = None,
            jobs: int | None = None, allow_remote: bool = False, timeout: float = 60.0, kube_version: str = "",
            ignore_labels: Sequence[str] = (), with_nodes: bool = True, change: ChangeSet | None = None,
            shard: Shard | None = None) -> Comparison:
    """Render what changed between `base_ref` and `head_ref` (default: the work tree).
    With the `change` (work tree only), a change no render can see skips the base checkout;
    with a `shard`, only that share of the environments is rendered."""
    repo = toplevel(root)
    result = Comparison()
    started = time.perf_counter()
    remove_stale(repo)
    remotes = repository_urls(repo)
    result.base_commit = merge_base(repo, base_ref, head_ref)
    options = RenderOptions(allow_remote=allow_remote, timeout=timeout, remotes=remotes)
    if change is not None and head_ref is None and change.base == result.base_commit:
        head = _specs(repo, environments.declared(config or {}, kube_version), remotes, kube_version)
        head = _share(head, head, shard)
        if _untouched_environments(repo, result.base_commit, change, head, inputs.Hasher(repo, remotes)):
            result.environments = [s.env for s in head.values()]
            result.diffs = [skipped_env(name) for name in sorted(head)]
            result.timings["total"] = time.perf_counter() - started
            return result
    with ExitStack() as stack:
        # workers start now, so their start-up overlaps the checkout and the hashing
        pool = stack.enter_context(SandboxPool(capped_jobs(jobs), allow_remote=allow_remote,
                                               memory_bytes=options.memory_bytes))
        base_root = stack.enter_context(materialise(repo, result.base_commit))
        head_root = stack.enter_context(materialise(repo, head_ref)) if head_ref else repo
        stack.callback(pool.close)  # unwinding: end the workers before their checkouts go
        result.timings["checkout"] = time.perf_counter() - started

        mark = time.perf_counter()
        # the caller's (trusted) config only: the checked tree's own file is data, never read here
        declared = environments.declared(config or {}, kube_version)
        head = _specs(head_root, declared, remotes, kube_version)
        base = _specs(base_root, declared, remotes, kube_version)
        head, base = _share(head, base, shard), _share(base, head, shard)
        result.environments = [s.env for s in head.values()] + [s.env for n, s in base.items() if n not in head]
        result.timings["discover"] = time.perf_counter() - mark

        mark = time.perf_counter()
        tasks: list[RenderTask] = []
        skipped: set[str] = set()
        head_hash, base_hash = inputs.Hasher(head_root, remotes), inputs.Hasher(base_root, remotes)
        for name in sorted(head.keys() | base.keys()):
            h, b = head.get(name), base.get(name)
            if h is not None and b is not None and head_hash.digest(h) == base_hash.digest(b):
                skipped.add(name)
                continue
            # both sides locate source files the same way, or unchanged objects would look moved
            if b is not None:
                tasks.append(RenderTask(b, "base", str(base_root), missing_ok=True, origins=with_nodes))
            if h is not None:
                tasks.append(RenderTask(h, "head", str(head_root), with_nodes=with_nodes, origins=with_nodes))
        result.timings["hash"] = time.perf_counter() - mark

        mark = time.perf_counter()
        rendered = render_all(tasks, options, jobs, pool)
        result.timings["render"] = time.perf_counter() - mark
        random_sources = result.random_sources = _random_templates(rendered, {"base": base_root, "head": head_root})

    mark = time.perf_counter()
    by_env: dict[str, dict[str, RenderResult]] = {}
    for r in rendered:
        by_env.setdefault(r.env, {})[r.side] = r
    options_diff = DiffOptions(ignore_labels=tuple(ignore_labels), mask_key=new_mask_key(),
                               random_sources=random_sources)
    for name in sorted(head.keys() | base.keys()):
        if name in skipped:
            result.diffs.append(skipped_env(name))
            continue
        sides = by_env.get(name, {})
        b_res, h_res = sides.get("base"), sides.get("head")
        for r in (x for x in (b_res, h_res) if x is not None):
            result.findings.extend(_at_side(f, r.side) for f in r.findings)
            for note in r.notes:
                notes = result.notes.setdefault(name, [])
                if note not in notes:
                    notes.append(note)
        if (b_res and b_res.failed) or (h_res and h_res.failed):
            result.diffs.append(EnvDiff(env=name))  # no diff against a render that did not happen
        else:
            result.diffs.append(diff_env(name, b_res.docs if b_res else [], h_res.docs if h_res else [], options_diff))
        if h_res is not None and not h_res.failed:
            result.head_docs[name] = h_res.docs
            if b_res is not None and not b_res.failed:
                result.base_docs[name] = b_res.docs
    result.timings["diff"] = time.perf_counter() - mark
    result.timings["total"] = time.perf_counter() - started
    return result


# Helm functions that draw a new value on every render: a name built with one changes every time
_RANDOM_CALL = re.compile(rb"\b(?:randAlphaNum|randAlpha|randNumeric|randAscii|randInt|uuidv4)\b")
_MAX_TEMPLATE_BYTES = 1 << 20


def _random_templates(rendered: Sequence[RenderResult], roots: Mapping[str, Path]) -> frozenset[str]:
    """Repository paths of rendered templates whose chart calls a random function (in the
    template or in a helper beside it): the diff may pair their objects by name shape alone."""
    calls: dict[tuple[str, str], bool] = {}  # (side, templates folder) → a random call in it
    out: set[str] = set()
    for result in rendered:
        root = roots[result.side]
        for path in {d.path for d in result.docs} - out:
            chart, sep, _ = f"/{path}".partition("/templates/")
            if not sep:
                continue
            key = (result.side, chart)
            if key not in calls:
                calls[key] = _calls_random(root, root / chart.lstrip("/") / "templates")
            if calls[key]:
                out.add(path)
    return frozenset(out)


def _calls_random(root: Path, folder: Path) -> bool:
    if not inside(folder, root) or not folder.is_dir():
        return False
    for file in folder.rglob("*"):
        try:
            if file.is_file() and not file.is_symlink() and file.stat().st_size <= _MAX_TEMPLATE_BYTES \
                    and _RANDOM_CALL.search(file.read_bytes()):
                return True
        except OSError:
            continue
    return False


def render_head(root: Path, *, config: Mapping[str, Any] | None = None, jobs: int | None = None,
                allow_remote: bool = False, timeout: float = 60.0, kube_version: str = "",
                shard: Shard | None = None) -> Comparison:
    """Every environment rendered once, in the work tree, with no base (`check --render`).

    A default branch's own report needs the rendered findings too: GitLab's Code
    Quality widget compares a merge request's report with it, and a finding
    missing there shows as new on every merge request. Nothing is diffed.
    """
    repo = toplevel(root)
    result = Comparison()
    started = time.perf_counter()
    remotes = repository_urls(repo)
    options = RenderOptions(allow_remote=allow_remote, timeout=timeout, remotes=remotes)
    with ExitStack() as stack:
        pool = stack.enter_context(SandboxPool(capped_jobs(jobs), allow_remote=allow_remote,
                                               memory_bytes=options.memory_bytes))
        stack.callback(pool.close)
        head = _specs(repo, environments.declared(config or {}, kube_version), remotes, kube_version)
        head = _share(head, head, shard)
        result.environments = [s.env for s in head.values()]
        tasks = [RenderTask(spec, "head", str(repo), with_nodes=True, origins=True) for _, spec in sorted(head.items())]
        rendered = render_all(tasks, options, jobs, pool)
    result.random_sources = _random_templates(rendered, {"head": repo})
    for r in rendered:
        result.findings.extend(_at_side(f, r.side) for f in r.findings)
        if r.notes:
            result.notes[r.env] = list(dict.fromkeys(r.notes))
        if not r.failed:
            result.head_docs[r.env] = r.docs
    result.timings["total"] = time.perf_counter() - started
    return result


def _at_side(finding: Finding, side: str) -> Finding:
    """A base-side render problem existed before the change: it informs, it never fails the run."""
    if side == "head":
        return finding
    return replace(finding, severity="info", fingerprint="")


def render_changes(root: Path, base_ref: str, head_ref: str | None = None, *,
                   config: Mapping[str, Any] | None = None, jobs: int | None = None, allow_remote: bool = False,
                   timeout: float = 60.0, kube_version: str = "", ignore_labels: Sequence[str] = (),
                   ) -> tuple[list[EnvDiff], dict[str, list[Document]], list[Finding]]:
    """For the check pipeline: (diffs, head documents per rendered environment, render findings)."""
    found = compare(root, base_ref, head_ref, config=config, jobs=jobs, allow_remote=allow_remote,
                    timeout=timeout, kube_version=kube_version, ignore_labels=ignore_labels)
    return found.diffs, found.head_docs, found.findings
