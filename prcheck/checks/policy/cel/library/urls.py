"""Kubernetes URL library: `url`, `isURL`, `getScheme`, `getHost`, `getHostname`,
`getPort`, `getEscapedPath`, `getQuery`.

https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-url-library
Parsing follows Go's `url.ParseRequestURI`: an absolute URI or an absolute path.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

from .common import BOOL, MAP, OBJ, STRING, Fn, expect, fn, tagged

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def _parse(text: str) -> "dict | None":
    if not text or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        return None  # Go refuses control characters; spaces in the path are escaped later
    if text.startswith("/"):
        path, _, query = text.partition("?")
        return tagged("url", scheme="", host="", path=path, query=query)
    scheme, colon, _ = text.partition(":")
    if not colon or not _SCHEME.fullmatch(scheme):
        return None
    parts = urlsplit(text)
    if " " in parts.netloc or parts.netloc == "" and not text[len(scheme) + 1:].startswith("/"):
        return None  # opaque forms like "mailto:x" are not request URIs
    return tagged("url", scheme=parts.scheme, host=parts.netloc.rpartition("@")[2], path=parts.path,
                  query=parts.query)


def url(text: str) -> dict:
    parsed = _parse(text)
    if parsed is None:
        raise ValueError(f"URL parse error during conversion from string: parse \"{text}\": invalid URI for request")
    return parsed


def is_url(text: str) -> bool:
    return _parse(text) is not None


def _host(value: dict) -> str:
    return str(expect(value, "url")["host"])


def hostname(value: dict) -> str:
    host = _host(value)
    if host.startswith("["):
        return host[1:host.index("]")] if "]" in host else host[1:]
    return host.rpartition(":")[0] if ":" in host else host


def port(value: dict) -> str:
    host = _host(value)
    tail = host[host.index("]") + 1:] if host.startswith("[") and "]" in host else host
    return tail.rpartition(":")[2] if ":" in tail else ""


def query(value: dict) -> dict:
    return {k: v for k, v in parse_qs(str(expect(value, "url")["query"]), keep_blank_values=True).items()}


FUNCTIONS = [
    Fn("url", [fn("url", OBJ, [STRING], url)]),
    Fn("isURL", [fn("isURL", BOOL, [STRING], is_url)]),
    Fn("getScheme", [fn("getScheme", STRING, [OBJ], lambda v: str(expect(v, "url")["scheme"]), member=True)]),
    Fn("getHost", [fn("getHost", STRING, [OBJ], _host, member=True)]),
    Fn("getHostname", [fn("getHostname", STRING, [OBJ], hostname, member=True)]),
    Fn("getPort", [fn("getPort", STRING, [OBJ], port, member=True)]),
    Fn("getEscapedPath", [fn("getEscapedPath", STRING, [OBJ], lambda v: quote(str(expect(v, "url")["path"]), safe="/!$&'()*+,;=:@-._~%"), member=True)]),
    Fn("getQuery", [fn("getQuery", MAP, [OBJ], query, member=True)]),
]
