"""Objects for the pickler tests: classes at module level, so they pickle by name.

`CASES` is the table the byte-for-byte tests walk: (id, make) pairs, where
make() builds a fresh object.  `PICKLER_CASES` add a pickler hook (a mixin
that works on both the C pickler and the reference one) or dump arguments.
"""

import collections
import copyreg
import datetime
import decimal
import enum
import fractions
import functools
import io
import pathlib
import pickle
import uuid
from pickle import PickleBuffer

# -- plain classes and the reduce protocol ------------------------------------


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a=1, b=2):
        self.a = a
        self.b = b


class SlottedWithDict:
    __slots__ = ("a", "__dict__")

    def __init__(self):
        self.a = 1
        self.extra = [1, 2]


class WithState:
    def __init__(self):
        self.secret = "x"
        self.value = 42

    def __getstate__(self):
        return {"value": self.value}

    def __setstate__(self, state):
        self.__dict__.update(state)


class FalsyState:
    """A __getstate__ returning a false value: no BUILD at all."""

    def __getstate__(self):
        return 0

    def __setstate__(self, state):
        pass


class NewArgs:
    def __new__(cls, a, b):
        self = object.__new__(cls)
        self.ab = (a, b)
        return self

    def __getnewargs__(self):
        return self.ab


class NewArgsEx:
    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self.args, self.kwargs = args, kwargs
        return self

    def __getnewargs_ex__(self):
        return self.args, self.kwargs


class Reduce2:
    def __reduce__(self):
        return (Reduce2, ())


class Reduce3:
    def __reduce__(self):
        return (Reduce3, (), {"state": 1})


class Reduce4(list):
    def __reduce__(self):
        return (Reduce4, (), None, iter(self))


class Reduce5(dict):
    def __reduce__(self):
        return (Reduce5, (), None, None, iter(self.items()))


def set_state(obj, state):
    obj.__dict__.update(state)


class Reduce6:
    def __reduce__(self):
        return (Reduce6, (), {"a": 1}, None, None, set_state)


class ReduceEx:
    def __reduce_ex__(self, protocol):
        return (ReduceEx, (), {"protocol": protocol})


SINGLETON_NAME = "THE_SINGLETON"


class ByName:
    def __reduce__(self):
        return SINGLETON_NAME


THE_SINGLETON = ByName()


class SelfInArgs:
    """Its reduce arguments contain the object itself: POP, then a GET."""

    def __init__(self):
        self.reduced = (SelfInArgs._make, ([self],))

    @staticmethod
    def _make(items):
        return SelfInArgs.__new__(SelfInArgs)

    def __reduce__(self):
        return self.reduced


class ListSub(list):
    pass


class DictSub(dict):
    pass


class IntSub(int):
    pass


class StrSub(str):
    pass


class Color(enum.Enum):
    RED = 1
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1


Pair = collections.namedtuple("Pair", "left right")


class Outer:
    class Inner:
        class Deep:
            pass

    def method(self):
        pass

    @classmethod
    def cm(cls):
        pass

    @staticmethod
    def sm():
        pass


def module_function():
    pass


def orphan():
    pass


orphan.__module__ = None  # found by scanning sys.modules


class Registered:
    """Reduced by an entry in copyreg.dispatch_table."""

    def __init__(self, v):
        self.v = v


def reduce_registered(obj):
    return (Registered, (obj.v,))


copyreg.pickle(Registered, reduce_registered)


class Meta(type):
    pass


class WithMeta(metaclass=Meta):
    pass


class Persistent:
    def __init__(self, key):
        self.key = key


class Overridden:
    """Pickled by reducer_override in the pickler cases."""

    def __init__(self, v):
        self.v = v


def make_overridden(v):
    return Overridden(v)


# -- things that cannot be pickled ---------------------------------------------


class BadReduce:
    """Its __reduce__ returns what it is given (or what a function given makes,
    so a reduce value holding an iterator is fresh for each dump)."""

    def __init__(self, value):
        self.value = value

    def __reduce__(self):
        return self.value() if callable(self.value) else self.value


class Raises:
    def __reduce__(self):
        raise TypeError("cannot pickle 'Raises' object")


def local_class():
    class Local:
        pass
    return Local


def local_function():
    def inner():
        pass
    return inner


class CustomError(Exception):
    pass


class Unpickleable:
    """Its __reduce__ raises CustomError (pickletester's UNPICKLEABLE)."""

    def __reduce__(self):
        raise CustomError("cannot pickle this")


class UnpickleableCallable(Unpickleable):
    def __call__(self, *args):
        return None


class RaisesGiven:
    """Its __reduce__ raises the exception object it was given."""

    def __init__(self, exc):
        self.exc = exc

    def __reduce__(self):
        raise self.exc


class RaisesGivenEx(RaisesGiven):
    def __reduce_ex__(self, protocol):
        raise self.exc


class GetstateRaisesGiven(RaisesGiven):
    __reduce__ = object.__reduce__

    def __getstate__(self):
        raise self.exc


class ReduceExNone:
    __reduce_ex__ = None


class ReduceNone:
    __reduce__ = None


class BadGetattr:
    """__getattr__ recurses until the recursion limit (bpo-3514)."""

    def __getattr__(self, name):
        return self.missing


class NoPairs(dict):
    """Its dictitems iterator yields 1-tuples."""

    def __reduce__(self):
        return (NoPairs, (), None, None, iter([("a",)]))


class MyList(list):
    pass


# -- building blocks for graphs ------------------------------------------------


def recursive_list():
    a = [1]
    a.append(a)
    return a


def recursive_dict():
    d = {"k": 1}
    d["self"] = d
    return d


def recursive_tuple(n):
    """A tuple of n items whose first item (a list) contains the tuple."""
    inner = []
    t = (inner,) + tuple(range(n - 1))
    inner.append(t)
    return t


def recursive_object():
    p = Point(1, None)
    p.y = p
    return p


def frozenset_cycle():
    p = Point(0, None)
    fs = frozenset([p])
    p.y = fs
    return fs


def set_cycle():
    p = Point(1, 2)
    p.s = {p}
    return p


def shared():
    s = "shared-str"
    b = b"shared-bytes"
    lst = [1, 2]
    d = {"a": lst}
    p = Point(lst, d)
    return [s, s, b, b, lst, lst, d, d, p, p, (lst, d), (lst, d)]


def long_memo():
    """More than 256 memoized objects, then references to them (LONG_BINPUT/GET)."""
    items = ["s%d" % i for i in range(300)]
    return items + items


def deep_list(depth):
    root = current = []
    for _ in range(depth):
        nxt = []
        current.append(nxt)
        current = nxt
    return root


def noncontiguous():
    """A PickleBuffer over a strided view.  Release it when done: on 3.10 and
    3.11 the collector crashes on a garbage cycle holding one (it clears the
    memoryview while the PickleBuffer still exports it)."""
    return PickleBuffer(memoryview(bytearray(b"abcdefgh"))[::2])


INTS = [0, 1, 127, 128, 255, 256, 65535, 65536, 2**31 - 1, 2**31, -1, -2,
        -255, -256, -2**31, -2**31 - 1, 2**63, -2**63, 2**64, 2**2039 - 1,
        2**2039, -2**2039, -2**2039 - 1, 10**1000]
FLOATS = [0.0, -0.0, 1.5, -2.25, 1e16, 1e300, 5e-324, 1 / 3,
          float("inf"), float("-inf"), float("nan")]
STRS = ["", "a", "a" * 255, "a" * 256, "\u00e9" * 127, "\u00e9" * 128,
        "\u20ac" * 85, "\u20ac" * 86, "\U0001f600", "\ud800", "caf\u00e9",
        "a\\b\nc\rd\x1ae\x00f\u20ac\U0001f600", "x" * 65535, "x" * 65536,
        "\u00e9" * 40000]
BYTES = [b"", b"x", bytes(range(256)), b"y" * 255, b"y" * 256, b"z" * 65535,
         b"z" * 65536]


def _c(name, make):
    return (name, make)


CASES = (
    [_c("None", lambda: None), _c("True", lambda: True), _c("False", lambda: False)]
    + [_c("int=%d" % i if abs(i) < 2**70 else "int~2**%d" % i.bit_length(),
          lambda i=i: i) for i in INTS]
    + [_c("float=%r" % f, lambda f=f: f) for f in FLOATS]
    + [_c("str[%d]%s" % (len(s), s[:1].encode("unicode_escape").decode()), lambda s=s: s)
       for s in STRS]
    + [_c("bytes[%d]" % len(b), lambda b=b: b) for b in BYTES]
    + [_c("bytearray[%d]" % n, lambda n=n: bytearray(b"q" * n)) for n in (0, 1, 300, 70000)]
    + [
        _c("tuple0", lambda: ()),
        _c("tuple1", lambda: (1,)),
        _c("tuple2", lambda: (1, "a")),
        _c("tuple3", lambda: (1, 2, 3)),
        _c("tuple4", lambda: (1, 2, 3, 4)),
        _c("nested-tuples", lambda: ((), ((),), (1, (2, (3, (4, 5, 6, 7)))))),
        _c("shared-tuple", lambda: (lambda t: [t, t, (t,)])((1, [2]))),
    ]
    + [_c("recursive-tuple%d" % n, lambda n=n: recursive_tuple(n)) for n in (1, 2, 3, 4, 5)]
    + [_c("list%d" % n, lambda n=n: list(range(n))) for n in (0, 1, 2, 999, 1000, 1001, 2000, 2001)]
    + [_c("dict%d" % n, lambda n=n: {i: str(i) for i in range(n)})
       for n in (0, 1, 2, 999, 1000, 1001, 2000, 2001)]
    + [_c("set%d" % n, lambda n=n: set(range(n))) for n in (0, 1, 2, 1000, 1001)]
    + [_c("frozenset%d" % n, lambda n=n: frozenset(range(n))) for n in (0, 1, 2, 1001)]
    + [
        _c("recursive-list", recursive_list),
        _c("recursive-dict", recursive_dict),
        _c("recursive-object", recursive_object),
        _c("frozenset-cycle", frozenset_cycle),
        _c("recursive-set-via-object", set_cycle),
        _c("shared", shared),
        _c("shared-escaped-str", lambda: (lambda s: [s, s])("back\\slash\nnewline")),
        _c("long-memo", long_memo),
        _c("mixed-keys", lambda: {1: "a", "b": 2.5, (1, 2): None, None: [], b"k": {}, 3.5: True}),
        _c("set-of-frozensets", lambda: {frozenset(), frozenset([1]), frozenset(["a", (1, 2)])}),
        _c("deep-list-200", lambda: deep_list(200)),
        _c("many-strs", lambda: ["item-%d" % i for i in range(20000)]),
        _c("frame-crossing", lambda: [b"b" * 60000, "s" * 10000, b"c" * 70000, 1, "t" * 70000, 2]),
        # named objects
        _c("class", lambda: Point),
        _c("function", lambda: module_function),
        _c("nested-class", lambda: Outer.Inner),
        _c("nested-class-2", lambda: Outer.Inner.Deep),
        _c("nested-twice", lambda: [Outer.Inner.Deep, Outer.Inner, Outer.Inner.Deep]),
        _c("method-function", lambda: Outer.method),
        _c("classmethod", lambda: Outer.cm),
        _c("staticmethod", lambda: Outer.sm),
        _c("orphan-function", lambda: orphan),
        _c("builtin-function", lambda: len),
        _c("builtin-method", lambda: [].append),
        _c("method-descriptor", lambda: str.upper),
        _c("builtin-classmethod", lambda: dict.fromkeys),
        _c("builtin-types", lambda: [int, object, type, bytes, bytearray, range, Exception]),
        _c("singleton-types", lambda: [type(None), type(NotImplemented), type(...)]),
        _c("singletons", lambda: [NotImplemented, Ellipsis]),
        _c("metaclass-instance", lambda: WithMeta),
        _c("fix-imports-names", lambda: [range, functools.reduce, ValueError, collections.UserDict,
                                         io.StringIO, copyreg._reconstructor]),
        _c("unicode-name-proto3", lambda: Unicodé),
        # the reduce protocol
        _c("instance", lambda: Point(1, "two")),
        _c("instances-shared-class", lambda: [Point(i, i) for i in range(5)]),
        _c("slotted", lambda: Slotted()),
        _c("slotted-with-dict", lambda: SlottedWithDict()),
        _c("getstate", lambda: WithState()),
        _c("falsy-state", lambda: FalsyState()),
        _c("getnewargs", lambda: NewArgs(1, "b")),
        _c("getnewargs-ex", lambda: NewArgsEx(1, 2, key="v")),
        _c("getnewargs-ex-no-kwargs", lambda: NewArgsEx(1)),
        _c("reduce2", lambda: Reduce2()),
        _c("reduce3", lambda: Reduce3()),
        _c("reduce4-listitems", lambda: Reduce4(range(1001))),
        _c("reduce5-dictitems", lambda: Reduce5({i: i for i in range(1001)})),
        _c("reduce6-state-setter", lambda: Reduce6()),
        _c("reduce-ex", lambda: ReduceEx()),
        _c("reduce-string", lambda: THE_SINGLETON),
        _c("self-in-args", lambda: SelfInArgs()),
        _c("list-subclass", lambda: ListSub([1, 2, 3])),
        _c("dict-subclass", lambda: DictSub(a=1, b=2)),
        _c("int-subclass", lambda: IntSub(5)),
        _c("str-subclass", lambda: StrSub("s")),
        _c("enum", lambda: [Color.RED, Color.GREEN, Level.LOW]),
        _c("namedtuple", lambda: Pair(1, [2])),
        _c("copyreg-registered", lambda: Registered(3)),
        _c("complex", lambda: [1 + 2j, complex(0, -1)]),
        _c("stdlib-values", lambda: [
            datetime.datetime(2024, 1, 2, 3, 4, 5, 6), datetime.date(2020, 2, 29),
            datetime.timedelta(days=1, seconds=2), decimal.Decimal("1.10"),
            fractions.Fraction(1, 3), uuid.UUID(int=12345), range(1, 10, 2),
            slice(1, 2, None), pathlib.PurePosixPath("/a/b")]),
        _c("stdlib-containers", lambda: [
            collections.OrderedDict(a=1, b=2), collections.deque([1, 2], maxlen=5),
            collections.defaultdict(list, {"a": [1]}), collections.Counter("abca")]),
        _c("partial", lambda: functools.partial(module_function, 1, k=2)),
        # protocol 5 buffers, in band (no buffer_callback)
        _c("picklebuffer-readonly", lambda: PickleBuffer(b"readonly data")),
        _c("picklebuffer-writable", lambda: PickleBuffer(bytearray(b"writable data"))),
        _c("picklebuffer-shared", lambda: (lambda b: [b, b])(PickleBuffer(b"twice"))),
        _c("picklebuffer-large", lambda: PickleBuffer(b"L" * 70000)),
        # what cannot be pickled
        _c("lambda", lambda: lambda: None),
        _c("local-class", local_class),
        _c("local-function", local_function),
        _c("generator", lambda: (i for i in ())),
        _c("module", lambda: pickle),
        _c("lock", lambda: __import__("threading").Lock()),
        _c("reduce-returns-int", lambda: BadReduce(42)),
        _c("reduce-returns-1-tuple", lambda: BadReduce((Point,))),
        _c("reduce-returns-7-tuple", lambda: BadReduce((Point, (), None, None, None, None, None))),
        _c("reduce-uncallable", lambda: BadReduce((42, ()))),
        _c("reduce-args-not-tuple", lambda: BadReduce((Point, [1, 2]))),
        _c("reduce-listitems-not-iterator", lambda: BadReduce((list, (), None, [1]))),
        _c("reduce-dictitems-not-pairs",
           lambda: BadReduce(lambda: (dict, (), None, None, iter([(1, 2), 5])))),
        _c("reduce-dictitems-lists", lambda: BadReduce(lambda: (dict, (), None, None, iter([[1, 2]])))),
        _c("reduce-items-from-generators",
           lambda: BadReduce(lambda: (dict, (), None, (i for i in []), ((k, k) for k in "ab")))),
        _c("reduce-unknown-name", lambda: BadReduce("no_such_name")),
        _c("reduce-raises", lambda: Raises()),
        _c("reduce-raises-custom", lambda: [1, {"k": Unpickleable()}]),
        _c("reduce-ex-none", lambda: ReduceExNone()),
        _c("reduce-none", lambda: ReduceNone()),
        _c("reduce-dictitems-1-tuples", lambda: NoPairs()),
        _c("reduce-state-setter-uncallable", lambda: BadReduce((Point, (), {}, None, None, 42))),
        _c("newobj-no-args", lambda: BadReduce((copyreg.__newobj__, ()))),
        _c("newobj-not-a-class", lambda: BadReduce((copyreg.__newobj__, (42,)))),
        _c("newobj-wrong-class", lambda: BadReduce((copyreg.__newobj__, (Point,)))),
        _c("newobj-ex-2-args", lambda: BadReduce((copyreg.__newobj_ex__, (Point, ())))),
        _c("newobj-ex-args-not-tuple", lambda: BadReduce((copyreg.__newobj_ex__, (BadReduce, 1, {})))),
        _c("newobj-ex-kwargs-not-dict", lambda: BadReduce((copyreg.__newobj_ex__, (BadReduce, (), [])))),
        _c("getstate-raises", lambda: GetstateRaisesGiven(CustomError("state"))),
        _c("bad-getattr", lambda: BadGetattr()),
        _c("local-function-in-a-list", lambda: [1, local_function()]),
        _c("nested-unknown-name", lambda: BadReduce("Outer.no_such_name")),
        _c("wrong-object-by-name", lambda: BadReduce("Point")),
        # descriptors and methods (pickletester's test_c_methods, test_py_methods)
        _c("staticmethod-descriptor", lambda: Outer.__dict__["sm"]),
        _c("classmethod-descriptor", lambda: Outer.__dict__["cm"]),
        _c("builtin-classmethod-descriptor", lambda: dict.__dict__["fromkeys"]),
        _c("builtin-staticmethod-descriptor", lambda: bytearray.__dict__["maketrans"]),
        _c("builtin-staticmethod", lambda: bytearray.maketrans),
        _c("builtin-methods", lambda: ["abcd".index, str.index, [1, 2].__len__, list.__len__,
                                       {1, 2}.__contains__, set.__contains__,
                                       MyList([1]).count, MyList.count]),
    ]
)


class Unicodé:
    """A non-ASCII class name: GLOBAL writes it in UTF-8 at protocol 3 only."""


# -- pickler hooks, as mixins for both the C pickler and the reference one -----


class PersistentIds:
    def persistent_id(self, obj):
        if isinstance(obj, Persistent):
            return obj.key
        return None


class DispatchTable:
    dispatch_table = {Point: lambda p: (Point, (p.y, p.x))}


class ChainedDispatchTable:
    dispatch_table = collections.ChainMap({Point: lambda p: (Point, ("chained", p.x))},
                                          copyreg.dispatch_table)


class ReducerOverride:
    def reducer_override(self, obj):
        if type(obj) is Overridden:
            return (make_overridden, (obj.v,))
        if obj is module_function:
            return (make_overridden, ("function",))
        if obj is Point:
            return "Point"  # a name: written as a global
        if obj == "reduce me?":
            return (str, ("never: _pickle does not ask about a str",))
        return NotImplemented


class NoneReducerOverride:
    reducer_override = None  # called, as _pickle.c calls it: a TypeError


class NoneDispatchEntry:
    dispatch_table = {Point: None}  # gh-93627: a TypeError


class RaisingPersistentId:
    def persistent_id(self, obj):
        if isinstance(obj, Persistent):
            raise CustomError("no id for %r" % (obj.key,))
        return None


class NonePersistentId:
    persistent_id = None


PICKLER_CASES = [
    ("persistent-ids", PersistentIds,
     lambda: [Persistent("a"), Persistent("a"), "a", Persistent("b")]),
    ("persistent-id-tuple", PersistentIds, lambda: [Persistent(("t", 1)), 1]),
    ("persistent-id-int", PersistentIds, lambda: [Persistent(42)]),
    ("persistent-id-object", PersistentIds, lambda: [Persistent(Point(1, 2))]),
    ("persistent-id-non-ascii", PersistentIds, lambda: Persistent("caf\u00e9")),
    ("dispatch-table", DispatchTable, lambda: [Point(1, 2), Point(3, 4)]),
    ("chained-dispatch-table", ChainedDispatchTable, lambda: [Point(1, 2), Registered(2)]),
    ("reducer-override", ReducerOverride,
     lambda: [Overridden(1), module_function, Point, [1, "s", "reduce me?"], Point(5, 6)]),
    ("reducer-override-none", NoneReducerOverride, lambda: [1, Point(1, 2)]),
    ("dispatch-table-none-entry", NoneDispatchEntry, lambda: [1, Point(1, 2)]),
    ("persistent-id-raises", RaisingPersistentId, lambda: [1, Persistent("x")]),
    ("persistent-id-none", NonePersistentId, lambda: [1]),
    ("persistent-id-unpicklable", PersistentIds, lambda: [Persistent(Unpickleable())]),
]
