"""Kubernetes semver library: `semver`, `isSemver` (with optional normalisation),
`major`, `minor`, `patch`, `isLessThan`, `isGreaterThan`, `compareTo`.

https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-semver-library
Precedence follows semver 2.0.0 (build metadata ignored, pre-releases lower).
"""

from __future__ import annotations

import re

from .common import BOOL, INT, OBJ, STRING, Fn, compare, expect, fn, shared, tagged

_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?")


def _normalize(text: str) -> str:
    """`v1.2` → `1.2.0`, `01.02.03` → `1.2.3`, as SemverLib's normalisation does."""
    text = text[1:] if text.startswith("v") else text
    core, rest = re.match(r"([^-+]*)(.*)", text).groups()  # type: ignore[union-attr]
    parts = core.split(".")
    if len(parts) > 3 or not all(p.isdigit() for p in parts):
        return text
    parts = [str(int(p)) for p in parts] + ["0"] * (3 - len(parts))
    return ".".join(parts) + rest


def _parse(text: str, normalize: bool = False) -> "dict | None":
    candidate = _normalize(text) if normalize else text
    found = _SEMVER.fullmatch(candidate)
    if found is None:
        return None
    major, minor, patch, pre, _ = found.groups()
    return tagged("semver", major=int(major), minor=int(minor), patch=int(patch), pre=pre or "")


def semver(text: str, normalize: bool = False) -> dict:
    parsed = _parse(text, normalize)
    if parsed is None:
        raise ValueError(f"invalid semver: {text}")
    return parsed


def is_semver(text: str, normalize: bool = False) -> bool:
    return _parse(text, normalize) is not None


def semver_key(value: dict) -> tuple:
    v = expect(value, "semver")
    pre = str(v.get("pre") or "")
    pre_key: tuple = (1,) if not pre else (0, *((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")))
    return int(v["major"]), int(v["minor"]), int(v["patch"]), pre_key


def compare_to(a: dict, b: dict) -> int:
    return compare(semver_key(a), semver_key(b))


def _part(name: str):
    return lambda value: int(expect(value, "semver")[name])


for _name, _impl in (("isLessThan", lambda a, b: compare_to(a, b) < 0),
                     ("isGreaterThan", lambda a, b: compare_to(a, b) > 0),
                     ("compareTo", compare_to)):
    shared(_name).impls["semver"] = _impl

FUNCTIONS = [
    Fn("semver", [fn("semver", OBJ, [STRING], semver), fn("semver", OBJ, [STRING, BOOL], semver)]),
    Fn("isSemver", [fn("isSemver", BOOL, [STRING], is_semver), fn("isSemver", BOOL, [STRING, BOOL], is_semver)]),
    Fn("major", [fn("major", INT, [OBJ], _part("major"), member=True)]),
    Fn("minor", [fn("minor", INT, [OBJ], _part("minor"), member=True)]),
    Fn("patch", [fn("patch", INT, [OBJ], _part("patch"), member=True)]),
    Fn("isLessThan", [fn("isLessThan", BOOL, [OBJ, OBJ], shared("isLessThan"), member=True)]),
    Fn("isGreaterThan", [fn("isGreaterThan", BOOL, [OBJ, OBJ], shared("isGreaterThan"), member=True)]),
    Fn("compareTo", [fn("compareTo", INT, [OBJ, OBJ], shared("compareTo"), member=True)]),
]
