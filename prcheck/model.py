"""The plain data every stage passes to the next.

Stages never share mutable state: they take these values and return new ones,
so any stage can run in a worker process (everything here pickles).
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import field
from functools import partial
from typing import Any, Literal, Mapping, Sequence

from prcheck.records import dataclass

try:  # CPython's own SHA-256: loading OpenSSL for hashlib costs a one-file run ~10 ms
    from _sha256 import sha256
except ImportError:  # pragma: no cover - other interpreters, Python 3.12+
    from hashlib import sha256

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: Mapping[str, int] = {"info": 0, "warning": 1, "error": 2}
KeyPath = Sequence["str | int"]


def severity_at_least(severity: str, threshold: str) -> bool:
    """`--fail-on never` is handled by callers; here only the three levels compare."""
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold]


@dataclass(frozen=True)
class GVK:
    """A Kubernetes group, version and kind, split from `apiVersion` the way
    `schema.ParseGroupVersion` does (the core group is "").

    The schema store picks a schema by it and Gatekeeper matches constraints
    by it; one type keeps the two from splitting `apiVersion` differently.
    """

    group: str
    version: str
    kind: str

    @classmethod
    def parse(cls, api_version: str, kind: str) -> "GVK":
        group, _, version = api_version.rpartition("/")
        return cls(group, version, kind)

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> "GVK":
        """From an object as read from YAML: a non-string `apiVersion` or `kind` reads as ""."""
        api_version = obj.get("apiVersion")
        kind = obj.get("kind")
        return cls.parse(api_version if isinstance(api_version, str) else "", kind if isinstance(kind, str) else "")

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version



@dataclass
class Document:
    """One YAML document of a file (or of a rendered environment).

    `node` is the PyYAML node tree the object was built from; it is kept so that
    `line_of` can find the line of any key path lazily: most documents never
    need a line beyond their first, and walking every node eagerly would cost
    as much as parsing.
    """

    path: str
    index: int
    line: int
    obj: Any
    origin: str = "file"
    node: Any = field(default=None, repr=False, compare=False)
    file_kind: str = ""  # what collect classified the file as: kubernetes, github-workflow, ...
    # The text of the file the document came from (one string shared by all its
    # documents): rules that read comments, such as a pinned action's version, need it.
    source: str = field(default="", repr=False, compare=False)

    def line_of(self, keypath: KeyPath) -> int:
        """Line of the deepest existing prefix of `keypath` (1-based)."""
        node = self.node
        line = self.line
        if node is None:
            return line
        for key in keypath:
            child = _child_node(node, key)
            if child is None:
                break
            key_node, node = child
            line = (key_node or node).start_mark.line + 1
        return line

    @property
    def kind(self) -> str:
        return _str(self.obj.get("kind")) if isinstance(self.obj, dict) else ""

    @property
    def api_version(self) -> str:
        return _str(self.obj.get("apiVersion")) if isinstance(self.obj, dict) else ""

    @property
    def name(self) -> str:
        meta = self.obj.get("metadata") if isinstance(self.obj, dict) else None
        return _str(meta.get("name")) if isinstance(meta, dict) else ""

    @property
    def namespace(self) -> str:
        meta = self.obj.get("metadata") if isinstance(self.obj, dict) else None
        return _str(meta.get("namespace")) if isinstance(meta, dict) else ""

    @property
    def resource(self) -> str:
        """`Kind/namespace/name`, or `Kind/name` when cluster-scoped or unset."""
        if not self.kind:
            return ""
        parts = [self.kind, self.namespace, self.name]
        return "/".join(p for p in parts if p)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _child_node(node: Any, key: "str | int") -> "tuple[Any, Any] | None":
    tag = getattr(node, "id", "")
    if tag == "mapping" and isinstance(key, str):
        for key_node, value_node in node.value:
            if getattr(key_node, "value", None) == key:
                return key_node, value_node
    elif tag == "sequence" and isinstance(key, int) and 0 <= key < len(node.value):
        return None, node.value[key]
    return None


@dataclass(init=False, repr=False, eq=False)  # fields only: no method is made for it
class _FindingFields:
    """Finding's fields, declared once: `dataclasses.fields`, `replace` and `asdict` read them
    from here, so every caller keeps treating a Finding as the dataclass it was."""

    rule: str
    severity: Severity
    message: str
    path: str = ""
    line: int = 0
    resource: str = ""
    engine: str = ""
    env: str = ""  # the environment whose render produced it, before findings are merged
    column: int = 0
    fingerprint: str = ""
    envs: tuple[str, ...] = ()  # every environment the same problem was seen in (filter/merge.py)


_tuple_new = tuple.__new__


class Finding(namedtuple("Finding", list(_FindingFields.__dataclass_fields__), module=__name__)):
    """One problem. `fingerprint` ignores the line so an edit above it does not
    make publishers post the same finding again.

    A tuple underneath: a large run makes, pickles across processes and unpickles
    tens of thousands, and a frozen dataclass's field-by-field `object.__setattr__`
    made each of those steps cost several times a tuple's. Immutable, equal and
    hashed by value, as the frozen dataclass was; `dataclasses.fields`, `replace`
    and `asdict` work on it as before."""

    __slots__ = ()
    __dataclass_fields__ = _FindingFields.__dataclass_fields__

    def __new__(cls, rule: str, severity: Severity, message: str, path: str = "", line: int = 0,
                resource: str = "", engine: str = "", env: str = "", column: int = 0, fingerprint: str = "",
                envs: "tuple[str, ...]" = ()) -> "Finding":
        if not fingerprint:
            raw = "\x00".join((rule, path, resource, env, message))
            fingerprint = sha256(raw.encode()).hexdigest()[:16]
        if envs.__class__ is not tuple:  # read back from JSON
            envs = tuple(envs)
        return _tuple_new(cls, (rule, severity, message, path, line, resource, engine, env, column, fingerprint, envs))

    @property
    def environments(self) -> tuple[str, ...]:
        """The environments this finding concerns, merged or not; () for a repository file only."""
        return self.envs or ((self.env,) if self.env else ())

    @property
    def env_label(self) -> str:
        """`staging, production`: how every format names the environments."""
        return ", ".join(self.environments)

    def location(self) -> str:
        if not self.path:
            return self.env and f"env:{self.env}" or "-"
        return f"{self.path}:{self.line}" if self.line else self.path

    def __reduce__(self) -> tuple:
        """Pickled as the constructor's arguments (the fingerprint among them, never recomputed)."""
        return Finding, tuple(self)


_from_fields = partial(tuple.__new__, Finding)  # a Finding from its fields as they are: no fingerprint made


def pack_findings(findings: list[Finding]) -> list[Any]:
    """Many findings about to be pickled, as plain tuples of their fields: pickle writes and reads
    a list of tuples in C, where each Finding costs a Python `__reduce__` and a constructor call.
    Anything but plain findings stays as it is. `unpack_findings` is the inverse."""
    return [*map(tuple, findings)] if {*map(type, findings)} == {Finding} else findings


def unpack_findings(packed: list[Any]) -> list[Finding]:
    return [*map(_from_fields, packed)] if packed and type(packed[0]) is tuple else packed


@dataclass(frozen=True)
class Suppressed:
    """A finding that a suppression silenced; reports list these, never drop them."""

    finding: Finding
    source: str  # "inline", "annotation", "config", "rego-exception"
    reason: str = ""
    added: bool = False  # an inline or annotation suppression the change itself added or edited


@dataclass(frozen=True)
class Environment:
    """One renderable environment (kustomize overlay, Helm release or plain folder) found by discovery."""

    name: str
    kind: Literal["kustomize", "helm", "plain"]
    path: str
    values: tuple[str, ...] = ()
    namespace: str = ""
    kube_version: str = ""
    release: str = ""
    source: str = ""  # why it exists: "config", or what discovery saw


@dataclass(frozen=True)
class ResourceChange:
    """One resource added, removed or changed between base and head, with its masked diff text."""

    key: str
    before: Any
    after: Any
    text: str  # unified YAML diff, secrets already masked


@dataclass
class EnvDiff:
    """The per-resource changes of one environment between base and head."""

    env: str
    added: list[ResourceChange] = field(default_factory=list)
    removed: list[ResourceChange] = field(default_factory=list)
    changed: list[ResourceChange] = field(default_factory=list)
    moved: list[ResourceChange] = field(default_factory=list)
    unchanged: int = 0
    skipped: bool = False  # inputs did not change between base and head
    # head key → base key of objects whose generated name differs between the renders (diff.py)
    renamed: dict[str, str] = field(default_factory=dict)


@dataclass
class Report:
    """Everything one run produced, as every output format renders it."""

    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    diffs: list[EnvDiff] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    fixed: list[Finding] = field(default_factory=list)  # at the base, gone at the head (with --base)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def fails(self, fail_on: str) -> bool:
        if fail_on == "never":
            return False
        return any(severity_at_least(f.severity, fail_on) for f in self.findings)
