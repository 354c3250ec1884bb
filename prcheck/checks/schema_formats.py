"""The JSON-schema `format`s Kubernetes declares, checked as the API server reads them.

jsonschema-rs checks formats only when asked and knows only JSON Schema's
own (`date-time`, `email`, ...). Kubernetes schemas and CRDs declare a few
of their own: `byte` (base64, as `[]byte` fields decode it), `int-or-string`,
`quantity` (resource.Quantity), `duration` (Go's duration syntax, as
`metav1.Duration` and the apiextensions format registry read it) and
`date-time` (RFC 3339, as `metav1.Time` parses it). kubeconform's validator
asserts formats too; the ones not listed here (`int32`, `int64`, `double`,
`password`, ...) stay annotations, as in Kubernetes, where a value's type is
what is checked.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re

_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$")
_DURATION = re.compile(r"^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h|d|w))+$")
_QUANTITY = re.compile(
    r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?(?:\d+(?:\.\d*)?|\.\d+))?$")


def is_date_time(value: str) -> bool:
    match = _DATE_TIME.match(value)
    if not match:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        dt.datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return False
    offset_ok = match.group(9) is None or (int(match.group(9)) < 24 and int(match.group(10)) < 60)
    return second <= 60 and offset_ok


def is_duration(value: str) -> bool:
    return value in ("0", "+0", "-0") or bool(_DURATION.match(value))


def is_byte(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def is_quantity(value: str) -> bool:
    return bool(_QUANTITY.match(value))


def is_int_or_string(value: str) -> bool:
    return True  # any string is the string half; numbers never reach a string format


FORMATS = {
    "date-time": is_date_time,
    "duration": is_duration,
    "byte": is_byte,
    "quantity": is_quantity,
    "int-or-string": is_int_or_string,
}
