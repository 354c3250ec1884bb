"""The secrets check as an engine of the check stage: documents in, findings out.

It runs on every YAML document (repository files and rendered environments)
as an engine of its own beside the policy pack (its stage timing is its own);
like the pack, `--no-builtin` turns it off, and `secrets: {enabled: false}`
turns it off alone.

Where a rendered object carries no line of its own (Helm templates), a
secret found in it is reported at the line of the values file that holds the
same text, when the environment's values files are known: that is the line
the pull request changed.
"""

from __future__ import annotations

import functools
import posixpath
from dataclasses import field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from prcheck.checks.policy.base import Evaluation
from prcheck.checks.secrets.decode import is_core, secret_values, skipped, unit_list, unit_texts, units
from prcheck.checks.secrets.detector import (
    ENV_LITERAL,
    HIGH_ENTROPY,
    K8S_SECRET,
    PREFIX,
    URL_CREDENTIALS,
    Detector,
    Hit,
    settle,
)
from prcheck.checks.secrets.gitleaks import RuleSet, RuleSetError, load_default, parse, shipped_rules
from prcheck.checks.secrets.matcher import Matcher
from prcheck.checks.secrets.words import default_words
from prcheck.model import Document, Finding
from prcheck.records import dataclass

ENGINE_LABEL = "secrets"
GITLEAKS_FILE = ".gitleaks.toml"
MAX_NAMES = 200_000


@dataclass(frozen=True)
class SecretsSettings:
    """`secrets:` in `.prcheck.yaml`, resolved: the rule file's text (read once, by whoever
    decides which tree the rules come from), the ids turned off, the entropy length."""

    enabled: bool = True
    config_text: str | None = None  # gitleaks TOML; None: the shipped default
    config_origin: str = ""
    extend_texts: tuple[tuple[str, str], ...] = ()  # (path as written, text) for `[extend] path`
    disable: tuple[str, ...] = ()
    min_length: int = 16


def settings_from_config(conf: Mapping[str, Any], resolve: Callable[[str], str], config_path: str,
                         root: Path) -> SecretsSettings:
    """`secrets: {enabled, config, disable}` from the run's config mapping; without `config`, the
    `.gitleaks.toml` at the repository root when there is one. `resolve` maps a config-relative
    path to the file to read (the trust stage's: the trusted ref's copy when there is one) and
    `config_path` is the config's repository path ("" for none). A file of the checked tree must
    be inside the repository and not a symlink."""
    section = conf.get("secrets") or {}
    entropy = (conf.get("rules") or {}).get(HIGH_ENTROPY) or {}
    folder = posixpath.dirname(config_path) or "."

    def locate(rel_to_root: str) -> Path:
        """The work tree's own file, or the trusted ref's copy (extracted outside the repository)."""
        candidate = Path(resolve(posixpath.relpath(rel_to_root, folder)))
        return root / rel_to_root if _inside(candidate, root) else candidate

    config = section.get("config")
    path = Path(resolve(str(config))) if config else locate(GITLEAKS_FILE)
    text, origin, extends = None, "", ()
    if config or path.is_file():
        text, origin = _read(path, root)
        extends = tuple(_extend_files(text, locate, root))
    return SecretsSettings(
        enabled=bool(section.get("enabled", True)), config_text=text, config_origin=origin, extend_texts=extends,
        disable=tuple(str(r) for r in section.get("disable") or ()),
        min_length=int(entropy.get("min_length", 16)),
    )


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (OSError, ValueError):
        return False
    return True


def _read(path: Path, root: Path) -> tuple[str, str]:
    """A rule file; one in the work tree must stay inside the repository (a trusted ref's copy is
    extracted by the trust stage and read as it is)."""
    in_tree = _inside(path.parent, root)
    if in_tree and (path.is_symlink() or not _inside(path, root)):
        raise RuleSetError(f"{path}: secret rule file must be a regular file inside the repository")
    label = path.resolve().relative_to(root.resolve()).as_posix() if in_tree else path.name
    try:
        return path.read_text(encoding="utf-8"), label
    except FileNotFoundError:
        raise RuleSetError(f"{label}: secret rule file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleSetError(f"{label}: cannot read secret rule file: {exc.__class__.__name__}") from None


def _extend_files(text: str, locate: Callable[[str], Path], root: Path, depth: int = 0) -> list[tuple[str, str]]:
    """The files an `[extend] path` chain names (relative to the repository root, where gitleaks
    runs), read now so the engine reads no files itself."""
    import tomllib

    try:
        extend = tomllib.loads(text).get("extend") or {}
    except tomllib.TOMLDecodeError:
        return []  # parse() reports it with the file name
    target = extend.get("path") if isinstance(extend, dict) else None
    if not isinstance(target, str) or not target or depth >= 2:
        return []
    base_text, _ = _read(locate(posixpath.normpath(target)), root)
    return [(target, base_text), *_extend_files(base_text, locate, root, depth + 1)]


@functools.cache
def _default_matcher() -> Matcher:
    return Matcher(shipped_rules())


def ruleset_for(settings: SecretsSettings) -> RuleSet:
    if settings.config_text is None:
        ruleset = load_default()
    else:
        files = dict(settings.extend_texts)

        def read(path: str) -> tuple[str, str]:
            if path not in files:
                raise RuleSetError(f"{settings.config_origin}: [extend] path {path} was not read")
            return files[path], path

        ruleset = parse(settings.config_text, settings.config_origin, read=read)
    return ruleset.without(frozenset(_short(r) for r in settings.disable))


def _short(rule: str) -> str:
    return rule[len(PREFIX):] if rule.startswith(PREFIX) else rule


def build_detector(settings: SecretsSettings = SecretsSettings()) -> Detector:
    if settings.config_text is None and not settings.disable:
        matcher = _default_matcher()
    else:
        matcher = Matcher(ruleset_for(settings))
    own = frozenset(PREFIX + _short(r) for r in settings.disable)
    return Detector(matcher, default_words(), min_length=settings.min_length, disabled=own)


@dataclass
class SecretsEngine:
    """`PolicyEngine` shape: per document, so it runs in workers too."""

    detector: Detector
    values_lines: Mapping[str, Sequence[str]] = field(default_factory=dict)  # values file → its lines
    name: str = ENGINE_LABEL
    per_document: bool = True

    @classmethod
    def from_settings(cls, settings: SecretsSettings) -> SecretsEngine:
        return cls(build_detector(settings))

    def for_context(self, ctx: Any) -> SecretsEngine:
        """A rendered environment: its values files, to place secrets from Helm templates."""
        values = getattr(ctx, "values_files", ()) or ()
        if not values:
            return self if not self.values_lines else SecretsEngine(self.detector)
        return SecretsEngine(self.detector, {path: text.splitlines() for path, text in values})

    def close(self) -> None:
        """Nothing to release; here for the engine interface."""

    def evaluate(self, docs: Sequence[Document]) -> Evaluation:
        result = Evaluation()
        self.detector.words.forget_names(MAX_NAMES)
        plain: list[tuple[list[str | None], list[str], str]] = []
        where: list[int] = []  # plain[k] is docs[where[k]]
        for index, doc in enumerate(docs):
            texts = _texts(doc)
            if texts is not None:
                plain.append((*texts, doc.path))
                where.append(index)
        cleared = {where[k] for k, hit in enumerate(self.detector.may_hit_many(plain)) if not hit}
        for index, doc in enumerate(docs):
            found = [] if index in cleared else self.scan(doc, proved=False)
            result.findings.extend(found)
            result.passed += not found
        return result

    def scan(self, doc: Document, proved: bool = True) -> list[Finding]:
        """The document's findings; `proved`: first try to prove it has none, without units."""
        obj = doc.obj
        if obj is None or skipped(obj):
            return []
        try:
            texts = _texts(doc) if proved else None
            if texts is not None and not self.detector.may_hit(*texts, doc.path):
                return []
            hits = self.detector.document_hits(unit_list(obj), doc.path)
        except RecursionError:
            return []  # deeper than any nesting limit lets through; the loader reports depth
        kept = settle(hits)
        findings = [self._finding(doc, hit) for hit in kept]
        if isinstance(obj, dict) and is_core(obj, "Secret") or _generator_secrets(obj):
            extra = self._plain_secret(doc, obj, kept)
            if extra is not None and K8S_SECRET not in self.detector.disabled:
                findings.append(extra)
        return findings

    def _finding(self, doc: Document, hit: Hit) -> Finding:
        path, line = self._place(doc, hit.unit.keypath, hit.secret)
        return Finding(rule=hit.rule, severity=severity(hit.rule), message=message(hit), path=path, line=line,
                       resource=doc.resource if path == doc.path else "", engine=ENGINE_LABEL)

    def _place(self, doc: Document, keypath: Sequence[str | int], secret: str) -> tuple[str, int]:
        if doc.node is None and doc.origin.startswith("env:") and self.values_lines:
            first = secret.strip().splitlines()[0] if secret.strip() else ""
            for values_path, lines in self.values_lines.items():
                for number, text in enumerate(lines, 1):
                    if first and first in text:
                        return values_path, number
        return doc.path, doc.line_of(list(keypath))

    def _plain_secret(self, doc: Document, obj: Any, kept: Sequence[Hit]) -> Finding | None:
        """A Secret (or secretGenerator) with plaintext values no more specific rule reported."""
        words = self.detector.words
        reported = {h.unit.keypath for h in kept}
        if is_core(obj, "Secret"):
            plain = [(p, v) for p, v in secret_values(obj) if v.strip() and not words.is_reference(v)]
            what = "Secret holds"
            fix = "encrypt it with SOPS or use a SealedSecret/ExternalSecret, and rotate the values"
        else:
            plain = [(u.keypath, u.text) for u in units(obj) if u.in_secret and u.text.strip()
                     and not words.is_reference(u.text)]
            what = "secretGenerator holds"
            fix = "generate it from an encrypted file or use an ExternalSecret"
        left = [(p, v) for p, v in plain if p not in reported]
        if not left:
            return None
        keypath, value = left[0]
        where = ".".join(str(k) for k in keypath)
        path, line = self._place(doc, keypath, value)
        others = f" and {len(left) - 1} more" if len(left) > 1 else ""
        return Finding(rule=K8S_SECRET, severity="error", path=path, line=line,
                       resource=doc.resource if path == doc.path else "", engine=ENGINE_LABEL,
                       message=f"{what} a plaintext value in git ({where} = {mask(value)}{others}): {fix}")


def _texts(doc: Document) -> tuple[list[str | None], list[str]] | None:
    """The document's units' keys and texts (`unit_texts`), or None where only units will do."""
    if doc.obj is None:
        return None
    try:
        return unit_texts(doc.obj)
    except RecursionError:
        return None  # `scan` reports nothing for it, as before


def _generator_secrets(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("secretGenerator"), list)


def severity(rule: str) -> str:
    return "warning" if rule == HIGH_ENTROPY else "error"


def dotted(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def message(hit: Hit) -> str:
    unit = hit.unit
    where = dotted(unit.keypath)
    if unit.key and (not unit.keypath or unit.key != unit.keypath[-1]):
        where += f" ({unit.key}{', ' + unit.how if unit.how else ''})"
    elif unit.how:
        where += f" ({unit.how})"
    shown = mask(hit.secret)
    if hit.rule == ENV_LITERAL:
        return f"{unit.key} is set to a literal secret at {where} ({shown}): load it from a secret store " \
               f"(valueFrom.secretKeyRef, ${{{{ secrets.NAME }}}}, a masked CI/CD variable) and rotate it"
    if hit.rule == HIGH_ENTROPY:
        return f"high-entropy value for secret-like key {unit.key} at {where} ({shown}): move it to a secret " \
               f"store and rotate it"
    if hit.rule == URL_CREDENTIALS:
        return f"password in a URL at {where} ({shown}): move the credentials to a secret store and rotate them"
    return f"{hit.rule[len(PREFIX):]} secret at {where} ({shown}): revoke it, then load it from a secret store"


def mask(value: str) -> str:
    """`AKIA…XYZ1 (20 chars)`: enough to find the value, never enough to use it."""
    text = value.strip()
    shown = 4 if len(text) >= 20 else 2 if len(text) >= 12 else 0
    head = text[:shown]
    tail = text[len(text) - shown:] if shown else ""
    return f"{_printable(head)}…{_printable(tail)} ({len(text)} chars)"


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in text)
