"""OPA's `net.cidr_*` built-ins that regorus lacks (no network access involved).

Semantics follow OPA's topdown/cidr.go: an operand that is neither a CIDR nor
an IP is an error; `cidr_intersects` is "either network contains the
other's first address"; `cidr_merge` collapses per address family and turns
plain addresses into /32 or /128 networks.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Iterator

from prcheck.checks.policy.rego_builtins.operands import BuiltinError, need

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _network(name: str, text: str, allow_ip: bool = False) -> Network:
    try:
        if "/" in text:
            return ipaddress.ip_network(text, strict=False)
        if allow_ip:
            return ipaddress.ip_network(ipaddress.ip_address(text))
    except ValueError:
        pass
    raise BuiltinError(f"{name}: invalid CIDR{' or IP' if allow_ip else ''} address: {text}")


def cidr_intersects(a: Any, b: Any) -> bool:
    first = _network("net.cidr_intersects", need("net.cidr_intersects", 1, a, "string"))
    second = _network("net.cidr_intersects", need("net.cidr_intersects", 2, b, "string"))
    if first.version != second.version:
        return False
    return first.network_address in second or second.network_address in first


def cidr_contains_legacy(cidr: Any, addr: Any) -> bool:
    """`net.cidr_overlap` (deprecated): the old name of `net.cidr_contains` for an IP."""
    network = _network("net.cidr_overlap", need("net.cidr_overlap", 1, cidr, "string"))
    other = _network("net.cidr_overlap", need("net.cidr_overlap", 2, addr, "string"), allow_ip=True)
    return other.version == network.version and other.subnet_of(network)  # type: ignore[arg-type]


def _entries(name: str, index: int, value: Any) -> Iterator[tuple[Any, str]]:
    """(key, address) pairs of a `cidr_contains_matches` operand: a string is its own
    key, arrays are keyed by index, objects by key, sets by element; an array item
    or object value that is itself an array contributes its first element."""
    need(name, index, value, "string", "array", "object", "set")
    if isinstance(value, str):
        yield value, value
        return
    if isinstance(value, dict):
        pairs: Iterator[tuple[Any, Any]] = iter(value.items())
    elif isinstance(value, (set, frozenset)):
        pairs = ((item, item) for item in sorted(value, key=str))
    else:
        pairs = iter(enumerate(value))
    for key, item in pairs:
        if isinstance(item, list) and item:
            item = item[0]
        if not isinstance(item, str):
            raise BuiltinError(f"{name}: operand {index}: element must be string or non-empty array")
        yield key, item


def cidr_contains_matches(cidrs: Any, cidrs_or_ips: Any) -> set:
    name = "net.cidr_contains_matches"
    outer = [(k, _network(name, v)) for k, v in _entries(name, 1, cidrs)]
    inner = [(k, _network(name, v, allow_ip=True)) for k, v in _entries(name, 2, cidrs_or_ips)]
    return {
        (k1, k2) for k1, net1 in outer for k2, net2 in inner
        if net1.version == net2.version and net2.subnet_of(net1)  # type: ignore[arg-type]
    }


def cidr_merge(addrs: Any) -> set:
    name = "net.cidr_merge"
    need(name, 1, addrs, "array", "set")
    networks: list[Network] = []
    for item in addrs:
        if not isinstance(item, str):
            raise BuiltinError(f"{name}: operand 1 must be array of strings")
        networks.append(_network(name, item, allow_ip=True))
    merged: set[str] = set()
    for version in (4, 6):
        family = [n for n in networks if n.version == version]
        merged.update(str(n) for n in ipaddress.collapse_addresses(family))  # type: ignore[arg-type]
    return merged
