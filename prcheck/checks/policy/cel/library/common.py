"""What the library modules share: types, overloads, tagged values."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cel_expr_python import cel

T = cel.Type
BOOL, INT, UINT, DOUBLE, STRING, BYTES, NULL = T.BOOL, T.INT, T.UINT, T.DOUBLE, T.STRING, T.BYTES, T.NULL
TIMESTAMP, DURATION = T.TIMESTAMP, T.DURATION
LIST = T.List(T.DYN)
MAP = T.Map(T.DYN, T.DYN)
OBJ = T.Map(T.STRING, T.DYN)  # a tagged library value
DYN = T.DYN
# cel-cpp matches host functions on concrete runtime types, so "any value" is
# spelled out as one overload per CEL type.
ANY = (BOOL, INT, UINT, DOUBLE, STRING, BYTES, NULL, LIST, MAP, TIMESTAMP, DURATION)
TAG = "@cel"


@dataclass
class Fn:
    name: str
    overloads: list


def _type_id(t: Any) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in t.name().lower())


@dataclass(frozen=True)
class Overload:
    ident: str
    ret: Any
    params: tuple
    impl: Callable[..., Any]
    member: bool

    def build(self) -> Any:
        return cel.Overload(self.ident, self.ret, list(self.params), is_member=self.member, impl=self.impl)


def fn(name: str, ret: Any, params: Sequence[Any], impl: Callable[..., Any], member: bool = False) -> Overload:
    ident = f"{name}_{'m_' if member else ''}{'_'.join(_type_id(p) for p in params)}".replace(".", "_")
    return Overload(ident, ret, tuple(params), impl, member)


def tagged(kind: str, **fields: Any) -> dict:
    return {TAG: kind, **fields}


def expect(value: Any, kind: str) -> dict:
    """The tagged value of `kind`, or an error naming what was given."""
    if isinstance(value, dict) and value.get(TAG) == kind:
        return value
    got = value.get(TAG) if isinstance(value, dict) else type(value).__name__
    raise ValueError(f"no such overload: expected {kind}, got {got or 'map'}")


def kind_of(value: Any) -> str:
    return str(value.get(TAG) or "") if isinstance(value, dict) else ""


class Dispatch:
    """Member functions several tagged kinds share (`isLessThan` on quantities and
    semvers): one overload on maps, routed by the value's tag."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.impls: dict[str, Callable[..., Any]] = {}

    def __call__(self, receiver: Any, *args: Any) -> Any:
        impl = self.impls.get(kind_of(receiver))
        if impl is None:
            raise ValueError(f"no such overload: {kind_of(receiver) or 'map'}.{self.name}")
        return impl(receiver, *args)


_SHARED: dict[str, Dispatch] = {}


def shared(name: str) -> Dispatch:
    """The one dispatcher for member function `name` (module-level registry of
    declarations, filled at import time and never changed afterwards)."""
    return _SHARED.setdefault(name, Dispatch(name))


def compare(a: Any, b: Any) -> int:
    return (a > b) - (a < b)
