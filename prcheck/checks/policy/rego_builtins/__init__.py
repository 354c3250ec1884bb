"""OPA built-ins that regorus lacks or reads differently, as regorus extensions.

Every regorus engine prcheck evaluates with is made by `new_engine`, which
registers these Python functions (OPA's semantics, from its documentation)
and replaces the built-ins that would reach the network with a refusal: a
policy in a pull request may never make prcheck send a request or resolve
a name. The load check (rego_calls) reports each call of a refused built-in
as a `policy/builtin-refused` finding; the rules that reach one produce no
result rather than aborting the run.

`ALL` is the registry `docs/rego-compat.md` is generated from.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Collection

import regorus


def _lazy(module: str, name: str, *args: Any) -> Callable[..., Any]:
    """`module.name` (or `module.name(*args)` for a factory), imported on the first call:
    most runs call none of these, and their modules pull in zoneinfo, hashlib, ipaddress
    and Kyverno's formatter, which would cost every run's start-up."""
    resolved: list[Callable[..., Any]] = []

    def call(*values: Any) -> Any:
        if not resolved:
            target = getattr(importlib.import_module(f"{__name__}.{module}"), name)
            resolved.append(target(*args) if args else target)
        return resolved[0](*values)
    call.__qualname__ = f"{module}.{name}"
    return call


@dataclass(frozen=True)
class Extension:
    name: str
    nargs: int
    fn: Callable[..., Any]
    why: str  # why prcheck provides it rather than regorus
    deprecated: bool = False  # OPA keeps it for Rego v0 modules only
    big_numbers: bool = False  # may return integers beyond 64 bits


_MISSING = "missing from regorus"
_DIFFERS = "regorus' version differs from OPA"

ALL: tuple[Extension, ...] = (
    Extension("net.cidr_intersects", 2, _lazy("net", "cidr_intersects"), _MISSING),
    Extension("net.cidr_contains_matches", 2, _lazy("net", "cidr_contains_matches"), _MISSING),
    Extension("net.cidr_merge", 1, _lazy("net", "cidr_merge"), _MISSING),
    Extension("io.jwt.decode", 1, _lazy("jwt", "decode"), _MISSING),
    Extension("io.jwt.decode_verify", 2, _lazy("jwt", "decode_verify"), _MISSING),
    Extension("io.jwt.encode_sign", 3, _lazy("jwt", "encode_sign"), _MISSING),
    Extension("io.jwt.encode_sign_raw", 3, _lazy("jwt", "encode_sign_raw"), _MISSING),
    *(Extension(f"io.jwt.verify_{alg.lower()}", 2, _lazy("jwt", "verifier", alg), _MISSING)
      for alg in ("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                  "ES256", "ES384", "ES512", "EdDSA")),
    *(Extension(f"crypto.{alg}", 1, _lazy("crypto", "digest", alg), _MISSING) for alg in ("md5", "sha1", "sha256")),
    *(Extension(f"crypto.hmac.{alg}", 2, _lazy("crypto", "hmac_digest", alg), _MISSING) for alg in ("md5", "sha1", "sha256", "sha512")),
    Extension("crypto.hmac.equal", 2, _lazy("crypto", "hmac_equal"), _MISSING),
    Extension("crypto.x509.parse_certificates", 1, _lazy("crypto", "parse_certificates"), _MISSING, big_numbers=True),
    Extension("crypto.x509.parse_rsa_private_key", 1, _lazy("crypto", "parse_rsa_private_key"), _MISSING),
    Extension("strings.render_template", 2, _lazy("template", "render_template"), _MISSING),
    Extension("regex.globs_match", 2, _lazy("globs", "globs_match"), _MISSING),
    Extension("array.flatten", 1, _lazy("misc", "array_flatten"), _MISSING),
    Extension("time.format", 1, _lazy("timefmt", "time_format"), _DIFFERS + ": zone names (MST) and named layouts"),
    Extension("semver.is_valid", 1, _lazy("misc", "semver_is_valid"), _DIFFERS + ": a non-string is not valid, not an error"),
    Extension("trace", 1, _lazy("misc", "trace"), _DIFFERS + ": it is true, not its argument"),
    Extension("any", 1, _lazy("misc", "any_"), _MISSING, deprecated=True),
    Extension("all", 1, _lazy("misc", "all_"), _MISSING, deprecated=True),
    Extension("re_match", 2, _lazy("misc", "re_match"), _MISSING, deprecated=True),
    Extension("set_diff", 2, _lazy("misc", "set_diff"), _MISSING, deprecated=True),
    Extension("net.cidr_overlap", 2, _lazy("net", "cidr_contains_legacy"), _MISSING, deprecated=True),
    Extension("cast_array", 1, _lazy("misc", "cast_array"), _MISSING, deprecated=True),
    Extension("cast_set", 1, _lazy("misc", "cast_set"), _MISSING, deprecated=True),
    *(Extension(f"cast_{t}", 1, _lazy("misc", "caster", t), _MISSING, deprecated=True) for t in ("boolean", "null", "object", "string")),
)

# built-ins that would reach the network, whatever the arguments
REFUSED: dict[str, tuple[int, str]] = {
    "http.send": (1, "it sends an HTTP request"),
    "net.lookup_ip_addr": (1, "it resolves a host name over DNS"),
}
REFUSAL = "prcheck refuses built-in"
DEPRECATED = frozenset(e.name for e in ALL if e.deprecated)


def refusal_message(name: str) -> str:
    return f"{REFUSAL} {name}: {REFUSED[name][1]}, and a policy check never reaches the network"


_INT64 = 2**63


def _rego_value(value: Any) -> Any:
    """Python ints beyond 64 bits (RSA moduli in certificates) do not convert to
    regorus numbers; they become their decimal digits as a string (OPA keeps a
    big number, which regorus cannot hold)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return str(value) if not -_INT64 <= value < _INT64 else value
    if isinstance(value, dict):
        return {k: _rego_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rego_value(v) for v in value]
    return value


def _converted(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        return _rego_value(fn(*args))
    return call


def _refuse(name: str) -> Callable[..., Any]:
    def refuse(*_args: Any) -> Any:
        raise PermissionError(refusal_message(name))
    return refuse


def new_engine(allowed: Collection[str] | None = None) -> regorus.Engine:
    """A regorus engine with OPA's missing built-ins and without network ones.

    `allowed` (a capabilities file's built-ins) leaves out the extensions it
    does not name; calls to those are refused at load time by rego_calls.
    """
    engine = regorus.Engine()
    for ext in ALL:
        if allowed is None or ext.name in allowed:
            engine.add_extension(ext.name, ext.nargs, _converted(ext.fn) if ext.big_numbers else ext.fn)
    for name, (nargs, _) in REFUSED.items():
        engine.add_extension(name, nargs, _refuse(name))
    return engine


def is_refusal(exc: BaseException) -> bool:
    """Did this evaluation error come from a refused built-in?"""
    return REFUSAL in str(exc)
