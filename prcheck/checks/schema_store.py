"""Find the JSON schema for an (apiVersion, kind) and compile it once.

Lookup order: user `--schema-location` templates, then the CRDs the
repository (or a rendered environment) carries, then the Kubernetes schemas
bundled by kubernetes-validate for the chosen version, then the CRD schemas
shipped with prcheck. Every `$ref` resolves to a local file; a schema asking
for the network is refused, so a pull request can never make the checker
fetch anything.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import unquote, urlparse

from prcheck import kube_api
from prcheck.checks.schema_definitions import Definitions
from prcheck.checks.schema_formats import FORMATS
from prcheck.model import GVK
from prcheck.resources import data_dir

K8S_DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"
DEFAULT_LOCAL_TEMPLATE = "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
SHIPPED_CRD_TEMPLATE = "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
_TEMPLATE_VAR = re.compile(r"{{\s*\.(\w+)\s*}}")


class SchemaConfigError(ValueError):
    """A bad --kube-version or --schema-location: a usage error (exit 2)."""


def kubernetes_validate_root() -> Path:
    from prcheck.resources import package_dir

    return package_dir("kubernetes_validate") / "kubernetes-json-schema"


_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,62}$")  # a Kubernetes kind (a DNS-1035 label in CamelCase)
_API_VERSION = re.compile(r"^(?:[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?/)?[a-z0-9]{1,63}$")


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def bundled_version_dir(kube_version: str, strict: bool) -> Path:
    """The newest bundled schema set not newer than the requested minor version."""
    wanted = _version_key(kube_version.lstrip("v"))
    if len(wanted) < 2:
        raise SchemaConfigError(f"--kube-version '{kube_version}' is not a version like 1.32")
    root = kubernetes_validate_root()
    versions = sorted(
        (_version_key(p.name), p.name) for p in root.iterdir() if p.name.endswith("-local")
    )
    eligible = [name for key, name in versions if key[:2] <= wanted[:2]]
    if not eligible or wanted[:2] < (1, 25):
        raise SchemaConfigError(
            f"Kubernetes {kube_version} is not supported: schemas exist for "
            f"{versions[0][1][1:-6]} to {versions[-1][1][1:-6]}")
    return root / (eligible[-1] + ("-strict" if strict else ""))


def expand_template(template: str, gvk: GVK, kube_version: str, strict: bool) -> str:
    """kubeconform's schema-location template variables."""
    first_label = gvk.group.split(".")[0]
    values = {
        "NormalizedKubernetesVersion": "master" if kube_version == "master" else f"v{kube_version.lstrip('v')}" + (".0" if kube_version.count(".") == 1 else ""),
        "StrictSuffix": "-strict" if strict else "",
        "ResourceKind": gvk.kind.lower(),
        "ResourceAPIVersion": gvk.version,
        "Group": gvk.group,
        "KindSuffix": f"-{gvk.version}" if not gvk.group else f"-{first_label}-{gvk.version}",
    }
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise SchemaConfigError(f"unknown schema-location variable '{{{{ .{name} }}}}' in {template}")
        return values[name]
    return _TEMPLATE_VAR.sub(sub, template)


def check_location(template: str) -> str:
    """Local paths only: refuse URLs up front rather than at the first lookup."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", template, re.IGNORECASE) and not template.startswith("file://"):
        raise SchemaConfigError(f"schema location '{template}' is remote; only local paths are allowed")
    path = template.removeprefix("file://")
    if "{{" not in path:
        path = os.path.join(path, DEFAULT_LOCAL_TEMPLATE)
    return path


def _local_retriever(uri: str) -> Any:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise ValueError(f"refusing to fetch remote schema {uri}")
    with open(unquote(parsed.path), encoding="utf-8") as fh:
        return json.load(fh)


class SchemaStore:
    """One compiled validator per (apiVersion, kind) for the run."""

    def __init__(self, kube_version: str = "1.32", strict: bool = False, locations: tuple[str, ...] = (),
                 crds: Mapping[tuple[str, str], dict] | None = None) -> None:
        self.kube_version = kube_version
        self.strict = strict
        self.bundled = bundled_version_dir(kube_version, strict)
        self.templates = [check_location(t) for t in locations]
        self.crd_root = data_dir("schemas") / "crds"
        self.crds: Mapping[tuple[str, str], dict] = crds or {}  # converted from CRDs the repository carries
        self._definitions = Definitions(self.bundled / "_definitions.json")  # read at its first use, shared
        self._builtin_groups: frozenset[str] | None = None
        self._cache: dict[tuple[str, str], tuple[Any, str]] = {}
        self._prepared: dict[tuple[str, str], tuple[Any, Any]] = {}  # Kubernetes schemas with their registry

    def with_crds(self, crds: Mapping[tuple[str, str], dict]) -> "SchemaStore":
        """This store, with more CRD schemas taking precedence for their kinds (a rendered
        environment's own CRDs); compiled validators of other kinds are shared."""
        if not crds:
            return self
        derived = copy.copy(self)
        derived.crds = {**self.crds, **crds}
        derived._cache = {k: v for k, v in self._cache.items() if k not in crds}
        derived._prepared = {k: v for k, v in self._prepared.items() if k not in crds}
        return derived

    def _k8s_registry(self, schemas: list[Any]) -> Any:
        """The bundled definitions `schemas` reach (all of them validate the same, at far more cost)."""
        return _rs().Registry([(K8S_DEFINITIONS_ID, self._definitions.closure(schemas))])

    def is_builtin_group(self, group: str) -> bool:
        """Served (or once served) by this Kubernetes version: from its bundled schemas, never from the name."""
        if self._builtin_groups is None:
            self._builtin_groups = kube_api.builtin_groups(self.bundled / "_definitions.json")
        return group in self._builtin_groups

    def prepare(self, keys: Iterable[tuple[str, str]]) -> None:
        """Give the Kubernetes kinds among these (apiVersion, kind) pairs that are not compiled
        yet one registry: one registry, built once, for what their schemas reach together, costs
        less than one per kind. Only the registry is chosen here; each kind still compiles at
        its first lookup, in the lookup order. A kind that cannot be prepared (its file
        unreadable, an error in the definitions) takes the general path, which says why."""
        schemas: dict[tuple[str, str], Any] = {}
        for key in keys:
            if key in self._cache or key in self._prepared:
                continue
            bundled = self._bundled_file(key)
            if bundled is not None:
                try:
                    with open(bundled, encoding="utf-8") as fh:
                        schemas[key] = json.load(fh)
                except (OSError, ValueError):
                    pass
        if not schemas:
            return
        try:
            registry = self._k8s_registry(list(schemas.values()))
        except (ValueError, _rs().ReferencingError):
            return
        self._prepared.update((key, (schema, registry)) for key, schema in schemas.items())

    def _bundled_file(self, key: tuple[str, str]) -> Path | None:
        """The bundled Kubernetes schema a kind nothing before it in the lookup order serves
        could use (a location may still serve it: preparing it then costs only time)."""
        api_version, kind = key
        if not (_NAME.match(kind) and _API_VERSION.match(api_version)):
            return None
        gvk = GVK.parse(api_version, kind)
        if (gvk.group_version, gvk.kind) in self.crds or not self.is_builtin_group(gvk.group):
            return None
        path = self.bundled / _bundled_name(gvk)
        return path if path.is_file() else None

    def validator(self, api_version: str, kind: str) -> Any:
        """A compiled validator, or None when no schema is known for this kind."""
        known = self._cache.get((api_version, kind))  # once per document: the lookup's own cache first
        return (known or self._lookup(api_version, kind))[0]

    def origin(self, api_version: str, kind: str) -> str:
        """Where the schema came from: location, crd (the repository's own), kubernetes, catalog, or ""."""
        return self._lookup(api_version, kind)[1]

    def _lookup(self, api_version: str, kind: str) -> tuple[Any, str]:
        key = (api_version, kind)
        if key not in self._cache:
            if not (_NAME.match(kind) and _API_VERSION.match(api_version)):
                # not a name any API server serves (300 characters, a path, a mapping's repr):
                # never a file name to look up, so no schema
                self._cache[key] = (None, "")
            else:
                try:
                    self._cache[key] = self._compile(key, GVK.parse(api_version, kind))
                except OSError:
                    self._cache[key] = (None, "")
        return self._cache[key]

    def _compile(self, key: tuple[str, str], gvk: GVK) -> tuple[Any, str]:
        for template in self.templates:
            path = Path(expand_template(template, gvk, self.kube_version, self.strict))
            schema = _read_json(path)
            if schema is not None:  # kubeconform: a missing or non-JSON file means "try the next location"
                return self._compile_schema(path, schema), "location"
        carried = self.crds.get((gvk.group_version, gvk.kind))
        if carried is not None:
            try:
                return _validator(carried), "crd"
            except (ValueError, _rs().ReferencingError):
                pass  # a pattern the Rust regex engine refuses: fall back to the catalog
        bundled = self.bundled / _bundled_name(gvk)
        if self.is_builtin_group(gvk.group) and bundled.is_file():
            prepared = self._prepared.pop(key, None)
            if prepared is not None:
                return _validator(prepared[0], registry=prepared[1]), "kubernetes"
            with open(bundled, encoding="utf-8") as fh:
                schema = json.load(fh)
            return _validator(schema, registry=self._k8s_registry([schema])), "kubernetes"
        shipped = self.crd_root / expand_template(SHIPPED_CRD_TEMPLATE, gvk, self.kube_version, self.strict)
        if shipped.is_file():
            return self._compile_file(shipped), "catalog"
        return None, ""

    def _compile_file(self, path: Path) -> Any:
        try:
            with open(path, encoding="utf-8") as fh:
                schema = json.load(fh)
        except (OSError, ValueError) as exc:
            raise SchemaConfigError(f"{path}: unusable schema: {' '.join(str(exc).split())[:200]}") from None
        return self._compile_schema(path, schema)

    @staticmethod
    def _compile_schema(path: Path, schema: Any) -> Any:
        try:
            return _validator(schema, retriever=_local_retriever, base_uri=path.resolve().as_uri())
        except (ValueError, _rs().ReferencingError) as exc:
            raise SchemaConfigError(f"{path}: unusable schema: {' '.join(str(exc).split())[:200]}") from None


def _bundled_name(gvk: GVK) -> str:
    """kubernetes-validate's file name for a kind: `deployment-apps-v1.json`, `ingress-networking-v1.json`."""
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", f"{gvk.group}/{gvk.version}" if gvk.group else gvk.version)
    return f"{gvk.kind.lower()}-{api}.json"


def _read_json(path: Path) -> Any:
    """The parsed file, or None when it is missing, unreadable or not JSON."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def _rs() -> Any:
    """jsonschema-rs, imported at the first compile: its import costs ~12 ms (its module init
    imports `decimal` and `email.utils`), which a run without manifests never needs."""
    import jsonschema_rs

    return jsonschema_rs


def _validator(schema: Any, **options: Any) -> Any:
    """Every schema is compiled with the formats Kubernetes declares checked (see schema_formats)."""
    return _rs().validator_for(schema, formats=FORMATS, validate_formats=True, **options)
