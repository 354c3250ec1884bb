"""`dataclasses.dataclass` with the same classes as a result, at a fraction of its import cost.

The standard decorator compiles every method it adds from generated source: six
`exec` calls for a frozen class (`__init__`, `__repr__`, `__eq__`, `__hash__`,
`__setattr__`, `__delattr__`), about 0.3 ms each class. A one-file run defines
some thirty of them before it reads its file, so that was a tenth of its time.
Here only `__init__` is compiled, once a class has made enough instances for a
call per instance to matter (before, one code object serves every record, see
`_lazy_init`); the other methods are closures over the field names, with the
behaviour the standard ones have: the same repr text, equality only between
instances of the same class over the `compare` fields, the same hash, and
`FrozenInstanceError` on assigning or deleting a field of a frozen instance.

Fields are the ones `dataclasses` makes (the same `Field` objects, class
attributes, `__match_args__` and `__dataclass_params__`), so `fields`, `replace`,
`asdict`, slots and pickling work as before. The common class (string annotations,
no class variable, no slots) gets them from `_fields_pass`, which decides each field
in one look instead of the standard pass's three pattern tests per field (most of
its cost); any other class goes through `dataclasses`' own pass. What this does not
cover (ordering, `unsafe_hash`, keyword-only fields, `InitVar`, dataclass bases)
goes to `dataclasses.dataclass` unchanged.
"""

from __future__ import annotations

import abc
import builtins
import dataclasses
import inspect
import re
import sys
import typing
from _thread import get_ident
from copy import copy
from operator import attrgetter
from types import CodeType, FunctionType
from typing import Any, Callable

MISSING = dataclasses.MISSING
FrozenInstanceError = dataclasses.FrozenInstanceError


class _Factory:
    """The default of a parameter whose field has a `default_factory`, as in `dataclasses`."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()
# What `dataclasses` reads an annotation string's leading name with ("typing.ClassVar[int]": typing, ClassVar).
_LEADING_NAME = re.compile(r"^(?:\s*(\w+)\s*\.)?\s*(\w+)")
# A class the standard pass made, whose parameters each record copies (their type is private).
_PARAMS_TEMPLATE = dataclasses.dataclass(type("_Template", (), {"__doc__": "-"}), init=False, repr=False,
                                         eq=False).__dataclass_params__


def dataclass(cls: type | None = None, /, *, init: bool = True, repr: bool = True, eq: bool = True,
              frozen: bool = False, slots: bool = False, **others: Any) -> Any:
    """Drop-in for `dataclasses.dataclass` (same arguments, same resulting class)."""

    def wrap(cls: type) -> type:
        if others or any(hasattr(base, "__dataclass_fields__") for base in cls.__mro__[1:]):
            return dataclasses.dataclass(cls, init=init, repr=repr, eq=eq, frozen=frozen, slots=slots, **others)
        return _process(cls, init, repr, eq, frozen, slots)

    return wrap if cls is None else wrap(cls)


def _process(cls: type, init: bool, repr: bool, eq: bool, frozen: bool, slots: bool) -> type:
    documented = bool(cls.__doc__)
    if slots or not documented or not _fields_pass(cls):
        cls = dataclasses.dataclass(cls, init=False, repr=False, eq=False, slots=slots)
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    params.init, params.repr, params.eq, params.frozen = init, repr, eq, frozen
    fields = dataclasses.fields(cls)  # ClassVars left out, InitVars too: counted below
    if len(fields) + sum(1 for f in cls.__dataclass_fields__.values()  # type: ignore[attr-defined]
                         if f._field_type is dataclasses._FIELD_CLASSVAR) != len(cls.__dataclass_fields__) \
            or any(f.kw_only is True for f in fields):  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__qualname__}: InitVar and keyword-only fields need dataclasses.dataclass")
    own = cls.__dict__
    class_hash = own.get("__hash__", MISSING)
    explicit_hash = not (class_hash is MISSING or (class_hash is None and "__eq__" in own))
    if init and "__init__" not in own:
        _add(cls, _lazy_init(cls, fields, frozen, slots))
        if not documented:  # dataclasses writes the docstring from the signature
            cls.__doc__ = cls.__name__ + str(inspect.signature(cls)).replace(" -> None", "")
    if repr and "__repr__" not in own:
        _add(cls, _repr_fn(tuple(f.name for f in fields if f.repr)))
    if eq and "__eq__" not in own:
        _add(cls, _eq_fn(_values([f.name for f in fields if f.compare])))
    if frozen:
        for fn in _frozen_fns(cls, tuple(f.name for f in fields)):
            if fn.__name__ in own:
                raise TypeError(f"Cannot overwrite attribute {fn.__name__} in class {cls.__name__}")
            _add(cls, fn)
        if slots:
            for name, fn in (("__getstate__", _getstate), ("__setstate__", _setstate)):
                if name not in own:
                    setattr(cls, name, fn)
    if eq and not explicit_hash:  # dataclasses' table without unsafe_hash
        if frozen:
            _add(cls, _hash_fn(_values([f.name for f in fields if (f.compare if f.hash is None else f.hash)])))
        else:
            cls.__hash__ = None  # type: ignore[assignment]
    return cls


def _fields_pass(cls: type) -> bool:
    """What `dataclasses.dataclass(cls, init=False, repr=False, eq=False)` does to a documented
    class without slots, when every annotation is an ordinary field: True once done. False, with
    `cls` untouched, for a class it must decide itself: a name that may be a `ClassVar`, `InitVar`
    or `KW_ONLY`, a field given `kw_only`, a mutable default, a `field()` without annotation, own
    `__slots__`, a module outside `sys.modules` (its errors and quirks are then its own).
    tests/speed/test_records.py holds both passes equal."""
    module = sys.modules.get(cls.__module__)
    if module is None or "__slots__" in cls.__dict__:
        return False
    namespace = vars(module)
    annotations = cls.__dict__.get("__annotations__", {})
    made: dict[str, dataclasses.Field] = {}
    for name, annotation in annotations.items():
        if _maybe_pseudo_field(annotation, namespace):
            return False
        default = getattr(cls, name, MISSING)
        if isinstance(default, dataclasses.Field):
            if default.kw_only is not MISSING:
                return False
            made[name] = default
        else:
            made[name] = dataclasses.field(default=default)
        if made[name].default.__class__.__hash__ is None:  # the standard pass refuses it, with its message
            return False
    if any(isinstance(value, dataclasses.Field) and name not in annotations for name, value in cls.__dict__.items()):
        return False
    fields = {}
    for name, f in made.items():  # the class is a dataclass from here on
        f.name, f.type, f._field_type, f.kw_only = name, annotations[name], dataclasses._FIELD, False  # type: ignore[attr-defined]
        fields[name] = f
        if isinstance(cls.__dict__.get(name), dataclasses.Field):
            if f.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
    cls.__dataclass_params__ = copy(_PARAMS_TEMPLATE)  # type: ignore[attr-defined]
    cls.__dataclass_fields__ = fields  # type: ignore[attr-defined]
    if "__match_args__" not in cls.__dict__:
        cls.__match_args__ = tuple(name for name, f in fields.items() if f.init)  # type: ignore[attr-defined]
    abc.update_abstractmethods(cls)
    return True


def _maybe_pseudo_field(annotation: Any, namespace: dict[str, Any]) -> bool:
    """Whether the standard pass could take this annotation for a `ClassVar`, an `InitVar` or
    `KW_ONLY`: it reads a string's leading name in the class's module (or, qualified by `typing`
    or `dataclasses`, in that module); anything not a string it asks about directly."""
    if isinstance(annotation, str):
        match = _LEADING_NAME.match(annotation)
        if match is None:
            return False
        qualifier, name = match.groups()
        if qualifier is None:
            annotation = namespace.get(name)
        else:
            owner = namespace.get(qualifier)
            annotation = vars(owner).get(name) if owner is typing or owner is dataclasses else None
    return (annotation is typing.ClassVar or annotation is dataclasses.InitVar or annotation is dataclasses.KW_ONLY
            or type(annotation) is dataclasses.InitVar
            or (type(annotation) is typing._GenericAlias  # type: ignore[attr-defined]
                and annotation.__origin__ is typing.ClassVar))


def _add(cls: type, fn: Callable[..., Any]) -> None:
    fn.__qualname__ = f"{cls.__qualname__}.{fn.__name__}"
    setattr(cls, fn.__name__, fn)


def _values(names: list[str]) -> Callable[[Any], tuple]:
    """The tuple `(self.a, self.b, ...)` the standard methods compare and hash."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


# How `__init__` gets a field's value (see `_init_plan`).
_GIVEN, _GIVEN_OR_MADE, _MADE, _DEFAULT = range(4)
# Instances a class makes with its first `__init__` before it compiles its own: most records a
# run defines make a handful of instances, where compiling would cost more than it saves.
COMPILE_AFTER = 64
# The code of that first `__init__`, given each record's parameters: `fill` sets the fields.
_FILLING_CODE = next(c for c in compile("def __init__(self):\n fill(self, locals())\n", "<records>", "exec").co_consts
                     if isinstance(c, CodeType))


def _init_plan(fields: tuple[dataclasses.Field, ...],
               slots: bool) -> tuple[list[str], list[Any], list[tuple[str, int, Any]]]:
    """`__init__`'s parameters (`self` first), the defaults of the last ones, and each field it
    sets with where the value comes from (`_GIVEN`...) and the factory or default that makes
    it: what `dataclasses`' generated code does, with its error for a parameter without
    default after one with."""
    params: list[str] = ["__dataclass_self__" if any(f.name == "self" for f in fields) else "self"]
    defaults: list[Any] = []
    steps: list[tuple[str, int, Any]] = []
    for f in fields:
        name = f.name
        if f.init:
            if f.default is MISSING and f.default_factory is MISSING and defaults:
                raise TypeError(f"non-default argument {name!r} follows default argument")
            params.append(name)
        if f.default_factory is not MISSING:
            if f.init:
                defaults.append(_FACTORY)
            steps.append((name, _GIVEN_OR_MADE if f.init else _MADE, f.default_factory))
        elif f.init:
            if f.default is not MISSING:
                defaults.append(f.default)
            steps.append((name, _GIVEN, None))
        elif slots and f.default is not MISSING:  # no class attribute holds it
            steps.append((name, _DEFAULT, f.default))
    return params, defaults, steps


def _lazy_init(cls: type, fields: tuple[dataclasses.Field, ...], frozen: bool, slots: bool) -> Callable[..., None]:
    """`__init__` until the class's `COMPILE_AFTER`-th instance: the compiled one's signature
    (names, defaults, qualified name, so a wrong call fails with the same error) over a loop
    that sets the fields. A third of the records a run defines make no instance at all, most
    of the others a few; those that make thousands (a run's documents) get the compiled one."""
    params, defaults, steps = _init_plan(fields, slots)
    setter = object.__setattr__ if frozen else setattr
    post_init = hasattr(cls, "__post_init__")
    made = 0

    def fill(self: Any, given: dict[str, Any]) -> None:
        nonlocal made
        made += 1
        if made == COMPILE_AFTER and cls.__dict__.get("__init__") is first:
            _add(cls, _init_fn(cls, fields, frozen, slots))
        for name, how, source in steps:
            if how == _GIVEN:
                value = given[name]
            elif how == _GIVEN_OR_MADE:
                value = given[name]
                if value is _FACTORY:
                    value = source()
            else:
                value = source() if how == _MADE else source
            setter(self, name, value)
        if post_init:
            self.__post_init__()

    code = _FILLING_CODE.replace(co_argcount=len(params), co_nlocals=len(params), co_varnames=tuple(params),
                                 co_qualname=f"{cls.__qualname__}.__init__")
    first = FunctionType(code, {"fill": fill, "__builtins__": builtins}, "__init__", tuple(defaults) or None)
    first.__annotations__ = _init_annotations(fields)
    return first


def _init_fn(cls: type, fields: tuple[dataclasses.Field, ...], frozen: bool, slots: bool) -> Callable[..., None]:
    """The compiled `__init__`, the same code `dataclasses` generates."""
    params, defaults, steps = _init_plan(fields, slots)
    self = params[0]
    namespace: dict[str, Any] = {"__set": object.__setattr__, "__factory": _FACTORY}
    required = len(params) - len(defaults)
    signature = params[:required]
    for name, default in zip(params[required:], defaults):
        namespace[f"__default_{name}"] = default
        signature.append(f"{name}=__default_{name}")
    body = []
    for name, how, source in steps:
        if how == _GIVEN:
            value = name
        elif how == _GIVEN_OR_MADE:
            namespace[f"__make_{name}"] = source
            value = f"__make_{name}() if {name} is __factory else {name}"
        elif how == _MADE:
            namespace[f"__make_{name}"] = source
            value = f"__make_{name}()"
        else:
            namespace[f"__default_{name}"] = source
            value = f"__default_{name}"
        body.append(f"__set({self},{name!r},{value})" if frozen else f"{self}.{name}={value}")
    if hasattr(cls, "__post_init__"):
        body.append(f"{self}.__post_init__()")
    exec(f"def __init__({', '.join(signature)}):\n" + "".join(f" {line}\n" for line in body or ["pass"]), namespace)
    fn = namespace["__init__"]
    fn.__annotations__ = _init_annotations(fields)
    return fn


def _init_annotations(fields: tuple[dataclasses.Field, ...]) -> dict[str, Any]:
    return {**{f.name: f.type for f in fields if f.init}, "return": None}


def _repr_fn(names: tuple[str, ...]) -> Callable[[Any], str]:
    running: set[tuple[int, int]] = set()

    def __repr__(self: Any) -> str:
        key = (id(self), get_ident())
        if key in running:  # a record that holds itself
            return "..."
        running.add(key)
        try:
            return f"{self.__class__.__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in names)})"
        finally:
            running.discard(key)

    return __repr__


def _eq_fn(values: Callable[[Any], tuple]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return __eq__


def _hash_fn(values: Callable[[Any], tuple]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(values(self))

    return __hash__


def _frozen_fns(cls: type, names: tuple[str, ...]) -> tuple[Callable[..., None], Callable[..., None]]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __setattr__, __delattr__


def _getstate(self: Any) -> list[Any]:
    """Pickling a frozen class with slots, as `dataclasses` does it."""
    return [getattr(self, f.name) for f in dataclasses.fields(self)]


def _setstate(self: Any, state: list[Any]) -> None:
    for f, value in zip(dataclasses.fields(self), state):
        object.__setattr__(self, f.name, value)
