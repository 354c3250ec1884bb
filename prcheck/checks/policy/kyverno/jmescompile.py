"""JMESPath ASTs compiled to Python closures.

`jmespath`'s tree interpreter looks up a visitor method by node type on every
node of every evaluation; a policy set evaluates the same few expressions
against thousands of resources, so each expression is turned once into
nested closures with the same semantics as `jmespath.visitor.TreeInterpreter`
(null propagation, projections dropping nulls, JMESPath truthiness, the 0/1
vs true/false equality rule). Node types it does not know fall back to the
tree interpreter, so the result never depends on which path ran.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from typing import Any

from jmespath import visitor

Compiled = Callable[[Any], Any]
_ORDERING = {"lt": operator.lt, "gt": operator.gt, "lte": operator.le, "gte": operator.ge}


def _is_false(value: Any) -> bool:
    return value == "" or value == [] or value == {} or value is None or value is False


def _collect(items: Iterable[Any], each: Compiled) -> list:
    """The right-hand side of a projection over `items`, nulls dropped.

    List, value and filter projections differ only in what they iterate; a
    filter passes a lazy generator, so its condition and `each` still run
    item by item in the tree interpreter's order.
    """
    return [current for current in map(each, items) if current is not None]


class _Expression(visitor._Expression):
    """What JMESPath functions receive for `&expr`; they type-check it by this class
    name and call `visit(expression, value)`."""

    def __init__(self, fn: Compiled, node: dict) -> None:
        super().__init__(node, None)
        self._fn = fn

    def visit(self, node: dict, value: Any) -> Any:
        return self._fn(value)


class Compiler:
    def __init__(self, interpreter: visitor.TreeInterpreter) -> None:
        self._interpreter = interpreter
        self._functions = interpreter._functions

    def compile(self, node: dict) -> Compiled:
        method = getattr(self, "_" + node["type"], None)
        if method is None:
            interpreter = self._interpreter
            return lambda value: interpreter.visit(node, value)
        return method(node)

    def _chain(self, node: dict) -> Compiled:
        steps = [self.compile(child) for child in node["children"]]
        if len(steps) == 2:
            first, second = steps

            def pair(value: Any) -> Any:
                return second(first(value))

            return pair

        def chain(value: Any) -> Any:
            for step in steps:
                value = step(value)
            return value

        return chain

    _subexpression = _index_expression = _pipe = _chain

    def _field(self, node: dict) -> Compiled:
        key = node["value"]

        def field(value: Any) -> Any:
            return value.get(key) if type(value) is dict else (value.get(key) if hasattr(value, "get") else None)

        return field

    def _current(self, node: dict) -> Compiled:
        return lambda value: value

    _identity = _current

    def _literal(self, node: dict) -> Compiled:
        literal = node["value"]
        return lambda value: literal

    def _index(self, node: dict) -> Compiled:
        index = node["value"]

        def at(value: Any) -> Any:
            if not isinstance(value, list):
                return None
            try:
                return value[index]
            except IndexError:
                return None

        return at

    def _slice(self, node: dict) -> Compiled:
        bounds = slice(*node["children"])
        return lambda value: value[bounds] if isinstance(value, list) else None

    def _comparator(self, node: dict) -> Compiled:
        left, right = (self.compile(child) for child in node["children"])
        op = node["value"]
        if op in ("eq", "ne"):
            equals = visitor._equals
            if op == "eq":
                return lambda value: equals(left(value), right(value))
            return lambda value: not equals(left(value), right(value))
        compare = _ORDERING[op]
        comparable = visitor._is_comparable

        def ordering(value: Any) -> Any:
            a, b = left(value), right(value)
            if not (comparable(a) and comparable(b)):
                return None
            return compare(a, b)

        return ordering

    def _projection(self, node: dict) -> Compiled:
        base, each = (self.compile(child) for child in node["children"])

        def project(value: Any) -> Any:
            items = base(value)
            if not isinstance(items, list):
                return None
            return _collect(items, each)

        return project

    def _value_projection(self, node: dict) -> Compiled:
        base, each = (self.compile(child) for child in node["children"])

        def project(value: Any) -> Any:
            items = base(value)
            if not isinstance(items, dict):
                return None
            return _collect(items.values(), each)

        return project

    def _filter_projection(self, node: dict) -> Compiled:
        base, each, condition = (self.compile(child) for child in node["children"])

        def project(value: Any) -> Any:
            items = base(value)
            if not isinstance(items, list):
                return None
            return _collect((item for item in items if not _is_false(condition(item))), each)

        return project

    def _flatten(self, node: dict) -> Compiled:
        base = self.compile(node["children"][0])

        def flatten(value: Any) -> Any:
            items = base(value)
            if not isinstance(items, list):
                return None
            merged: list = []
            for item in items:
                if isinstance(item, list):
                    merged.extend(item)
                else:
                    merged.append(item)
            return merged

        return flatten

    def _or_expression(self, node: dict) -> Compiled:
        left, right = (self.compile(child) for child in node["children"])

        def either(value: Any) -> Any:
            matched = left(value)
            return right(value) if _is_false(matched) else matched

        return either

    def _and_expression(self, node: dict) -> Compiled:
        left, right = (self.compile(child) for child in node["children"])

        def both(value: Any) -> Any:
            matched = left(value)
            return matched if _is_false(matched) else right(value)

        return both

    def _not_expression(self, node: dict) -> Compiled:
        inner = self.compile(node["children"][0])
        is_number = visitor._is_actual_number

        def negate(value: Any) -> Any:
            result = inner(value)
            if is_number(result) and result == 0:
                return False
            return not result

        return negate

    def _multi_select_list(self, node: dict) -> Compiled:
        parts = [self.compile(child) for child in node["children"]]
        return lambda value: None if value is None else [part(value) for part in parts]

    def _multi_select_dict(self, node: dict) -> Compiled:
        parts = [(child["value"], self.compile(child["children"][0])) for child in node["children"]]
        return lambda value: None if value is None else {key: part(value) for key, part in parts}

    def _expref(self, node: dict) -> Compiled:
        ref = _Expression(self.compile(node["children"][0]), node["children"][0])
        return lambda value: ref

    def _function_expression(self, node: dict) -> Compiled:
        name = node["value"]
        args = [self.compile(child) for child in node["children"]]
        call = self._functions.call_function
        return lambda value: call(name, [arg(value) for arg in args])
