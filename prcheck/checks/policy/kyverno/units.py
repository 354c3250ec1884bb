"""Kubernetes quantities and Go durations, parsed and printed as Kyverno does.

Kyverno compares `"<= 2Gi"` with `"1500Mi"` as resource quantities and
`"> 1h"` with `"90m"` as Go durations; both grammars are small but strict
(`"1K"` is not a quantity, `"5"` is not a duration), and getting them wrong
flips pass and fail. Values are exact (`Fraction` / integer nanoseconds) so
`"1Gi" == "1024Mi"` holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


@dataclass(frozen=True)
class Quantity:
    value: Fraction
    fmt: str  # "binary" | "decimal" | "exponent"

    def compare(self, other: "Quantity") -> int:
        """-1/0/1 by cross-multiplying the integer ratios (much cheaper than Fraction's operators)."""
        a = self.value.numerator * other.value.denominator
        b = other.value.numerator * self.value.denominator
        return (a > b) - (a < b)

    def __float__(self) -> float:
        return float(self.value)


def _split_number(text: str) -> "tuple[str, str, str, str] | None":
    """Sign, integer digits, fraction digits and suffix, following
    apimachinery's parseQuantityString character by character."""
    pos, end = 0, len(text)
    sign = ""
    if pos < end and text[pos] in "+-":
        sign = text[pos]
        pos += 1
    start = pos
    while pos < end and text[pos].isdigit() and text[pos].isascii():
        pos += 1
    whole = text[start:pos]
    frac = ""
    if pos < end and text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos].isdigit() and text[pos].isascii():
            pos += 1
        frac = text[start:pos]
    suffix = text[pos:]
    return sign, whole or "0", frac, suffix


def parse_quantity(text: str) -> "Quantity | None":
    """`None` when `text` is not a Kubernetes quantity."""
    if not isinstance(text, str) or not text:
        return None
    sign, whole, frac, suffix = _split_number(text)
    mantissa = Fraction(int(whole)) + (Fraction(int(frac), 10 ** len(frac)) if frac else 0)
    if suffix in _BINARY:
        value, fmt = mantissa * (1024 ** _BINARY[suffix]), "binary"
    elif suffix in _DECIMAL:
        value, fmt = mantissa * Fraction(10) ** _DECIMAL[suffix], "decimal"
    elif suffix[:1] in ("e", "E") and re.fullmatch(r"[+-]?[0-9]+", suffix[1:]):
        value, fmt = mantissa * Fraction(10) ** int(suffix[1:]), "exponent"
    else:
        return None
    return Quantity(-value if sign == "-" else value, fmt)


def format_quantity(q: Quantity) -> str:
    """Canonical form as apimachinery's `Quantity.String()` prints it."""
    value, fmt = q.value, q.fmt
    if fmt == "binary" and (value.denominator != 1 or -1024 < value < 1024):
        fmt = "decimal"
    sign = "-" if value < 0 else ""
    value = abs(value)
    if fmt == "binary":
        number = int(value)
        power = 0
        while power < 6 and number % 1024 == 0 and number:
            number //= 1024
            power += 1
        suffix = {v: k for k, v in _BINARY.items()}.get(power, "")
        return f"{sign}{number}{suffix}"
    nano = -(-value * 10**9 // 1)  # round up to nano precision, as apimachinery does
    exponent = -9
    while nano and nano % 1000 == 0 and exponent < 18:
        nano //= 1000
        exponent += 3
    if nano == 0:
        return "0"
    if fmt == "exponent":
        return f"{sign}{nano}" + (f"e{exponent}" if exponent else "")
    suffix = {v: k for k, v in _DECIMAL.items()}[exponent]
    return f"{sign}{nano}{suffix}"


_DURATION_UNITS = {
    "ns": 1, "us": 1_000, "\u00b5s": 1_000, "\u03bcs": 1_000, "ms": 1_000_000,
    "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000,
}
_DURATION_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")


def parse_duration(text: str) -> "int | None":
    """Nanoseconds, or `None` when Go's `time.ParseDuration` would reject it."""
    if not isinstance(text, str) or not text:
        return None
    body, negative = text, False
    if body[0] in "+-":
        negative, body = body[0] == "-", body[1:]
    if body == "0":
        return 0
    if not body:
        return None
    total, pos = Fraction(0), 0
    while pos < len(body):
        part = _DURATION_PART.match(body, pos)
        if part is None or part.end() == pos:
            return None
        whole, frac, unit = part.group(1), part.group(2), part.group(3)
        if not whole and not frac or unit not in _DURATION_UNITS:
            return None
        amount = Fraction(int(whole or "0")) + (Fraction(int(frac), 10 ** len(frac)) if frac else 0)
        total += amount * _DURATION_UNITS[unit]
        pos = part.end()
    nanos = int(total)
    return -nanos if negative else nanos


def parse_float(text: str) -> "float | None":
    """Go's `strconv.ParseFloat`, or `None` where it would fail.

    Python's `float()` is laxer (it strips blanks and accepts `1_000`), and
    both the pattern leaves and the condition operators must reject exactly
    what Go rejects, so they share this one gate.
    """
    if not text or text != text.strip() or "_" in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _fmt_frac(value: int, precision: int) -> "tuple[str, int]":
    digits = ""
    printed = False
    for _ in range(precision):
        digit = value % 10
        printed = printed or digit != 0
        if printed:
            digits = str(digit) + digits
        value //= 10
    return ("." + digits if printed else ""), value


def format_duration(nanos: int) -> str:
    """Go's `time.Duration.String()`: `1h2m3.5s`, `1.5ms`, `0s`."""
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    u = abs(nanos)
    if u < 1_000_000_000:
        if u < 1_000:
            unit, prec = "ns", 0
        elif u < 1_000_000:
            unit, prec = "\u00b5s", 3
        else:
            unit, prec = "ms", 6
        frac, whole = _fmt_frac(u, prec)
        return f"{sign}{whole}{frac}{unit}"
    frac, seconds = _fmt_frac(u, 9)
    text = f"{seconds % 60}{frac}s"
    minutes = seconds // 60
    if minutes:
        text = f"{minutes % 60}m{text}"
        hours = minutes // 60
        if hours:
            text = f"{hours}h{text}"
    return sign + text
