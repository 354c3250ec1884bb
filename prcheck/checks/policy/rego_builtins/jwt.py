"""OPA's `io.jwt.*` built-ins on PyJWT's signature algorithms.

Only the parsing and the cryptography come from PyJWT (`jwt.algorithms`);
the claims rules of `decode_verify` (which constraints exist, when `exp`,
`nbf`, `iss` and `aud` make a token invalid, `[false, {}, {}]` rather than an
error) are OPA's, from its documentation. A key may be a PEM certificate, a
PEM public key, a JWK or a JWK set, as OPA accepts.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from prcheck.checks.policy.rego_builtins.operands import BuiltinError, need

_HMAC = {"HS256", "HS384", "HS512"}


def _algorithms() -> dict:
    from jwt.algorithms import get_default_algorithms  # PyJWT; imported when a policy signs or verifies

    return get_default_algorithms()


def _b64decode(name: str, part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise BuiltinError(f"{name}: failed to base64url-decode token segment") from None


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _split(name: str, token: Any) -> tuple[str, str, str]:
    parts = need(name, 1, token, "string").split(".")
    if len(parts) != 3:
        raise BuiltinError(f"{name}: encoded JWT had no period separators" if len(parts) == 1
                           else f"{name}: encoded JWT must have 3 sections, found {len(parts)}")
    return parts[0], parts[1], parts[2]


def _json_part(name: str, part: str, what: str) -> dict:
    try:
        value = json.loads(_b64decode(name, part))
    except ValueError:
        raise BuiltinError(f"{name}: JWT {what} had invalid encoding") from None
    if not isinstance(value, dict):
        raise BuiltinError(f"{name}: JWT {what} must be an object")
    return value


def decode(token: Any) -> list:
    name = "io.jwt.decode"
    header_part, payload_part, signature_part = _split(name, token)
    header = _json_part(name, header_part, "header")
    if "enc" in header:
        raise BuiltinError(f"{name}: JWT is a JWE object, which is not supported")
    payload = _json_part(name, payload_part, "payload")
    return [header, payload, _b64decode(name, signature_part).hex()]


def _keys(name: str, alg: str, key: str) -> list[Any]:
    """Verification keys from a PEM certificate, PEM public key, JWK or JWK set.

    A key of another type or curve than `alg` wants simply does not verify
    (the token is not valid), as in OPA; only an unreadable key is an error.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    text = key.strip()
    try:
        if text.startswith("{"):
            doc = json.loads(text)
            jwks = doc.get("keys") if isinstance(doc, dict) and "keys" in doc else [doc]
            keys = []
            for jwk in jwks:
                try:
                    keys.append(_algorithms()[alg].from_jwk(json.dumps(jwk)))
                except Exception:  # a JWK for another algorithm
                    continue
            return keys
        if "BEGIN CERTIFICATE" in text:
            return [x509.load_pem_x509_certificate(text.encode()).public_key()]
        return [load_pem_public_key(text.encode())]
    except Exception as exc:  # cryptography raises several types for a bad key
        raise BuiltinError(f"{name}: failed to parse a key: {type(exc).__name__}") from None


def _verify(name: str, alg: str, token: Any, key: Any) -> bool:
    header_part, payload_part, signature_part = _split(name, token)
    need(name, 2, key, "string")
    signing_input = f"{header_part}.{payload_part}".encode()
    signature = _b64decode(name, signature_part)
    algorithm = _algorithms()[alg]
    keys = [key.encode()] if alg in _HMAC else _keys(name, alg, key)
    for candidate in keys:
        try:
            if algorithm.verify(signing_input, candidate, signature):
                return True
        except Exception:  # a key of the wrong type for this algorithm does not verify
            continue
    return False


def verifier(alg: str):
    def verify(token: Any, key: Any) -> bool:
        return _verify(f"io.jwt.verify_{alg.lower()}", alg, token, key)
    return verify


def decode_verify(token: Any, constraints: Any) -> list:
    name = "io.jwt.decode_verify"
    need(name, 2, constraints, "object")
    unknown = set(constraints) - {"cert", "secret", "alg", "iss", "aud", "time"}
    if unknown:
        raise BuiltinError(f"{name}: unknown token validation constraint: {sorted(unknown)[0]}")
    if ("cert" in constraints) == ("secret" in constraints):
        raise BuiltinError(f"{name}: exactly one of 'cert' or 'secret' must be given")
    invalid = [False, {}, {}]
    try:
        header, payload, _ = decode(token)
    except BuiltinError:
        return invalid
    alg = header.get("alg")
    if "alg" in constraints and constraints["alg"] != alg:
        return invalid
    if alg not in _algorithms() or alg == "none" or (alg in _HMAC) != ("secret" in constraints):
        return invalid
    key = constraints.get("secret", constraints.get("cert"))
    if not _verify(name, alg, token, key):
        return invalid
    now = constraints.get("time", time.time_ns())
    exp, nbf = payload.get("exp"), payload.get("nbf")
    if isinstance(exp, (int, float)) and now >= exp * 1e9:
        return invalid
    if isinstance(nbf, (int, float)) and now < nbf * 1e9:
        return invalid
    if "iss" in constraints and payload.get("iss") != constraints["iss"]:
        return invalid
    aud = payload.get("aud")
    if aud is not None or "aud" in constraints:
        wanted = constraints.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if wanted is None or wanted not in audiences:
            return invalid
    return [True, header, payload]


def _sign(name: str, header_text: str, payload_text: str, jwk: Any) -> str:
    header = json.loads(header_text)
    alg = header.get("alg") if isinstance(header, dict) else None
    algorithms = _algorithms()
    if alg not in algorithms or alg == "none":
        raise BuiltinError(f"{name}: unsupported signature algorithm: {alg}")
    signing_input = f"{_b64encode(header_text.encode())}.{_b64encode(payload_text.encode())}"
    try:
        key = algorithms[alg].from_jwk(jwk if isinstance(jwk, str) else json.dumps(jwk))
        signature = algorithms[alg].sign(signing_input.encode(), key)
    except Exception as exc:
        raise BuiltinError(f"{name}: failed to sign with the given key: {type(exc).__name__}") from None
    return f"{signing_input}.{_b64encode(signature)}"


def _go_json(value: Any) -> str:
    """encoding/json: sorted keys, compact, HTML characters escaped."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def encode_sign(headers: Any, payload: Any, key: Any) -> str:
    name = "io.jwt.encode_sign"
    for index, value in enumerate((headers, payload, key), 1):
        need(name, index, value, "object")
    return _sign(name, _go_json(headers), _go_json(payload), key)


def encode_sign_raw(headers: Any, payload: Any, key: Any) -> str:
    name = "io.jwt.encode_sign_raw"
    for index, value in enumerate((headers, payload, key), 1):
        need(name, index, value, "string")
    return _sign(name, headers, payload, key)
