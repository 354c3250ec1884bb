"""Kubernetes authorizer library, answered offline.

https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-authorizer-library
prcheck has no cluster to ask, so `authorizer` carries a policy: a list of
allow rules from the configuration (`cel: {authorizer: [...]}`; each rule
may name `user`, `verb`, `group`, `resource`, `subresource`, `namespace`,
`name` or `path`, `*` or absent meaning any). With no rules every check is
denied with a reason saying so, which is what a user without permissions
sees (docs/cel.md).
"""

from __future__ import annotations

from typing import Any

from .common import BOOL, OBJ, STRING, Fn, expect, fn, kind_of, tagged

NO_POLICY = "no authorizer policy configured (prcheck evaluates offline)"
_FIELDS = ("verb", "group", "resource", "subresource", "namespace", "name", "path")


def authorizer(user: str, rules: "list[dict]") -> dict:
    return tagged("authorizer", user=user, rules=list(rules))


def _extend(value: dict, kind: str, **fields: Any) -> dict:
    carried = {k: v for k, v in value.items() if k not in ("@cel",)}
    return tagged(kind, **{**carried, **fields})


def _allowed(rule: dict, request: dict) -> bool:
    for key in ("user", *_FIELDS):
        wanted = rule.get(key)
        if wanted is None or wanted == "*":
            continue
        if str(wanted) != str(request.get(key) if request.get(key) is not None else ""):
            return False
    return True


def check(value: dict, verb: str) -> dict:
    if kind_of(value) not in ("path", "resource"):
        raise ValueError("no such overload: check() on a path or resource check")
    request = {**value, "verb": verb}
    rules = list(value.get("rules") or [])
    if not rules:
        return tagged("decision", allowed=False, reason=NO_POLICY)
    allowed = any(_allowed(rule, request) for rule in rules if isinstance(rule, dict))
    return tagged("decision", allowed=allowed, reason="" if allowed else "no configured rule allows this request")


FUNCTIONS = [
    Fn("path", [fn("path", OBJ, [OBJ, STRING], lambda a, p: _extend(expect(a, "authorizer"), "path", path=p),
                   member=True)]),
    Fn("group", [fn("group", OBJ, [OBJ, STRING], lambda a, g: _extend(expect(a, "authorizer"), "group", group=g),
                    member=True)]),
    Fn("serviceAccount", [fn("serviceAccount", OBJ, [OBJ, STRING, STRING], lambda a, ns, n: _extend(
        expect(a, "authorizer"), "authorizer", user=f"system:serviceaccount:{ns}:{n}"), member=True)]),
    Fn("resource", [fn("resource", OBJ, [OBJ, STRING], lambda g, r: _extend(expect(g, "group"), "resource", resource=r),
                       member=True)]),
    Fn("subresource", [fn("subresource", OBJ, [OBJ, STRING], lambda r, s: _extend(expect(r, "resource"), "resource",
                                                                                 subresource=s), member=True)]),
    Fn("namespace", [fn("namespace", OBJ, [OBJ, STRING], lambda r, n: _extend(expect(r, "resource"), "resource",
                                                                             namespace=n), member=True)]),
    Fn("name", [fn("name", OBJ, [OBJ, STRING], lambda r, n: _extend(expect(r, "resource"), "resource", name=n),
                   member=True)]),
    Fn("check", [fn("check", OBJ, [OBJ, STRING], check, member=True)]),
    Fn("allowed", [fn("allowed", BOOL, [OBJ], lambda d: bool(expect(d, "decision")["allowed"]), member=True)]),
    Fn("reason", [fn("reason", STRING, [OBJ], lambda d: str(expect(d, "decision")["reason"]), member=True)]),
    Fn("errored", [fn("errored", BOOL, [OBJ], lambda d: bool(expect(d, "decision") and False), member=True)]),
    Fn("error", [fn("error", STRING, [OBJ], lambda d: str(expect(d, "decision") and ""), member=True)]),
]
