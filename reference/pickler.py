"""The reference pickler: Python objects to pickle bytes.

Theory of operation
-------------------
`Pickler.dump` writes PROTO (from protocol 2 on), then the object, then STOP.
Writing an object is `save`, which finds one ``save_*`` method for its type in
three tables consulted in turn, in the order of CPython's ``_pickle.c``:

1. `atomic`: None, bool, int and float are written by value every time;
2. `dispatch`: str, bytes, bytearray, tuple, list, dict, set, frozenset and
   PickleBuffer, each after a look in the memo;
3. `named`: classes and functions, written by module and qualified name,
   after `reducer_override` has had its say;

and everything else goes through the *reduce protocol*.  Every instruction is
emitted by `_write(op, value)`: the opcode's byte and its argument encoded by
the table in `opcodes` (`arguments`), so no opcode byte is spelled here.  The
value of a text argument is the line itself: INT's is ``'1'``, GLOBAL's is
``'module name'``.

The memo.  The first time a mutable (or named, or big) object is written, it
gets the next memo index and a PUT, BINPUT, LONG_BINPUT or, from protocol 4,
MEMOIZE (PEP 3154) is written after it.  Meeting it again writes a GET,
BINGET or LONG_BINGET instead, which is how sharing and cycles survive.  A
tuple is the one immutable container that can contain itself, and it can only
be memoized after its items: when saving the items memoized the tuple, the
items are thrown away again (POP, or POP_MARK) and the memo copy is fetched.
Several `dump` calls on one pickler share its memo until `clear_memo`.

Framing (PEP 3154, protocol 4 and up).  Output is cut into frames of about
64 KiB, each announced by a FRAME opcode giving its length, so a reader can
fetch a frame at once.  A frame is closed at an opcode boundary (the start of
a `save`) once it holds FRAME_SIZE_TARGET bytes, and at STOP.  A frame
holding fewer than FRAME_SIZE_MIN bytes gets no FRAME opcode at all
(bpo-32503), and a bytes or str payload of FRAME_SIZE_TARGET bytes or more is
written between frames, so a reader can read it straight into place
(bpo-31993).

The reduce protocol (PEP 307).  An object that none of the tables knows is
asked how to rebuild it: `reducer_override`, then the `dispatch_table`
(copyreg's by default), then ``__reduce_ex__(protocol)``, then
``__reduce__()``.  The answer is a string (the object is a global of that
name) or a tuple ``(callable, args[, state[, listitems[, dictitems[,
state_setter]]]])``: the pickle calls ``callable(*args)`` (REDUCE), or
``cls.__new__(cls, *args)`` (NEWOBJ) when the callable is named
``__newobj__``, or ``cls.__new__(cls, *args, **kwargs)`` (NEWOBJ_EX, PEP
3154) when it is named ``__newobj_ex__``; then memoizes the result, extends
it with APPENDS and SETITEMS, and hands it its state with BUILD (or, with a
`state_setter`, by calling ``state_setter(obj, state)``).  Below protocol 4
NEWOBJ_EX is spelled as a call of ``functools.partial(cls.__new__, cls,
*args, **kwargs)``.  ``copyreg.add_extension`` gives a global a small
number, written as EXT1, EXT2 or EXT4 instead of its name (protocol 2 on).

Out-of-band buffers (PEP 574, protocol 5).  A PickleBuffer is written in band
(BINBYTES for a read-only buffer, BYTEARRAY8 for a writable one) unless
`buffer_callback` returns a false value for it; then only NEXT_BUFFER (and
READONLY_BUFFER) is written and the data travels beside the pickle.

Which bytes.  The output is the running interpreter's C pickler's
(``_pickle.dumps``) byte for byte.  Where CPython's pure-Python pickler writes
something else, the comment at that spot says so: a lone last item of a batch,
dicts and sets whose size is a multiple of BATCHSIZE, which objects
`reducer_override` sees, protocol 0 str (gh-113028) and in-band PickleBuffers
(gh-148914).  Where the C pickler itself changed, the running version decides:
dotted names below protocol 4 (gh-82951, CPython 3.12.5).

Errors.  The pickler raises what _pickle.c raises, where it raises it.
What *called code* raises -- reducer_override, a dispatch_table entry,
copyreg's reducers, ``__reduce_ex__`` and ``__reduce__`` (and the
``__getstate__`` or ``__getattr__`` they call), persistent_id,
buffer_callback -- propagates unchanged: the same exception object, so a
TypeError from a ``__reduce__`` stays a TypeError.  The pickler's own
refusals are `errors.PicklingError` (a subclass of `pickle.PicklingError`)
where _pickle.c raises PicklingError -- a reduce value of the wrong form, a
global not found under its name -- and the built-in type _pickle.c raises
elsewhere: TypeError for a dict items iterator that yields no pairs,
AttributeError for a local object, ValueError for a cycle in fast mode,
OverflowError for a 4 GiB payload below protocol 4.  Where _pickle.c changed
on purpose, the running version decides: a broken extension registry
(gh-123431, 3.13).

Every exception leaving `dump` says where it happened.  Its `pickle_path`
attribute is the way from the dumped object to the part that failed,
outermost first, as in ``obj[3]['key'].attr``: ``[i]`` (a list or tuple
item), ``[key]`` (a dict value), ``<key k>`` (a dict key), ``<item i>`` (a
set member, in iteration order), ``.name`` (an attribute, from the object's
state), and ``<state>``, ``<callable>``, ``<args>``, ``<kwargs>``,
``<class>``, ``<state_setter>``, ``<persistent id>`` for the parts of a
reduce value.  From Python 3.11 it also has a PEP 678 note for each level,
innermost first, in the words _pickle.c uses for them since CPython 3.14
(gh-122213): ``when serializing dict item 'key'``, ``when serializing
mod.Point state``.  Our PicklingError also keeps the path as `path` and
shows it in its message.

Nesting is recursion here, about three Python frames per level as in
pickle.py, so the depth reached depends on `sys.getrecursionlimit()` (some
330 nested lists under the default 1000; _pickle goes deeper).  Exhausting it
raises RecursionError, as _pickle.c does, located like any other error.

Deliberately unlike _pickle: in fast mode a frozenset is left again after
its members (_pickle never leaves it, so after 50 frozensets a shared one is
taken for a cycle); and a PERSID id or a GLOBAL name containing a newline (or
a module name containing a space) is refused, where _pickle writes a line
that reads back as something else.
"""

import _compat_pickle
import codecs
import copyreg
import functools
import io
import operator
import pickle
import struct
import sys
from itertools import chain, islice
from types import FunctionType

from . import arguments
from .effects import follow, whichmodule
from .errors import PicklingError
from .opcodes import (
    APPEND, APPENDS, BINBYTES, BINBYTES8, BINFLOAT, BINGET, BININT, BININT1,
    BININT2, BINPERSID, BINPUT, BINUNICODE, BINUNICODE8, BUILD, BYTEARRAY8,
    DICT, EMPTY_DICT, EMPTY_LIST, EMPTY_SET, EMPTY_TUPLE, EXT1, EXT2, EXT4,
    FLOAT, FRAME, FROZENSET, GET, GLOBAL, HIGHEST_PROTOCOL, INT, LIST, LONG,
    LONG1, LONG4, LONG_BINGET, LONG_BINPUT, MARK, MEMOIZE, NEWFALSE, NEWOBJ,
    NEWOBJ_EX, NEWTRUE, NEXT_BUFFER, NONE, PERSID, POP, POP_MARK, PROTO, PUT,
    READONLY_BUFFER, REDUCE, SETITEM, SETITEMS, SHORT_BINBYTES,
    SHORT_BINUNICODE, STACK_GLOBAL, STOP, TUPLE, TUPLE1, TUPLE2, TUPLE3,
    UNICODE, ADDITEMS, opcodes,
)

__all__ = ["Pickler", "dump", "dumps", "DEFAULT_PROTOCOL", "HIGHEST_PROTOCOL",
           "PicklingError"]

# The protocol used when none is given: the running interpreter's.
DEFAULT_PROTOCOL = pickle.DEFAULT_PROTOCOL

# _pickle.c's constants (pickle.py has the same values).
BATCHSIZE = 1000  # items per APPENDS, SETITEMS and ADDITEMS
FRAME_SIZE_MIN = 4  # a smaller frame is written without its FRAME opcode
FRAME_SIZE_TARGET = 64 * 1024  # close a frame once it holds this much
FAST_NESTING_LIMIT = 50  # in fast mode, look for cycles below this depth

# Every opcode as the byte that spells it in a stream, and with the function
# that encodes its argument (None when it takes none).
_CODE = {op: bytes((op.byte,)) for op in opcodes}
_EMIT = {op: (_CODE[op], op.arg.write if op.arg is not None else None) for op in opcodes}

# A FRAME header: the opcode and its uint8 length.  Its place is kept when a
# frame opens and filled in (or dropped) when the frame closes, as _pickle.c
# does.
_FRAME_HEADER_SIZE = 1 + FRAME.arg.n
_FRAME_PLACEHOLDER = bytes(_FRAME_HEADER_SIZE)
_NEVER = sys.maxsize  # the frame-size check when there are no frames

# How a name is written below protocol 4 when its qualified name is dotted
# (a nested class, a method).  Before gh-82951 (CPython 3.13.0, backported to
# 3.12.5) the C pickler wrote getattr(parent, 'last') and pickled the parent
# by value; since then it writes getattr(getattr(top, 'a'), 'b') from the
# top-level name, memoizing only the result.
_GETATTR_CHAIN = sys.version_info >= (3, 12, 5)

# A faulty extension registry raises what _pickle.c raises for it: before
# gh-123431 (CPython 3.13.0, backported to 3.12.6) a PicklingError, since then
# the TypeError or OverflowError of reading the code as a C long and a
# RuntimeError for a code out of range.
_EXT_CODE_CHECKS_HARMONIZED = sys.version_info >= (3, 12, 6)
_C_LONG_BITS = 8 * struct.calcsize("l")

# PEP 678 notes (BaseException.add_note) exist from Python 3.11.
_NOTES = sys.version_info >= (3, 11)

_MISSING = object()
_SINGLETONS = {type(None): None, type(NotImplemented): NotImplemented, type(...): ...}
_LATIN1 = "latin1"  # one object, so a second bytes object finds it in the memo


def _encode(op, value=None):
    """One instruction as bytes: the opcode, then its argument as the table encodes it."""
    if op.arg is None:
        return _CODE[op]
    return _CODE[op] + op.arg.write(value)


# The length fields of the counted encodings (pickletools' sizes).
_LENGTH_FIELDS = {
    arguments.TAKEN_FROM_ARGUMENT1: struct.Struct("<B"),
    arguments.TAKEN_FROM_ARGUMENT4U: struct.Struct("<I"),
    arguments.TAKEN_FROM_ARGUMENT8U: struct.Struct("<Q"),
}


def _length_field(op, size):
    """The length that starts op's counted argument, for a payload of `size`
    bytes: ``_encode(op, x) == _CODE[op] + _length_field(op, len(x)) + x``."""
    return _LENGTH_FIELDS[op.arg.n].pack(size)


def _retrace(exc, step):
    """Record on an error leaving a part of an object which part it came from.

    A step is ``(kind, key, owner)``: a kind of `_STEPS`, the index or key
    it names, and the type of the object it is part of.  Steps are recorded
    innermost first, and `dump` turns them into the error's location (see
    `_locate`).  This runs while the error unwinds, possibly right at the
    recursion limit, so it calls nothing written in Python.
    """
    exc.__dict__.setdefault("_pickle_trail", []).append(step)


def _unicode_line(text):
    """UNICODE's line for a str: raw-unicode-escape, plus escapes for the
    characters that would end or corrupt a line (as _pickle.c's
    raw_unicode_escape does: backslash, NUL, LF, CR and ^Z)."""
    escaped = (text.replace("\\", "\\u005c").replace("\0", "\\u0000")
               .replace("\n", "\\u000a").replace("\r", "\\u000d")
               .replace("\x1a", "\\u001a"))
    return escaped.encode("raw-unicode-escape").decode("latin-1")


def _global_line(text, what, proto):
    """A name as the latin-1 text of its GLOBAL line: UTF-8 at protocol 3,
    ASCII below (the lines must stay readable by Python 2)."""
    encoding = "utf-8" if proto == 3 else "ascii"
    try:
        return text.encode(encoding).decode("latin-1")
    except UnicodeEncodeError:
        raise PicklingError("cannot pickle %s %r using pickle protocol %d"
                            % (what, text, proto)) from None


def _fix_imports(module_name, name):
    """Python 3 names as Python 2 spelled them (protocol < 3, fix_imports)."""
    mapped = _compat_pickle.REVERSE_NAME_MAPPING.get((module_name, name))
    if mapped is not None:
        return mapped
    return _compat_pickle.REVERSE_IMPORT_MAPPING.get(module_name, module_name), name


def _describe(obj):
    """How an error message names an object: "'Spam' object"."""
    return "%r object" % type(obj).__qualname__


def _short_repr(value, limit=60):
    try:
        text = repr(value)
    except Exception:
        text = "<%s object>" % type(value).__qualname__
    return text if len(text) <= limit else text[:limit - 3] + "..."


# Each kind of step in an error's trail: how the path writes it, and the PEP
# 678 note that says where the error happened, in the words of _pickle.c
# since CPython 3.14 (gh-122213; "{T}" is the owner's type, "{k}" the key).
# _pickle.c notes no dict key and no persistent id; those two notes are the
# reference's own, in the same form.  An "object" step (an object being
# rebuilt from its reduce value) is a note only; the parts of the reduce
# value it names follow it in the path.
_STEPS = {
    "item": ("[{k}]", "when serializing {T} item {k}"),
    "value": ("[{r}]", "when serializing {T} item {R}"),
    "key": ("<key {r}>", "when serializing {T} key {R}"),
    "member": ("<item {k}>", "when serializing {T} element"),
    "callable": ("<callable>", "when serializing {T} reconstructor"),
    "args": ("<args>", "when serializing {T} reconstructor arguments"),
    "class": ("<class>", "when serializing {T} class"),
    "newargs": ("<args>", "when serializing {T} __new__ arguments"),
    "kwargs": ("<kwargs>", "when serializing {T} __new__ arguments"),
    "state": ("<state>", "when serializing {T} state"),
    "state_setter": ("<state_setter>", "when serializing {T} state setter"),
    "persistent id": ("<persistent id>", "when serializing {T} persistent id"),
    "object": (None, "when serializing {T} object"),
}


def _type_name(t):
    """A type's name as _pickle.c's notes write it (%T): qualified by its
    module, except for builtins and __main__."""
    if t is None:
        return "object"
    qualname = getattr(t, "__qualname__", t.__name__)
    module = getattr(t, "__module__", None)
    if not isinstance(module, str) or module in ("builtins", "__main__"):
        return qualname
    return "%s.%s" % (module, qualname)


def _full_repr(value):
    try:
        return repr(value)
    except Exception:
        return "<%s object>" % type(value).__qualname__


def _path_steps(trail):
    """The path of a trail (innermost first) as steps from the root.

    A state dict's entry is written as the attribute it sets: ``.name``
    for ``<state>['name']``, and for ``<state>[i]['name']`` when the state
    is a (dict, slots) pair.
    """
    steps = []
    outward = trail[::-1]
    i = 0
    while i < len(outward):
        kind, key, _ = outward[i]
        i += 1
        if kind == "state":
            inner = outward[i:i + 2]
            if key == "pair" and len(inner) == 2 and inner[0][0] == "item":
                inner = inner[1:]
                skip = 2
            else:
                skip = 1
            if inner and inner[0][0] == "value" and type(inner[0][1]) is str:
                steps.append("." + inner[0][1])
                i += skip
                continue
        path = _STEPS[kind][0]
        if path is not None:
            steps.append(path.format(k=key, r=_short_repr(key)))
    return steps


def _locate(exc):
    """Give an error leaving `dump` its location: the path (a list of steps)
    as its `pickle_path` attribute -- for our PicklingError its `path` too,
    and in its message -- and, from Python 3.11, a note for each step."""
    trail = exc.__dict__.pop("_pickle_trail", ())
    steps = _path_steps(trail)
    if isinstance(exc, PicklingError):
        exc.path = steps + exc.path
        exc.args = (exc._render(),)
        exc.pickle_path = exc.path
    else:
        exc.pickle_path = steps + exc.__dict__.get("pickle_path", [])
    if _NOTES:
        for kind, key, owner in trail:
            full = _full_repr(key) if kind in ("value", "key") else ""
            exc.add_note(_STEPS[kind][1].format(T=_type_name(owner), k=key, R=full))


class Pickler:
    """Write pickles of objects to a binary file (the API of `pickle.Pickler`).

    `protocol` is 0 to 5 (None: DEFAULT_PROTOCOL; negative: the highest).
    `fix_imports` maps Python 3 names to Python 2 ones below protocol 3.
    `buffer_callback` (protocol 5) is called with each PickleBuffer; a false
    result sends that buffer out of band.
    """

    def __init__(self, file, protocol=None, *, fix_imports=True, buffer_callback=None):
        if protocol is None:
            protocol = DEFAULT_PROTOCOL
        else:
            protocol = operator.index(protocol)
            if protocol < 0:
                protocol = HIGHEST_PROTOCOL
            elif protocol > HIGHEST_PROTOCOL:
                raise ValueError("pickle protocol must be <= %d" % HIGHEST_PROTOCOL)
        try:
            self._file_write = file.write
        except AttributeError:
            raise TypeError("file must have a 'write' attribute") from None
        if buffer_callback is not None and protocol < 5:
            raise ValueError("buffer_callback needs protocol >= 5")
        self.proto = protocol
        self.bin = protocol >= 1
        self.fix_imports = bool(fix_imports) and protocol < 3
        self.fast = 0
        self.memo = {}  # id(obj) -> (memo index, obj), as pickle.py keeps it
        self._buffer_callback = buffer_callback
        self._out = bytearray()  # output not yet handed to the file
        self._framing = False
        self._frame_start = 0
        self._commit_at = _NEVER
        self._fast_nesting = 0
        self._fast_memo = {}
        self._persistent_id = None
        self._reducer_override = None
        self._dispatch_table = copyreg.dispatch_table

    # -- the public API ---------------------------------------------------

    def persistent_id(self, obj):
        """The persistent id of obj, or None to pickle it by value.

        Override it in a subclass or assign a function to the attribute.
        """
        return None

    def clear_memo(self):
        """Forget the objects already written, so they are written again."""
        self.memo.clear()

    def dump(self, obj):
        """Write the pickle of obj to the file."""
        if not hasattr(self, "_file_write"):
            raise PicklingError("Pickler.__init__() was not called by %s.__init__()"
                                % type(self).__name__)
        self._prepare()
        try:
            if self.proto >= 2:
                self._write(PROTO, self.proto)
            if self.proto >= 4:
                self._framing = True
                self._open_frame()
            try:
                self.save(obj)
            except BaseException as exc:
                # Whatever it is, it propagates as it was raised, located.
                _locate(exc)
                raise
            self._write(STOP)
            if self._framing:
                self._close_frame()
            self._flush()
        finally:
            self._framing = False
            self._commit_at = _NEVER
            self._out.clear()
            # The hooks may be bound methods of this pickler: let go of
            # them, or the pickler and its memo would form a cycle.
            self._persistent_id = self._reducer_override = None

    def _prepare(self):
        """Read the hooks a subclass or the caller may have set, as _pickle.c does per dump."""
        self._out.clear()
        self._fast_nesting = 0  # _pickle.c leaves them balanced, even after an error
        self._fast_memo.clear()
        persistent_id = self.persistent_id
        if getattr(persistent_id, "__func__", None) is Pickler.persistent_id:
            persistent_id = None  # the default: skip the call for every object
        elif not callable(persistent_id):
            persistent_id = _calling(persistent_id)
        self._persistent_id = persistent_id
        reducer_override = getattr(self, "reducer_override", None)  # absent: no hook
        if reducer_override is not None or hasattr(self, "reducer_override"):
            if not callable(reducer_override):
                reducer_override = _calling(reducer_override)
        self._reducer_override = reducer_override
        # None (or none) means copyreg's table.  _pickle.c reads it in
        # __init__; one set on a pickler afterwards is used as it is, so None
        # then fails when it is looked in.  Telling the two apart would need
        # self.__dict__, which slows every attribute of the pickler on 3.11+.
        table = getattr(self, "dispatch_table", None)
        self._dispatch_table = copyreg.dispatch_table if table is None else table

    # -- output and framing -----------------------------------------------

    def _write(self, op, value=None):
        """Emit one instruction: the opcode, then its argument (if any) as the table encodes it."""
        code, write_arg = _EMIT[op]
        self._out += code if write_arg is None else code + write_arg(value)

    def _write_large(self, op, size, payload):
        """Emit an instruction whose payload is FRAME_SIZE_TARGET bytes or more:
        outside any frame, straight to the file (bpo-31993).

        The argument is its length field, then the payload object itself is
        handed to the file, uncopied, as _pickle.c does (a bytes, bytearray or
        PickleBuffer); `_length_field` reads the field's width from the table.
        """
        if self._framing:
            self._close_frame()
        self._flush()
        self._file_write(_CODE[op] + _length_field(op, size))
        self._file_write(payload)
        if self._framing:
            self._open_frame()

    def _flush(self):
        if self._out:
            self._file_write(bytes(self._out))
            self._out.clear()

    def _open_frame(self):
        out = self._out
        self._frame_start = len(out)
        out += _FRAME_PLACEHOLDER
        self._commit_at = len(out) + FRAME_SIZE_TARGET

    def _close_frame(self):
        out = self._out
        start = self._frame_start
        size = len(out) - start - _FRAME_HEADER_SIZE
        if size >= FRAME_SIZE_MIN:
            out[start:start + _FRAME_HEADER_SIZE] = _encode(FRAME, size)
        else:
            del out[start:start + _FRAME_HEADER_SIZE]

    def _commit_frame(self):
        """At an opcode boundary, once the frame is full: close it, pass it on, open the next."""
        self._close_frame()
        self._flush()
        self._open_frame()

    # -- the memo ---------------------------------------------------------

    def memoize(self, obj):
        """Give obj the next memo index and write the instruction that stores it."""
        if self.fast:
            return
        index = len(self.memo)
        self.memo[id(obj)] = index, obj
        if self.proto >= 4:
            self._write(MEMOIZE)
        elif not self.bin:
            self._write(PUT, str(index))
        elif index < 256:
            self._write(BINPUT, index)
        elif index <= 0xFFFFFFFF:
            self._write(LONG_BINPUT, index)
        else:
            raise PicklingError("memo index %d too large for LONG_BINPUT" % index)

    def _write_get(self, index):
        """Write the instruction that fetches memo[index]."""
        if not self.bin:
            self._write(GET, str(index))
        elif index < 256:
            self._write(BINGET, index)
        elif index <= 0xFFFFFFFF:
            self._write(LONG_BINGET, index)
        else:
            raise PicklingError("memo index %d too large for LONG_BINGET" % index)

    def _fast_enter(self, obj):
        """Fast mode keeps no memo; below FAST_NESTING_LIMIT, look for cycles."""
        self._fast_nesting += 1
        if self._fast_nesting >= FAST_NESTING_LIMIT:
            if id(obj) in self._fast_memo:
                # A ValueError, as _pickle.c raises.
                raise ValueError("fast mode: cannot pickle cyclic objects "
                                 "(a %s contains itself)" % _describe(obj))
            self._fast_memo[id(obj)] = obj

    def _fast_leave(self, obj):
        if self._fast_nesting >= FAST_NESTING_LIMIT:
            self._fast_memo.pop(id(obj), None)
        self._fast_nesting -= 1

    # -- save: the dispatch -----------------------------------------------

    atomic = {}  # type -> save method, for objects never memoized
    dispatch = {}  # type -> save method, after a look in the memo
    named = {}  # type -> save method, after reducer_override

    def save(self, obj, save_persistent_id=True):
        """Write obj (pickle.py's signature)."""
        if len(self._out) >= self._commit_at:
            self._commit_frame()
        if save_persistent_id and self._persistent_id is not None:
            pid = self._persistent_id(obj)
            if pid is not None:
                self.save_pers(pid, obj)
                return
        t = type(obj)
        # reducer_override (in save_other) is not asked about these, as in
        # _pickle.c; pickle.py asks it about every object.
        f = self.atomic.get(t)
        if f is not None:
            f(self, obj)
            return
        x = self.memo.get(id(obj))
        if x is not None:
            self._write_get(x[0])
            return
        f = self.dispatch.get(t)
        if f is not None:
            f(self, obj)
            return
        self.save_other(obj, t)

    def save_other(self, obj, t):
        """An object of no built-in container type: by name or by reduction."""
        # What a reducer raises -- reducer_override, a dispatch_table entry,
        # copyreg's, __reduce_ex__, __reduce__ -- propagates unchanged, as in
        # _pickle.c: a TypeError from object.__reduce_ex__ stays a TypeError.
        reduce = self._reducer_override
        if reduce is not None:
            rv = reduce(obj)
            if rv is not NotImplemented:
                self._save_reduce_value(obj, rv)
                return
        f = self.named.get(t)
        if f is not None:
            f(self, obj)
            return
        table = self._dispatch_table
        reduce = table.get(t, _MISSING) if type(table) is dict else self._table_reducer(t)
        if reduce is not _MISSING:
            rv = reduce(obj)
        elif issubclass(t, type):
            self.save_global(obj)  # an instance of a metaclass: a class
            return
        else:
            reduce = getattr(obj, "__reduce_ex__", _MISSING)
            if reduce is not _MISSING:
                rv = reduce(self.proto)
            else:
                reduce = getattr(obj, "__reduce__", _MISSING)
                if reduce is _MISSING:
                    raise PicklingError("cannot pickle %s" % _describe(obj))
                rv = reduce()
        self._save_reduce_value(obj, rv)

    def _table_reducer(self, t):
        """The entry for t in a dispatch_table that is any mapping, as
        _pickle.c's PyObject_GetItem (a dict subclass's __missing__ counts)."""
        try:
            return self._dispatch_table[t]
        except KeyError:
            return _MISSING

    def _save_reduce_value(self, obj, rv):
        if isinstance(rv, str):
            self.save_global(obj, rv)
            return
        try:
            if not isinstance(rv, tuple):
                raise PicklingError("cannot pickle %s: its reduce value must be a string "
                                    "or a tuple, not %s" % (_describe(obj), type(rv).__name__))
            if not 2 <= len(rv) <= 6:
                raise PicklingError("cannot pickle %s: its reduce tuple must have 2 to 6 "
                                    "items, not %d" % (_describe(obj), len(rv)))
            self.save_reduce(*rv, obj=obj)
        except BaseException as exc:
            _retrace(exc, ("object", None, type(obj)))
            raise

    # -- atoms --------------------------------------------------------------

    def save_none(self, obj):
        self._write(NONE)
    atomic[type(None)] = save_none

    def save_bool(self, obj):
        if self.proto >= 2:
            self._write(NEWTRUE if obj else NEWFALSE)
        else:
            # Before protocol 2, INT spells True and False as '01' and '00',
            # which older readers take for 1 and 0.
            self._write(INT, "01" if obj else "00")
    atomic[bool] = save_bool

    def save_long(self, obj):
        if -0x80000000 <= obj <= 0x7FFFFFFF:
            if not self.bin:
                self._write(INT, str(obj))
            elif 0 <= obj <= 0xFF:
                self._write(BININT1, obj)
            elif 0 <= obj <= 0xFFFF:
                self._write(BININT2, obj)
            else:
                self._write(BININT, obj)
        elif self.proto >= 2:
            # LONG4 only when the two's-complement bytes need a 4-byte length;
            # an int of b bits needs at most b // 8 + 1 of them.
            if obj.bit_length() < 8 * 255 or len(arguments.encode_long(obj)) < 256:
                self._write(LONG1, obj)
            else:
                self._write(LONG4, obj)
        else:
            self._write(LONG, repr(obj) + "L")  # the L of Python 2's longs
    atomic[int] = save_long

    def save_float(self, obj):
        if self.bin:
            self._write(BINFLOAT, obj)
        else:
            self._write(FLOAT, repr(obj))
    atomic[float] = save_float

    # -- byte strings and text ----------------------------------------------

    def save_bytes(self, obj):
        if self.proto < 3:
            # No bytes opcodes before protocol 3: a call that makes bytes in
            # Python 3 and a str in Python 2 (and bytes() for b'').
            if not obj:
                self.save_reduce(bytes, (), obj=obj)
            else:
                self.save_reduce(codecs.encode, (str(obj, "latin1"), _LATIN1), obj=obj)
            return
        self._save_bytes_data(obj, obj)
    dispatch[bytes] = save_bytes

    def _save_bytes_data(self, obj, data):
        """BINBYTES of data, memoized as obj (a bytes object, or a PickleBuffer
        and a view of its memory)."""
        size = len(data)
        if size <= 0xFF:
            op = SHORT_BINBYTES
        elif size <= 0xFFFFFFFF:
            op = BINBYTES
        elif self.proto >= 4:
            op = BINBYTES8
        else:
            # An OverflowError, as _pickle.c raises.
            raise OverflowError("serializing a bytes object larger than 4 GiB "
                                "requires pickle protocol 4 or higher")
        if size >= FRAME_SIZE_TARGET:
            self._write_large(op, size, obj)
        else:
            self._write(op, data)
        self.memoize(obj)

    def save_bytearray(self, obj):
        if self.proto < 5:
            if not obj:
                self.save_reduce(bytearray, (), obj=obj)
            else:
                self.save_reduce(bytearray, (bytes(obj),), obj=obj)
            return
        self._save_bytearray_data(obj, obj)
    dispatch[bytearray] = save_bytearray

    def _save_bytearray_data(self, obj, data):
        if len(data) >= FRAME_SIZE_TARGET:
            self._write_large(BYTEARRAY8, len(data), obj)
        else:
            self._write(BYTEARRAY8, data)
        self.memoize(obj)

    def save_picklebuffer(self, obj):
        if self.proto < 5:
            raise PicklingError("PickleBuffer can only be pickled with protocol >= 5")
        try:
            view = obj.raw()
        except BufferError:
            # Raised outside this handler: an error holding this frame and
            # its cause would make a reference cycle through the buffer, and
            # the collector cannot clear a memoryview with exports.
            view = None
        if view is None:
            raise PicklingError("PickleBuffer can not be pickled when pointing "
                                "to a non-contiguous buffer")
        with view:
            in_band = True
            if self._buffer_callback is not None:
                in_band = bool(self._buffer_callback(obj))
            if in_band:
                # Memoized as the PickleBuffer, as _pickle.c does: a second
                # reference is a GET.  pickle.py memoizes a bytes copy instead
                # and writes the data again (gh-148914).
                if view.readonly:
                    self._save_bytes_data(obj, view)
                else:
                    self._save_bytearray_data(obj, view)
            else:
                self._write(NEXT_BUFFER)
                if view.readonly:
                    self._write(READONLY_BUFFER)
    dispatch[pickle.PickleBuffer] = save_picklebuffer

    def save_str(self, obj):
        if self.bin:
            if obj.isascii():
                size = len(obj)
            else:  # the UTF-8 length decides the opcode; lone surrogates pass (bpo-8383)
                size = len(obj.encode("utf-8", "surrogatepass"))
            if size <= 0xFF and self.proto >= 4:
                op = SHORT_BINUNICODE
            elif size <= 0xFFFFFFFF:
                op = BINUNICODE
            elif self.proto >= 4:
                op = BINUNICODE8
            else:
                raise OverflowError("serializing a string larger than 4 GiB "
                                    "requires pickle protocol 4 or higher")
            if size >= FRAME_SIZE_TARGET:
                self._write_large(op, size, obj.encode("utf-8", "surrogatepass"))
            else:
                self._write(op, obj)
        else:
            # The str itself is memoized, not its escaped form; pickle.py
            # before 3.13 memoized the escaped copy, so a str needing escapes
            # was written again instead of fetched (gh-113028).
            self._write(UNICODE, _unicode_line(obj))
        self.memoize(obj)
    dispatch[str] = save_str

    # -- tuples ---------------------------------------------------------------

    def save_tuple(self, obj):
        n = len(obj)
        if n == 0:
            if self.bin:
                self._write(EMPTY_TUPLE)
            else:
                self._write(MARK)
                self._write(TUPLE)
            return  # the empty tuple is not memoized
        if n <= 3 and self.proto >= 2:
            self._save_tuple_items(obj)
            if id(obj) in self.memo:
                # Saving the items saved the tuple: it contains itself.  Drop
                # the items and fetch the tuple they built.
                for _ in range(n):
                    self._write(POP)
                self._write_get(self.memo[id(obj)][0])
                return
            self._write((TUPLE1, TUPLE2, TUPLE3)[n - 1])
            self.memoize(obj)
            return
        self._write(MARK)
        self._save_tuple_items(obj)
        if id(obj) in self.memo:
            # The same, with MARK: POP_MARK drops items and mark at once;
            # protocol 0 has no POP_MARK, so one POP each and one for the MARK.
            if self.bin:
                self._write(POP_MARK)
            else:
                for _ in range(n + 1):
                    self._write(POP)
            self._write_get(self.memo[id(obj)][0])
            return
        self._write(TUPLE)
        self.memoize(obj)
    dispatch[tuple] = save_tuple

    def _save_tuple_items(self, obj):
        save = self.save
        i = 0
        try:
            for i, item in enumerate(obj):
                save(item)
        except BaseException as exc:
            _retrace(exc, ("item", i, tuple))
            raise

    # -- lists ----------------------------------------------------------------

    def save_list(self, obj):
        if self.fast:
            self._fast_enter(obj)
        if self.bin:
            self._write(EMPTY_LIST)
        else:
            self._write(MARK)
            self._write(LIST)
        self.memoize(obj)
        if obj:
            if self.bin:
                self._batch_list_exact(obj)
            else:
                self._batch_appends(iter(obj), list)
        if self.fast:
            self._fast_leave(obj)
    dispatch[list] = save_list

    def _batch_list_exact(self, obj):
        """A list's items: MARK item ... APPENDS for each BATCHSIZE items.

        As _pickle.c's batch_list_exact: one item is ``item APPEND``, but a
        lone item after full batches still gets MARK ... APPENDS (pickle.py
        writes ``item APPEND`` there).  The length is read as the items are
        written, so items appended meanwhile are written too.
        """
        save = self.save
        write = self._write
        i = 0
        try:
            if len(obj) == 1:
                save(obj[0])
                write(APPEND)
                return
            items = iter(obj)
            while True:
                write(MARK)
                for item in islice(items, BATCHSIZE):
                    save(item)
                    i += 1
                write(APPENDS)
                if i >= len(obj):
                    return
        except BaseException as exc:
            _retrace(exc, ("item", i, list))
            raise

    def _batch_appends(self, items, owner):
        """Items from an iterator (listitems, or a list at protocol 0) of an
        object of type `owner`.

        As _pickle.c's batch_list (and pickle.py): protocol 0 has only
        APPEND; above, MARK item ... APPENDS per batch, and ``item APPEND``
        for a batch of one.  Items are taken from the iterator as they are
        written.
        """
        save = self.save
        write = self._write
        i = 0
        try:
            if not self.bin:
                for item in items:
                    save(item)
                    write(APPEND)
                    i += 1
                return
            while True:
                batch = islice(items, BATCHSIZE)
                first = next(batch, _MISSING)
                if first is _MISSING:
                    return
                second = next(batch, _MISSING)
                if second is _MISSING:
                    save(first)
                    write(APPEND)
                    return
                write(MARK)
                n = 0
                for item in chain((first, second), batch):
                    save(item)
                    n += 1
                    i += 1
                write(APPENDS)
                if n < BATCHSIZE:
                    return
        except BaseException as exc:
            _retrace(exc, ("item", i, owner))
            raise

    # -- dicts ----------------------------------------------------------------

    def save_dict(self, obj):
        if self.fast:
            self._fast_enter(obj)
        if self.bin:
            self._write(EMPTY_DICT)
        else:
            self._write(MARK)
            self._write(DICT)
        self.memoize(obj)
        if obj:
            if self.bin:
                self._batch_dict_exact(obj)
            else:
                self._batch_setitems(iter(obj.items()), dict)
        if self.fast:
            self._fast_leave(obj)
    dispatch[dict] = save_dict

    def _batch_dict_exact(self, obj):
        """A dict's items: MARK key value ... SETITEMS for each BATCHSIZE items.

        As _pickle.c's batch_dict_exact: one item is ``key value SETITEM``;
        otherwise every batch is MARK ... SETITEMS, including a lone last
        item, and -- when the size is a multiple of BATCHSIZE -- an empty
        last batch (pickle.py writes SETITEM for the one and nothing for the
        other).
        """
        save = self.save
        write = self._write
        key = part = None
        try:
            if len(obj) == 1:
                for key, value in obj.items():
                    part = "key"
                    save(key)
                    part = "value"
                    save(value)
                write(SETITEM)
                return
            size = len(obj)
            items = iter(obj.items())
            while True:
                write(MARK)
                n = 0
                for key, value in islice(items, BATCHSIZE):
                    part = "key"
                    save(key)
                    part = "value"
                    save(value)
                    n += 1
                write(SETITEMS)
                if len(obj) != size:
                    raise RuntimeError("dictionary changed size during iteration")
                if n < BATCHSIZE:
                    return
        except BaseException as exc:
            _retrace(exc, (part, key, dict))
            raise

    def _batch_setitems(self, items, owner):
        """(key, value) pairs from an iterator (dictitems, or a dict at protocol 0)
        of an object of type `owner`.

        As _pickle.c's batch_dict: protocol 0 has only SETITEM; above, MARK
        key value ... SETITEMS per batch, and SETITEM for a batch of one.
        Each item must be a 2-tuple.
        """
        save = self.save
        write = self._write
        key = part = None
        try:
            if not self.bin:
                for item in items:
                    part = None  # a malformed item is no key or value yet
                    key, value = self._pair(item)
                    part = "key"
                    save(key)
                    part = "value"
                    save(value)
                    write(SETITEM)
                return
            while True:
                batch = islice(items, BATCHSIZE)
                first = next(batch, _MISSING)
                if first is _MISSING:
                    return
                key, value = self._pair(first)
                second = next(batch, _MISSING)
                if second is _MISSING:
                    part = "key"
                    save(key)
                    part = "value"
                    save(value)
                    write(SETITEM)
                    return
                write(MARK)
                n = 0
                for item in chain((first, second), batch):
                    part = None
                    key, value = self._pair(item)
                    part = "key"
                    save(key)
                    part = "value"
                    save(value)
                    n += 1
                write(SETITEMS)
                if n < BATCHSIZE:
                    return
        except BaseException as exc:
            if part is not None:
                _retrace(exc, (part, key, owner))
            raise

    @staticmethod
    def _pair(item):
        if not isinstance(item, tuple) or len(item) != 2:
            # A TypeError, as _pickle.c raises.
            raise TypeError("dict items iterator must return 2-tuples, not %s"
                            % _short_repr(item))
        return item

    # -- sets -----------------------------------------------------------------

    def save_set(self, obj):
        if self.proto < 4:
            self.save_reduce(set, (list(obj),), obj=obj)
            return
        self._write(EMPTY_SET)
        self.memoize(obj)
        if not obj:
            return
        # As _pickle.c: MARK ... ADDITEMS per batch, and an empty last batch
        # when the size is a multiple of BATCHSIZE (pickle.py writes none).
        save = self.save
        write = self._write
        i = 0
        size = len(obj)
        items = iter(obj)
        try:
            while True:
                write(MARK)
                n = 0
                for item in islice(items, BATCHSIZE):
                    save(item)
                    n += 1
                    i += 1
                write(ADDITEMS)
                if len(obj) != size:
                    raise RuntimeError("set changed size during iteration")
                if n < BATCHSIZE:
                    return
        except BaseException as exc:
            _retrace(exc, ("member", i, set))
            raise
    dispatch[set] = save_set

    def save_frozenset(self, obj):
        if self.fast:
            # _pickle.c enters but never leaves a frozenset here, so after 50
            # frozensets a shared one is taken for a cycle; the count is kept
            # balanced instead.
            self._fast_enter(obj)
        if self.proto < 4:
            self.save_reduce(frozenset, (list(obj),), obj=obj)
        else:
            self._save_frozenset_items(obj)
        if self.fast:
            self._fast_leave(obj)
    dispatch[frozenset] = save_frozenset

    def _save_frozenset_items(self, obj):
        save = self.save
        self._write(MARK)
        i = 0
        try:
            for i, item in enumerate(obj):
                save(item)
        except BaseException as exc:
            _retrace(exc, ("member", i, frozenset))
            raise
        if id(obj) in self.memo:
            # A member contains the frozenset: drop the members, fetch it.
            self._write(POP_MARK)
            self._write_get(self.memo[id(obj)][0])
            return
        self._write(FROZENSET)
        self.memoize(obj)

    # -- persistent ids -------------------------------------------------------

    def save_pers(self, pid, obj=None):
        """Write the persistent id of obj: any object from protocol 1, an
        ASCII line at 0."""
        if self.bin:
            try:
                self.save(pid, save_persistent_id=False)
            except BaseException as exc:
                _retrace(exc, ("persistent id", None, _owner(obj)))
                raise
            self._write(BINPERSID)
            return
        text = str(pid)
        if not text.isascii():
            # _pickle.c's message, word for word (the tests of 3.13 compare it).
            raise PicklingError("persistent IDs in protocol 0 must be ASCII strings")
        if "\n" in text:
            # _pickle.c writes the newline, and the stream misreads.
            raise PicklingError("persistent IDs in protocol 0 cannot contain "
                                "a newline: %s" % _short_repr(text))
        self._write(PERSID, text)

    # -- globals --------------------------------------------------------------

    def save_type(self, obj):
        singleton = _SINGLETONS.get(obj, _MISSING)
        if singleton is not _MISSING:
            # NoneType and its kind have no name to import them by: type(None).
            self.save_reduce(type, (singleton,), obj=obj)
            return
        self.save_global(obj)
    named[type] = save_type

    def save_global(self, obj, name=None):
        """Write obj by reference: module and qualified name, or an EXT code."""
        module_name, name, dotted_path, parent, module = self._find_global(obj, name)
        if self.proto >= 2:
            code = copyreg._extension_registry.get((module_name, name), _MISSING)
            if code is not _MISSING:
                self._write_ext(obj, code)
                return  # an EXT code is not memoized
        lastname = dotted_path[-1]
        if parent is module:
            name = lastname
        if self.proto >= 4:
            self.save(module_name)
            self.save(name)
            self._write(STACK_GLOBAL)
        elif parent is not module:
            self._save_nested_global(module_name, dotted_path, parent)
        else:
            self._write_global(module_name, name)
        self.memoize(obj)
    named[FunctionType] = save_global

    def _find_global(self, obj, name):
        """Check that obj is importable under its name; the pieces save_global needs."""
        if name is None:
            # Without a __qualname__, the AttributeError of a missing
            # __name__ propagates, as in _pickle.c.
            try:
                name = obj.__qualname__
            except AttributeError:
                name = obj.__name__
        if not isinstance(name, str):
            # _pickle.c's str.split of the name raises the TypeError.
            raise TypeError("cannot pickle %s: its name %s is not a str"
                            % (_describe(obj), _short_repr(name)))
        dotted_path = name.split(".")
        if "<locals>" in dotted_path:
            # An AttributeError, as _pickle.c raises (pickle.py: PicklingError).
            raise AttributeError("cannot pickle local object %r" % (obj,))
        module_name = whichmodule(obj, dotted_path)
        # The import and the lookup are the unpickler's (`effects`); what
        # they raise becomes a PicklingError, as _pickle.c replaces it.
        try:
            __import__(module_name, level=0)
            module = sys.modules[module_name]
        except Exception as exc:
            raise PicklingError("cannot pickle %r: import of module %r failed"
                                % (obj, module_name)) from exc
        try:
            found, parent = follow(module, dotted_path)
        except Exception as exc:
            raise PicklingError("cannot pickle %r: attribute lookup %s on %s failed"
                                % (obj, name, module_name)) from exc
        if found is not obj:
            raise PicklingError("cannot pickle %r: it is not the same object as %s.%s"
                                % (obj, module_name, name))
        return module_name, name, dotted_path, parent, module

    def _write_ext(self, obj, code):
        """EXT1, EXT2 or EXT4 for a code from copyreg.add_extension (PEP 307).

        add_extension checks its codes; one that is not an int from 1 to
        0x7FFFFFFF is a registry changed behind its back, and fails as in
        _pickle.c of the running version (see _EXT_CODE_CHECKS_HARMONIZED).
        """
        if _EXT_CODE_CHECKS_HARMONIZED:
            code = operator.index(code)  # PyLong_AsLong's TypeError
        elif not isinstance(code, int):
            raise PicklingError("cannot pickle %r: extension code %r is not an integer"
                                % (obj, code))
        if not -(1 << (_C_LONG_BITS - 1)) <= code < 1 << (_C_LONG_BITS - 1):
            raise OverflowError("Python int too large to convert to C long")
        if not 0 < code <= 0x7FFFFFFF:
            if _EXT_CODE_CHECKS_HARMONIZED:
                raise RuntimeError("extension code %d is out of range" % code)
            raise PicklingError("cannot pickle %r: extension code %d is out of range"
                                % (obj, code))
        if code <= 0xFF:
            self._write(EXT1, code)
        elif code <= 0xFFFF:
            self._write(EXT2, code)
        else:
            self._write(EXT4, code)

    def _save_nested_global(self, module_name, dotted_path, parent):
        """A dotted name below protocol 4, where GLOBAL cannot follow dots."""
        if not _GETATTR_CHAIN:
            # getattr(parent, 'last'), the parent pickled as any object.
            self.save_reduce(getattr, (parent, dotted_path[-1]))
            return
        # getattr(getattr(top, 'a'), 'b'): the calls' tuples are built on
        # the stack (TUPLE2, or MARK ... TUPLE before protocol 2).
        attrs = dotted_path[1:]
        for _ in attrs:
            self.save(getattr)
            if self.proto < 2:
                self._write(MARK)
        self._write_global(module_name, dotted_path[0])
        for attr in attrs:
            self.save(attr)
            self._write(TUPLE if self.proto < 2 else TUPLE2)
            self._write(REDUCE)

    def _write_global(self, module_name, name):
        """GLOBAL: two lines, module and name (Python 2 names below protocol 3)."""
        if self.fix_imports:
            module_name, name = _fix_imports(module_name, name)
        module_line = _global_line(module_name, "module identifier", self.proto)
        name_line = _global_line(name, "global identifier", self.proto)
        if " " in module_line or "\n" in module_line or "\n" in name_line:
            # _pickle.c writes the lines as they are, and they misread.
            raise PicklingError("cannot write the global %s.%s as GLOBAL lines"
                                % (_short_repr(module_name), _short_repr(name)))
        self._write(GLOBAL, module_line + " " + name_line)

    # -- the reduce protocol (PEP 307) ----------------------------------------

    def save_reduce(self, func, args, state=None, listitems=None, dictitems=None,
                    state_setter=None, *, obj=None):
        """Write an object as its reduce value says (pickle.py's signature).

        obj, when given, is memoized once built; None writes the call only.
        """
        problem = _reduce_problem(func, args, listitems, dictitems, state_setter)
        if problem is not None:
            what = _describe(obj) if obj is not None else "an object"
            raise PicklingError("cannot pickle %s: %s" % (what, problem))
        if self._write_call(func, args, obj):
            return
        if listitems is not None:
            self._batch_appends(listitems, _owner(obj))
        if dictitems is not None:
            self._batch_setitems(dictitems, _owner(obj))
        if state is not None:
            self._save_state(obj, state, state_setter)

    def _write_call(self, func, args, obj):
        """The call that builds the object; True if it turned out to be in the memo."""
        name = getattr(func, "__name__", None) if self.proto >= 2 else None
        if name == "__newobj_ex__":
            self._write_newobj_ex(args, obj)
        elif name == "__newobj__":
            self._write_newobj(args, obj)
        else:
            part = "callable"
            try:
                self.save(func)
                part = "args"
                self.save(args)
            except BaseException as exc:
                _retrace(exc, (part, None, _owner(obj)))
                raise
            self._write(REDUCE)
        if obj is None:
            return False
        if id(obj) in self.memo:
            # Building it pickled it already (it is inside its own arguments):
            # drop this copy and fetch that one.
            self._write(POP)
            self._write_get(self.memo[id(obj)][0])
            return True
        self.memoize(obj)
        return False

    def _write_newobj(self, args, obj):
        """copyreg.__newobj__(cls, *args) is cls.__new__(cls, *args): NEWOBJ (PEP 307)."""
        if len(args) < 1:
            raise PicklingError("cannot pickle %s: __newobj__ arguments are empty"
                                % _describe(obj))
        cls = args[0]
        if not isinstance(cls, type):
            raise PicklingError("cannot pickle %s: the first __newobj__ argument "
                                "must be a class, not %s" % (_describe(obj), type(cls).__name__))
        if obj is not None and getattr(obj, "__class__", type(obj)) is not cls:
            raise PicklingError("cannot pickle %s: the first __newobj__ argument "
                                "is not its class" % _describe(obj))
        part = "class"
        try:
            self.save(cls)
            part = "newargs"
            self.save(args[1:])
        except BaseException as exc:
            _retrace(exc, (part, None, _owner(obj)))
            raise
        self._write(NEWOBJ)

    def _write_newobj_ex(self, args, obj):
        """copyreg.__newobj_ex__(cls, args, kwargs): NEWOBJ_EX (PEP 3154), or
        below protocol 4 a call of functools.partial(cls.__new__, cls, *args, **kwargs)."""
        if len(args) != 3:
            raise PicklingError("cannot pickle %s: __newobj_ex__ takes 3 arguments, "
                                "not %d" % (_describe(obj), len(args)))
        cls, cls_args, kwargs = args
        for ok, what, value in ((isinstance(cls, type), "first", "a class"),
                                (isinstance(cls_args, tuple), "second", "a tuple"),
                                (isinstance(kwargs, dict), "third", "a dict")):
            if not ok:
                raise PicklingError("cannot pickle %s: the %s __newobj_ex__ argument "
                                    "must be %s" % (_describe(obj), what, value))
        if self.proto >= 4:
            part = "class"
            try:
                self.save(cls)
                part = "newargs"
                self.save(cls_args)
                part = "kwargs"
                self.save(kwargs)
            except BaseException as exc:
                _retrace(exc, (part, None, _owner(obj)))
                raise
            self._write(NEWOBJ_EX)
            return
        call = functools.partial(cls.__new__, cls, *cls_args, **kwargs)
        try:
            self.save(call)
            self.save(())
        except BaseException as exc:
            _retrace(exc, ("callable", None, _owner(obj)))
            raise
        self._write(REDUCE)

    def _save_state(self, obj, state, state_setter):
        """BUILD with the state, or state_setter(obj, state) then POP."""
        try:
            if state_setter is None:
                self.save(state)
                self._write(BUILD)
                return
        except BaseException as exc:
            _retrace(exc, _state_step(obj, state))
            raise
        # The setter's arguments are (obj, state): obj is in the memo by
        # now, so a GET.  Its return value is dropped.  _pickle.c writes
        # TUPLE2 here at every protocol, though TUPLE2 is a protocol 2 opcode.
        try:
            self.save(state_setter)
        except BaseException as exc:
            _retrace(exc, ("state_setter", None, _owner(obj)))
            raise
        self.save(obj)
        try:
            self.save(state)
        except BaseException as exc:
            _retrace(exc, _state_step(obj, state))
            raise
        self._write(TUPLE2)
        self._write(REDUCE)
        self._write(POP)


def _reduce_problem(func, args, listitems, dictitems, state_setter):
    """What is wrong with the items of a reduce tuple, or None (the checks of
    _pickle.c's save_reduce)."""
    if not callable(func):
        return ("the first item of its reduce tuple must be callable, not %s"
                % type(func).__name__)
    if not isinstance(args, tuple):
        return ("the second item of its reduce tuple must be a tuple, not %s"
                % type(args).__name__)
    if listitems is not None and not _is_iterator(listitems):
        return ("the fourth item of its reduce tuple must be an iterator, not %s"
                % type(listitems).__name__)
    if dictitems is not None and not _is_iterator(dictitems):
        return ("the fifth item of its reduce tuple must be an iterator, not %s"
                % type(dictitems).__name__)
    if state_setter is not None and not callable(state_setter):
        return ("the sixth item of its reduce tuple must be callable, not %s"
                % type(state_setter).__name__)
    return None


def _is_iterator(value):
    """As PyIter_Check: its type has a __next__."""
    return callable(getattr(type(value), "__next__", None))


def _calling(hook):
    """A hook that is set but not callable (None, 10): calling it fails with
    the TypeError _pickle.c gets when it calls it (gh-103035, gh-89850)."""
    return functools.partial(_call, hook)


def _call(hook, obj):
    return hook(obj)


def _state_step(obj, state):
    """The step for an error in a state.  A state dict (or a (dict, slots)
    pair) is written in the path as the attributes it sets (see
    `_path_steps`)."""
    form = ("dict" if isinstance(state, dict)
            else "pair" if isinstance(state, tuple) and len(state) == 2 else None)
    return ("state", form, type(obj) if obj is not None else None)


def _owner(obj):
    """The type a note names for a part of obj's reduce value (None: no object,
    when save_reduce is called without one)."""
    return type(obj) if obj is not None else None


def dump(obj, file, protocol=None, *, fix_imports=True, buffer_callback=None):
    """Write the pickle of obj to file (the API of `pickle.dump`)."""
    Pickler(file, protocol, fix_imports=fix_imports,
            buffer_callback=buffer_callback).dump(obj)


def dumps(obj, protocol=None, *, fix_imports=True, buffer_callback=None):
    """The pickle of obj as bytes (the API of `pickle.dumps`)."""
    f = io.BytesIO()
    dump(obj, f, protocol, fix_imports=fix_imports, buffer_callback=buffer_callback)
    return f.getvalue()
