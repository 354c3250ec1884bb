"""Finding Kyverno policies in files and directories.

A policy is a YAML document with `apiVersion: kyverno.io/v1` (or `v2beta1`)
and `kind: ClusterPolicy` or `Policy`. Directories are walked recursively,
skipping hidden directories (`.git`, `.kyverno-test` hold no policies) but
reading any file named explicitly. A file that mentions `kyverno.io` but is
not valid YAML is an error with its line, since it is most likely a broken
policy; other unparsable files are somebody else's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from prcheck.model import Document
from prcheck.sources.yaml_loader import load_bytes

from ..base import PolicyError

API_VERSIONS = ("kyverno.io/v1", "kyverno.io/v2beta1")
KINDS = ("ClusterPolicy", "Policy")
_SUFFIXES = (".yaml", ".yml", ".json")


def is_policy(doc: Document) -> bool:
    return isinstance(doc.obj, dict) and doc.api_version in API_VERSIONS and doc.kind in KINDS


def is_other_kyverno(doc: Document) -> bool:
    """Kyverno objects this engine does not run (CEL policy types, exceptions, cleanup
    policies): reported, so that a policy directory never passes silently."""
    group = doc.api_version.split("/", 1)[0]
    if group == "policies.kyverno.io" and doc.kind in ("ValidatingPolicy", "NamespacedValidatingPolicy"):
        return False  # the CEL engine runs these
    return isinstance(doc.obj, dict) and group in ("kyverno.io", "policies.kyverno.io") and not is_policy(doc)


def yaml_files(paths: Sequence["str | Path"]) -> Iterator[Path]:
    """Files named directly, plus YAML files below directories (hidden dirs skipped), sorted."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = [
                p for p in path.rglob("*")
                if p.is_file() and p.suffix in _SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts[:-1])
            ]
            yield from sorted(found)
        elif path.is_file():
            yield path
        else:
            raise PolicyError(str(path), 0, 0, "policy path does not exist")


def documents(path: Path) -> list[Document]:
    """All documents of one file; a broken file that looks like a policy is an error."""
    raw = path.read_bytes()
    loaded = load_bytes(raw, str(path))
    # A duplicate key still loads (the linter reports it); anything else means lost documents.
    problems = [f for f in loaded.findings if f.rule != "yaml/duplicate-key"]
    if problems and b"kyverno.io" in raw:
        raise PolicyError(str(path), problems[0].line, problems[0].column, problems[0].message)
    return loaded.docs


def policy_documents(paths: Sequence["str | Path"]) -> list[Document]:
    return [doc for doc in kyverno_documents(paths) if is_policy(doc)]


def kyverno_documents(paths: Sequence["str | Path"]) -> list[Document]:
    """Every `kyverno.io` / `policies.kyverno.io` document under `paths`."""
    return [doc for file in yaml_files(paths) for doc in documents(file) if is_policy(doc) or is_other_kyverno(doc)]


def resource_documents(paths: Iterable["str | Path"]) -> list[Document]:
    """Every mapping document of the given files (for the test runner)."""
    docs: list[Document] = []
    for file in paths:
        path = Path(file)
        loaded = load_bytes(path.read_bytes(), str(path))
        if loaded.findings:
            first = loaded.findings[0]
            raise PolicyError(str(path), first.line, first.column, first.message)
        for doc in loaded.docs:
            if isinstance(doc.obj, dict) and doc.obj.get("kind") == "List" and isinstance(doc.obj.get("items"), list):
                docs.extend(Document(doc.path, doc.index, doc.line, item, doc.origin) for item in doc.obj["items"]
                            if isinstance(item, dict))
            elif isinstance(doc.obj, dict):
                docs.append(doc)
    return docs
