"""`time.format` with Go's layouts, zone abbreviations included.

regorus' `time.format` prints `MST` in a layout as a numeric offset, so
`UnixDate`, `RFC822`, `RFC1123` and any layout with a zone name come out
different from OPA. This is Go's `time.Format` layout language (the chunks
of its `nextStdChunk`), with OPA's named layouts and its default
(RFC3339Nano), over zoneinfo for the `[ns, tz]` forms.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prcheck.checks.policy.rego_builtins.operands import BuiltinError, need

NAME = "time.format"
LAYOUTS = {
    "ANSIC": "Mon Jan _2 15:04:05 2006", "UnixDate": "Mon Jan _2 15:04:05 MST 2006",
    "RubyDate": "Mon Jan 02 15:04:05 -0700 2006", "RFC822": "02 Jan 06 15:04 MST",
    "RFC822Z": "02 Jan 06 15:04 -0700", "RFC850": "Monday, 02-Jan-06 15:04:05 MST",
    "RFC1123": "Mon, 02 Jan 2006 15:04:05 MST", "RFC1123Z": "Mon, 02 Jan 2006 15:04:05 -0700",
    "RFC3339": "2006-01-02T15:04:05Z07:00", "RFC3339Nano": "2006-01-02T15:04:05.999999999Z07:00",
    "Kitchen": "3:04PM", "Stamp": "Jan _2 15:04:05", "StampMilli": "Jan _2 15:04:05.000",
    "StampMicro": "Jan _2 15:04:05.000000", "StampNano": "Jan _2 15:04:05.000000000",
    "DateTime": "2006-01-02 15:04:05", "DateOnly": "2006-01-02", "TimeOnly": "15:04:05",
}
# longest first where one chunk is a prefix of another
_CHUNKS = [
    "January", "Jan", "Monday", "Mon", "MST", "2006", "002", "__2", "_2", "01", "02", "03", "04", "05", "06",
    "15", "1", "2", "3", "4", "5", "PM", "pm",
    "-07:00:00", "-070000", "-07:00", "-0700", "-07", "Z07:00:00", "Z070000", "Z07:00", "Z0700", "Z07",
]


def _zone(name: str) -> dt.tzinfo:
    if name in ("", "UTC"):
        return dt.timezone.utc
    if name == "Local":
        return dt.datetime.now().astimezone().tzinfo or dt.timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BuiltinError(f"{NAME}: unknown time zone {name}") from None


def _offset(moment: dt.datetime, chunk: str) -> str:
    seconds = int((moment.utcoffset() or dt.timedelta()).total_seconds())
    if chunk.startswith("Z") and seconds == 0:
        return "Z"
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    hh, mm, ss = seconds // 3600, seconds // 60 % 60, seconds % 60
    body = chunk[1:]
    if body == "07":
        return f"{sign}{hh:02d}"
    if body == "0700":
        return f"{sign}{hh:02d}{mm:02d}"
    if body == "07:00":
        return f"{sign}{hh:02d}:{mm:02d}"
    if body == "070000":
        return f"{sign}{hh:02d}{mm:02d}{ss:02d}"
    return f"{sign}{hh:02d}:{mm:02d}:{ss:02d}"


def _chunk(moment: dt.datetime, nanos: int, chunk: str) -> str:
    hour12 = moment.hour % 12 or 12
    simple = {
        "January": moment.strftime("%B"), "Jan": moment.strftime("%b"), "Monday": moment.strftime("%A"),
        "Mon": moment.strftime("%a"), "2006": f"{moment.year:04d}", "06": f"{moment.year % 100:02d}",
        "01": f"{moment.month:02d}", "1": str(moment.month), "02": f"{moment.day:02d}", "2": str(moment.day),
        "_2": f"{moment.day:2d}", "002": f"{moment.timetuple().tm_yday:03d}", "__2": f"{moment.timetuple().tm_yday:3d}",
        "15": f"{moment.hour:02d}", "03": f"{hour12:02d}", "3": str(hour12), "04": f"{moment.minute:02d}",
        "4": str(moment.minute), "05": f"{moment.second:02d}", "5": str(moment.second),
        "PM": "PM" if moment.hour >= 12 else "AM", "pm": "pm" if moment.hour >= 12 else "am",
    }
    if chunk in simple:
        return simple[chunk]
    if chunk == "MST":
        name = moment.tzname()
        return name if name else _offset(moment, "-0700")
    return _offset(moment, chunk)


def go_format(nanos: int, zone: dt.tzinfo, layout: str) -> str:
    seconds, frac = divmod(nanos, 1_000_000_000)
    moment = dt.datetime.fromtimestamp(seconds, tz=zone)
    out: list[str] = []
    i = 0
    while i < len(layout):
        ch = layout[i]
        if ch in ".," and i + 1 < len(layout) and layout[i + 1] in "09":
            j = i + 1
            while j < len(layout) and layout[j] == layout[i + 1]:
                j += 1
            if not (j < len(layout) and layout[j].isdigit()):
                digits = f"{frac:09d}"[: j - i - 1]
                if layout[i + 1] == "9":
                    digits = digits.rstrip("0")
                    out.append(f"{ch}{digits}" if digits else "")
                else:
                    out.append(f"{ch}{digits}")
                i = j
                continue
        for chunk in _CHUNKS:
            if layout.startswith(chunk, i):
                out.append(_chunk(moment, frac, chunk))
                i += len(chunk)
                break
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def time_format(x: Any) -> str:
    need(NAME, 1, x, "number", "array")
    parts = list(x) if isinstance(x, list) else [x]
    if not 1 <= len(parts) <= 3 or not isinstance(parts[0], (int, float)) or isinstance(parts[0], bool):
        raise BuiltinError(f"{NAME}: operand 1 must be a number or an array of [ns, tz] or [ns, tz, layout]")
    zone = _zone(str(parts[1]) if len(parts) > 1 else "UTC")
    layout = LAYOUTS.get(str(parts[2]), str(parts[2])) if len(parts) > 2 else LAYOUTS["RFC3339Nano"]
    try:
        return go_format(int(parts[0]), zone, layout)
    except (OverflowError, OSError, ValueError):
        raise BuiltinError(f"{NAME}: time outside of valid range") from None
