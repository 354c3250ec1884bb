"""The trust stage: where the rules of a run come from.

Without `--trusted-ref` the checked tree's `.prcheck.yaml` is used (found
upward from the working folder), which is right for a developer's own
runs. With `--trusted-ref REF` (a pull request's base, as policy-bot takes
its policy from the target branch) the config, the policies, data and
schemas it names, its `environments:`, rule settings and `exceptions:` all
come from REF's tree; relative paths resolve there, and the checked tree is
only data. What the change does to those files is reported as
`trust/config-changed` findings.

Either way the result is one frozen `RunConfig`; no later stage reads a
config file.
"""

from __future__ import annotations

import os
import posixpath
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator, Mapping

from prcheck import config as config_file
from prcheck.model import Finding
from prcheck.processes import Toplevel
from prcheck.records import dataclass
from prcheck.runconfig import RunConfig
from prcheck.sources.collect import root_for
from prcheck.trust import changes, settings
from prcheck.trust.settings import ConfigSource
from prcheck.trust.tree import TrustedTree, inside_repo



@dataclass(frozen=True)
class Decision:
    """The configuration and fail level a run is judged by, after the trust stage chose them."""

    config: RunConfig
    fail_on: str


def _rel(path: Path, root: Path) -> str | None:
    """`path` relative to `root` (POSIX), or None when it is outside. Symlinks are
    not followed: a link committed in the change must not move the answer."""
    rel = os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
    return rel if inside_repo(rel) else None


def _relative_to(base: Path, raw: str) -> str:
    path = Path(raw).expanduser()
    return str(path if path.is_absolute() else base / path)


def _contained(path: Path, rel: str | None, root: Path) -> Path:
    """A config inside the checked tree must be a file of it: a committed symlink to
    `/proc/self/environ` or `~/.docker/config.json` is refused, not read."""
    if rel is not None:
        real = os.path.realpath(path)
        if not (real == str(root) or real.startswith(str(root).rstrip(os.sep) + os.sep)):
            raise config_file.ConfigError(f"{rel}: a symlink to a file outside the repository; not read")
    return path


def work_tree_source(config_path: str | None, cwd: Path, root: Path) -> ConfigSource:
    """The config a run without `--trusted-ref` uses: `--config`, else `.prcheck.yaml` found upward."""
    if config_path:
        path = cwd / config_path
        rel = _rel(path, root)
        _contained(path, rel, root)
        base = path.resolve().parent
        # a file outside the checked tree was put there by whoever runs prcheck
        return ConfigSource(config_file.load(path), label=config_path, path=rel or "", trusted=rel is None,
                            resolve=lambda p: _relative_to(base, p))
    found = config_file.discover(cwd, root)
    if found is None:
        return ConfigSource({}, label="(no config)", trusted=True, resolve=lambda p: _relative_to(cwd, p))
    rel = _rel(found, root) or ""
    _contained(found, rel or None, root)
    return ConfigSource(config_file.load(found), label=rel or str(found), path=rel,
                        resolve=lambda p: _relative_to(found.parent, p))


def _tree_resolver(tree: TrustedTree, root: Path, folder: str):  # type: ignore[no-untyped-def]
    """Config-relative paths of the trusted config → files extracted from the ref."""
    def resolve(raw: str) -> str:
        expanded = os.path.expanduser(raw)
        if os.path.isabs(expanded) or "://" in raw:
            return expanded
        joined = posixpath.normpath(posixpath.join(folder, raw))
        if not inside_repo(joined):
            return os.path.normpath(str(root / joined))  # the trusted config meant a folder beside the repository
        tree.extract(settings._static_prefix(joined))
        return str(tree.dir / joined)
    return resolve


def _trusted_config(tree: TrustedTree, rel: str) -> Mapping[str, Any]:
    local = tree.extract(rel)
    try:
        return config_file.load(local)
    except config_file.ConfigError as exc:
        raise config_file.ConfigError(str(exc).replace(str(tree.dir) + os.sep, f"{tree.label}:")) from None


def trusted_source(tree: TrustedTree, config_path: str | None, cwd: Path, root: Path) -> ConfigSource:
    if config_path:
        path = cwd / config_path
        rel = _rel(path, root)
        if rel is None:  # an operator's file outside the checkout: used as given
            base = path.resolve().parent
            return ConfigSource(config_file.load(path), label=config_path, trusted=True,
                                resolve=lambda p: _relative_to(base, p))
        if tree.read(rel) is None:
            raise config_file.ConfigError(f"{config_path}: not in the trusted ref {tree.label}")
        return ConfigSource(_trusted_config(tree, rel), label=f"{rel} at {tree.label}", path=rel, trusted=True,
                            resolve=_tree_resolver(tree, root, posixpath.dirname(rel)))
    folder = _rel(cwd, root) or "."
    while True:
        rel = posixpath.normpath(posixpath.join(folder, config_file.CONFIG_NAME))
        if tree.read(rel) is not None:
            return ConfigSource(_trusted_config(tree, rel), label=f"{rel} at {tree.label}", path=rel, trusted=True,
                                resolve=_tree_resolver(tree, root, posixpath.dirname(rel)))
        if folder in (".", ""):
            return ConfigSource({}, label=f"(no config at {tree.label})", trusted=True,
                                resolve=_tree_resolver(tree, root, "."))
        folder = posixpath.dirname(folder) or "."


def _head_config(config_path: str | None, cwd: Path, root: Path, notices: list[Finding]) -> ConfigSource | None:
    """The checked tree's own config, read only to report how it differs; never fatal."""
    if config_path and _rel(cwd / config_path, root) is None:
        return None  # the same outside file serves both sides
    try:
        return work_tree_source(config_path, cwd, root)
    except Exception as exc:  # the change's config is data: a broken one is a finding, not a failed run
        notices.append(Finding(rule=changes.CONFIG_CHANGED, severity="warning", engine="prcheck",
                               path=config_path or config_file.CONFIG_NAME,
                               message=f"the change's config cannot be used ({exc}); the trusted config applies"))
        return None


@contextmanager
def config_mapping(config_path: str | None, cwd: Path, root: Path, ref: str | None) -> Iterator[Mapping[str, Any]]:
    """Just the config mapping (for `prcheck diff`/`envs`): the work tree's, or REF's."""
    if not ref:
        yield work_tree_source(config_path, cwd, root).conf
        return
    tree = TrustedTree.create(root, ref)
    try:
        yield trusted_source(tree, config_path, cwd, root).conf
    finally:
        tree.close()


@contextmanager
def decide(paths: list[str], config_path: str | None, flags: Mapping[str, Any], cwd: Path,
           home: Toplevel | None = None) -> Iterator[Decision]:
    """The run's `RunConfig` (and `--fail-on`); the trusted ref's files live until the block ends.
    `home`: git's answer about `cwd`'s top level, asked earlier (`collect.root_for`)."""
    root = root_for(Path(paths[0]), cwd, home)
    notices: list[Finding] = []
    ref = flags.get("trusted_ref")
    if not ref:
        config, fail_on = settings.build(paths, root, work_tree_source(config_path, cwd, root), flags,
                                         lambda p: p, notices)
        yield Decision(replace(config, notices=tuple(notices)), fail_on)
        return
    tree = TrustedTree.create(root, str(ref))
    try:
        source = trusted_source(tree, config_path, cwd, root)

        def resolve_flag(raw: str) -> str:
            rel = _rel(cwd / raw, root)
            if rel is None:
                return raw
            tree.extract(settings._static_prefix(rel))
            return str(tree.dir / rel)

        config, fail_on = settings.build(paths, root, source, flags, resolve_flag, notices)
        head = _head_config(config_path, cwd, root, notices)
        rels = sorted(r for r in tree.extracted if r != source.path)
        notices.extend(changes.findings(tree, root, head.conf if head else None, head.path if head else "",
                                        source.conf, source.path, rels))
        yield Decision(replace(config, notices=tuple(notices), trusted_ref=tree.commit), fail_on)
    finally:
        tree.close()
