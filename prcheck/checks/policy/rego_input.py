"""Documents as JSON that regorus accepts, whatever YAML allowed them to hold.

YAML gives values JSON has no spelling for (`.inf`, `.nan`), integers of any
size, non-string keys (`? !!binary aGk=`, `1: x`) and any nesting; regorus'
JSON reader stops at 128 levels and at numbers beyond a double. Handing such
a document over used to abort the whole run. The fast path is plain
`json.dumps`; only when it fails, or regorus refuses its output, is the
value sanitised, once, the way Kubernetes' own YAML-to-JSON conversion would
see it: non-finite floats and out-of-range integers become strings, keys are
stringified, and nesting below `MAX_DEPTH` is cut (the cut subtree becomes a
string naming the cut). What the policies then see is the document minus the
parts no Kubernetes API server would have accepted anyway.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

from prcheck.checks.policy.base import PolicyError

# regorus (serde_json) refuses input nested 128 deep; engines wrap a document in a
# few levels of their own (the pack's `input.object`, Gatekeeper's review and inventory).
MAX_DEPTH = 100
_INT_RANGE = (-(2 ** 63), 2 ** 64 - 1)
CUT = "<nested deeper than {} levels: not shown to policies>"


class InputRefused(PolicyError):
    """regorus would not take a document as input (even sanitised)."""


def plain_json(value: Any) -> str | None:
    """Compact JSON of `value` as it is, or None when JSON cannot spell it."""
    try:
        return json.dumps(value, default=str, separators=(",", ":"), allow_nan=False)
    except (ValueError, TypeError, RecursionError):
        return None


def safe_json(value: Any) -> str:
    """Compact JSON of the sanitised `value`."""
    return json.dumps(sanitise(value), separators=(",", ":"), allow_nan=False)


def to_json(value: Any) -> str:
    plain = plain_json(value)
    return plain if plain is not None else safe_json(value)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, bytes):
        return base64.b64encode(key).decode()
    return str(key)


def sanitise(value: Any, depth: int = 1, max_depth: int = MAX_DEPTH) -> Any:
    """A copy of `value` that JSON (and regorus) can represent; see the module doc."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if _INT_RANGE[0] <= value <= _INT_RANGE[1] else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (dict, list, tuple, set, frozenset)) and depth >= max_depth:
        return CUT.format(max_depth)
    if isinstance(value, dict):
        return {_key(k): sanitise(v, depth + 1, max_depth) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [sanitise(v, depth + 1, max_depth) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)
