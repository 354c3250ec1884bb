"""Which listed resource file an object came from, by kind and name.

kustomize can say where each object came from (origin annotations), but
asking costs about a third of the build. When only the file is needed (to
tell a moved object from a changed one) and no source lines are, the
resource files of the kustomization graph are indexed instead: each
document's `kind` and `metadata.name`, read with a line scan rather than a
YAML parser, with the parser as fallback for documents the scan cannot
read. Rendered names may carry a `namePrefix`/`nameSuffix`, so the longest
source name contained in the rendered name wins. Objects nothing matches
(generated ConfigMaps and Secrets) get no file, on both sides alike.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from prcheck.sources.yaml_loader import load_text

_SPLIT = re.compile(r"^---[ \t]*(?:#.*)?$", re.M)
_KIND = re.compile(r"^kind:[ \t]*[\"']?([A-Za-z0-9]+)[\"']?[ \t]*(?:#.*)?$", re.M)
_FLOW_META = re.compile(r"^metadata:[ \t]*\{(.*)\}[ \t]*$", re.M)
_FLOW_NAME = re.compile(r"(?:^|[{,\s])name:[ \t]*[\"']?([^\"',}\s]+)")
_SCALAR = re.compile(r"^[\"']?([^\"'#\s]+)[\"']?[ \t]*(?:#.*)?$")


def _block_name(doc: str) -> str | None:
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        if line.rstrip() != "metadata:":
            continue
        indent = None
        for inner in lines[i + 1:]:
            if not inner.strip() or inner.lstrip().startswith("#"):
                continue
            width = len(inner) - len(inner.lstrip(" "))
            if width == 0:
                return None
            indent = width if indent is None else indent
            if width == indent and inner.strip().startswith("name:"):
                match = _SCALAR.match(inner.strip()[len("name:"):].strip())
                return match.group(1) if match else None
        return None
    return None


def kinds_and_names(text: str) -> Iterable[tuple[str, str]]:
    for doc in _SPLIT.split(text):
        kind = _KIND.search(doc)
        if not kind:
            continue
        flow = _FLOW_META.search(doc)
        found = _FLOW_NAME.search(flow.group(1)) if flow else None
        name = found.group(1) if found else _block_name(doc)
        if name is None:
            name = _parsed_name(doc)
        if name:
            yield kind.group(1), name


def _parsed_name(doc: str) -> str:
    docs = load_text(doc, "").docs
    obj: Any = docs[0].obj if docs else None
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return str(meta.get("name") or "") if isinstance(meta, dict) else ""


@dataclass
class SourceIndex:
    by_kind: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def build(cls, files: Iterable[str], root: Path) -> "SourceIndex":
        index = cls()
        prefix = str(root.resolve()) + os.sep
        for path in files:
            try:
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
            except (OSError, UnicodeDecodeError):
                continue
            rel = path[len(prefix):] if path.startswith(prefix) else ""
            for kind, name in kinds_and_names(text):
                index.by_kind[kind].append((name, rel))
        return index

    def locate(self, obj: Any) -> str:
        if not isinstance(obj, dict):
            return ""
        meta = obj.get("metadata")
        name = str(meta.get("name") or "") if isinstance(meta, dict) else ""
        candidates = self.by_kind.get(str(obj.get("kind") or ""), [])
        exact = [rel for source, rel in candidates if source == name]
        if exact:
            return exact[0]
        partial = [(len(source), rel) for source, rel in candidates if source and source in name]
        return max(partial)[1] if partial else ""
