"""Kubernetes format library: `format.named`, `format.<name>()` and `validate`.

https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-format-library
`validate` returns `optional.none()` for a valid value and
`optional.of([errors])` otherwise, and `format.named` `optional.none()` for an
unknown name, as in the API server. cel-cpp cannot return optionals from host
functions, so both are declared `dyn` for the checker and rewritten into `optional.of(...)` / `optional.none()` around host calls
(`compat.py`). The messages are apimachinery's.
"""

from __future__ import annotations

import re
import uuid as uuid_lib
from base64 import b64decode
from datetime import date, datetime
from typing import Callable

from .common import DYN, OBJ, STRING, Fn, expect, fn, tagged

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_1035 = r"[a-z]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"


def _shaped(limit: int, pattern: str, message: str, allow_empty: bool = False) -> Callable[[str], list]:
    """apimachinery's checks: a length limit and a pattern, each with its own message."""
    def check(value: str) -> list:
        errors = [f"must be no more than {limit} characters"] if len(value) > limit else []
        if not (allow_empty and not value) and not re.fullmatch(pattern, value):
            errors.append(message)
        return errors
    return check


_dns1123_label = _shaped(63, _LABEL, "a lowercase RFC 1123 label must consist of lower case alphanumeric "
                         "characters or '-', and must start and end with an alphanumeric character")
_dns1123_subdomain = _shaped(253, rf"{_LABEL}(\.{_LABEL})*", "a lowercase RFC 1123 subdomain must consist of lower "
                             "case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
                             "character")
_dns1035_label = _shaped(63, _1035, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
                         "start with an alphabetic character, and end with an alphanumeric character")
_label_value = _shaped(63, _QUALIFIED, "a valid label must be an empty string or consist of alphanumeric characters, "
                       "'-', '_' or '.', and must start and end with an alphanumeric character", allow_empty=True)


def _prefix(check: Callable[[str], list]) -> Callable[[str], list]:
    """The `...Prefix` formats: a generateName prefix may end in '-'."""
    return lambda value: check(value[:-1] if value.endswith("-") else value)


def _qualified_name(value: str) -> list:
    prefix, slash, name = value.rpartition("/")
    errors = []
    if slash and (not prefix or _dns1123_subdomain(prefix)):
        errors.append("prefix part must be a lowercase RFC 1123 subdomain")
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    elif not re.fullmatch(_QUALIFIED, name):
        errors.append("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                      "with an alphanumeric character")
    return errors


def _uri(value: str) -> list:
    from .urls import is_url
    return [] if is_url(value) else ["invalid URI"]


def _uuid(value: str) -> list:
    try:
        uuid_lib.UUID(value)
        return [] if re.fullmatch(r"[0-9a-fA-F-]{36}", value) else ["does not match the UUID format"]
    except ValueError:
        return ["does not match the UUID format"]


def _byte(value: str) -> list:
    try:
        b64decode(value, validate=True)
        return []
    except ValueError:
        return ["invalid base64"]


def _date(value: str) -> list:
    try:
        date.fromisoformat(value)
        return [] if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else ["invalid date"]
    except ValueError:
        return ["invalid date"]


def _datetime(value: str) -> list:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return [] if "T" in value or "t" in value else ["invalid datetime"]
    except ValueError:
        return ["invalid datetime"]


FORMATS: dict[str, Callable[[str], list]] = {
    "dns1123Label": _dns1123_label, "dns1123Subdomain": _dns1123_subdomain, "dns1035Label": _dns1035_label,
    "qualifiedName": _qualified_name, "dns1123LabelPrefix": _prefix(_dns1123_label),
    "dns1123SubdomainPrefix": _prefix(_dns1123_subdomain), "dns1035LabelPrefix": _prefix(_dns1035_label),
    "labelValue": _label_value, "uri": _uri, "uuid": _uuid, "byte": _byte, "date": _date, "datetime": _datetime,
}


def named(name: str) -> dict:
    if name not in FORMATS:
        raise ValueError(f"unknown format: {name}")
    return tagged("format", name=name)


def validate(value: dict, text: str) -> list:
    return FORMATS[str(expect(value, "format")["name"])](text)


def _maker(name: str):
    return lambda: tagged("format", name=name)


FUNCTIONS = [
    # Declarations for the checker (`dyn`: the binding cannot declare an optional result);
    # calls are rewritten to host functions wrapped in optionals (compat.py).
    Fn("format.named", [fn("format.named", DYN, [STRING], named)]),
    Fn("validate", [fn("validate", DYN, [OBJ, STRING], validate, member=True)]),
    *(Fn(f"format.{name}", [fn(f"format.{name}", OBJ, [], _maker(name))]) for name in FORMATS),
]
