"""`dataclass` with the same classes as the standard library's, built for less.

The standard `@dataclass(frozen=True)` compiles six methods per class with `exec` when the
module is imported (`__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__`,
`__delattr__`): about 0.3 ms each, so envaudit's ~90 fact classes cost 50-100 ms of every
run, most of it for methods a run never calls (a full check compares or prints almost
none of them). Here the standard library still collects the fields (defaults, `field()`,
`__dataclass_fields__`, `__match_args__`), and then:

  * `__setattr__`/`__delattr__` of a frozen class are plain closures (no `exec`);
  * `__init__`, `__repr__`, `__eq__`, `__hash__` and the generated `__doc__` are compiled
    the first time they are looked up, from the same source text the standard library
    writes (Python 3.11's), once per class, under a lock.

What a class does is what the standard library's would do: the same signature, the same
equality (a tuple of the compared fields, `NotImplemented` for another class), hash,
repr, `FrozenInstanceError`, `fields()`, `replace()`, `asdict()`. Anything this module
does not reproduce exactly (`order`, `slots`, `kw_only`, `InitVar`, a base dataclass, a
method of its own among those above) goes to `dataclasses.dataclass` unchanged.
"""

from __future__ import annotations

import dataclasses
import reprlib
import threading
from typing import TYPE_CHECKING, Any

_LOCK = threading.RLock()
_GENERATED = ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__")


class _HasDefaultFactory:
    def __repr__(self) -> str:
        return "<factory>"


_HAS_DEFAULT_FACTORY = _HasDefaultFactory()


if TYPE_CHECKING:  # type checkers see the standard decorator, which this one behaves as
    from dataclasses import dataclass
else:

    def dataclass(cls=None, /, *, frozen=False, **kwargs):
        """`dataclasses.dataclass`, lazily compiled (see the module's docstring)."""

        def wrap(c):
            if kwargs or not _plain(c):
                return dataclasses.dataclass(c, frozen=frozen, **kwargs)
            return _build(c, frozen)

        return wrap if cls is None else wrap(cls)


def _plain(cls: type) -> bool:
    """A class this module builds exactly as the standard library would."""
    if any(name in cls.__dict__ for name in (*_GENERATED, "__post_init__")):
        return False
    if any(hasattr(b, "__dataclass_fields__") for b in cls.__mro__[1:]):
        return False
    annotations = cls.__dict__.get("__annotations__", {})  # noqa: RUF063 - raw, never evaluated
    if "self" in annotations:  # the standard library renames its `self` then
        return False
    for ann in annotations.values():
        text = ann if isinstance(ann, str) else repr(ann)
        if "InitVar" in text or "KW_ONLY" in text:
            return False
    return True


def _build(cls: type, frozen: bool) -> type:
    docstring = cls.__dict__.get("__doc__")
    if docstring is None:
        cls.__doc__ = "-"  # the real one is computed on first use, not now (inspect.signature)
    dataclasses.dataclass(cls, init=False, repr=False, eq=False)  # fields only, no methods
    flds = dataclasses.fields(cls)
    if any(f.kw_only is True for f in flds):  # pragma: no cover - never used by envaudit
        raise TypeError(f"{cls.__name__}: kw_only fields need dataclasses.dataclass")
    seen_default = False
    for f in flds:
        if not f.init:
            continue
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        if seen_default and not has_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
        seen_default = seen_default or has_default
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    params.init = params.repr = params.eq = True
    params.frozen = frozen
    if docstring is None:
        cls.__doc__ = _Pending(cls, "__doc__")  # type: ignore[assignment]
    cls.__init__ = _Pending(cls, "__init__")  # type: ignore[assignment,misc]
    cls.__repr__ = _Pending(cls, "__repr__")  # type: ignore[assignment,method-assign]
    cls.__eq__ = _Pending(cls, "__eq__")  # type: ignore[assignment,method-assign]
    if frozen:
        cls.__hash__ = _Pending(cls, "__hash__")  # type: ignore[assignment,method-assign]
        _frozen_setattr(cls, tuple(f.name for f in flds))
    else:
        cls.__hash__ = None  # type: ignore[assignment]  # eq without frozen: unhashable
    return cls


class _Pending:
    """A method (or `__doc__`) compiled when first looked up; it then replaces itself."""

    def __init__(self, owner: type, name: str) -> None:
        self.owner = owner
        self.name = name

    def __get__(self, obj: object, objtype: type | None = None) -> Any:
        with _LOCK:
            value = self.owner.__dict__.get(self.name)
            if isinstance(value, _Pending):
                value = _make(self.owner, self.name)
                setattr(self.owner, self.name, value)
        if self.name == "__doc__":
            return value
        return value.__get__(obj, objtype)


def _tuple_str(obj: str, names: list[str]) -> str:
    # the standard library's spelling: (self.a,self.b,) and () for none
    return f"({','.join(f'{obj}.{n}' for n in names)},)" if names else "()"


def _make(cls: type, name: str) -> Any:
    if name == "__doc__":
        import inspect

        try:
            text_sig = str(inspect.signature(cls)).replace(" -> None", "")
        except (TypeError, ValueError):
            text_sig = ""
        return cls.__name__ + text_sig
    flds = dataclasses.fields(cls)
    ns: dict[str, Any] = {"__dataclass_builtins_object__": object}
    if name == "__init__":
        args, body = [], []
        for f in flds:
            value = f.name
            if f.default_factory is not dataclasses.MISSING:
                ns[f"__dataclass_dflt_{f.name}__"] = f.default_factory
                ns["__dataclass_HAS_DEFAULT_FACTORY__"] = _HAS_DEFAULT_FACTORY
                if f.init:
                    args.append(f"{f.name}=__dataclass_HAS_DEFAULT_FACTORY__")
                    value = (
                        f"__dataclass_dflt_{f.name}__() "
                        f"if {f.name} is __dataclass_HAS_DEFAULT_FACTORY__ else {f.name}"
                    )
                else:
                    value = f"__dataclass_dflt_{f.name}__()"
            elif f.init:
                if f.default is dataclasses.MISSING:
                    args.append(f.name)
                else:
                    ns[f"__dataclass_dflt_{f.name}__"] = f.default
                    args.append(f"{f.name}=__dataclass_dflt_{f.name}__")
            else:
                continue  # not in __init__ and no factory: the class attribute is the value
            if cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
                body.append(f"__dataclass_builtins_object__.__setattr__(self,{f.name!r},{value})")
            else:
                body.append(f"self.{f.name}={value}")
        src = f"def __init__(self, {', '.join(args)}):\n  " + ("\n  ".join(body) or "pass")
        src = src.replace("(self, )", "(self)")
    elif name == "__repr__":
        fields_text = ", ".join(f"{f.name}={{self.{f.name}!r}}" for f in flds if f.repr)
        src = f'def __repr__(self):\n  return self.__class__.__qualname__ + f"({fields_text})"'
    elif name == "__eq__":
        names = [f.name for f in flds if f.compare]
        src = (
            "def __eq__(self, other):\n  if other.__class__ is self.__class__:\n"
            f"    return {_tuple_str('self', names)}=={_tuple_str('other', names)}\n"
            "  return NotImplemented"
        )
    else:  # __hash__
        names = [f.name for f in flds if (f.compare if f.hash is None else f.hash)]
        src = f"def __hash__(self):\n  return hash({_tuple_str('self', names)})"
    exec(src, ns)  # the standard library's technique, on our own field names
    fn = ns[name]
    fn.__qualname__ = f"{cls.__qualname__}.{name}"
    if name == "__init__":  # as the standard library's: inspect.signature shows them
        fn.__annotations__ = {f.name: f.type for f in flds if f.init} | {"return": None}
    if name == "__repr__":
        fn = reprlib.recursive_repr()(fn)
    return fn


def _frozen_setattr(cls: type, names: tuple[str, ...]) -> None:
    error = dataclasses.FrozenInstanceError

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise error(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise error(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    for fn in (__setattr__, __delattr__):
        fn.__qualname__ = f"{cls.__qualname__}.{fn.__name__}"
        setattr(cls, fn.__name__, fn)
