"""Kyverno's custom JMESPath functions, for the `jmespath` package.

Policies call `to_upper`, `split`, `regex_match`, `label_match`, `divide`,
`time_since` and friends inside `{{ }}`; without them the expression would be
an error and the rule would never evaluate. The semantics (argument types,
quantity/duration arithmetic, Go regexp replacement syntax) follow Kyverno's
`pkg/engine/jmespath`. `random` is not provided: a check must give the same
answer twice.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import math
import posixpath
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

import yaml
from jmespath import functions
from jmespath.exceptions import JMESPathError

from . import semver, units, wildcard, x509
from .gofmt import marshal
from .images import parse_image


class FunctionError(JMESPathError):
    """A Kyverno function refused its arguments; the variable does not resolve."""


def _text(value: Any, name: str) -> str:
    """Kyverno accepts numbers where a regex source is expected and prints them as Go does."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        raise FunctionError(f"invalid type for {name}")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> "re.Pattern[str]":
    """Pure memo of compiled expressions; Go's RE2 syntax is a subset of Python's for policies."""
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise FunctionError(f"invalid regular expression {pattern!r}: {exc}") from exc


def _go_template(template: str) -> "list[str | int]":
    """Go's `Regexp.Expand` template: `$1`, `${1}`, `$name`, `${name}`, `$$`.
    Strings are literals, ints and names (wrapped in a list) are group references."""
    parts: "list[Any]" = []
    i = 0
    while i < len(template):
        dollar = template.find("$", i)
        if dollar < 0:
            parts.append(template[i:])
            break
        parts.append(template[i:dollar])
        rest = template[dollar + 1:]
        if rest.startswith("$"):
            parts.append("$")
            i = dollar + 2
            continue
        token = re.match(r"\{(\w+)\}", rest) or re.match(r"(\w+)", rest)
        if token is None:
            parts.append("$")
            i = dollar + 1
            continue
        name = token.group(1)
        parts.append([int(name)] if name.isdigit() else [name])
        i = dollar + 1 + token.end()
    return parts


def _expander(template: str) -> "Callable[[re.Match[str]], str]":
    """Unknown or unmatched groups expand to nothing, as in Go."""
    parts = _go_template(template)

    def expand(found: "re.Match[str]") -> str:
        out: list[str] = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
                continue
            try:
                out.append(found.group(part[0]) or "")
            except (IndexError, re.error):
                out.append("")
        return "".join(out)

    return expand


# --- arithmetic -----------------------------------------------------------

def _candidate(value: Any, name: str) -> "tuple[Any, Any, Any]":
    """(number, quantity, duration) readings of one operand; a string such as
    `30m` is both a quantity (30 milli) and a duration (30 minutes)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value, None, None
    if isinstance(value, str):
        quantity, duration = units.parse_quantity(value), units.parse_duration(value)
        if quantity is not None or duration is not None:
            return None, quantity, duration
    raise FunctionError(f"{name}: invalid operand")


def _operands(a: Any, b: Any, name: str) -> "list[tuple[str, Any]]":
    """Kyverno's `parseArithemticOperands`: an ambiguous string is a duration when the
    other operand can only be a duration, a quantity otherwise."""
    first, second = _candidate(a, name), _candidate(b, name)
    only_duration = any(c[0] is None and c[1] is None and c[2] is not None for c in (first, second))
    resolved = []
    for number, quantity, duration in (first, second):
        if number is not None:
            resolved.append(("number", number))
        elif duration is not None and (quantity is None or only_duration):
            resolved.append(("duration", duration))
        else:
            resolved.append(("quantity", quantity))
    return resolved


def _quantity_text(value: Any, fmt: str) -> str:
    return units.format_quantity(units.Quantity(Fraction(value), fmt))


def _add_sub(a: Any, b: Any, name: str, sign: int) -> Any:
    (kind_a, x), (kind_b, y) = _operands(a, b, name)
    if kind_a != kind_b:
        raise FunctionError(f"{name}: types mismatch")
    if kind_a == "number":
        return x + sign * y
    if kind_a == "quantity":
        fmt = x.fmt if x.value != 0 else y.fmt
        return _quantity_text(x.value + sign * y.value, fmt)
    return units.format_duration(x + sign * y)


def _fraction(number: Any) -> Fraction:
    return Fraction(number) if isinstance(number, int) else Fraction(str(number))


def _multiply(a: Any, b: Any) -> Any:
    (kind_a, x), (kind_b, y) = _operands(a, b, "multiply")
    if kind_a == "number" and kind_b == "number":
        return x * y
    if kind_a == "number":
        kind_a, x, kind_b, y = kind_b, y, kind_a, x
    if kind_b != "number":
        raise FunctionError("multiply: types mismatch")
    if kind_a == "quantity":
        return _quantity_text(x.value * _fraction(y), x.fmt)
    return units.format_duration(int(x / 1e9 * y * 1e9))


def _divide(a: Any, b: Any) -> Any:
    (kind_a, x), (kind_b, y) = _operands(a, b, "divide")
    if kind_b == "quantity" and float(y.value) == 0 or kind_b != "quantity" and y == 0:
        raise FunctionError("divide: zero divisor")
    if kind_a == "number" and kind_b == "number":
        return x / y
    if kind_a == "quantity" and kind_b == "quantity":
        return float(x.value) / float(y.value)
    if kind_a == "quantity" and kind_b == "number":
        return _quantity_text(x.value / _fraction(y), x.fmt)
    if kind_a == "duration" and kind_b == "duration":
        return x / y
    if kind_a == "duration" and kind_b == "number":
        return units.format_duration(int(x / 1e9 / y * 1e9))
    raise FunctionError("divide: types mismatch")


def _modulo(a: Any, b: Any) -> Any:
    (kind_a, x), (kind_b, y) = _operands(a, b, "modulo")
    if kind_a != kind_b:
        raise FunctionError("modulo: types mismatch")
    if kind_a == "duration":
        if y == 0:
            raise FunctionError("modulo: zero divisor")
        return units.format_duration(int(math.fmod(x, y)))
    left, right = (float(x.value), float(y.value)) if kind_a == "quantity" else (float(x), float(y))
    if not left.is_integer() or not right.is_integer():
        raise FunctionError("modulo: non-integer argument(s)")
    if right == 0:
        raise FunctionError("modulo: zero divisor")
    remainder = int(math.fmod(int(left), int(right)))
    return _quantity_text(remainder, x.fmt) if kind_a == "quantity" else float(remainder)


# --- time -----------------------------------------------------------------

_GO_LAYOUT = [
    ("2006", "%Y"), ("January", "%B"), ("Jan", "%b"), ("Monday", "%A"), ("Mon", "%a"),
    ("MST", "%Z"), ("Z07:00", "%z"), ("-07:00", "%z"), ("-0700", "%z"), ("Z0700", "%z"),
    ("01", "%m"), ("02", "%d"), ("15", "%H"), ("03", "%I"), ("04", "%M"), ("05", "%S"),
    ("PM", "%p"), ("06", "%y"), (".000000000", ".%f"), (".000000", ".%f"), (".000", ".%f"),
    ("_2", "%d"), ("1", "%m"), ("2", "%d"), ("3", "%I"), ("4", "%M"), ("5", "%S"),
]


def _parse_time(layout: str, text: str) -> datetime:
    """Go layout strings for the common cases; `""` means RFC 3339."""
    if not layout or layout in ("2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.999999999Z07:00"):
        try:
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError as exc:
            raise FunctionError(f"cannot parse time {text!r}") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    fmt, i = "", 0
    while i < len(layout):
        for token, directive in _GO_LAYOUT:
            if layout.startswith(token, i):
                fmt += directive
                i += len(token)
                break
        else:
            fmt += layout[i].replace("%", "%%")
            i += 1
    try:
        parsed = datetime.strptime(text.replace("Z", "+0000") if "%z" in fmt else text, fmt)
    except ValueError as exc:
        raise FunctionError(f"cannot parse time {text!r} with layout {layout!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _rfc3339(moment: datetime) -> str:
    text = moment.isoformat()
    if moment.microsecond:
        text = moment.replace(microsecond=0).isoformat()
    return text.replace("+00:00", "Z")


def _nanos(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def _path_clean(path: str) -> str:
    """Go's `filepath.Clean` for slash paths."""
    if not path:
        return "."
    cleaned = posixpath.normpath(path)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


# --- the function table ---------------------------------------------------

_STR = {"types": ["string"]}
_NUM_OR_STR = {"types": ["string", "number"]}
_ANY = {"types": []}


# Functions whose trailing arguments are optional: name -> fewest arguments accepted.
_OPTIONAL_ARGS = {"trim_left": 1, "trim_right": 1, "pad_left": 2, "pad_right": 2, "find_first": 2, "find_last": 2}


class KyvernoFunctions(functions.Functions):
    """Registered on top of the JMESPath built-ins."""

    def _validate_arguments(self, args: list, signature: list, function_name: str) -> None:
        """The `jmespath` package has no optional arguments; allow them where the
        JMESPath community functions do, type-checking only what was passed."""
        fewest = _OPTIONAL_ARGS.get(function_name)
        if fewest is not None and fewest <= len(args) <= len(signature):
            self._type_check(args, signature[:len(args)], function_name)
            return
        super()._validate_arguments(args, signature, function_name)

    @functions.signature(_STR, _STR)
    def _func_compare(self, a: str, b: str) -> int:
        return (a > b) - (a < b)

    @functions.signature(_STR, _STR)
    def _func_equal_fold(self, a: str, b: str) -> bool:
        return a.casefold() == b.casefold()

    @functions.signature(_STR, _STR, _STR, {"types": ["number"]})
    def _func_replace(self, text: str, old: str, new: str, count: float) -> str:
        return text.replace(old, new, int(count)) if count >= 0 else text.replace(old, new)

    @functions.signature(_STR, _STR, _STR)
    def _func_replace_all(self, text: str, old: str, new: str) -> str:
        return text.replace(old, new)

    @functions.signature(_STR)
    def _func_to_upper(self, text: str) -> str:
        return text.upper()

    @functions.signature(_STR)
    def _func_to_lower(self, text: str) -> str:
        return text.lower()

    @functions.signature(_STR, _STR)
    def _func_trim(self, text: str, cutset: str) -> str:
        return text.strip(cutset)

    @functions.signature(_STR, _STR)
    def _func_trim_prefix(self, text: str, prefix: str) -> str:
        return text.removeprefix(prefix)

    @functions.signature(_STR, _STR)
    def _func_split(self, text: str, sep: str) -> list:
        if sep == "":
            return list(text)
        return text.split(sep)

    @functions.signature(_STR, _NUM_OR_STR, _NUM_OR_STR)
    def _func_regex_replace_all(self, pattern: str, src: Any, repl: Any) -> str:
        return _regex(pattern).sub(_expander(_text(repl, "regex_replace_all")), _text(src, "regex_replace_all"))

    @functions.signature(_STR, _NUM_OR_STR, _NUM_OR_STR)
    def _func_regex_replace_all_literal(self, pattern: str, src: Any, repl: Any) -> str:
        literal = _text(repl, "regex_replace_all_literal")
        return _regex(pattern).sub(lambda _: literal, _text(src, "regex_replace_all_literal"))

    @functions.signature(_STR, _NUM_OR_STR)
    def _func_regex_match(self, pattern: str, src: Any) -> bool:
        return _regex(pattern).search(_text(src, "regex_match")) is not None

    @functions.signature(_STR, _NUM_OR_STR)
    def _func_pattern_match(self, pattern: str, src: Any) -> bool:
        return wildcard.match(pattern, _text(src, "pattern_match"))

    @functions.signature({"types": ["object"]}, {"types": ["object"]})
    def _func_label_match(self, selector: dict, labels: dict) -> bool:
        return all(k in labels and str(labels[k]) == str(v) for k, v in selector.items())

    @functions.signature(_STR)
    def _func_to_boolean(self, text: str) -> bool:
        lowered = text.lower()
        if lowered not in ("true", "false"):
            raise FunctionError(f"to_boolean: cannot convert {text!r}")
        return lowered == "true"

    @functions.signature(_ANY, _ANY)
    def _func_add(self, a: Any, b: Any) -> Any:
        return _add_sub(a, b, "add", 1)

    @functions.signature({"types": ["array"]})
    def _func_sum(self, items: list) -> Any:
        if not items:
            return 0
        total = items[0]
        _candidate(total, "sum")
        for item in items[1:]:
            total = _add_sub(total, item, "sum", 1)
        return total

    @functions.signature(_ANY, _ANY)
    def _func_subtract(self, a: Any, b: Any) -> Any:
        return _add_sub(a, b, "subtract", -1)

    @functions.signature(_ANY, _ANY)
    def _func_multiply(self, a: Any, b: Any) -> Any:
        return _multiply(a, b)

    @functions.signature(_ANY, _ANY)
    def _func_divide(self, a: Any, b: Any) -> Any:
        return _divide(a, b)

    @functions.signature(_ANY, _ANY)
    def _func_modulo(self, a: Any, b: Any) -> Any:
        return _modulo(a, b)

    @functions.signature({"types": ["number"]}, {"types": ["number"]})
    def _func_round(self, value: float, digits: float) -> float:
        if not float(digits).is_integer() or digits < 0:
            raise FunctionError("round: digits must be a non-negative integer")
        factor = 10 ** int(digits)
        scaled = value * factor
        return float(math.floor(scaled + 0.5) if scaled >= 0 else -math.floor(-scaled + 0.5)) / factor

    @functions.signature(_STR)
    def _func_base64_decode(self, text: str) -> str:
        try:
            return base64.b64decode(text, validate=True).decode("utf-8", "replace")
        except ValueError as exc:
            raise FunctionError(f"base64_decode: {exc}") from exc

    @functions.signature(_STR)
    def _func_base64_encode(self, text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    @functions.signature(_STR, _STR, _STR)
    def _func_time_since(self, layout: str, start: str, end: str) -> str:
        first = _parse_time(layout, start)
        second = _parse_time(layout, end) if end else datetime.now(timezone.utc)
        return units.format_duration(_nanos(second - first))

    @functions.signature()
    def _func_time_now(self) -> str:
        return _rfc3339(datetime.now(timezone.utc).astimezone())

    @functions.signature()
    def _func_time_now_utc(self) -> str:
        return _rfc3339(datetime.now(timezone.utc))

    @functions.signature(_STR, _STR)
    def _func_time_add(self, moment: str, duration: str) -> str:
        nanos = units.parse_duration(duration)
        if nanos is None:
            raise FunctionError(f"time_add: invalid duration {duration!r}")
        return _rfc3339(_parse_time("", moment) + timedelta(microseconds=nanos / 1000))

    @functions.signature(_STR, _STR)
    def _func_time_parse(self, layout: str, moment: str) -> str:
        return _rfc3339(_parse_time(layout, moment))

    @functions.signature(_STR)
    def _func_time_utc(self, moment: str) -> str:
        return _rfc3339(_parse_time("", moment).astimezone(timezone.utc))

    @functions.signature(_STR, _STR)
    def _func_time_diff(self, start: str, end: str) -> str:
        return units.format_duration(_nanos(_parse_time("", end) - _parse_time("", start)))

    @functions.signature(_STR, _STR)
    def _func_time_before(self, a: str, b: str) -> bool:
        return _parse_time("", a) < _parse_time("", b)

    @functions.signature(_STR, _STR)
    def _func_time_after(self, a: str, b: str) -> bool:
        return _parse_time("", a) > _parse_time("", b)

    @functions.signature(_STR, _STR, _STR)
    def _func_time_between(self, moment: str, start: str, end: str) -> bool:
        return _parse_time("", start) < _parse_time("", moment) < _parse_time("", end)

    @functions.signature(_STR, _STR)
    def _func_time_truncate(self, moment: str, duration: str) -> str:
        nanos = units.parse_duration(duration)
        if not nanos or nanos < 0:
            return _rfc3339(_parse_time("", moment))
        parsed = _parse_time("", moment)
        since_epoch = _nanos(parsed - datetime(1, 1, 1, tzinfo=parsed.tzinfo))
        truncated = since_epoch - since_epoch % nanos
        return _rfc3339(datetime(1, 1, 1, tzinfo=parsed.tzinfo) + timedelta(microseconds=truncated // 1000))

    @functions.signature(_STR)
    def _func_time_to_cron(self, moment: str) -> str:
        parsed = _parse_time("", moment).astimezone(timezone.utc)
        return f"{parsed.minute} {parsed.hour} {parsed.day} {parsed.month} {(parsed.weekday() + 1) % 7}"

    @functions.signature(_STR)
    def _func_path_canonicalize(self, path: str) -> str:
        return _path_clean(path)

    @functions.signature(_STR, {"types": ["number"]})
    def _func_truncate(self, text: str, length: float) -> str:
        size = max(int(length), 0)
        encoded = text.encode()
        return encoded[:size].decode("utf-8", "ignore") if size < len(encoded) else text

    @functions.signature(_STR, _STR)
    def _func_semver_compare(self, version: str, expression: str) -> bool:
        parsed = semver.parse(version)
        if parsed is None:
            raise FunctionError(f"semver_compare: invalid version {version!r}")
        try:
            return semver.satisfies(parsed, expression)
        except ValueError as exc:
            raise FunctionError(f"semver_compare: {exc}") from exc

    @functions.signature(_STR)
    def _func_parse_json(self, text: str) -> Any:
        try:
            return json.loads(text)
        except ValueError as exc:
            raise FunctionError(f"parse_json: {exc}") from exc

    @functions.signature(_STR)
    def _func_parse_yaml(self, text: str) -> Any:
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise FunctionError(f"parse_yaml: {exc}") from exc

    @functions.signature({"types": ["object", "array"]}, {"types": ["string", "number"]})
    def _func_lookup(self, collection: Any, key: Any) -> Any:
        if isinstance(collection, dict):
            if not isinstance(key, str):
                raise FunctionError("lookup: object keys must be strings")
            return collection.get(key)
        if not isinstance(key, (int, float)) or not float(key).is_integer():
            raise FunctionError("lookup: array index must be an integer")
        index = int(key)
        return collection[index] if 0 <= index < len(collection) else None

    @functions.signature({"types": ["object", "array"]}, _STR, _STR)
    def _func_items(self, collection: Any, key_name: str, value_name: str) -> list:
        if isinstance(collection, dict):
            return [{key_name: k, value_name: collection[k]} for k in sorted(collection)]
        return [{key_name: float(i), value_name: v} for i, v in enumerate(collection)]

    @functions.signature({"types": ["array"]}, {"types": ["array"]})
    def _func_object_from_lists(self, keys: list, values: list) -> dict:
        return {str(k): (values[i] if i < len(values) else None) for i, k in enumerate(keys)}

    @functions.signature(_STR)
    def _func_image_normalize(self, image: str) -> str:
        info = parse_image(image)
        if info is None:
            raise FunctionError(f"image_normalize: invalid image {image!r}")
        return info["reference"]

    @functions.signature(_STR)
    def _func_is_external_url(self, text: str) -> bool:
        parsed = urlparse(text)
        host = parsed.hostname or ""
        if not parsed.scheme or not host:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return host != "localhost" and not host.endswith((".svc", ".local", ".cluster.local"))
        return not (address.is_loopback or address.is_private or address.is_link_local)

    @functions.signature(_STR)
    def _func_sha256(self, text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    @functions.signature(_STR)
    def _func_x509_decode(self, pem: str) -> dict:
        try:
            return x509.decode(pem)
        except ValueError as exc:
            raise FunctionError(f"x509_decode: {exc}") from exc

    # --- JMESPath community functions Kyverno's JMESPath library also offers ---

    @functions.signature({"types": ["array"]})
    def _func_from_items(self, pairs: list) -> dict:
        result = {}
        for pair in pairs:
            if not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], str):
                raise FunctionError("from_items: expects [key, value] pairs")
            result[pair[0]] = pair[1]
        return result

    @functions.signature({"types": ["array"], "variadic": True})
    def _func_zip(self, *arrays: list) -> list:
        return [list(group) for group in zip(*arrays)]

    @functions.signature({"types": ["array"]}, {"types": ["expref"]})
    def _func_group_by(self, items: list, expref: Any) -> dict:
        groups: dict[str, list] = {}
        for item in items:
            key = expref.visit(expref.expression, item)
            if key is None:
                continue
            if not isinstance(key, str):
                raise FunctionError("group_by: the key expression must return a string")
            groups.setdefault(key, []).append(item)
        return groups

    # The JMESPath community spellings of Kyverno's `to_lower` / `to_upper`: both
    # are Go's `strings.ToLower` / `ToUpper`, so one method answers to either name
    # (`FunctionRegistry` registers every `_func_*` attribute, aliases included).
    _func_lower = _func_to_lower
    _func_upper = _func_to_upper

    @functions.signature(_STR, {"types": ["number"]}, _STR)
    def _func_pad_left(self, text: str, width: float, *pad: str) -> str:
        return text.rjust(int(width), (pad[0] if pad else " ")[:1] or " ")

    @functions.signature(_STR, {"types": ["number"]}, _STR)
    def _func_pad_right(self, text: str, width: float, *pad: str) -> str:
        return text.ljust(int(width), (pad[0] if pad else " ")[:1] or " ")

    @functions.signature(_STR, _STR)
    def _func_trim_left(self, text: str, *chars: str) -> str:
        return text.lstrip(chars[0] if chars else None)

    @functions.signature(_STR, _STR)
    def _func_trim_right(self, text: str, *chars: str) -> str:
        return text.rstrip(chars[0] if chars else None)

    @functions.signature(_STR, _STR, {"types": ["number"]}, {"types": ["number"]})
    def _func_find_first(self, text: str, sub: str, *bounds: float) -> Any:
        index = text.find(sub, *(int(b) for b in bounds[:2]))
        return None if index < 0 else index

    @functions.signature(_STR, _STR, {"types": ["number"]}, {"types": ["number"]})
    def _func_find_last(self, text: str, sub: str, *bounds: float) -> Any:
        index = text.rfind(sub, *(int(b) for b in bounds[:2]))
        return None if index < 0 else index

    @functions.signature(_ANY)
    def _func_to_string(self, value: Any) -> str:
        """Go's JMESPath prints JSON the way `json.Marshal` does (sorted, `3` not `3.0`)."""
        return value if isinstance(value, str) else marshal(value)
