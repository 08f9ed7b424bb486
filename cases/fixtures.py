"""Classes and functions the cases pickle, under one module name everywhere.

The expected streams in cases/ name these objects by module and qualified
name (``picklespec.cases.fixtures Plain``), so this module must import, with
that name, under every interpreter a target may be: CPython 2.7 and 3.6 to
3.13, and PyPy.  It is written in the subset of Python those share, and keeps
no state but two: importing it registers three copyreg extension codes
(`EXTENSION_CODES`), the only way a real pickler writes EXT1, EXT2 and EXT4,
and four copyreg.pickle reduction functions (`_register_copyreg`).  Each class exercises one part of the pickle protocol (PEP 307,
PEP 3154, PEP 574), named for what it exercises.
"""

import sys

PY2 = sys.version_info[0] == 2


class Plain(object):
    """An instance whose state is its __dict__."""

    def __init__(self, **attrs):
        self.__dict__.update(attrs)

    def __eq__(self, other):
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __repr__(self):
        return "Plain(%s)" % ", ".join("%s=%r" % kv for kv in sorted(self.__dict__.items()))


class Empty(object):
    """An instance with no state at all (an empty __dict__ is not written)."""

    def __eq__(self, other):
        return type(self) is type(other)

    def __ne__(self, other):
        return not self == other

    __hash__ = None


class Slots(object):
    """An instance with __slots__ and no __dict__: state is (None, slots)."""

    __slots__ = ("a", "b")

    def __init__(self, a=None, b=None):
        self.a = a
        if b is not None:
            self.b = b


class SlotsAndDict(object):
    """__slots__ plus a __dict__: state is (dict, slots)."""

    __slots__ = ("a", "__dict__")


class Reduce2(object):
    """__reduce__ returns (callable, args)."""

    def __init__(self, x, y=0):
        self.x = x
        self.y = y

    def __reduce__(self):
        return (Reduce2, (self.x, self.y))


class Reduce3(object):
    """__reduce__ returns (callable, args, state)."""

    def __init__(self, x=0):
        self.x = x

    def __reduce__(self):
        return (Reduce3, (), {"x": self.x})


class ReduceList(list):
    """A list subclass: reduced with listitems (APPENDS after the call)."""


class ReduceDict(dict):
    """A dict subclass: reduced with dictitems (SETITEMS after the call)."""


class ReduceString(object):
    """__reduce__ returns a string: the object is a global by that name."""

    def __reduce__(self):
        return "SINGLETON"


SINGLETON = ReduceString()


class SetState(object):
    """__setstate__ with a state that is not a dict (a tuple)."""

    def __init__(self, a=0, b=0):
        self.a = a
        self.b = b

    def __getstate__(self):
        return (self.a, self.b)

    def __setstate__(self, state):
        self.a, self.b = state


class FalsyState(object):
    """__getstate__ returns a falsy value: copyreg's protocol 0 and 1 reduction
    drops it; from protocol 2 only None means no state, so BUILD gets 0."""

    def __getstate__(self):
        return 0

    def __setstate__(self, state):
        self.state = state


class NewArgs(object):
    """__getnewargs__: arguments for __new__ (NEWOBJ, PEP 307)."""

    def __new__(cls, a, b):
        self = object.__new__(cls)
        self.a = a
        self.b = b
        return self

    def __getnewargs__(self):
        return (self.a, self.b)


class NewArgsEx(object):
    """__getnewargs_ex__: positional and keyword arguments (NEWOBJ_EX, PEP 3154)."""

    def __new__(cls, a, b=None):
        self = object.__new__(cls)
        self.a = a
        self.b = b
        return self

    def __getnewargs_ex__(self):
        return ((self.a,), {"b": self.b})


class Classic:
    """A Python 2 classic class (INST/OBJ there); a plain class on Python 3."""

    def __init__(self, *args):
        self.args = args


class InitArgs:
    """__getinitargs__: Python 2 classic instances call __init__ with these."""

    def __init__(self, a=0, b=0):
        self.a = a
        self.b = b

    def __getinitargs__(self):
        return (self.a, self.b)


class Outer(object):
    """A class nested in a class: a dotted qualified name (protocol 4+)."""

    class Inner(object):
        pass


class Host(object):
    """A persistent-id host: instances are pickled by reference to their key."""

    def __init__(self, key):
        self.key = key


def function():
    """A module-level function: pickled by name."""
    return 42


def make(*args, **kwargs):
    """A reconstructor used by REDUCE cases: returns what it was given."""
    return (args, kwargs)


class Unpicklable(object):
    """An object whose reduction fails, for must-fail dump cases."""

    def __reduce__(self):
        raise TypeError("Unpicklable instances cannot be pickled")


class StateSetter(object):
    """__reduce__ with a sixth item, a state setter (protocol 5 era, bpo-35900):
    the pickler writes the setter called on (obj, state) instead of BUILD."""

    def __init__(self, x=0):
        self.x = x

    def __reduce__(self):
        return (StateSetter, (), {"x": self.x}, None, None, set_x)


def set_x(obj, state):
    """The state setter of StateSetter."""
    obj.x = state["x"]


class AppendOnly(object):
    """Not a list, but has append: __reduce__ returns listitems (APPENDS on
    an object without extend calls append once per item)."""

    def __init__(self):
        self.items = []

    def append(self, item):
        self.items.append(item)

    def __reduce__(self):
        return (AppendOnly, (), None, iter(self.items))


class Extension1(object):
    """A class registered as copyreg extension code 240: EXT1 (protocol 2+)."""


class Extension2(object):
    """A class registered as copyreg extension code 0xf0f0: EXT2."""


class Extension4(object):
    """A class registered as copyreg extension code 0xf0f0f0: EXT4."""


# Extension codes are registered when this module is imported, so that every
# interpreter that pickles these classes writes EXT1/EXT2/EXT4 for them, and
# every unpickler in a process that imported this module resolves the codes.
# The codes sit far from the small numbers cases use for unregistered codes.
EXTENSION_CODES = {"Extension1": 0xf0, "Extension2": 0xf0f0, "Extension4": 0xf0f0f0}


def _register_extensions():
    try:
        import copyreg
    except ImportError:  # Python 2
        import copy_reg as copyreg
    for name, code in sorted(EXTENSION_CODES.items()):
        key = (__name__, name)
        if copyreg._extension_registry.get(key) != code:
            copyreg.add_extension(__name__, name, code)


_register_extensions()


# A function whose qualified name (<lambda>) names nothing: pickling it by
# name must fail.
LAMBDA = lambda: 0  # noqa: E731


# Pickler.reducer_override (Python 3.8+, bpo-35900): functions f(obj) the
# worker installs as `reducer_override = lambda self, obj: f(obj)`.

def reduce_plain(obj):
    """Plain instances as make(sorted state items); anything else as usual."""
    if type(obj) is Plain:
        return (make, (sorted(obj.__dict__.items()),))
    return NotImplemented


def reduce_builtins(obj):
    """ints, floats and lists as calls of their type.  _pickle.c never asks
    reducer_override about None, bools, ints, floats, str, bytes or the
    built-in containers; pickle.py asks about every object."""
    if type(obj) is int:
        return (int, (str(obj),))
    if type(obj) is float:
        return (float, (repr(obj),))
    if type(obj) is list:
        return (list, (tuple(obj),))
    return NotImplemented


# -- recursion through sets, dict keys and BUILD state ------------------------


class Node(object):
    """A hashable instance (identity hash and equality) whose state is its
    __dict__: it can sit in a set or be a dict key while its state reaches
    back to that set or dict."""

    def __init__(self, **attrs):
        self.__dict__.update(attrs)


class SetSub(set):
    """A set subclass: reduced as (SetSub, (items list,), __dict__) at every
    protocol, so a member that reaches it back is met before it is memoized."""


class FrozenSetSub(frozenset):
    """A frozenset subclass, reduced as (FrozenSetSub, (items list,), __dict__)."""


class SelfState(object):
    """__getstate__ returns a tuple holding the instance itself; __setstate__
    takes it back: BUILD's state reaches the object being built."""

    def __getstate__(self):
        return (self, getattr(self, "value", None))

    def __setstate__(self, state):
        self.me, self.value = state


# -- methods, metaclasses ------------------------------------------------------


class Methods(object):
    """A bound method, a classmethod and a staticmethod to pickle."""

    def __init__(self, x=0):
        self.x = x

    def method(self):
        return self.x

    @classmethod
    def cmethod(cls):
        return cls

    @staticmethod
    def smethod():
        return 0


class Meta(type):
    """A metaclass: its classes are still pickled by name."""


class MetaReduce(type):
    """A metaclass with a __reduce__ that is never asked: a class (an
    instance of type) is saved by name before any reduction is looked up."""

    def __reduce__(cls):
        raise TypeError("MetaReduce.__reduce__ must not be called")


# Made by calling the metaclass: the same under Python 2 and 3 syntax.
WithMeta = Meta("WithMeta", (object,), {"__module__": __name__})
WithMetaReduce = MetaReduce("WithMetaReduce", (object,), {"__module__": __name__})


try:
    import enum as _enum
except ImportError:  # Python 2 has no enum
    _enum = None

if _enum is not None:
    class Color(_enum.Enum):
        """An enum (EnumMeta): a member reduces to (Color, (value,))."""

        RED = 1
        GREEN = 2


# -- dispatch tables and copyreg.pickle ----------------------------------------


def reduce_via_table(obj):
    """A dispatch_table entry for Plain: make(sorted state items)."""
    return (make, ("table",) + tuple(sorted(obj.__dict__.items())))


def reduce_complex_via_table(obj):
    """A dispatch_table entry for complex: make('complex', real, imag)."""
    return (make, ("complex", obj.real, obj.imag))


def reduce_list_via_table(obj):
    """A dispatch_table entry for list, which no pickler asks about."""
    return (make, ("list",))


class PlainChild(Plain):
    """A subclass of Plain: a dispatch table keyed by Plain does not apply."""


# dispatch_table: MODULE:NAME options name these dicts.
DISPATCH_PLAIN = {Plain: reduce_via_table}
DISPATCH_COMPLEX = {complex: reduce_complex_via_table}
DISPATCH_LIST = {list: reduce_list_via_table}
DISPATCH_EMPTY = {}


class Registered(object):
    """A class with a copyreg.pickle registration (made below)."""

    def __init__(self, x=0):
        self.x = x


class RegisteredWithReduce(object):
    """Has its own __reduce_ex__, but copyreg.pickle's registration wins: the
    registration says via="copyreg", the class's own reduction keeps `via`."""

    def __init__(self, x=0, via="own"):
        self.x = x
        self.via = via

    def __reduce_ex__(self, protocol):
        return (RegisteredWithReduce, (self.x, self.via))


class RegisteredByName(object):
    """copyreg.pickle's function returns a string: the object is a global."""


class RegisteredBad(object):
    """copyreg.pickle's function returns a value that is no reduce value."""


def reduce_registered(obj):
    return (Registered, (obj.x,))


def reduce_registered_with_reduce(obj):
    return (RegisteredWithReduce, (obj.x, "copyreg"))


def reduce_registered_by_name(obj):
    return "REGISTERED_SINGLETON"


def reduce_registered_bad(obj):
    return 42


REGISTERED_SINGLETON = RegisteredByName()


def _register_copyreg():
    try:
        import copyreg
    except ImportError:  # Python 2
        import copy_reg as copyreg
    copyreg.pickle(Registered, reduce_registered)
    copyreg.pickle(RegisteredWithReduce, reduce_registered_with_reduce)
    copyreg.pickle(RegisteredByName, reduce_registered_by_name)
    copyreg.pickle(RegisteredBad, reduce_registered_bad)


_register_copyreg()


# -- objects that must not pickle -----------------------------------------------


class BadReduce(object):
    """__reduce__ returns whatever it was made with (a bad reduce value);
    `fresh` items are called each time (iterators, which a dump uses up)."""

    def __init__(self, value, fresh=()):
        self.value = value
        self.fresh = fresh

    def __reduce__(self):
        if not self.fresh:
            return self.value
        return tuple(item() if index in self.fresh else item
                     for index, item in enumerate(self.value))


class BadReduceEx(object):
    """__reduce_ex__ returns whatever it was made with."""

    def __init__(self, value):
        self.value = value

    def __reduce_ex__(self, protocol):
        return self.value


class GetStateRaises(object):
    def __getstate__(self):
        raise ValueError("GetStateRaises.__getstate__ fails")


class GetStateLambda(object):
    """__getstate__ returns a dict holding a lambda."""

    def __getstate__(self):
        return {"f": LAMBDA}


class BadNewArgs(object):
    """__getnewargs__ returns a list, not a tuple."""

    def __getnewargs__(self):
        return [1]


class BadNewArgsEx(object):
    """__getnewargs_ex__ returns what it was made with."""

    def __init__(self, value):
        self.value = value

    def __getnewargs_ex__(self):
        return self.value


class Other(object):
    """A class an instance of another class claims as its __newobj__ class."""


class SelfArgs(object):
    """__reduce__ puts the object itself among its own arguments: the pickler
    recurses until it gives up."""

    def __reduce__(self):
        return (make, (self,))


class SelfNewArgs(object):
    """__getnewargs__ returns the object itself: NEWOBJ's arguments recurse."""

    def __getnewargs__(self):
        return (self,)


class NoModule(object):
    """A class whose __module__ names a module that does not exist."""


NoModule.__module__ = "picklespec_no_such_module"


class WrongName(object):
    """A class whose __qualname__ (and __name__) finds another object."""


WrongName.__name__ = "Other"
WrongName.__qualname__ = "Other"


def moved_function():
    return 0


moved_function.__module__ = "picklespec_no_such_module"


def _local_objects():
    class Local(object):
        pass

    def local_function():
        return 0

    def generator():
        yield 1

    value = 1

    def closure():
        return value

    return Local, local_function, generator(), closure.__closure__[0]


LocalClass, LOCAL_FUNCTION, GENERATOR, CELL = _local_objects()
LOCAL_INSTANCE = LocalClass()
FRAME = sys._getframe()
CODE = function.__code__
MODULE = sys
MEMORYVIEW = memoryview(b"ab")
PROPERTY = property()
STATICMETHOD = staticmethod(function)
CLASSMETHOD = classmethod(function)
SUPER = super(Methods, Methods())
STDERR = sys.__stderr__
_VIEWS = {1: 2}
DICT_KEYS = _VIEWS.viewkeys() if PY2 else _VIEWS.keys()
DICT_ITEMS = _VIEWS.viewitems() if PY2 else _VIEWS.items()
DICT_VALUES = _VIEWS.viewvalues() if PY2 else _VIEWS.values()
MAPPINGPROXY = type.__dict__["__dict__"].__get__(Plain)  # Plain.__dict__, a mappingproxy


def _weak():
    import weakref
    return weakref.ref(Plain)


WEAKREF = _weak()


def _locks():
    import threading
    return threading.RLock(), threading.Lock(), threading.Condition()


RLOCK, LOCK, CONDITION = _locks()


def _plain_holding(value):
    """Plain(a=value), made as an unpickler makes it (cls.__new__, then the
    state): a third of the time of calling Plain, 100,000 times over."""
    obj = object.__new__(Plain)
    obj.__dict__["a"] = value
    return obj


def _deep(depth, wrap):
    value = None
    for _ in range(depth):
        value = wrap(value)
    return value


# Deeper than any recursion limit a pickler runs with (the worker raises
# Python's to 3000, runner/worker.py's RECURSION_LIMIT, the adapter kit to
# 10,000; CPython 3.12 and 3.13's C picklers stop at their own C recursion
# limit, under 10,000):
# pickling them reaches the limit.  Each is 100,000 objects, most of a
# worker's start-up time and memory, and few runs pickle them: they are made
# on first use where the module may have a __getattr__ (PEP 562, Python
# 3.7+), and at import before that.
_LAZY = {
    "DEEP_LIST": lambda: _deep(100000, lambda v: [v]),
    "DEEP_TUPLE": lambda: _deep(100000, lambda v: (v,)),
    "DEEP_DICT": lambda: _deep(100000, lambda v: {"a": v}),
    "DEEP_INSTANCE": lambda: _deep(100000, _plain_holding),
}

if sys.version_info >= (3, 7):
    def __getattr__(name):
        make = _LAZY.get(name)
        if make is None:
            raise AttributeError("module %r has no attribute %r" % (__name__, name))
        value = globals()[name] = make()
        return value
else:
    globals().update((name, make()) for name, make in _LAZY.items())

BAD_REDUCE_INT = BadReduce(42)
BAD_REDUCE_NONE = BadReduce(None)
BAD_REDUCE_LIST = BadReduce([make, ()])
BAD_REDUCE_EMPTY = BadReduce(())
BAD_REDUCE_ONE = BadReduce((make,))
BAD_REDUCE_SEVEN = BadReduce((make, (), None, None, None, None, None))
BAD_REDUCE_NOT_CALLABLE = BadReduce((42, ()))
BAD_REDUCE_ARGS_LIST = BadReduce((make, [1]))
BAD_REDUCE_ARGS_NONE = BadReduce((make, None))
BAD_REDUCE_ARGS_INT = BadReduce((make, 1))
BAD_REDUCE_LISTITEMS_LIST = BadReduce((list, (), None, [1]))
BAD_REDUCE_DICTITEMS_DICT = BadReduce((make, (), None, None, {1: 2}))
BAD_REDUCE_DICTITEMS_NOT_PAIRS = BadReduce((make, (), None, None, lambda: iter([1, 2])), fresh=(4,))
BAD_REDUCE_DICTITEMS_TRIPLES = BadReduce((make, (), None, None, lambda: iter([(1, 2, 3)])), fresh=(4,))
BAD_REDUCE_SETTER_INT = BadReduce((make, (), {"a": 1}, None, None, 42))
BAD_REDUCE_NAME_MISSING = BadReduce("NO_SUCH_NAME")
BAD_REDUCE_NAME_OTHER = BadReduce("SINGLETON")
BAD_REDUCE_ARGS_LAMBDA = BadReduce((make, (LAMBDA,)))
BAD_REDUCE_STATE_LAMBDA = BadReduce((make, (), {"f": LAMBDA}))
BAD_REDUCE_LISTITEMS_LAMBDA = BadReduce((make, (), None, lambda: iter([LAMBDA])), fresh=(3,))
BAD_REDUCE_EX_INT = BadReduceEx(42)
BAD_REDUCE_EX_ONE = BadReduceEx((make,))


def _copyreg():
    try:
        import copyreg
    except ImportError:  # Python 2
        import copy_reg as copyreg
    return copyreg


_newobj = _copyreg().__newobj__

# __reduce__ values naming copyreg.__newobj__ (NEWOBJ) with bad arguments.
BAD_NEWOBJ_EMPTY = BadReduce((_newobj, ()))
BAD_NEWOBJ_NOT_CLASS = BadReduce((_newobj, (42,)))
BAD_NEWOBJ_OTHER_CLASS = BadReduce((_newobj, (Other,)))
BAD_NEWOBJ_ARGS_LIST = BadReduce((_newobj, [BadReduce]))
BAD_NEWARGS = BadNewArgs()
BAD_NEWARGS_EX_LIST = BadNewArgsEx([(), {}])
BAD_NEWARGS_EX_ONE = BadNewArgsEx(((),))
BAD_NEWARGS_EX_ARGS_LIST = BadNewArgsEx(([], {}))
BAD_NEWARGS_EX_KWARGS_LIST = BadNewArgsEx(((), []))
SELF_ARGS = SelfArgs()
SELF_NEWARGS = SelfNewArgs()
GETSTATE_RAISES = GetStateRaises()
GETSTATE_LAMBDA = GetStateLambda()
REGISTERED_BAD = RegisteredBad()


# -- subclasses of built-in types, a namedtuple ----------------------------------


class IntSub(int):
    """An int subclass: reduced by object.__reduce_ex__ with the int as argument."""


class FloatSub(float):
    """A float subclass."""


class StrSub(str):
    """A str subclass (Python 2: a str, that is bytes, subclass)."""


class TupleSub(tuple):
    """A tuple subclass."""


class ComplexSub(complex):
    """A complex subclass."""


def _namedtuple():
    import collections
    return collections.namedtuple("Point", "x y")


Point = _namedtuple()
Point.__module__ = __name__


# -- more reduction paths ------------------------------------------------------------


class SlotsChild(Slots):
    """A subclass adding a slot: the slots of every class in the MRO are saved."""

    __slots__ = ("c",)


class SlotsGetState(object):
    """__slots__ with __getstate__/__setstate__: picklable at protocols 0 and 1 too."""

    __slots__ = ("a",)

    def __getstate__(self):
        return {"a": self.a}

    def __setstate__(self, state):
        self.a = state["a"]


class GetStateNone(object):
    """__getstate__ returns None: no BUILD is written, __setstate__ is never called."""

    def __getstate__(self):
        return None

    def __setstate__(self, state):
        raise TypeError("GetStateNone.__setstate__ must not be called")


class SetItemOnly(object):
    """Not a dict, but has __setitem__: __reduce__ returns dictitems (SETITEMS
    on an object that is no dict calls __setitem__ once per pair)."""

    def __init__(self):
        self.items = {}

    def __setitem__(self, key, value):
        self.items[key] = value

    def __reduce__(self):
        return (SetItemOnly, (), None, None, iter(sorted(self.items.items())))


class ReduceSixNone(object):
    """A six-item __reduce__ whose state setter is None: BUILD as usual."""

    def __init__(self, x=0):
        self.x = x

    def __reduce__(self):
        return (ReduceSixNone, (), {"x": self.x}, None, None, None)


class IntSubNoDict(int):
    """An int subclass without a __dict__ (empty __slots__): reduced with the
    int as argument and no state at every protocol."""

    __slots__ = ()
