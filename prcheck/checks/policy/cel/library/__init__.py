"""The Kubernetes CEL libraries, written in Python on top of the runtime.

cel-cpp ships the standard library and the strings, optional, bindings, math
and encoders extensions; Kubernetes adds lists, regex, url, ip, cidr,
quantity, format, semver, authorizer and the sets extension, and Kyverno its
own libraries. Each module here declares its functions as data: a list of
`Fn` (name, overloads). Values the runtime has no type for (a quantity, an
IP, a URL) are maps tagged with `@cel`, so they can cross the Python
boundary; `type()` of them is `map` instead of the Kubernetes type name
(docs/cel.md).
"""

from __future__ import annotations

from cel_expr_python import cel

from . import authz, cidr, compat, format as format_lib, kyverno, lists, quantity, regex, semver, sets, urls
from .common import Fn

MODULES = (lists, regex, urls, cidr, quantity, format_lib, semver, authz, sets, compat)


def declarations(store: dict) -> list:
    """One `FunctionDecl` per function name, overloads merged across modules;
    `store`: the runtime's data store the Kyverno lookups read."""
    merged: dict[str, dict] = {}
    for fn in [f for module in MODULES for f in module.FUNCTIONS] + kyverno.functions(store):
        for overload in fn.overloads:  # shared member functions are declared by each module using them
            merged.setdefault(fn.name, {}).setdefault(overload.ident, overload)
    return [cel.FunctionDecl(name, [o.build() for o in overloads.values()]) for name, overloads in merged.items()]


__all__ = ["Fn", "declarations"]
