"""Rule sets in gitleaks' TOML config format: the ecosystem's way to write secret rules.

A repository that already has a `.gitleaks.toml` keeps it: the same file
drives prcheck. Supported keys (gitleaks v8.25+ semantics):

- `[[rules]]`: `id`, `description`, `regex`, `secretGroup`, `entropy`,
  `keywords`, `path`, `tags`, and per-rule `[[rules.allowlists]]` (or the
  older single `[rules.allowlist]`);
- global `[[allowlists]]` (or the older `[allowlist]`), with `targetRules`;
- allowlists: `regexes`, `regexTarget` (`secret` | `match` | `line`),
  `stopwords`, `paths`, `condition` (`OR` | `AND`); `commits` are accepted
  and never match, because prcheck checks a tree, not commits;
- `[extend]`: `useDefault`, `path` (relative to the repository), `disabledRules`;
  chains up to two levels, as gitleaks allows. A rule with an id the base
  already has replaces the fields it sets and appends its allowlists.

Errors are `RuleSetError` with the file and what is wrong: a broken rule file
is a one-line configuration error, never a silent fallback to no rules.
"""

from __future__ import annotations

import functools
from dataclasses import field, replace
from pathlib import Path
from typing import Any, Callable, Mapping

from prcheck.config import ConfigError
from prcheck.records import dataclass

UPSTREAM_VERSION = "v8.30.1"
EXTRA_FILE = "prcheck-extra.toml"
MAX_EXTEND_DEPTH = 2
REGEX_TARGETS = ("secret", "match", "line")


class RuleSetError(ConfigError):
    """An unusable rule file; the message starts with the file name (exit 2, like any config error)."""


@dataclass(frozen=True)
class Allowlist:
    """A gitleaks allowlist: matches it holds are not secrets."""

    description: str = ""
    regexes: tuple[str, ...] = ()
    regex_target: str = "secret"
    stopwords: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    commits: tuple[str, ...] = ()
    condition: str = "OR"
    target_rules: tuple[str, ...] = ()  # global allowlists only: empty means every rule


@dataclass(frozen=True)
class Rule:
    """One gitleaks rule as its TOML states it: regex, keywords, entropy, allowlists."""

    id: str
    description: str = ""
    regex: str | None = None
    secret_group: int = 0
    entropy: float = 0.0
    keywords: tuple[str, ...] = ()
    path: str | None = None
    tags: tuple[str, ...] = ()
    allowlists: tuple[Allowlist, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    """A whole gitleaks configuration: its rules and global allowlists."""

    rules: tuple[Rule, ...]
    allowlists: tuple[Allowlist, ...] = ()
    title: str = ""
    origin: str = ""  # what the user named it by, for messages and `prcheck rules`
    disabled: frozenset[str] = field(default_factory=frozenset)
    # Rules exactly as prcheck ships them: the test suite compiles every one, so a run
    # compiles them only when their keywords occur. Any other rule (a repository's own,
    # or a shipped one it changes) is compiled up front, so a broken rule file is an
    # error on every run, whatever the files checked contain.
    shipped: frozenset[Rule | Allowlist] = field(default_factory=frozenset)  # and global allowlists

    def without(self, ids: frozenset[str]) -> RuleSet:
        return replace(self, rules=tuple(r for r in self.rules if r.id not in ids), disabled=self.disabled | ids)

    # What `Matcher` reads of a rule set; `ShippedRules` answers the same without building rules.

    def rule_keys(self) -> list[tuple[tuple[str, ...], bool]]:
        """Per rule, in order: its keywords and whether it has a regex."""
        return [(r.keywords, r.regex is not None) for r in self.rules]

    def rule(self, index: int) -> Rule:
        return self.rules[index]

    def shipped_rule(self, index: int) -> bool:
        return self.rules[index] in self.shipped


class ShippedRules:
    """The shipped rule set (`load_default()`: the same rules, in the same order) as a check
    reads it: every rule's keywords now, the rule itself (read from the parsed copy and
    checked as `parse` checks it) only when a text holds one of its keywords. Building and
    checking all ~230 rules was a tenth of a one-file run's own work, for the three or so
    that a manifest's text reaches. A test builds every rule both ways and compares them."""

    def __init__(self, entries: list[tuple[Any, str, int]], allowlists: tuple[Allowlist, ...], origin: str) -> None:
        self._entries = entries  # (the rule's TOML table, its file's origin, its index there)
        self._rules: dict[int, Rule] = {}
        self.allowlists = allowlists
        self.shipped = frozenset(allowlists)
        self.origin = origin

    def rule_keys(self) -> list[tuple[tuple[str, ...], bool]]:
        return [(tuple(k.lower() for k in entry.get("keywords") or ()), entry.get("regex") is not None)
                for entry, _, _ in self._entries]

    def rule(self, index: int) -> Rule:
        rule = self._rules.get(index)
        if rule is None:
            rule = self._rules[index] = _rule(*self._entries[index])
        return rule

    def shipped_rule(self, index: int) -> bool:
        return True


def default_path() -> Path:
    from prcheck.checks.policy.builtin_catalog import pack_dir

    return pack_dir() / "data" / "gitleaks" / "gitleaks.toml"


def parse(text: str, origin: str, *, read: Callable[[str], tuple[str, str]] | None = None,
          depth: int = 0) -> RuleSet:
    """A rule set from TOML text. `read(path) -> (text, origin)` resolves `[extend] path`
    (the caller decides which files may be read); without it, `path` is an error."""
    import tomllib  # pure Python, and a run with only the shipped rules never needs it

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleSetError(f"{origin}: invalid TOML: {exc}") from None
    return _ruleset(raw, origin, read, depth)


def _ruleset(raw: Mapping[str, Any], origin: str, read: Callable[[str], tuple[str, str]] | None,
             depth: int) -> RuleSet:
    own_rules = tuple(_rule(entry, origin, i) for i, entry in enumerate(_list(raw.get("rules"), origin, "rules")))
    allowlists = _global_allowlists(raw, origin)
    base = _extended(raw.get("extend"), origin, read, depth)
    if base is None:
        for rule in own_rules:
            if rule.regex is None and rule.path is None:
                raise RuleSetError(f"{origin}: rule {rule.id}: needs a regex or a path")
        return RuleSet(rules=_unique(own_rules, origin), allowlists=allowlists, title=str(raw.get("title") or ""),
                       origin=origin)
    merged = {r.id: r for r in base.rules}
    for rule in own_rules:
        merged[rule.id] = _merge(merged[rule.id], rule) if rule.id in merged else rule
        if merged[rule.id].regex is None and merged[rule.id].path is None:
            raise RuleSetError(f"{origin}: rule {rule.id}: needs a regex or a path")
    return RuleSet(rules=tuple(merged.values()), allowlists=base.allowlists + allowlists,
                   title=str(raw.get("title") or base.title), origin=origin, disabled=base.disabled,
                   shipped=base.shipped.intersection([*merged.values(), *base.allowlists]))


UPSTREAM_ORIGIN = f"gitleaks {UPSTREAM_VERSION} default rules"


@functools.cache
def load_default() -> RuleSet:
    """gitleaks' default rule file plus prcheck's additions (prcheck-extra.toml, same format).
    Parsed once per process: the rule set is immutable."""
    path = default_path()
    parsed = _parsed_copy(path.parent)
    upstream = _shipped(path, UPSTREAM_ORIGIN, parsed)
    extra = _shipped(path.parent / EXTRA_FILE, EXTRA_FILE, parsed)
    taken = {r.id for r in upstream.rules}
    rules = upstream.rules + tuple(r for r in extra.rules if r.id not in taken)
    allowlists = upstream.allowlists + extra.allowlists
    return replace(upstream, rules=rules, allowlists=allowlists, shipped=frozenset([*rules, *allowlists]))


@functools.cache
def shipped_rules() -> ShippedRules | RuleSet:
    """`load_default()` for a check: its rules built when first needed (`ShippedRules`), from
    the parsed copy; without a fresh copy, `load_default()` itself."""
    path = default_path()
    parsed = _parsed_copy(path.parent)
    upstream, extra = _fresh_copy(path, parsed), _fresh_copy(path.parent / EXTRA_FILE, parsed)
    if upstream is None or extra is None:
        return load_default()
    entries = [(entry, UPSTREAM_ORIGIN, i) for i, entry in enumerate(upstream.get("rules") or ())]
    taken = {entry.get("id") for entry, _, _ in entries}
    entries += [(entry, EXTRA_FILE, i) for i, entry in enumerate(extra.get("rules") or ())
                if entry.get("id") not in taken]
    allowlists = _global_allowlists(upstream, UPSTREAM_ORIGIN) + _global_allowlists(extra, EXTRA_FILE)
    return ShippedRules(entries, allowlists, UPSTREAM_ORIGIN)


# The shipped TOML files as JSON, with the digest of the text each was parsed from: the
# pure-Python TOML parser costs a one-file run ~10 ms; JSON is read in C. A copy whose
# digest does not match its file (edited without `write_parsed_copy`) is not used.
PARSED_COPY = "parsed.json"


def _shipped(path: Path, origin: str, parsed: Mapping[str, Any]) -> RuleSet:
    raw = _fresh_copy(path, parsed)
    return _ruleset(raw, origin, None, 0) if raw is not None else parse(path.read_text(encoding="utf-8"), origin)


def _fresh_copy(path: Path, parsed: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The TOML file at `path` as the parsed copy holds it, None when the copy is not of its text."""
    entry = parsed.get(path.name)
    if isinstance(entry, dict) and entry.get("digest") == _digest(path.read_text(encoding="utf-8")):
        return entry["rules"]
    return None


@functools.cache
def _parsed_copy(folder: Path) -> Mapping[str, Any]:
    """Read once per process (`load_default` and `shipped_rules` both read it); never changed."""
    import json

    try:
        data = json.loads((folder / PARSED_COPY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _digest(text: str) -> str:
    """Enough to tell a stale copy (this is no defence: both files ship together)."""
    import zlib

    data = text.encode("utf-8")
    return f"{len(data)}:{zlib.crc32(data):08x}"


def write_parsed_copy() -> Path:
    """Regenerate PARSED_COPY after changing a shipped TOML file:
    `python -c 'from prcheck.checks.secrets.gitleaks import write_parsed_copy as w; w()'`."""
    import json
    import tomllib

    folder = default_path().parent
    copy = {name: {"digest": _digest(text), "rules": tomllib.loads(text)}
            for name in (default_path().name, EXTRA_FILE) for text in [(folder / name).read_text(encoding="utf-8")]}
    target = folder / PARSED_COPY
    target.write_text(json.dumps(copy, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return target


def _extended(extend: Any, origin: str, read: Callable[[str], tuple[str, str]] | None, depth: int) -> RuleSet | None:
    if extend is None:
        return None
    if not isinstance(extend, dict):
        raise RuleSetError(f"{origin}: [extend] must be a table")
    unknown = set(extend) - {"useDefault", "path", "disabledRules"}
    if unknown:
        raise RuleSetError(f"{origin}: [extend]: unknown key {', '.join(sorted(unknown))}")
    if depth >= MAX_EXTEND_DEPTH:
        raise RuleSetError(f"{origin}: [extend] chains deeper than {MAX_EXTEND_DEPTH} files")
    disabled = frozenset(str(r) for r in _list(extend.get("disabledRules"), origin, "extend.disabledRules"))
    if extend.get("useDefault") is True:
        base = load_default()
    elif isinstance(extend.get("path"), str) and extend["path"]:
        if read is None:
            raise RuleSetError(f"{origin}: [extend] path is not available here")
        text, base_origin = read(extend["path"])
        base = parse(text, base_origin, read=read, depth=depth + 1)
    else:
        return RuleSet(rules=(), disabled=disabled) if disabled else None
    return base.without(disabled)


def _merge(base: Rule, own: Rule) -> Rule:
    """gitleaks' extend: fields the extending rule sets win; allowlists add up."""
    return Rule(
        id=base.id,
        description=own.description or base.description,
        regex=own.regex if own.regex is not None else base.regex,
        secret_group=own.secret_group or base.secret_group,
        entropy=own.entropy or base.entropy,
        keywords=own.keywords or base.keywords,
        path=own.path if own.path is not None else base.path,
        tags=own.tags or base.tags,
        allowlists=base.allowlists + own.allowlists,
    )


def _unique(rules: tuple[Rule, ...], origin: str) -> tuple[Rule, ...]:
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RuleSetError(f"{origin}: rule id {rule.id} is defined twice")
        seen.add(rule.id)
    return rules


def _list(value: Any, origin: str, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RuleSetError(f"{origin}: {where} must be a list")
    return value


def _strings(entry: Mapping[str, Any], key: str, origin: str, where: str) -> tuple[str, ...]:
    values = _list(entry.get(key), origin, f"{where}.{key}")
    if not all(isinstance(v, str) for v in values):
        raise RuleSetError(f"{origin}: {where}.{key} must be a list of strings")
    return tuple(values)


def _rule(entry: Any, origin: str, index: int) -> Rule:
    if not isinstance(entry, dict):
        raise RuleSetError(f"{origin}: rules[{index}] must be a table")
    rule_id = entry.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise RuleSetError(f"{origin}: rules[{index}]: missing id")
    where = f"rule {rule_id}"
    regex, path = entry.get("regex"), entry.get("path")
    for key, value in (("regex", regex), ("path", path), ("description", entry.get("description"))):
        if value is not None and not isinstance(value, str):
            raise RuleSetError(f"{origin}: {where}: {key} must be a string")
    group = entry.get("secretGroup", 0)
    entropy = entry.get("entropy", 0.0)
    if not isinstance(group, int) or isinstance(group, bool) or group < 0:
        raise RuleSetError(f"{origin}: {where}: secretGroup must be a non-negative integer")
    if not isinstance(entropy, (int, float)) or isinstance(entropy, bool) or entropy < 0:
        raise RuleSetError(f"{origin}: {where}: entropy must be a non-negative number")
    if "allowlist" in entry and "allowlists" in entry:
        raise RuleSetError(f"{origin}: {where}: use either [rules.allowlist] or [[rules.allowlists]], not both")
    lists = [entry["allowlist"]] if "allowlist" in entry else _list(entry.get("allowlists"), origin, f"{where}.allowlists")
    return Rule(
        id=rule_id, description=str(entry.get("description") or ""), regex=regex, secret_group=group,
        entropy=float(entropy), keywords=tuple(k.lower() for k in _strings(entry, "keywords", origin, where)),
        path=path, tags=_strings(entry, "tags", origin, where),
        allowlists=tuple(_allowlist(a, origin, f"{where} allowlist", rule_level=True) for a in lists),
    )


def _global_allowlists(raw: Mapping[str, Any], origin: str) -> tuple[Allowlist, ...]:
    if "allowlist" in raw and "allowlists" in raw:
        raise RuleSetError(f"{origin}: use either [allowlist] or [[allowlists]], not both")
    lists = [raw["allowlist"]] if "allowlist" in raw else _list(raw.get("allowlists"), origin, "allowlists")
    return tuple(_allowlist(a, origin, "global allowlist", rule_level=False) for a in lists)


def _allowlist(entry: Any, origin: str, where: str, *, rule_level: bool) -> Allowlist:
    if not isinstance(entry, dict):
        raise RuleSetError(f"{origin}: {where} must be a table")
    target = str(entry.get("regexTarget") or "secret").lower()
    if target not in REGEX_TARGETS:
        raise RuleSetError(f"{origin}: {where}: regexTarget must be one of {', '.join(REGEX_TARGETS)}")
    condition = str(entry.get("condition") or "OR").upper()
    if condition not in ("OR", "AND"):
        raise RuleSetError(f"{origin}: {where}: condition must be OR or AND")
    if rule_level and "targetRules" in entry:
        raise RuleSetError(f"{origin}: {where}: targetRules is only for global allowlists")
    allow = Allowlist(
        description=str(entry.get("description") or ""),
        regexes=_strings(entry, "regexes", origin, where), regex_target=target,
        stopwords=tuple(s.lower() for s in _strings(entry, "stopwords", origin, where)),
        paths=_strings(entry, "paths", origin, where), commits=_strings(entry, "commits", origin, where),
        condition=condition, target_rules=_strings(entry, "targetRules", origin, where),
    )
    if not (allow.regexes or allow.stopwords or allow.paths or allow.commits):
        raise RuleSetError(f"{origin}: {where} must have regexes, stopwords, paths or commits")
    return allow
