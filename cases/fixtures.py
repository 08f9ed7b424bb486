"""Classes and functions the cases pickle, under one module name everywhere.

The expected streams in cases/ name these objects by module and qualified
name (``picklespec.cases.fixtures Plain``), so this module must import, with
that name, under every interpreter a target may be: CPython 2.7 and 3.6 to
3.13, and PyPy.  It is written in the subset of Python those share, and keeps
no state but one: importing it registers three copyreg extension codes
(`EXTENSION_CODES`, at the end), the only way a real pickler writes EXT1,
EXT2 and EXT4.  Each class exercises one part of the pickle protocol (PEP 307,
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
