"""`prcheck.records.dataclass` makes the class `dataclasses.dataclass` makes: every option the
project uses, checked against the standard decorator on twin classes."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
import typing
from typing import Any, ClassVar

import pytest

from prcheck import records


def _twins(options: dict[str, Any], body: Any) -> tuple[type, type]:
    """The same class body decorated both ways (module-level names so pickle finds them)."""
    made = []
    for name, decorate in (("Standard", dataclasses.dataclass), ("Record", records.dataclass)):
        cls = decorate(**options)(body(name))
        globals()[cls.__qualname__] = cls
        made.append(cls)
    return made[0], made[1]


def _plain(name: str) -> type:
    namespace = {"__annotations__": {"a": "int", "b": "str", "c": "tuple", "tags": "list", "hidden": "int",
                                     "shared": "ClassVar[int]", "late": "int"},
                 "__doc__": "doc", "__module__": __name__, "__qualname__": f"{name}",
                 "b": "x", "c": (), "tags": dataclasses.field(default_factory=list),
                 "hidden": dataclasses.field(default=5, repr=False, compare=False),
                 "shared": 3, "late": dataclasses.field(default=0, init=False),
                 "double": lambda self: self.a * 2}
    return type(name, (), namespace)


def _with_post_init(name: str) -> type:
    def __post_init__(self: Any) -> None:
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", f"{self.rule}:{self.line}")

    namespace = {"__annotations__": {"rule": "str", "line": "int", "fingerprint": "str", "self": "int"},
                 "__doc__": "doc", "__module__": __name__, "__qualname__": name,
                 "line": 0, "fingerprint": "", "self": 1, "__post_init__": __post_init__}
    return type(name, (), namespace)


def _own_methods(name: str) -> type:
    namespace = {"__annotations__": {"a": "int"}, "__doc__": "doc", "__module__": __name__, "__qualname__": name,
                 "__repr__": lambda self: "mine", "__hash__": lambda self: 7}
    return type(name, (), namespace)


OPTIONS = [{}, {"frozen": True}, {"frozen": True, "slots": True}, {"slots": True}, {"eq": False},
           {"frozen": True, "eq": False}, {"repr": False, "frozen": True}, {"init": False}]


def _outcome(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as exc:  # the standard class's error, message and all
        return type(exc), str(exc)


def _same(standard: Any, record: Any) -> None:
    if type(standard).__repr__ is not object.__repr__:
        assert repr(record).replace("Record", "Standard") == repr(standard)
    else:
        assert type(record).__repr__ is object.__repr__
    assert dataclasses.asdict(record) == dataclasses.asdict(standard)


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_a_record_behaves_as_a_dataclass(options):
    standard, record = _twins(options, _plain)
    params = ("init", "repr", "eq", "order", "unsafe_hash", "frozen")
    assert [getattr(record.__dataclass_params__, p) for p in params] == \
        [getattr(standard.__dataclass_params__, p) for p in params]
    assert [(f.name, f.default, f.default_factory, f.init, f.repr, f.compare) for f in dataclasses.fields(record)] == \
        [(f.name, f.default, f.default_factory, f.init, f.repr, f.compare) for f in dataclasses.fields(standard)]
    assert record.__match_args__ == standard.__match_args__
    assert hasattr(record, "__slots__") == hasattr(standard, "__slots__")
    assert getattr(record, "__slots__", None) == getattr(standard, "__slots__", None)
    assert (record.__hash__ is None) == (standard.__hash__ is None)
    assert {n for n in ("b", "c", "hidden", "late", "shared") if n in vars(record)} == \
        {n for n in ("b", "c", "hidden", "late", "shared") if n in vars(standard)}
    if not options.get("init", True):
        return
    first = record(0)  # `__init__` is compiled for the first instance
    _same(standard(0), first)
    assert str(inspect.signature(record)) == str(inspect.signature(standard))
    assert record.__init__.__qualname__ == "Record.__init__"
    pairs = [(standard(1), record(1)), (standard(1, "y", (2,), [3], 9), record(1, "y", (2,), [3], 9)),
             (standard(a=2, tags=["t"]), record(a=2, tags=["t"]))]
    for s, r in pairs:
        _same(s, r)
        assert r.late == s.late == 0 and r.double() == s.double()
        if options.get("frozen"):
            attempts = [lambda o: setattr(o, "a", 5), lambda o: delattr(o, "a")]
            if not options.get("slots"):  # 3.11's frozen slots class raises TypeError for a new name (its bug)
                attempts += [lambda o: setattr(o, "new", 5), lambda o: delattr(o, "new")]
            for attempt in attempts:
                assert _outcome(attempt, r) == _outcome(attempt, s)
                assert _outcome(attempt, r)[0] is dataclasses.FrozenInstanceError
            if options.get("eq", True):  # else both hash by identity
                assert _outcome(hash, r) == _outcome(hash, s)
        else:
            r.b = s.b = "changed"
            _same(s, r)
        _same(dataclasses.replace(s, b="z"), dataclasses.replace(r, b="z"))
        _same(pickle.loads(pickle.dumps(s)), pickle.loads(pickle.dumps(r)))
        _same(copy.copy(s), copy.copy(r))
    assert standard(1).tags is not standard(1).tags and record(1).tags is not record(1).tags
    one, same, other = record(1, tags=[1]), record(1, tags=[1], hidden=8), record(2)
    eq = options.get("eq", True)
    assert (one == same) is eq and one != other and (one == standard(1, tags=[1])) is False
    assert (record(1) == record(1)) == (standard(1) == standard(1))
    if eq and options.get("frozen"):
        hashable, twin = record(1, tags=(1,)), record(1, tags=(1,), hidden=8)  # type: ignore[arg-type]
        assert hash(hashable) == hash(twin) == hash(standard(1, tags=(1,))) and len({hashable, twin, record(2, tags=())}) == 2


@pytest.mark.parametrize("options", [{}, {"frozen": True}, {"frozen": True, "slots": True}], ids=str)
def test_post_init_and_a_field_named_self(options):
    standard, record = _twins(options, _with_post_init)
    _same(standard("r", 3), record("r", 3))
    assert str(inspect.signature(record)) == str(inspect.signature(standard))
    _same(standard("r", 3, "given", self=4), record("r", 3, "given", self=4))
    _same(pickle.loads(pickle.dumps(standard("r"))), pickle.loads(pickle.dumps(record("r"))))


def test_methods_a_class_defines_stay_its_own():
    for options in ({}, {"frozen": True}):
        standard, record = _twins(options, _own_methods)
        assert repr(record(1)) == repr(standard(1)) == "mine"
        assert hash(record(1)) == hash(standard(1)) == 7
        assert record(1) == record(1)


def test_a_record_that_holds_itself_repr_as_a_dataclass():
    standard, record = _twins({}, lambda name: type(name, (), {"__annotations__": {"other": "Any"},
                                                               "__module__": __name__, "__qualname__": name,
                                                               "__doc__": "doc"}))
    s, r = standard(None), record(None)
    s.other, r.other = s, r
    assert repr(r).replace("Record", "Standard") == repr(s) == "Standard(other=...)"


def test_what_records_do_not_cover_is_the_standard_decorator():
    @records.dataclass(frozen=True, order=True)
    class Ordered:
        """doc"""
        a: int

    assert Ordered(1) < Ordered(2)

    @records.dataclass(frozen=True)
    class Base:
        """doc"""
        a: int

    @records.dataclass(frozen=True)
    class Derived(Base):
        """doc"""
        b: int = 0

    assert Derived(1, 2) == Derived(1, 2) and repr(Derived(1)) == "test_what_records_do_not_cover_is_the_standard_" \
        "decorator.<locals>.Derived(a=1, b=0)"
    with pytest.raises(TypeError, match="keyword-only"):
        records.dataclass(type("K", (), {"__annotations__": {"a": "int"}, "a": dataclasses.field(kw_only=True),
                                         "__doc__": "doc"}))


def test_an_undocumented_record_is_documented_as_a_dataclass():
    standard, record = _twins({"frozen": True}, lambda name: type(name, (), {
        "__annotations__": {"a": "int", "b": "str"}, "b": "x", "__module__": __name__, "__qualname__": name}))
    assert record.__doc__.replace("Record", "Standard") == standard.__doc__ == "Standard(a: 'int', b: 'str' = 'x')"


def test_a_subclass_without_its_own_init_uses_the_records():
    standard, record = _twins({"frozen": True}, _plain)
    sub = type("Sub", (record,), {"__doc__": "doc"})
    assert repr(sub(3)) == "Sub(a=3, b='x', c=(), tags=[], late=0)" and record(3) != sub(3)
    assert sub(3) == sub(3) and hash(sub(3, tags=())) == hash(record(3, tags=()))


def test_class_variables_are_not_fields():
    standard, record = _twins({"frozen": True}, _plain)
    assert "shared" not in {f.name for f in dataclasses.fields(record)}
    assert record.shared == standard.shared == 3
    assert ClassVar  # the annotation the twins use


CV = ClassVar  # names the standard pass resolves in this module: aliases of its pseudo-field markers
IV = dataclasses.InitVar
ONLY = dataclasses.KW_ONLY
LIST_ALIAS = list[int]

# (annotations, class attributes, whether `_fields_pass` decides the class itself)
PASS_BODIES: list[tuple[dict[str, Any], dict[str, Any], bool]] = [
    ({"a": "int", "b": "str", "c": "tuple[int, ...]"}, {"b": "x", "c": ()}, True),
    ({"a": "int", "tags": "list[str]", "meta": "Any", "hidden": "int", "late": "int", "self": "int"},
     {"tags": dataclasses.field(default_factory=list), "meta": dataclasses.field(default=None, metadata={"k": 1}),
      "hidden": dataclasses.field(default=5, repr=False, compare=False, hash=True),
      "late": dataclasses.field(default=0, init=False), "self": 2}, True),
    ({"a": "LIST_ALIAS", "b": "typing.Optional[int]", "c": "pickle.PickleError", "d": "[int]", "e": "'quoted'",
      "f": " Any", "g": "CVX", "h": "unbound.ClassVar", "i": "typing.Any"}, {}, True),
    ({"a": int, "b": "str"}, {"b": "x"}, True),  # an annotation that is not a string
    ({"a": "int"}, {"__match_args__": ("own",)}, True),
    ({}, {}, True),
    ({"a": "int", "shared": "ClassVar[int]"}, {"shared": 3}, False),
    ({"a": "int", "shared": "CV"}, {"shared": 3}, False),
    ({"a": "int", "shared": " typing . ClassVar[int]"}, {"shared": 3}, False),
    ({"a": "int", "shared": ClassVar[int]}, {"shared": 3}, False),
    ({"a": "int", "init_only": "IV[int]"}, {}, False),
    ({"a": "int", "init_only": "dataclasses.InitVar[int]"}, {}, False),
    ({"a": "int", "_": "ONLY", "b": "int"}, {}, False),
    ({"a": "int"}, {"a": dataclasses.field(kw_only=False)}, False),
    ({"a": "list"}, {"a": []}, False),  # a mutable default: the standard pass's ValueError
    ({"a": "int"}, {"b": dataclasses.field(default=1)}, False),  # a field() without annotation: its TypeError
    ({"a": "int"}, {"__slots__": ("a",)}, False),
]


@pytest.mark.parametrize("annotations, attributes, fast", PASS_BODIES, ids=lambda v: str(v)[:60])
def test_the_fields_pass_is_the_standard_one(annotations, attributes, fast):
    """Every field, class attribute, `__match_args__` and parameter the standard `init=False`
    pass leaves on a class, `_fields_pass` leaves too; what it does not decide it leaves untouched."""
    def body(name: str) -> type:
        namespace = {"__annotations__": dict(annotations), "__doc__": "doc", "__module__": __name__,
                     "__qualname__": name}
        for key, value in attributes.items():  # a field() may be used by one class only
            namespace[key] = copy.copy(value) if isinstance(value, dataclasses.Field) else value
        return type(name, (), namespace)

    def described(cls: Any) -> Any:
        if isinstance(cls, tuple):
            return cls
        params = cls.__dataclass_params__
        return ([repr(f).replace("Record", "Standard") for f in cls.__dataclass_fields__.values()],
                {k: repr(v).replace("Record", "Standard") for k, v in vars(cls).items() if k not in ("__dataclass_fields__", "__dataclass_params__",
                                                                  "__dict__", "__weakref__", "__qualname__")},
                [getattr(params, p) for p in ("init", "repr", "eq", "order", "unsafe_hash", "frozen")],
                getattr(cls, "__match_args__", None))

    record, standard = body("Record"), body("Standard")
    before = dict(vars(record))
    decided = _outcome(records._fields_pass, record)
    assert decided is fast
    if not decided:
        assert dict(vars(record)) == before
        record = _outcome(lambda c: dataclasses.dataclass(c, init=False, repr=False, eq=False), record)
    standard = _outcome(lambda c: dataclasses.dataclass(c, init=False, repr=False, eq=False), standard)
    assert described(record) == described(standard)


CALLS = [((0,), {}), ((1, "y", (2,), [3], 9), {}), ((), {"a": 2, "tags": ["t"], "hidden": 1}),
         ((), {}), ((1, "y", (), [], 5, 6), {}), ((1,), {"a": 2}), ((1,), {"nope": 1}), ((), {"b": "x"}),
         ((1,), {"late": 3})]
POST_INIT_CALLS = [(("r",), {}), (("r", 3, "given"), {"self": 4}), ((), {"rule": "r", "self": 5}), ((), {}),
                   (("r", 1, "f", 2, 3), {}), (("r",), {"__dataclass_self__": 1})]


@pytest.mark.parametrize("body, calls", [(_plain, CALLS), (_with_post_init, POST_INIT_CALLS)], ids=["plain", "post-init"])
@pytest.mark.parametrize("options", [o for o in OPTIONS if o.get("init", True)], ids=str)
def test_init_is_the_standard_one_before_and_after_it_is_compiled(options, body, calls):
    """A record's `__init__` until its `COMPILE_AFTER`-th instance is one code object given the
    record's parameters; then it is compiled. Both take the calls the standard one takes, make
    the same instances and refuse the others with the same error."""
    standard, record = _twins(options, body)

    def outcome(cls: type, args: tuple, kwargs: dict) -> Any:
        made = _outcome(lambda: cls(*args, **kwargs))
        if isinstance(made, tuple):  # the error, its message naming the class
            return made[0], made[1].replace("Record", "Standard")
        shown = repr(made) if options.get("repr", True) else type(made).__name__  # object.__repr__ shows an address
        return shown.replace("Record", "Standard"), dataclasses.asdict(made), vars(made) if not options.get("slots") else None

    assert str(inspect.signature(record)) == str(inspect.signature(standard))  # before any instance
    assert record.__init__.__code__.co_filename == "<records>"
    for phase in ("first", "compiled"):
        for args, kwargs in calls:
            assert outcome(record, args, kwargs) == outcome(standard, args, kwargs), (phase, args, kwargs)
        assert str(inspect.signature(record)) == str(inspect.signature(standard))
        assert record.__init__.__qualname__ == "Record.__init__" and record.__init__.__name__ == "__init__"
        assert repr(record.__init__.__defaults__) == repr(standard.__init__.__defaults__)
        assert record.__init__.__annotations__ == standard.__init__.__annotations__
        for _ in range(records.COMPILE_AFTER):
            record(*calls[0][0], **calls[0][1])
        assert record.__init__.__code__.co_filename == "<string>"


def test_a_parameter_without_default_after_one_with_is_the_standard_error():
    body = lambda name: type(name, (), {"__annotations__": {"a": "int", "b": "int"}, "a": 1, "__doc__": "doc",  # noqa: E731
                                        "__module__": __name__, "__qualname__": name})
    with pytest.raises(TypeError) as standard:
        dataclasses.dataclass(body("Standard"))
    with pytest.raises(TypeError) as record:
        records.dataclass(body("Record"))
    assert str(record.value) == str(standard.value) == "non-default argument 'b' follows default argument"
