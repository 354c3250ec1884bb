"""Decide which files a run reads, and what each one is.

Inside a git repository the file list comes from git itself (`ls-files`
with `--exclude-standard`), so `.gitignore` means exactly what it means to
git; outside one, a plain walk. Paths are reported relative to the root (the
git top level), which is what annotations on a pull request need.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import posixpath
import stat
from pathlib import Path, PurePosixPath
from typing import Iterable, Sequence

from prcheck.model import Finding
from prcheck.processes import Output, Toplevel
from prcheck.records import dataclass
from prcheck.sources.yaml_loader import load_text

YAML_SUFFIXES = (".yaml", ".yml", ".json")
SKIPPED_KINDS = frozenset({"helm-template", "config"})
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# Files whose presence means the repository has environments a plain `check` does not render.
ENVIRONMENT_INPUTS = frozenset({"kustomization", "helm-chart"})


@dataclass(frozen=True)
class SourceEntry:
    """One file collection chose to check, and how it will be read."""

    path: str  # relative to the root, POSIX separators
    abspath: str
    kind: str


def find_root(start: Path) -> Path:
    """The git top level containing `start`, or `start` itself."""
    directory = start if start.is_dir() else start.parent
    out = Toplevel(directory).text()
    return Path(out).resolve() if out is not None else directory.resolve()


def root_for(target: Path, cwd: Path, home: Toplevel | None = None) -> Path:
    """The repository a command-line path belongs to, found without following a
    link inside it: a pull request can turn `clusters/` (the action's `paths:`) or
    a file named by pre-commit into a symlink, and resolving it first would move
    the root out of the checkout. A path under the working folder's repository
    belongs to that repository; any other path to the one holding its nearest
    ancestor that is not a link. `home`, when given, is the question about the
    working folder's top level, asked earlier."""
    lexical = Path(os.path.normpath(cwd / target))
    home_root = _toplevel(home if home is not None and home.folder == cwd else None, cwd)
    if home_root is not None and (lexical == home_root or home_root in lexical.parents):
        return home_root
    anchor = lexical
    while (anchor.is_symlink() or not anchor.exists()) and anchor != anchor.parent:
        anchor = anchor.parent
    return find_root(anchor)


def _toplevel(asked: Toplevel | None, folder: Path) -> Path | None:
    out = (asked or Toplevel(folder)).text()
    return Path(os.path.realpath(out)) if out else None


def contained_targets(paths: Sequence[str], cwd: Path, root: Path) -> tuple[list[Path], list[Finding]]:
    """Command-line paths as written (not resolved), minus those whose target
    leaves `root`: each of those is a finding, and nothing behind it is read."""
    targets: list[Path] = []
    findings: list[Finding] = []
    for p in paths:
        target = Path(os.path.normpath(cwd / p))
        if not target.exists() and not target.is_symlink():
            raise FileNotFoundError(f"{target}: no such file or folder")
        if not _escapes(target, root):
            targets.append(target)
            continue
        shown = os.path.relpath(target, root) if target.is_relative_to(root) else str(p)
        findings.append(Finding(
            rule="path/symlink-outside-repo", severity="error",
            message="path leads outside the repository through a symlink; not read",
            path=shown.replace(os.sep, "/"), engine="lint"))
    return targets, findings


class GitListing:
    """`git ls-files` of the targets, started when made and read when collection needs it, so
    git lists the files while the caller does other work (the policies compile meanwhile).
    `close` ends a listing nobody read (a run that stopped before collecting)."""

    def __init__(self, root: Path, targets: Sequence[Path]) -> None:
        rel = [os.path.relpath(t, root) for t in targets] or ["."]
        try:
            self._process: Output | None = Output(
                ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *rel])
        except FileNotFoundError:
            self._process = None

    def files(self) -> list[str] | None:
        """The listed paths; None when `root` is not a git work tree (or git is missing)."""
        if self._process is None:
            return None
        out = self._process.read()
        if self._process.returncode:
            return None
        return sorted({p for p in out.decode("utf-8", "surrogateescape").split("\0") if p})

    def close(self) -> None:
        if self._process is not None:
            self._process.kill()


def _walk_files(root: Path, targets: Sequence[Path]) -> list[str]:
    found: set[str] = set()
    for target in targets:
        if target.is_file() or target.is_symlink():
            found.add(os.path.relpath(target, root))
            continue
        for dirpath, dirnames, filenames in os.walk(target):
            dirnames[:] = [d for d in dirnames if d != ".git"]
            found.update(os.path.relpath(os.path.join(dirpath, f), root) for f in filenames)
    return sorted(p.replace(os.sep, "/") for p in found)


def excluded(path: str, patterns: Iterable[str]) -> bool:
    """A pattern matches the path or any of its parent folders (`vendor` excludes `vendor/x.yaml`)."""
    patterns = list(patterns)
    if not patterns:
        return False
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatchcase(p, pattern.rstrip("/")) for pattern in patterns for p in prefixes)


def chart_dirs(paths: Iterable[str]) -> set[str]:
    return {posixpath.dirname(p) or "." for p in paths if p.rpartition("/")[2] == "Chart.yaml"}


def classify(path: str, charts: set[str]) -> str:
    """What a file is by its path alone. `path` is a normalised repository path (what git
    lists): plain string work, as a run classifies every file of the repository."""
    parts = path.split("/")
    name = parts[-1]
    parent = "/".join(parts[:-1]) or "."
    if name == ".prcheck.yaml":
        return "config"
    for chart in charts:
        if parent == chart or parent.startswith(chart + "/") or chart == ".":
            rel = parts if chart == "." else parts[len(chart.split("/")):]
            if rel[0] == "templates" and len(rel) > 1:
                return "helm-template"  # Go templates: only valid YAML once rendered
            if name == "Chart.yaml":
                return "helm-chart"
            if name.startswith("values"):
                return "helm-values"
    if len(parts) >= 3 and parts[-3:-1] == [".github", "workflows"]:
        return "github-workflow"
    if name in ("action.yml", "action.yaml"):
        return "github-action"
    if name == ".gitlab-ci.yml" or name.endswith(".gitlab-ci.yml"):
        return "gitlab-ci"
    if name in KUSTOMIZATION_NAMES:
        return "kustomization"
    dot = name.rfind(".")
    return "json" if 0 < dot < len(name) - 1 and name[dot:] == ".json" else "yaml"  # PurePath.suffix


# Fields of a kustomization naming files that configure kustomize itself
# (transformer/generator/validator configs, `configurations:` field specs,
# replacement specs): client-side data, never sent to a cluster.
KUSTOMIZE_CONFIG_FIELDS = ("transformers", "generators", "validators", "configurations")


def kustomize_inputs(root: Path, kustomizations: Iterable[str]) -> tuple[set[str], set[str]]:
    """(patch files, kustomize config files) the kustomizations use: neither is an object on its own."""
    patches: set[str] = set()
    configs: set[str] = set()
    for rel in kustomizations:
        try:
            docs = load_text((root / rel).read_text(encoding="utf-8"), rel).docs  # guarded: 900-deep, bombs
        except (OSError, UnicodeDecodeError):
            continue  # the loader reports it when it reads the file
        spec = docs[0].obj if docs else None
        if not isinstance(spec, dict):
            continue
        base = PurePosixPath(rel).parent
        entries: list[object] = list(spec.get("patchesStrategicMerge") or [])
        entries += [p.get("path") for p in (spec.get("patches") or []) + (spec.get("patchesJson6902") or []) if isinstance(p, dict)]
        for entry in entries:
            if isinstance(entry, str) and "\n" not in entry:
                patches.add(os.path.normpath(str(base / entry)).replace(os.sep, "/"))
        config_entries: list[object] = [e for name in KUSTOMIZE_CONFIG_FIELDS for e in _listed(spec.get(name))]
        config_entries += [r.get("path") for r in _listed(spec.get("replacements")) if isinstance(r, dict)]
        for entry in config_entries:
            if isinstance(entry, str) and "\n" not in entry and not entry.endswith("/"):
                configs.add(os.path.normpath(str(base / entry)).replace(os.sep, "/"))
    return patches, configs


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _escapes(abspath: Path, root: Path) -> bool:
    real = os.path.realpath(abspath)  # never raises: a link loop resolves to where the loop starts
    top = os.path.realpath(root)
    return not (real == top or real.startswith(top.rstrip(os.sep) + os.sep))


def _link_loop(abspath: Path) -> bool:
    try:
        os.stat(abspath)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def collect(targets: Sequence[Path], root: Path, exclude: Sequence[str] = (),
            listing: GitListing | None = None) -> tuple[list[SourceEntry], list[Finding]]:
    """Every YAML/JSON file under `targets` (a file named explicitly is taken whatever its suffix);
    `listing`, when given, is the git listing of the same targets started earlier."""
    findings: list[Finding] = []
    explicit = {os.path.relpath(t, root).replace(os.sep, "/") for t in targets if t.is_file()}
    listed = (listing or GitListing(root, targets)).files()
    if listed is None:
        listed = _walk_files(root, targets)
    paths = [p for p in listed if (p in explicit or p.endswith(YAML_SUFFIXES)) and not excluded(p, exclude)]
    charts = chart_dirs(listed)
    entries: list[SourceEntry] = []
    top = str(root)
    for path in paths:
        joined = os.path.join(top, path)
        try:
            mode = os.lstat(joined).st_mode
        except OSError:
            continue  # deleted but still in the index
        if not stat.S_ISLNK(mode):  # one lstat and plain strings: a run looks at every file of the repository
            if stat.S_ISREG(mode):
                kind = classify(path, charts)
                if kind not in SKIPPED_KINDS:
                    entries.append(SourceEntry(path=path, abspath=joined, kind=kind))
            continue
        abspath = root / path
        if _escapes(abspath, root):
            findings.append(Finding(
                rule="path/symlink-outside-repo", severity="error",
                message=f"symlink points outside the repository ({os.readlink(abspath)}); not read",
                path=path, engine="lint"))
            continue
        if _link_loop(abspath):
            findings.append(Finding(rule="path/symlink-loop", severity="error",
                                    message="symlink loop (the link leads back to itself); not read",
                                    path=path, engine="lint"))
            continue
        if not abspath.is_file():
            continue  # deleted but still in the index, or a link to a folder
        kind = classify(path, charts)
        if kind not in SKIPPED_KINDS:
            entries.append(SourceEntry(path=path, abspath=str(abspath), kind=kind))
    patches, configs = kustomize_inputs(root, [e.path for e in entries if e.kind == "kustomization"])
    entries = [SourceEntry(e.path, e.abspath, "kustomize-patch") if e.path in patches
               else SourceEntry(e.path, e.abspath, "kustomize-config") if e.path in configs else e for e in entries]
    return entries, findings
