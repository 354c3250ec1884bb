"""`x509_decode`: a PEM certificate as the JSON that Go's `x509.Certificate` marshals to.

Policies on TLS secrets and webhook CA bundles read fields such as
`NotAfter`, `Subject.CommonName`, `IsCA` or `DNSNames`; Kyverno produces them
by JSON-encoding Go's certificate struct, so the field names and shapes here
are Go's. Parsing uses the `cryptography` package, which the project's GitHub
client already depends on.
"""

from __future__ import annotations

import base64
from typing import Any

_SIGNATURE_ALGORITHMS = {
    "md2WithRSAEncryption": 1, "md5WithRSAEncryption": 2, "sha1WithRSAEncryption": 3,
    "sha256WithRSAEncryption": 4, "sha384WithRSAEncryption": 5, "sha512WithRSAEncryption": 6,
    "dsa-with-sha1": 7, "dsa-with-sha256": 8, "ecdsa-with-SHA1": 9, "ecdsa-with-SHA256": 10,
    "ecdsa-with-SHA384": 11, "ecdsa-with-SHA512": 12, "ed25519": 16,
}
_NAME_FIELDS = {
    "countryName": "Country", "organizationName": "Organization", "organizationalUnitName": "OrganizationalUnit",
    "localityName": "Locality", "stateOrProvinceName": "Province", "streetAddress": "StreetAddress",
    "postalCode": "PostalCode",
}
_KEY_USAGE_BITS = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                   "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")


def _name(name: Any) -> dict:
    result: dict[str, Any] = {field: None for field in _NAME_FIELDS.values()}
    result.update({"SerialNumber": "", "CommonName": "", "Names": [], "ExtraNames": None})
    for attribute in name:
        oid_name = attribute.oid._name
        value = attribute.value if isinstance(attribute.value, str) else attribute.value.decode("utf-8", "replace")
        result["Names"].append({"Type": [int(p) for p in attribute.oid.dotted_string.split(".")], "Value": value})
        if oid_name == "commonName":
            result["CommonName"] = value
        elif oid_name == "serialNumber":
            result["SerialNumber"] = value
        elif oid_name in _NAME_FIELDS:
            field = _NAME_FIELDS[oid_name]
            result[field] = (result[field] or []) + [value]
    return result


def _time(moment: Any) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _extension(cert: Any, kind: Any) -> Any:
    from cryptography import x509

    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _key_usage(usage: Any) -> int:
    if usage is None:
        return 0
    bits = 0
    for index, attribute in enumerate(_KEY_USAGE_BITS):
        try:
            if getattr(usage, attribute):
                bits |= 1 << index
        except ValueError:  # encipher_only / decipher_only without key_agreement
            continue
    return bits


def _public_key(cert: Any) -> "tuple[int, Any]":
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        return 1, {"N": numbers.n, "E": numbers.e}
    if isinstance(key, dsa.DSAPublicKey):
        return 2, {"Y": key.public_numbers().y}
    if isinstance(key, ec.EllipticCurvePublicKey):
        numbers = key.public_numbers()
        return 3, {"Curve": {}, "X": numbers.x, "Y": numbers.y}
    if isinstance(key, ed25519.Ed25519PublicKey):
        return 4, None
    return 0, None


def decode(pem: str) -> dict:
    """Raises ValueError when `pem` holds no parsable certificate."""
    try:
        from cryptography import x509
    except ImportError as exc:  # pragma: no cover - cryptography ships with the GitHub client
        raise ValueError("x509_decode needs the 'cryptography' package") from exc
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise ValueError(f"invalid certificate: {exc}") from exc
    constraints = _extension(cert, x509.BasicConstraints)
    san = _extension(cert, x509.SubjectAlternativeName)
    ski = _extension(cert, x509.SubjectKeyIdentifier)
    aki = _extension(cert, x509.AuthorityKeyIdentifier)
    algorithm, public_key = _public_key(cert)
    sig_name = cert.signature_algorithm_oid._name
    return {
        "Version": cert.version.value + 1,
        "SerialNumber": cert.serial_number,
        "Issuer": _name(cert.issuer),
        "Subject": _name(cert.subject),
        "NotBefore": _time(cert.not_valid_before_utc),
        "NotAfter": _time(cert.not_valid_after_utc),
        "KeyUsage": _key_usage(_extension(cert, x509.KeyUsage)),
        "BasicConstraintsValid": constraints is not None,
        "IsCA": bool(constraints and constraints.ca),
        "MaxPathLen": constraints.path_length if constraints and constraints.path_length is not None else -1,
        "MaxPathLenZero": bool(constraints and constraints.path_length == 0),
        "SubjectKeyId": base64.b64encode(ski.digest).decode() if ski else None,
        "AuthorityKeyId": base64.b64encode(aki.key_identifier).decode() if aki and aki.key_identifier else None,
        "DNSNames": (san.get_values_for_type(x509.DNSName) or None) if san else None,
        "EmailAddresses": (san.get_values_for_type(x509.RFC822Name) or None) if san else None,
        "IPAddresses": ([str(ip) for ip in san.get_values_for_type(x509.IPAddress)] or None) if san else None,
        "URIs": None,
        "SignatureAlgorithm": _SIGNATURE_ALGORITHMS.get(sig_name, 0),
        "PublicKeyAlgorithm": algorithm,
        "PublicKey": public_key,
        "Signature": base64.b64encode(cert.signature).decode(),
    }
