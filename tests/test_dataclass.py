"""envaudit._dataclass builds the same classes as dataclasses.dataclass, compiled lazily."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
import threading

import pytest

from envaudit import _dataclass
from envaudit._dataclass import dataclass


@dataclass(frozen=True)
class Pickled:
    a: int
    b: tuple[str, ...] = ()


def test_pickle_round_trip() -> None:
    p = Pickled(1, ("x",))
    back = pickle.loads(pickle.dumps(p))
    assert back == p and hash(back) == hash(p) and repr(back) == "Pickled(a=1, b=('x',))"
    with pytest.raises(dataclasses.FrozenInstanceError):
        back.a = 2


def _pair(frozen: bool) -> tuple[type, type]:
    """The same class body under the standard decorator and under ours."""

    def body() -> type:
        class Thing:
            name: str
            line: int
            tags: tuple[str, ...] = ()
            extra: dict[str, int] = dataclasses.field(default_factory=dict, compare=False, hash=False)
            note: str = dataclasses.field(default="", repr=False)
            hidden: int = dataclasses.field(default=7, init=False)

            def describe(self) -> str:
                return f"{self.name}:{self.line}"

        return Thing

    return dataclasses.dataclass(frozen=frozen)(body()), dataclass(frozen=frozen)(body())


@pytest.mark.parametrize("frozen", [True, False])
def test_same_class_as_the_standard_library(frozen: bool) -> None:
    std, ours = _pair(frozen)
    assert isinstance(ours.__dict__["__init__"], _dataclass._Pending)  # nothing compiled yet
    assert str(inspect.signature(ours)) == str(inspect.signature(std))
    assert ours.__doc__ == std.__doc__
    assert ours.__match_args__ == std.__match_args__
    assert [(f.name, f.default, f.init, f.repr, f.compare, f.hash) for f in dataclasses.fields(ours)] == [
        (f.name, f.default, f.init, f.repr, f.compare, f.hash) for f in dataclasses.fields(std)
    ]
    for attr in ("init", "repr", "eq", "order", "unsafe_hash", "frozen"):
        assert getattr(ours.__dataclass_params__, attr) == getattr(std.__dataclass_params__, attr)

    a, s = ours("x", 3, ("t",), {"k": 1}, "n"), std("x", 3, ("t",), {"k": 1}, "n")
    assert repr(a).replace(ours.__qualname__, "Q") == repr(s).replace(std.__qualname__, "Q")
    assert a.hidden == s.hidden == 7 and a.describe() == "x:3"
    assert a == ours("x", 3, ("t",), {"other": 2}, "n")  # extra is not compared
    assert a != ours("x", 4, ("t",))
    assert (a == s) is False  # another class: NotImplemented both ways
    assert a.__eq__(s) is NotImplemented
    assert dataclasses.asdict(a) == dataclasses.asdict(s)
    b = dataclasses.replace(a, line=5)
    assert (b.name, b.line, b.extra) == ("x", 5, {"k": 1})
    assert ours("y", 1).extra == {} and ours("y", 1).extra is not ours("y", 1).extra
    if frozen:
        assert hash(a) == hash(ours("x", 3, ("t",), {"z": 0}, "n")) == hash(s)
        for target in (a, s):
            with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'name'"):
                target.name = "z"
            with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'line'"):
                del target.line
        assert copy.deepcopy(a) == a
    else:
        assert ours.__hash__ is None and std.__hash__ is None
        with pytest.raises(TypeError, match="unhashable"):
            hash(a)
        a.line = 9
        assert a.line == 9
    with pytest.raises(TypeError):
        ours()  # missing arguments, as the standard library's


def test_methods_compiled_on_first_use_only_once() -> None:
    @dataclass(frozen=True)
    class Point:
        x: int
        y: int = 0

    assert isinstance(Point.__dict__["__repr__"], _dataclass._Pending)
    p = Point(1)
    assert not isinstance(Point.__dict__["__init__"], _dataclass._Pending)
    assert isinstance(Point.__dict__["__repr__"], _dataclass._Pending)  # never printed yet
    init = Point.__dict__["__init__"]
    Point(2, 3)
    assert Point.__dict__["__init__"] is init
    assert {p, Point(1, 0)} == {Point(1)}
    assert (
        Point.__init__.__qualname__ == "test_methods_compiled_on_first_use_only_once.<locals>.Point.__init__"
    )


def test_threads_compile_once() -> None:
    @dataclass(frozen=True)
    class Item:
        n: int

    out: list[object] = []
    threads = [threading.Thread(target=lambda i=i: out.append(Item(i))) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(x.n for x in out) == list(range(8))  # type: ignore[attr-defined]


def test_what_it_does_not_reproduce_goes_to_the_standard_library() -> None:
    @dataclass(frozen=True, order=True)
    class Ordered:
        a: int

    @dataclass
    class Own:
        a: int

        def __repr__(self) -> str:
            return "own"

    assert Ordered(1) < Ordered(2)
    assert repr(Own(1)) == "own"
    assert not isinstance(Ordered.__dict__["__init__"], _dataclass._Pending)


def test_default_before_non_default_is_refused_at_definition() -> None:
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

        @dataclass(frozen=True)
        class Bad:
            a: int = 0
            b: int  # type: ignore[misc]
