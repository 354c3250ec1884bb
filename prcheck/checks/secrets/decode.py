"""What Kubernetes (and the tools around it) would turn a document into, as text units to scan.

A secret scanner that reads YAML as text misses what Kubernetes decodes
(`Secret.data` is base64, a `.dockerconfigjson` hides `user:password` in
base64 inside JSON, a ConfigMap value is often a whole `.env`, INI or JSON
file) and flags what is not a secret at all (a SealedSecret's ciphertext, an
ExternalSecret's reference, a SOPS-encrypted file). This module walks one
parsed document the way its consumer reads it and yields `Unit`s: a text, the
key path it sits at (for the line), the name it is stored under, and whether
that name is an environment-style variable, where any literal is a secret.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import functools
from typing import Any, Iterator, NamedTuple

# Objects whose values are ciphertext or references, never plaintext secrets.
ENCRYPTED_KINDS = frozenset({
    "SealedSecret", "ExternalSecret", "ClusterExternalSecret", "SecretStore", "ClusterSecretStore", "PushSecret",
    "SopsSecret", "VaultStaticSecret", "VaultDynamicSecret", "OnePasswordItem", "SecretProviderClass",
})
# Mappings whose scalar values are environment variables or step inputs (CI files, compose, Helm values).
LITERAL_BLOCKS = frozenset({"env", "with", "variables", "environment", "extraEnv", "envVars"})
DOCKER_CONFIG_KEYS = frozenset({".dockerconfigjson", ".dockercfg"})
FILE_SUFFIXES = (".env", ".ini", ".properties", ".conf", ".cfg", ".cnf", ".json", ".yaml", ".yml", ".toml")
MAX_EMBEDDED_CHARS = 1_000_000
MAX_EMBED_DEPTH = 2
# `KEY=value`, `key: value`, `export KEY=value`, and the code forms a pasted config line takes:
# `const password = "..."`, `$password = '...';`, `password := "..."`, `"password": "...",`
_ASSIGNMENT = re.compile(r"^\s*(?:[A-Za-z]+\s+){0,3}[$@]?[\"']?([A-Za-z_][\w.\-\[\]]{0,200})[\"']?\s*"
                         r"(?::=|=>|=|:(?!//))\s*(.*)$")
MAX_LINE = 4096  # longer lines are data, not `KEY=value` settings
_SKIP_LINE = re.compile(r"^\s*(?:$|[#;!]|//|\[[^\]]*\]\s*$)")

KeyPath = tuple["str | int", ...]


class Unit(NamedTuple):
    """A NamedTuple, not a dataclass: a run builds one per scalar of every document."""

    keypath: KeyPath
    key: str | None  # the name the value is stored under (an env var's `name` for name/value pairs)
    text: str
    literal: bool = False  # env-style: any literal under a secret-like name is a secret
    in_secret: bool = False  # a value of a Kubernetes Secret
    how: str = ""  # how it was decoded, for the message: "base64-decoded", "in the embedded file", ...


def skipped(obj: Any) -> bool:
    """SealedSecret/ExternalSecret/... objects and SOPS-encrypted files hold no plaintext."""
    if not isinstance(obj, dict):
        return False
    kind = obj.get("kind")
    if isinstance(kind, str) and kind in ENCRYPTED_KINDS:
        return True
    sops = obj.get("sops")
    return isinstance(sops, dict) and any(k in sops for k in ("mac", "version", "age", "pgp", "kms", "gcp_kms",
                                                              "azure_kv", "hc_vault", "lastmodified"))


def is_core(obj: dict[str, Any], kind: str) -> bool:
    return obj.get("kind") == kind and obj.get("apiVersion") in ("v1", None)


def unit_list(obj: Any) -> list[Unit]:
    """`units(obj)` as a list; a plain object (most of them) is walked straight into it."""
    if skipped(obj):
        return []
    if isinstance(obj, dict) and not (is_core(obj, "Secret") or is_core(obj, "ConfigMap") or isinstance(
            obj.get("secretGenerator") or obj.get("configMapGenerator"), list)):
        out: list[Unit] = []
        _collect(obj, [], None, False, 0, out)
        return out
    return list(units(obj))


def unit_texts(obj: Any) -> tuple[list[str | None], list[str]] | None:
    """`([u.key for u in units], [u.text for u in units])` of `unit_list(obj)`, in the same order,
    built without units, for the detector to prove most documents hold no secret before it pays
    for key paths. None for the objects whose values are themselves secrets (a Secret, a
    kustomization's generators): they always take `unit_list`. The two walks follow one set of
    rules; tests compare them on every fixture and on hostile shapes."""
    if not isinstance(obj, dict):
        keys: list[str | None] = []
        texts: list[str] = []
        _collect_texts(obj, None, False, 0, keys, texts)
        return keys, texts
    if skipped(obj):
        return [], []
    if is_core(obj, "Secret") or isinstance(obj.get("secretGenerator") or obj.get("configMapGenerator"), list):
        return None
    keys, texts = [], []
    if is_core(obj, "ConfigMap"):
        data = obj.get("data")
        if isinstance(data, dict):
            for key, value in data.items():
                _scalar_texts(value, str(key), 0, keys, texts)
        binary = obj.get("binaryData")
        if isinstance(binary, dict):
            for key, value in binary.items():
                text = _b64_text(value)
                if text is not None:
                    _scalar_texts(text, str(key), 0, keys, texts)
        obj = {k: v for k, v in obj.items() if k not in ("data", "binaryData")}
    _collect_texts(obj, None, False, 0, keys, texts)
    return keys, texts


def _collect_texts(node: Any, name: str | None, literal: bool, depth: int, keys: list[str | None],
                   texts: list[str]) -> None:
    """`_collect` without key paths or units. Every scalar of every document passes here, so the
    common shapes are decided inline by exact type (a plain string value, a number, a boolean,
    a nested dict or list) and only the rest pays for `_scalar_texts`."""
    if type(node) is dict or isinstance(node, dict):
        _dict_texts(node, name, literal, depth, keys, texts)
    elif isinstance(node, list):
        _list_texts(node, name, literal, depth, keys, texts)


def _dict_texts(node: dict[Any, Any], name: str | None, literal: bool, depth: int, keys: list[str | None],
                texts: list[str]) -> None:
    if "value" in node:
        value = node["value"]
        if isinstance(node.get("name"), str) and not isinstance(value, (dict, list)):
            _scalar_texts(value, node["name"], depth, keys, texts)
            others = {k: v for k, v in node.items() if k not in ("name", "value")}
            if others:
                _dict_texts(others, name, literal, depth, keys, texts)
            return
    for key, value in node.items():
        label = key if type(key) is str else key if isinstance(key, str) else str(key)
        kind = type(value)
        if kind is str:
            if "\n" not in value and "=" not in value and value[:1] not in "{[ " and label != "value" \
                    and ("." not in label or not _file_key(label)):
                if not value.isspace():  # (an empty value went the other way: "" is in any string)
                    keys.append(label)
                    texts.append(value)
            else:
                _scalar_texts(value, name if label == "value" and literal and name else label, depth, keys, texts)
        elif kind is dict:
            # GitLab's `VAR: {value: ..., description: ...}` form stays a variable named VAR
            _dict_texts(value, label, label in LITERAL_BLOCKS or (literal and "value" in value), depth, keys, texts)
        elif kind is list:
            _list_texts(value, label, label in LITERAL_BLOCKS, depth, keys, texts)
        elif kind is bool or value is None:
            continue
        elif kind is int or kind is float:  # (a dict item's key is never None)
            keys.append(name if label == "value" and literal and name else label)
            texts.append(str(value))
        elif isinstance(value, (dict, list)):
            nested = literal and isinstance(value, dict) and "value" in value
            _collect_texts(value, label, label in LITERAL_BLOCKS or nested, depth, keys, texts)
        else:
            _scalar_texts(value, name if label == "value" and literal and name else label, depth, keys, texts)


def _list_texts(node: list[Any], name: str | None, literal: bool, depth: int, keys: list[str | None],
                texts: list[str]) -> None:
    plain = name is None or "." not in name or not _file_key(name)
    for value in node:
        kind = type(value)
        if kind is str:
            if plain and "\n" not in value and "=" not in value and value[:1] not in "{[ ":
                if not value.isspace():
                    keys.append(name)
                    texts.append(value)
            else:
                _scalar_texts(value, name, depth, keys, texts)
        elif kind is dict:
            _dict_texts(value, name, literal, depth, keys, texts)
        elif kind is list:
            _list_texts(value, name, literal, depth, keys, texts)
        elif kind is bool or value is None:
            continue
        elif isinstance(value, (dict, list)):
            _collect_texts(value, name, literal, depth, keys, texts)
        else:
            _scalar_texts(value, name, depth, keys, texts)


def _scalar_texts(value: Any, key: str | None, depth: int, keys: list[str | None], texts: list[str]) -> None:
    """`_scalar`'s units as keys and texts (an embedded file's units too)."""
    if isinstance(value, str):
        if not value or value.isspace():
            return
        keys.append(key)
        texts.append(value)
        if depth < MAX_EMBED_DEPTH and len(value) <= MAX_EMBEDDED_CHARS and _embedded_file(value, key):
            for unit in _embedded(value, [], key, False, depth + 1):
                keys.append(unit.key)
                texts.append(unit.text)
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and key is not None:
        keys.append(key)
        texts.append(str(value))


def units(obj: Any) -> Iterator[Unit]:
    """Every text of `obj` worth scanning, decoded as its consumer decodes it."""
    if skipped(obj):
        return
    if isinstance(obj, dict) and is_core(obj, "Secret"):
        yield from _secret(obj)
        rest = {k: v for k, v in obj.items() if k not in ("data", "stringData")}
        yield from _walk(rest, [], None, False, 0)
        return
    if isinstance(obj, dict) and is_core(obj, "ConfigMap"):
        data = obj.get("data")
        if isinstance(data, dict):
            for key, value in data.items():
                yield from _scalar_units(value, ["data", str(key)], str(key), True, False, "")
        binary = obj.get("binaryData")
        if isinstance(binary, dict):
            for key, value in binary.items():
                text = _b64_text(value)
                if text is not None:
                    yield from _scalar_units(text, ["binaryData", str(key)], str(key), True, False, "base64-decoded")
        rest = {k: v for k, v in obj.items() if k not in ("data", "binaryData")}
        yield from _walk(rest, [], None, False, 0)
        return
    if isinstance(obj, dict) and isinstance(obj.get("secretGenerator") or obj.get("configMapGenerator"), list):
        yield from _generators(obj)
    yield from _walk(obj, [], None, False, 0)


def secret_values(obj: dict[str, Any]) -> list[tuple[KeyPath, str]]:
    """The stored values of a Secret (`data` decoded), for secrets/k8s-secret-in-git."""
    out: list[tuple[KeyPath, str]] = []
    for field in ("data", "stringData"):
        values = obj.get(field)
        if not isinstance(values, dict):
            continue
        for key, value in sorted(values.items(), key=lambda kv: str(kv[0])):
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                text = str(value)
                if field == "data":
                    text = _b64_text(text) or text
                out.append(((field, str(key)), text))
    return out


def _secret(obj: dict[str, Any]) -> Iterator[Unit]:
    for field in ("data", "stringData"):
        values = obj.get(field)
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            path = [field, str(key)]
            if not isinstance(value, str):
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    yield Unit(tuple(path), str(key), str(value), literal=True, in_secret=True)
                continue
            text = value
            how = ""
            if field == "data":
                decoded = _b64_text(value)
                if decoded is None:
                    continue  # binary (a keystore, a certificate in DER): nothing readable to match
                text, how = decoded, "base64-decoded"
            if key in DOCKER_CONFIG_KEYS:
                yield from _docker_config(text, tuple(path))
                continue
            yield from _scalar_units(text, path, str(key), True, True, how)


def _docker_config(text: str, path: KeyPath) -> Iterator[Unit]:
    """`auths.<registry>.auth` is base64 of `user:password`; `password`/`identitytoken` are plain."""
    try:
        config = json.loads(text)
    except ValueError:
        yield Unit(path, None, text, in_secret=True)
        return
    auths = config.get("auths", config) if isinstance(config, dict) else None
    if not isinstance(auths, dict):
        return
    for registry, entry in auths.items():
        if not isinstance(entry, dict):
            continue
        auth = entry.get("auth")
        if isinstance(auth, str):
            decoded = _b64_text(auth)
            if decoded and ":" in decoded:
                user, _, password = decoded.partition(":")
                yield Unit(path, "password", password, literal=True, in_secret=True,
                           how=f"decoded from the {registry} auth of user {user[:32]!r}")
        for key in ("password", "identitytoken", "registrytoken"):
            if isinstance(entry.get(key), str):
                yield Unit(path, key, entry[key], literal=True, in_secret=True, how=f"{registry} {key}")


def _generators(obj: dict[str, Any]) -> Iterator[Unit]:
    """kustomize `secretGenerator`/`configMapGenerator` `literals: [KEY=value]`."""
    for field in ("secretGenerator", "configMapGenerator"):
        generators = obj.get(field)
        if not isinstance(generators, list):
            continue
        for i, generator in enumerate(generators):
            literals = generator.get("literals") if isinstance(generator, dict) else None
            if not isinstance(literals, list):
                continue
            for j, entry in enumerate(literals):
                if isinstance(entry, str) and "=" in entry.strip("="):
                    key, _, value = entry.partition("=")
                    yield Unit((field, i, "literals", j), key.strip(), value, literal=True,
                               in_secret=field == "secretGenerator")


def _walk(node: Any, path: list[str | int], name: str | None, literal: bool, depth: int) -> Iterator[Unit]:
    out: list[Unit] = []
    _collect(node, path, name, literal, depth, out)
    return iter(out)


def _collect(node: Any, path: list[str | int], name: str | None, literal: bool, depth: int, out: list[Unit]) -> None:
    """Depth-first into `out` (no generators: every scalar of every document passes here);
    `path` is one shared list copied only into units. Depth is bounded by the loader."""
    if isinstance(node, dict):
        value = node.get("value")
        if "value" in node and isinstance(node.get("name"), str) and not isinstance(value, (dict, list)):
            # `- name: API_KEY` / `value: ...`: Kubernetes env, Helm values env lists, Tekton params
            path.append("value")
            _scalar(value, path, node["name"], True, False, depth, "", out)
            path.pop()
            others = {k: v for k, v in node.items() if k not in ("name", "value")}
            if others:
                _collect(others, path, name, literal, depth, out)
            return
        for key, value in node.items():
            label = key if isinstance(key, str) else str(key)
            path.append(label)
            if isinstance(value, (dict, list)):
                # GitLab's `VAR: {value: ..., description: ...}` form stays a variable named VAR
                nested = literal and isinstance(value, dict) and "value" in value
                _collect(value, path, label, label in LITERAL_BLOCKS or nested, depth, out)
            else:
                _scalar(value, path, name if label == "value" and literal and name else label, literal, False,
                        depth, "", out)
            path.pop()
    elif isinstance(node, list):
        for index, value in enumerate(node):
            path.append(index)
            if isinstance(value, (dict, list)):
                _collect(value, path, name, literal, depth, out)
            else:
                _scalar(value, path, name, literal, False, depth, "", out)
            path.pop()


_new_unit = tuple.__new__  # a Unit from its six fields, without NamedTuple's keyword handling


def _scalar_units(value: Any, path: list[str | int], key: str, literal: bool, in_secret: bool, how: str) -> list[Unit]:
    out: list[Unit] = []
    _scalar(value, path, key, literal, in_secret, 0, how, out)
    return out


def _scalar(value: Any, path: list[str | int], key: str | None, literal: bool, in_secret: bool, depth: int,
            how: str, out: list[Unit]) -> None:
    if isinstance(value, str):
        if not value or value.isspace():
            return
        out.append(_new_unit(Unit, (tuple(path), key, value, literal, in_secret, how)))
        if depth < MAX_EMBED_DEPTH and len(value) <= MAX_EMBEDDED_CHARS and _embedded_file(value, key):
            out.extend(_embedded(value, path, key, in_secret, depth + 1))
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and key is not None:
        out.append(Unit(tuple(path), key, str(value), literal, in_secret, how))  # unquoted DB_PASSWORD: 1234


def _embedded_file(value: str, key: str | None) -> bool:
    if "\n" not in value and "=" not in value and value[:1] not in "{[ " and (key is None or not _file_key(key)):
        return False  # the common case, decided without a regex
    return "\n" in value.strip() or (key is not None and _file_key(key)) or (
        value.lstrip()[:1] in "{[" and value.rstrip()[-1:] in "}]") or (
        len(value) <= MAX_LINE and "=" in value and bool(_ASSIGNMENT.match(value)))


@functools.lru_cache(maxsize=4096)
def _file_key(key: str) -> bool:
    return key.lower().endswith(FILE_SUFFIXES)


def _embedded(text: str, path: list[str | int], key: str | None, in_secret: bool, depth: int) -> Iterator[Unit]:
    """A value that is itself a file: JSON, YAML, or `KEY=value` lines (.env, INI, properties)."""
    how = f"in the file embedded in {key}" if key else "in an embedded file"
    stripped = text.strip()
    if stripped[:1] in "{[":
        try:
            parsed = json.loads(stripped)
        except (ValueError, RecursionError):
            parsed = None
        if isinstance(parsed, (dict, list)):
            for unit in _walk(parsed, list(path), key, False, depth):
                yield Unit(unit.keypath, unit.key, unit.text, unit.literal, in_secret, unit.how or how)
            return
    assignments = _assignments(text)
    if assignments:
        for name, value in assignments:
            if value:
                yield Unit(tuple(path), name, value, True, in_secret, how)
        return
    parsed = _yaml_mapping(text)
    if parsed is not None:
        for unit in _walk(parsed, list(path), key, False, depth):
            yield Unit(unit.keypath, unit.key, unit.text, unit.literal, in_secret, unit.how or how)


def _assignments(text: str) -> list[tuple[str, str]]:
    """`KEY=value` / `key = value` / `key: value` lines, when most lines are such; quotes removed.
    YAML-style `key: value` only counts for flat files: nested YAML is parsed as YAML."""
    lines = [line for line in text.splitlines() if not _SKIP_LINE.match(line)]
    if not lines or any(line[:1] in " \t" for line in lines if ":" in line and "=" not in line):
        return []
    found: list[tuple[str, str]] = []
    for line in lines:
        match = _ASSIGNMENT.match(line) if len(line) <= MAX_LINE else None
        if match:
            value = match.group(2).strip().rstrip(";,").strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"`":
                value = value[1:-1]
            found.append((match.group(1), value))
    return found if len(found) * 2 >= len(lines) and any("=" in line for line in lines) else []


def _yaml_mapping(text: str) -> Any:
    """The one mapping or list an embedded YAML file holds, else None. No lines are needed here
    (a hit is placed at the value that embeds the file), so an ordinary text takes the C loader's
    objects alone (`ordinary_documents`: the same objects `load_text` gives, and no finding);
    any other text takes `load_text`, which says whether it loaded cleanly."""
    from prcheck.sources.yaml_loader import Limits, load_text, ordinary_documents

    try:
        fast = ordinary_documents(text, Limits().max_depth)
        if fast is not None:
            objs = [obj for _, obj, _ in fast if isinstance(obj, (dict, list))]
        else:
            loaded = load_text(text, "embedded", "yaml")
            if loaded.findings:
                return None
            objs = [d.obj for d in loaded.docs if isinstance(d.obj, (dict, list))]
    except Exception:  # noqa: BLE001 - hostile embedded text is data, not an error of the run
        return None
    return objs[0] if len(objs) == 1 else None


def _b64_text(value: Any) -> str | None:
    """Printable UTF-8 behind a base64 value, else None (binary, or not base64)."""
    if not isinstance(value, str):
        return None
    compact = "".join(value.split())
    if not compact:
        return None
    try:
        raw = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        try:
            raw = base64.urlsafe_b64decode(compact + "=" * (-len(compact) % 4))
        except (binascii.Error, ValueError):
            return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text and all(ch.isprintable() or ch in "\n\r\t" for ch in text) else None
