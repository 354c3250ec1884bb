"""OPA's `crypto.*` built-ins: digests, HMACs, and certificates read as Go marshals them.

Certificates come out in the JSON shape of Go's `x509.Certificate` (the same
decoder serves Kyverno's `x509_decode`), because that is what OPA returns
and what policies index (`NotAfter`, `Subject.CommonName`, `DNSNames`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import Any

from prcheck.checks.policy.rego_builtins.operands import BuiltinError, need

_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", re.DOTALL)


def digest(algorithm: str):
    def hexdigest(text: Any) -> str:
        return hashlib.new(algorithm, need(f"crypto.{algorithm}", 1, text, "string").encode()).hexdigest()
    return hexdigest


def hmac_digest(algorithm: str):
    def sign(text: Any, key: Any) -> str:
        name = f"crypto.hmac.{algorithm}"
        message, secret = need(name, 1, text, "string"), need(name, 2, key, "string")
        return hmac.new(secret.encode(), message.encode(), algorithm).hexdigest()
    return sign


def hmac_equal(mac1: Any, mac2: Any) -> bool:
    name = "crypto.hmac.equal"
    return hmac.compare_digest(need(name, 1, mac1, "string").encode(), need(name, 2, mac2, "string").encode())


def _pem_blocks(name: str, text: str, kind: str) -> list[str]:
    """PEM text as is, or base64 of PEM; OPA accepts both."""
    if "-----BEGIN" not in text:
        try:
            text = base64.b64decode(text, validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return []
    return [m.group(0) for m in _PEM_BLOCK.finditer(text) if m.group(1) == kind]


def parse_certificates(certs: Any) -> list:
    name = "crypto.x509.parse_certificates"
    text = need(name, 1, certs, "string")
    blocks = _pem_blocks(name, text, "CERTIFICATE")
    if not blocks:
        blocks = _der_certificates(name, text)
    try:
        from prcheck.checks.policy.kyverno.x509 import decode as decode_certificate  # loads the Kyverno package

        return [decode_certificate(block) for block in blocks]
    except ValueError as exc:
        raise BuiltinError(f"{name}: {exc}") from None


def _der_certificates(name: str, text: str) -> list[str]:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(text))
    except (binascii.Error, ValueError):
        raise BuiltinError(f"{name}: x509: malformed certificate") from None
    return [cert.public_bytes(Encoding.PEM).decode()]


def parse_rsa_private_key(pem: Any) -> dict:
    """The key as the JWK OPA returns for signing with `io.jwt.encode_sign`."""
    name = "crypto.x509.parse_rsa_private_key"
    blocks = _pem_blocks(name, need(name, 1, pem, "string"), "RSA PRIVATE KEY") \
        or _pem_blocks(name, pem, "PRIVATE KEY")
    if not blocks:
        raise BuiltinError(f"{name}: failed to parse a PEM private key")
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from jwt.algorithms import RSAAlgorithm

    key = load_pem_private_key(blocks[0].encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise BuiltinError(f"{name}: not an RSA private key")
    return RSAAlgorithm.to_jwk(key, as_dict=True)
