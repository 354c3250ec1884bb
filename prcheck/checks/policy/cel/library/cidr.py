"""Kubernetes IP and CIDR libraries: `ip`, `isIP`, `ip.isCanonical`, `family`,
`isUnspecified`, `isLoopback`, `isLinkLocalMulticast`, `isLinkLocalUnicast`,
`isGlobalUnicast`; `cidr`, `isCIDR`, `containsIP`, `containsCIDR`, `ip`,
`masked`, `prefixLength`.

https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-ip-address-library
As in Kubernetes, IPv4-mapped IPv6 addresses and zones are refused, and so
are IPv4 octets with leading zeros.
"""

from __future__ import annotations

import ipaddress

from .common import BOOL, INT, OBJ, STRING, Fn, expect, fn, tagged


def _address(text: str) -> "ipaddress.IPv4Address | ipaddress.IPv6Address | None":
    if "%" in text:
        return None
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return None
    return addr


def _network(text: str) -> "tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int] | None":
    addr_text, slash, bits = text.partition("/")
    addr = _address(addr_text)
    if addr is None or not slash or not bits.isdigit() or (len(bits) > 1 and bits[0] == "0"):
        return None
    length = int(bits)
    if length > addr.max_prefixlen:
        return None
    return addr, length


def ip(text: str) -> dict:
    addr = _address(text)
    if addr is None:
        raise ValueError(f"IP Address '{text}' parse error during conversion from string")
    return tagged("ip", value=str(addr), family=addr.version)


def is_ip(text: str) -> bool:
    return _address(text) is not None


def is_canonical(text: str) -> bool:
    addr = _address(text)
    if addr is None:
        raise ValueError(f"IP Address '{text}' parse error during conversion from string")
    return str(addr) == text


def _ip(value: dict) -> "ipaddress.IPv4Address | ipaddress.IPv6Address":
    return ipaddress.ip_address(str(expect(value, "ip")["value"]))


def _is_global_unicast(addr: "ipaddress.IPv4Address | ipaddress.IPv6Address") -> bool:
    """Go's `IsGlobalUnicast`: not unspecified, loopback, link-local or multicast
    (and not the IPv4 broadcast address); private ranges count as global."""
    if addr.is_unspecified or addr.is_loopback or addr.is_link_local or addr.is_multicast:
        return False
    return not (addr.version == 4 and str(addr) == "255.255.255.255")


def _is_link_local_multicast(addr: "ipaddress.IPv4Address | ipaddress.IPv6Address") -> bool:
    if addr.version == 4:
        return addr in ipaddress.ip_network("224.0.0.0/24")
    return addr.is_multicast and (int(addr) >> 112) & 0xF == 2


def cidr(text: str) -> dict:
    parsed = _network(text)
    if parsed is None:
        raise ValueError(f"network address '{text}' parse error during conversion from string")
    addr, length = parsed
    return tagged("cidr", value=f"{addr}/{length}", family=addr.version)


def is_cidr(text: str) -> bool:
    return _network(text) is not None


def _net(value: dict) -> "tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ipaddress.IPv4Address | ipaddress.IPv6Address]":
    text = str(expect(value, "cidr")["value"])
    addr_text, _, bits = text.partition("/")
    return ipaddress.ip_network(text, strict=False), ipaddress.ip_address(addr_text)


def contains_ip(value: dict, other: "dict | str") -> bool:
    addr = _ip(other) if isinstance(other, dict) else _ip(ip(other))
    net, _ = _net(value)
    return addr.version == net.version and addr in net


def contains_cidr(value: dict, other: "dict | str") -> bool:
    inner, _ = _net(other if isinstance(other, dict) else cidr(other))
    net, _ = _net(value)
    return inner.version == net.version and inner.subnet_of(net)  # type: ignore[arg-type]


def cidr_ip(value: dict) -> dict:
    _, addr = _net(value)
    return tagged("ip", value=str(addr), family=addr.version)


def masked(value: dict) -> dict:
    net, _ = _net(value)
    return tagged("cidr", value=str(net), family=net.version)


def _ip_or_cidr_family(value: dict) -> int:
    if isinstance(value, dict) and value.get("@cel") in ("ip", "cidr"):
        return int(value["family"])
    raise ValueError("no such overload: family() takes an ip")


def _check(predicate):
    return lambda value: predicate(_ip(value))


FUNCTIONS = [
    Fn("ip", [fn("ip", OBJ, [STRING], ip), fn("ip", OBJ, [OBJ], cidr_ip, member=True)]),
    Fn("isIP", [fn("isIP", BOOL, [STRING], is_ip)]),
    Fn("ip.isCanonical", [fn("ip.isCanonical", BOOL, [STRING], is_canonical)]),
    Fn("family", [fn("family", INT, [OBJ], _ip_or_cidr_family, member=True)]),
    Fn("isUnspecified", [fn("isUnspecified", BOOL, [OBJ], _check(lambda a: a.is_unspecified), member=True)]),
    Fn("isLoopback", [fn("isLoopback", BOOL, [OBJ], _check(lambda a: a.is_loopback), member=True)]),
    Fn("isLinkLocalMulticast", [fn("isLinkLocalMulticast", BOOL, [OBJ], _check(_is_link_local_multicast), member=True)]),
    Fn("isLinkLocalUnicast", [fn("isLinkLocalUnicast", BOOL, [OBJ],
                                 _check(lambda a: a.is_link_local and not a.is_multicast), member=True)]),
    Fn("isGlobalUnicast", [fn("isGlobalUnicast", BOOL, [OBJ], _check(_is_global_unicast), member=True)]),
    Fn("cidr", [fn("cidr", OBJ, [STRING], cidr)]),
    Fn("isCIDR", [fn("isCIDR", BOOL, [STRING], is_cidr)]),
    Fn("containsIP", [fn("containsIP", BOOL, [OBJ, OBJ], contains_ip, member=True),
                      fn("containsIP", BOOL, [OBJ, STRING], contains_ip, member=True)]),
    Fn("containsCIDR", [fn("containsCIDR", BOOL, [OBJ, OBJ], contains_cidr, member=True),
                        fn("containsCIDR", BOOL, [OBJ, STRING], contains_cidr, member=True)]),
    Fn("masked", [fn("masked", OBJ, [OBJ], masked, member=True)]),
    Fn("prefixLength", [fn("prefixLength", INT, [OBJ], lambda v: int(str(expect(v, "cidr")["value"]).rpartition("/")[2]),
                           member=True)]),
]
