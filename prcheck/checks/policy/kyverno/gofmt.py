"""Go's ways of turning values into text, where Kyverno's results depend on them.

Kyverno stringifies numbers before wildcard matches (`FormatFloat(v, 'E')`),
in the `In` operators (`fmt.Sprint`) and when a variable lands inside a larger
string (`json.Marshal`). Python prints `3.0` and `1e+16` where Go prints `3`
and `10000000000000000`, so these helpers reproduce Go's output.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any


def timestamp_text(value: "date | datetime") -> str:
    """PyYAML turns unquoted timestamps into datetimes where Go's YAML keeps the
    text; print them back the way Kubernetes writes them (RFC 3339)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        text = value.isoformat(timespec="seconds" if not value.microsecond else "microseconds")
        return text + "Z"
    return value.isoformat()


def _digits(value: float) -> "tuple[str, int]":
    """Shortest round-trip digits and the decimal point position (Go's `digs.dp`)."""
    _, digits, exponent = Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    point = len(digits) + int(exponent)
    return text, point


def format_float_e(value: float) -> str:
    """`strconv.FormatFloat(v, 'E', -1, 64)`: `1.5E+00`."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0E+00"
    digits, point = _digits(abs(value))
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exponent = point - 1
    return f"{sign}{mantissa}E{'-' if exponent < 0 else '+'}{abs(exponent):02d}"


def _format_float_g(value: float, threshold: int) -> str:
    """Shortest `%g` with Go's exponent threshold (21 for `%v`)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign = "-" if value < 0 else ""
    digits, point = _digits(abs(value))
    exponent = point - 1
    if exponent < -4 or exponent >= threshold:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def sprint(value: Any) -> str:
    """`fmt.Sprint` of a JSON value."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _format_float_g(value, 21)
    if isinstance(value, str):
        return value
    if isinstance(value, (date, datetime)):
        return timestamp_text(value)
    if isinstance(value, list):
        return "[" + " ".join(sprint(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{sprint(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def _json_float(value: float) -> str:
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    absolute = abs(value)
    if 1e-6 <= absolute < 1e21:
        return _format_float_g(value, 10**9)
    text = _format_float_g(value, 0)
    mantissa, _, exponent = text.partition("e")
    sign, digits = exponent[0], exponent[1:].lstrip("0") or "0"
    return f"{mantissa}e{sign}{digits}"


_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _json_string(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch in _HTML_ESCAPES:
            out.append(_HTML_ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def marshal(value: Any) -> str:
    """`json.Marshal` of a JSON value: sorted keys, compact, HTML-escaped."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _json_float(value)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, (date, datetime)):
        return _json_string(timestamp_text(value))
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(marshal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_json_string(str(k))}:{marshal(value[k])}" for k in sorted(value, key=str)) + "}"
    return _json_string(str(value))
