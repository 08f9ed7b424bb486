"""The reference unpickler: bytes to objects, or to the object model.

Theory of operation
-------------------
A pickle is a program for a stack machine (see `opcodes`).  The machine has

- the *stack*: the objects pushed since the topmost MARK;
- the *metastack*: the stacks saved by MARK, so "pop back to the mark" is
  "take the current stack, restore the saved one" (as in Lib/pickle.py);
- the *memo*: a dict from int keys to objects, written by PUT, BINPUT,
  LONG_BINPUT and MEMOIZE and read by GET, BINGET and LONG_BINGET, through
  which a stream shares objects and closes cycles;
- the *protocol* declared by the last PROTO (PEP 307), which decides how
  GLOBAL names are read (Python 2 names below 3, dotted names from 4).

`Unpickler._execute` runs the machine over an in-memory buffer with the
position passed explicitly, as tomli does: it reads an opcode byte, finds the
opcode's row in the table, lets the row's argument descriptor decode the
argument (``op.arg.read(data, pos)``) and hands the decoded value to the
opcode's handler.  Handlers are registered by opcode NAME with `handles`,
appear below in table order, and each does one small thing to the stack or
memo.  Text arguments (the ``nl`` encodings) arrive as the text of their line;
what that text means -- INT's '00'/'01', LONG's trailing 'L', FLOAT's
grammar, STRING's quotes and escapes, GLOBAL's UTF-8 names -- is decided in
the handler, with the reason.  Decoding always happens before the handler
runs, so an argument cut short by the end of the buffer leaves the machine
untouched and the opcode can be run again once more input is there: that is
how `load` reads files without putting any I/O into the machine.

Frames (PEP 3154): FRAME announces that the next N bytes hold whole opcodes.
The whole frame must be in the input (else TruncatedError at the FRAME), a
FRAME may not start while the current frame still has bytes, and an opcode
whose argument runs past the end of its frame is a FrameError: the resolution
of gh-154848, which _pickle.c accepted before 3.13.15/3.14.7.

Protocol 5 (PEP 574) adds out-of-band buffers: NEXT_BUFFER takes the next
object from the `buffers` iterable, READONLY_BUFFER makes the top a read-only
view.

Errors
------
Each failure is classified where it is raised, as one of two kinds:

- a fault of the *stream* raises a subclass of `errors.UnpicklingError`
  that names the byte offset of the opcode (from the start of the pickle)
  and the opcode: truncation, unknown opcodes, bad arguments, stack
  underflow and missing MARKs, memo misses, frames that lie, limits, and
  operands of the wrong type -- REDUCE of a non-callable or with non-tuple
  arguments, NEWOBJ of a non-class, BUILD with a non-dict state or on an
  object without __dict__, APPENDS/ADDITEMS on something without
  extend/append/add, item opcodes that fail on the machine's own types (a
  bytearray given SETITEM), unhashable dict keys or set members.  Where
  both CPython unpicklers raise a specific built-in type for the fault, the
  class derives from it too (`errors.OperandTypeError` is a TypeError);
- what *called code* raises -- find_class and persistent_load, the
  callables REDUCE, NEWOBJ, INST and OBJ call, __setstate__, the item
  methods of objects the machine did not make, the `buffers` iterator,
  Python-level __hash__ and __eq__ of keys -- propagates unchanged, the same
  object, as CPython lets it: ``except ImportError`` around a load works.
  `errors.note_location` records the opcode that made the call on it
  (attributes, and a PEP 678 note on 3.11+).

Every call out of the machine goes through `_call_out` (or an inlined copy
of it), which hands what the call raised to the loop wrapped in
`_CalledCode`; the loop unwraps it, notes the location and raises the
original.  Anything else the loop catches was raised by the machine
itself: an IndexError there is the stack, or the input, running out.

Empty input, or input that ends where an opcode should start, raises
`InputExhausted`, a TruncatedError that is also an EOFError: the standard
library raises EOFError there, and ``except EOFError`` is how programs detect
the end of a file of back-to-back pickles.

Where CPython's two unpicklers disagree (the field notes' table), the handlers
follow the resolution the maintainers chose, else the stricter reading, and
say so where it happens: INT/LONG text is base 10 (gh-126992), '00'/'01' are
the only booleans (gh-135241), NUL in a text argument is refused (gh-126996),
FLOAT takes _pickle.c's grammar, BUILD needs a dict state (gh-128965,
gh-144411), APPENDS/ADDITEMS check their target even with no items
(gh-135573), frames are enforced (gh-154848), stack faults are
UnpicklingErrors (gh-141749).

Symbolic mode
-------------
`SymbolicUnpickler` runs the same machine and handlers but overrides the
*effect hooks* -- find_class, persistent_load, call, instantiate,
new_object, build, extend, setitems, additems, next_buffer,
readonly_buffer -- so that globals become `model.Global` (EXT codes too,
through copyreg's registry and find_class), calls become
`model.Object` and so on (the PEP 307 reduce protocol written down instead of
run).  It imports nothing and calls nothing, keeps sharing and cycles, and
reads any stream into the object model of `model`.
"""

import _compat_pickle
import codecs
from _codecs import raw_unicode_escape_decode as _raw_unicode_escape_decode
import copyreg
import re
import sys

from . import arguments as A
from . import effects, model
from .errors import (
    BadArgumentError,
    BadTextError,
    BadValueError,
    ForbiddenError,
    FrameError,
    LimitError,
    MemoError,
    NameLookupError,
    NegativeMemoKeyError,
    OperandAttributeError,
    OperandIndexError,
    OperandTypeError,
    StackError,
    TruncatedError,
    UnknownOpcodeError,
    UnpicklingError,
    UnregisteredExtensionError,
    UnsupportedProtocolError,
    note_location,
)
from .opcodes import HIGHEST_PROTOCOL, by_code, by_name, opcodes

__all__ = [
    "Unpickler", "load", "loads",
    "SymbolicUnpickler", "load_symbolic", "loads_symbolic",
    "Limits", "InputExhausted", "handles",
]


class Limits:
    """How much a stream may ask of the unpickler.

    - `max_depth`: how deep the tuples and frozensets a stream builds may
      nest.  Hashing a tuple recurses in C without a guard: a 10**6-deep
      tuple used as a dict key crashes CPython 3.10-3.13, so it is refused
      here first.  CPython 3.13 cannot pickle anything nested 10,000 deep.
    - `max_marks`: how many MARKs may be open at once.  Each costs a saved
      stack; no pickler writes more than its recursion limit allows, while
      the corpus keeps 100,000 open MARKs as a stream that must load.
    - `max_memo`: how many memo entries there may be.
    - `max_length`: how many bytes one argument may have; a length prefix
      that claims more fails before anything is read.  The default is what
      CPython allows (sys.maxsize), so "a BINBYTES8 of 16 EiB" is a
      LimitError.

    There is no limit on the stack: every opcode pushes at most one entry, so
    the stack cannot outgrow the input.  Lists, dicts and sets are not
    depth-limited: the machine never recurses into them.
    """

    __slots__ = ("max_depth", "max_marks", "max_memo", "max_length")

    def __init__(self, *, max_depth=10_000, max_marks=2**18, max_memo=100_000_000,
                 max_length=sys.maxsize):
        self.max_depth = max_depth
        self.max_marks = max_marks
        self.max_memo = max_memo
        self.max_length = max_length

    def __repr__(self):
        return "Limits(%s)" % ", ".join("%s=%d" % (name, getattr(self, name))
                                        for name in self.__slots__)


class InputExhausted(TruncatedError, EOFError):
    """The input ended where an opcode should start (EOFError in the stdlib)."""


class _CalledCode(Exception):
    """What a call out of the machine raised, on its way to the loop."""

    def __init__(self, exc):
        self.exc = exc


class _NeedMore(Exception):
    """The input ended inside an opcode that more input may complete: the
    I/O layer reads on, or raises `error` (a located TruncatedError)."""

    def __init__(self, error):
        self.error = error


class _Frame(Exception):
    """FRAME: the one opcode that acts on the reader rather than the machine.

    An exception, because it is rare (one per 64 KiB of stream) and a check
    for it would cost every opcode; STOP, once per pickle, is told apart in
    the loop instead (its dispatch entry's reader is `_ENDS`), which is
    faster for small pickles than an exception per load."""

    def __init__(self, length):
        self.length = length


# -- the registry of handlers ------------------------------------------------

_HANDLERS = {}


def handles(name):
    """Register the decorated function as the handler of opcode `name`."""
    op = by_name[name]

    def register(function):
        if op.name in _HANDLERS:
            raise TypeError("opcode %s has two handlers" % op.name)
        _HANDLERS[op.name] = function
        return function

    return register


_NESTING = frozenset({tuple, frozenset})
_NESTING_TYPES = (tuple, frozenset)  # subclasses too: a namedtuple hashes as a tuple

# The types of what opcodes make without calling anything.
_MACHINE_TYPES = frozenset({type(None), bool, int, float, str, bytes, bytearray, list, tuple,
                            dict, set, frozenset, memoryview})

# A Python 2 str literal's escapes, as the string-escape codec reads them:
# named escapes, 1-3 octal digits (taken modulo 256), \xhh; any other
# backslash is kept with the character after it.
_ESCAPES = {b"\\": b"\\", b"'": b"'", b'"': b'"', b"a": b"\a", b"b": b"\b",
            b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}
_ESCAPE = re.compile(rb"\\(x[0-9A-Fa-f]{2}|[0-7]{1,3}|[\s\S]?)")

_INFINITIES = (float("inf"), float("-inf"))

# The codec of the default encoding, looked up now: reading a stream imports
# nothing (the `encoding` a caller names is looked up when it is given).
codecs.lookup("ASCII")

_NO_FRAME = sys.maxsize  # the frame end outside frames: no argument reaches it

# Which argument encodings begin with a length, and how that length is read.
_LENGTH_PREFIX = {A.TAKEN_FROM_ARGUMENT1: A.uint1, A.TAKEN_FROM_ARGUMENT4: A.int4,
                  A.TAKEN_FROM_ARGUMENT4U: A.uint4, A.TAKEN_FROM_ARGUMENT8U: A.uint8}


def _decimal(text, what):
    """The int a decimal text argument spells (INT, LONG, GET, PUT).

    Handlers call it only for text that is not plain digits (isdecimal():
    in latin-1 only the ASCII digits are decimal), which int() reads the
    same under every rule below.
    """
    # Base 10: the resolution of gh-126992 (both unpicklers used base 0, so
    # that 'I010' was 8 in _pickle.c and an error in pickle.py; pickletools
    # always read base 10).  int() on the bytes also takes surrounding ASCII
    # whitespace, a sign and underscores, as both unpicklers do.  A NUL ends
    # the text for _pickle.c's C string functions but is an error in
    # pickle.py: the stricter reading (gh-126996, open).
    if "\0" in text:
        raise BadArgumentError("%s: NUL byte in %r" % (what, text))
    try:
        return int(text.encode("latin-1"))
    except ValueError as exc:
        raise BadValueError("%s: %r is not a decimal integer (%s)" % (what, text, exc)) from None


def _unescape(raw):
    """The bytes of a Python 2 str literal's body (STRING)."""

    def one(match):
        body = match.group(1)
        if body[:1] == b"x" and len(body) == 3:
            return bytes([int(body[1:], 16)])
        if body[:1].isdigit() and body[:1] < b"8":
            return bytes([int(body, 8) & 0xFF])
        if body == b"x":
            raise BadValueError("STRING: invalid \\x escape")
        if not body:
            raise BadValueError("STRING: a backslash ends the string")
        return _ESCAPES.get(body, b"\\" + body)

    return _ESCAPE.sub(one, raw)


def _names(text, encoding, what):
    """The module and qualified name of GLOBAL or INST, decoded."""
    first, _, second = text.partition(" ")
    try:
        module = first.encode("latin-1").decode(encoding)
        name = second.encode("latin-1").decode(encoding)
    except UnicodeDecodeError as exc:
        raise BadTextError("%s: name is not %s: %s" % (what, encoding, exc.reason),
                           exc.encoding, exc.object, exc.start, exc.end, exc.reason) from None
    if not module or not name:
        # pickle.py would try to import '' or look up ''; _pickle.c reports a
        # bad line.  An empty name names nothing.
        raise BadArgumentError("%s: empty module or name" % what)
    return module, name


class Unpickler:
    """Read a pickle from a binary file: the standard library's API.

    `file` needs read() and readline(); seekable files are read ahead and
    sought back, others are read opcode by opcode, so that after load() the
    file is positioned just after the STOP, as with pickle.Unpickler.
    `limits` (a `Limits`) is an addition to the standard API.
    """

    def __init__(self, file, *, fix_imports=True, encoding="ASCII", errors="strict",
                 buffers=None, limits=None):
        # Looked up as _pickle.c looks them up: a missing one is a TypeError,
        # and what a property raises propagates (bpo-38384).
        read = getattr(file, "read", None)
        readline = getattr(file, "readline", None)
        if read is None or readline is None:
            raise TypeError("file must have 'read' and 'readline' attributes")
        if encoding != "bytes":
            codecs.lookup(encoding)
        codecs.lookup_error(errors)
        self._file = file
        self.memo = {}
        self.encoding = encoding
        self.errors = errors
        self.fix_imports = fix_imports
        self.proto = 0
        self._buffers = iter(buffers) if buffers is not None else None
        self._limits = limits if limits is not None else Limits()
        self._begin()

    def load(self):
        """Read one pickle from the file and return the object it describes."""
        if not hasattr(self, "_file"):
            raise UnpicklingError("Unpickler.__init__() was not called by %s.__init__()"
                                  % type(self).__name__)
        try:
            return _load_file(self, self._file)
        finally:
            self._end()

    def _load_bytes(self, data):
        """Run one pickle held in memory (loads)."""
        self._begin()
        try:
            return self._execute(data, 0, 0)[0]
        finally:
            self._end()

    # -- the hooks of the standard library -------------------------------------

    def find_class(self, module, name):
        """The object `module`.`name` names (override to restrict globals)."""
        sys.audit("pickle.find_class", module, name)
        return effects.find_global(*self._python3_name(module, name))

    def persistent_load(self, pid):
        """The object a persistent id stands for (override or assign)."""
        raise ForbiddenError("a persistent id was found, but no persistent_load was given")

    # -- the effect hooks: what the opcodes do to the world --------------------
    # SymbolicUnpickler overrides these (and only these) to build the model.

    def call(self, func, args):
        """REDUCE: func(*args)."""
        if not callable(func):
            raise OperandTypeError("REDUCE: %s object is not callable" % type(func).__name__)
        try:  # _call_out, written out: REDUCE is frequent
            value = func(*args)
        except Exception as exc:
            raise _CalledCode(exc) from None
        if isinstance(value, _NESTING_TYPES):
            self._check_made(value)
        return value

    def instantiate(self, cls, args, via):
        """INST and OBJ: cls(*args), or cls.__new__(cls) for a class with no
        arguments and no __getinitargs__ (Python 2 classic instances)."""
        if not args and isinstance(cls, type) and not hasattr(cls, "__getinitargs__"):
            return self._call_out(cls.__new__, cls)
        if not callable(cls):
            raise OperandTypeError("%s: %s object is not callable"
                                   % (via.upper(), type(cls).__name__))
        value = self._call_out(cls, *args)
        if isinstance(value, _NESTING_TYPES):
            self._check_made(value)
        return value

    def new_object(self, cls, args, kwargs, via):
        """NEWOBJ and NEWOBJ_EX: cls.__new__(cls, *args, **kwargs) (PEP 307, 3154)."""
        # _pickle.c checks that cls is a class; pickle.py would call
        # cls.__new__ on anything.  The stricter check is the C one.
        if not isinstance(cls, type):
            raise StackError("%s: the class is a %s, not a type" % (via.upper(), type(cls).__name__))
        try:  # _call_out, written out: NEWOBJ is frequent
            value = cls.__new__(cls, *args, **(kwargs or {}))
        except Exception as exc:
            raise _CalledCode(exc) from None
        if isinstance(value, _NESTING_TYPES):
            self._check_made(value)
        return value

    def build(self, obj, state):
        """BUILD: give obj its state (`effects.set_state`, PEP 307)."""
        try:
            effects.set_state(obj, state)
        except effects.OperandError as exc:
            error = OperandAttributeError if exc.builtin is AttributeError else StackError
            raise error("BUILD: %s" % exc) from None
        except Exception as exc:  # __setstate__, or a setattr the class defines
            raise _CalledCode(exc) from None

    def extend(self, obj, items):
        """APPEND and APPENDS on something that is not a list (`effects.extend`)."""
        try:
            effects.extend(obj, items)
        except effects.OperandError as exc:
            raise OperandAttributeError("APPENDS: %s" % exc) from None
        except Exception as exc:
            if type(obj) in _MACHINE_TYPES:  # a bytearray given a str, say
                raise StackError("APPENDS on a %s: %s" % (type(obj).__name__, exc)) from None
            raise _CalledCode(exc) from None

    def setitems(self, obj, items):
        """SETITEM and SETITEMS on something that is not a dict."""
        if items and not hasattr(obj, "__setitem__"):
            raise OperandTypeError("%s object does not support item assignment"
                                   % type(obj).__name__)
        for i in range(0, len(items), 2):
            self._apply(obj, "SETITEMS", obj.__setitem__, items[i], items[i + 1])

    def additems(self, obj, items):
        """ADDITEMS on something that is not a set."""
        add = getattr(obj, "add", None)
        if add is None:
            raise OperandAttributeError("%s object has no add()" % type(obj).__name__)
        for item in items:
            self._apply(obj, "ADDITEMS", add, item)

    def next_buffer(self):
        """NEXT_BUFFER: the next object of `buffers` (PEP 574)."""
        # The buffers are an input the stream pops from: running short is a
        # stack fault.
        # Nothing on the stack is wrong: the load was not given the buffers
        # the stream refers to (a plain UnpicklingError in CPython).
        if self._buffers is None:
            raise UnpicklingError("pickle stream refers to out-of-band data "
                                  "but no *buffers* argument was given")
        try:
            return next(self._buffers)
        except StopIteration:
            raise UnpicklingError("not enough out-of-band buffers") from None
        except Exception as exc:  # the caller's iterator
            raise _CalledCode(exc) from None

    def readonly_buffer(self, obj):
        """READONLY_BUFFER: a read-only view of obj (obj itself if read-only)."""
        try:
            view = memoryview(obj)
        except TypeError:  # a TypeError in both CPython unpicklers too
            raise OperandTypeError("READONLY_BUFFER: a %s is not a buffer"
                                   % type(obj).__name__) from None
        with view:
            return obj if view.readonly else view.toreadonly()

    def get_extension(self, code):
        """EXT1/EXT2/EXT4: the global registered with copyreg.add_extension."""
        # pickle.py also caches the object in copyreg._extension_cache; the
        # result is the same object find_class gives.
        if code <= 0:
            raise BadArgumentError("EXT specifies code <= 0")
        key = copyreg._inverted_registry.get(code)
        if not key:
            raise UnregisteredExtensionError("unregistered extension code %d" % code)
        if not (type(key) is tuple and len(key) == 2 and all(type(k) is str for k in key)):
            raise UnregisteredExtensionError("copyreg's registry holds %r for code %d, "
                                             "not (module, name)" % (key, code))
        return self._call_out(self.find_class, *key)

    # -- the machine ---------------------------------------------------------

    def _begin(self):
        self.stack = []
        self.metastack = []
        self.append = self.stack.append
        self.proto = 0
        self._nested = {}  # id -> (tuple or frozenset, depth), for depth > 1
        self._max_depth = self._limits.max_depth
        self._max_marks = self._limits.max_marks
        self._max_memo = self._limits.max_memo

    def _end(self):
        # Drop what only one load needs (and the references it holds).
        self.stack = []
        self.metastack = []
        self.append = self.stack.append
        self._nested = {}

    def _execute(self, data, pos, base, final=True):
        """Run from data[pos] to STOP; return (result, offset after STOP).

        `base` is the offset of data[0] in the pickle, for error reports.
        Unless `final`, more input may follow data: running out of it inside
        an opcode raises `_NeedMore` instead of the TruncatedError.
        """
        dispatch = _DISPATCH if len(data) <= self._limits.max_length else self._checked_dispatch()
        frame_end = _NO_FRAME  # where the current frame ends
        while True:
            try:
                while True:
                    start = pos
                    handler, read = dispatch[data[pos]]
                    if read is None:
                        pos += 1
                        handler(self)
                    elif read is _ENDS:  # STOP
                        return handler(self), pos + 1
                    else:
                        arg, pos = read(data, pos + 1)
                        if pos > frame_end:  # past the frame: straddling it, or after it
                            if start < frame_end:
                                raise FrameError("the argument runs past the end of its frame")
                            frame_end = _NO_FRAME
                        handler(self, arg)
            except _Frame as frame:
                frame_end = self._enter_frame(data, start, pos, frame_end, frame.length, base,
                                              final)
            except _CalledCode as called:
                exc = called.exc
                break
            except UnpicklingError as exc:
                raise self._stream_fault(exc, data, start, base, frame_end, final) from None
            except IndexError:
                # The machine's own IndexError: the input ended where an
                # opcode must start, or an opcode popped an empty stack.
                if start >= len(data):
                    fault = InputExhausted("ran out of input before STOP")
                else:
                    fault = StackError("stack underflow")
                raise self._stream_fault(fault, data, start, base, frame_end, final) from None
        # Outside the except clause, so the exception keeps its own context.
        name = by_code[data[start]].name
        if isinstance(exc, UnpicklingError):
            # The reference's own error, from a hook of ours (find_class's
            # refusal of a dotted name) or a restricted find_class built on
            # ours: located as a fault of the stream is, if it is not yet.
            if exc.offset is None:
                exc.located(base + start, name)
            raise exc
        raise note_location(exc, base + start, name)

    def _enter_frame(self, data, start, pos, frame_end, length, base, final):
        """Check a FRAME (its arguments end at pos); return where it ends."""
        where = (base + start, "FRAME")
        if pos < frame_end < _NO_FRAME:
            # pickle.py's rule: a frame may only start where the last one ends.
            raise FrameError("a FRAME inside a frame that has %d bytes left"
                             % (frame_end - pos)).located(*where) from None
        if length > self._limits.max_length:
            raise LimitError("a FRAME of %d bytes is over max_length" % length).located(*where) from None
        if pos + length > len(data):
            error = TruncatedError("a FRAME of %d bytes, but only %d remain"
                                   % (length, len(data) - pos)).located(*where)
            raise (error if final else _NeedMore(error)) from None
        return pos + length

    def _stream_fault(self, exc, data, start, base, frame_end, final):
        """exc, placed at the opcode that starts at data[start]; _NeedMore
        where more input could complete that opcode."""
        op = by_code.get(data[start]) if start < len(data) else None
        if type(exc) is TruncatedError and op is not None:
            claimed = _claimed_length(op, data, start + 1)
            if claimed is not None and claimed > self._limits.max_length:
                exc = LimitError("%s of %d bytes is over max_length" % (op.name, claimed))
            elif start < frame_end < _NO_FRAME:
                # The whole frame is in data, so running out is running past
                # its end: a FrameError since gh-154848.
                exc = FrameError("the argument runs past the end of its frame (%s)" % exc.message)
        exc.located(base + start, op.name if op is not None else None)
        if not final and isinstance(exc, TruncatedError):
            return _NeedMore(exc)
        return exc

    def _check_made(self, value):
        """Bound the nesting of a tuple or frozenset that called code made
        (REDUCE of builtins.tuple on a list, repeated, nests as deep as the
        stream is long): as deep as what the machine builds itself."""
        if any(isinstance(x, _NESTING_TYPES) for x in value):
            self._check_depth(value)

    def _apply(self, obj, what, method, *args):
        """method(*args) of obj for an item opcode.  On a type the machine
        itself makes (a bytearray given APPEND, a list given SETITEM) a
        failure is the stream's; on anything else it is called code's."""
        if type(obj) not in _MACHINE_TYPES:
            return self._call_out(method, *args)
        try:
            return method(*args)
        except Exception as exc:
            # The built-in type both CPython unpicklers let through, kept:
            # SETITEM of an index past a list's end is an IndexError there.
            error = _OPERAND_ERRORS.get(type(exc), StackError)
            raise error("%s on a %s: %s" % (what, type(obj).__name__, exc)) from None

    def _call_out(self, function, *args, **kwargs):
        """function(*args, **kwargs): code outside the machine, whose failure
        is its own, not the stream's."""
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            raise _CalledCode(exc) from None

    def _checked_dispatch(self):
        """The dispatch table with every variable-length argument held to
        max_length (only needed when the input is longer than that)."""
        limit = self._limits.max_length

        def checked(read):
            def read_checked(data, pos):
                value, end = read(data, pos)
                if end - pos > limit:
                    raise LimitError("an argument of %d bytes is over max_length" % (end - pos))
                return value, end
            return read_checked

        dispatch = list(_DISPATCH)
        for op in opcodes:
            if op.arg is not None and op.arg.n < 0:
                dispatch[op.byte] = (_HANDLERS[op.name], checked(op.arg.read))
        return dispatch

    def pop_mark(self):
        """Pop the stack slice above the topmost mark, and the mark."""
        items = self.stack
        metastack = self.metastack
        if not metastack:
            raise StackError("could not find MARK")
        stack = self.stack = metastack.pop()
        self.append = stack.append
        return items

    def _python3_name(self, module, name):
        """The module and name to look up: Python 2 names mapped, dots checked."""
        if self.proto < 3 and self.fix_imports:
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        if "." in name:
            # Qualified names came with protocol 4 (PEP 3154); before a PROTO
            # of 4 the name is one attribute, and a dotted one names nothing.
            if self.proto < 4:
                raise NameLookupError("dotted name %r before PROTO 4" % name)
            if "<locals>" in name.split("."):
                raise NameLookupError("%r names a local object" % name)
        return module, name

    def _check_depth(self, items):
        """Refuse a new tuple or frozenset (that holds tuples or frozensets)
        nested more than max_depth deep; remember how deep it is."""
        nested = self._nested
        depth = 1 + max(nested[id(x)][1] if id(x) in nested else 1
                        for x in items if isinstance(x, _NESTING_TYPES))
        if depth > self._max_depth:
            raise LimitError("tuples or frozensets nested more than %d deep" % self._max_depth)
        nested[id(items)] = (items, depth)

    def _memo_full(self):
        return LimitError("more than %d memo entries" % self._max_memo)

    def _memo_miss(self, key):
        return MemoError("memo value not found at index %d" % key)

    def _decode_string(self, raw):
        """A Python 2 str: bytes for encoding='bytes', else decoded."""
        if self.encoding == "bytes":
            return raw
        try:
            return raw.decode(self.encoding, self.errors)
        except UnicodeDecodeError as exc:
            raise BadTextError(
                "a Python 2 str that is not %s (%s); pass encoding='latin1' or 'bytes'"
                % (self.encoding, exc.reason), exc.encoding, exc.object, exc.start, exc.end,
                exc.reason) from None

    # -- the handlers, in the order of the table -------------------------------

    @handles("INT")
    def load_INT(self, text):
        # '00' and '01' are how protocol 0 wrote False and True before
        # NEWTRUE.  Only those spellings: gh-135241 made _pickle.c compare the
        # text as pickle.py did, so 'I+1', 'I 1' and 'I-0' are ints.
        if text == "00":
            self.append(False)
        elif text == "01":
            self.append(True)
        else:
            self.append(int(text) if text.isdecimal() else _decimal(text, "INT"))

    @handles("BININT")
    def load_BININT(self, value):
        self.append(value)

    @handles("BININT1")
    def load_BININT1(self, value):
        self.append(value)

    @handles("BININT2")
    def load_BININT2(self, value):
        self.append(value)

    @handles("LONG")
    def load_LONG(self, text):
        # Python 2 wrote longs with a trailing 'L'; Python 3.0 did not, so it
        # is optional.  One 'L' only, as both unpicklers strip.
        if text.endswith("L"):
            text = text[:-1]
        self.append(int(text) if text.isdecimal() else _decimal(text, "LONG"))

    @handles("LONG1")
    def load_LONG1(self, value):
        self.append(value)

    @handles("LONG4")
    def load_LONG4(self, value):
        self.append(value)

    @handles("STRING")
    def load_STRING(self, text):
        # A quoted Python 2 literal: the same quote at both ends, escapes
        # inside.  Bytes first, then decoded as BINSTRING is.
        if len(text) < 2 or text[0] != text[-1] or text[0] not in "'\"":
            raise BadArgumentError("the STRING opcode argument must be quoted")
        raw = _unescape(text[1:-1].encode("latin-1"))
        self.append(self._decode_string(raw))

    @handles("BINSTRING")
    def load_BINSTRING(self, raw):
        self.append(self._decode_string(raw))

    @handles("SHORT_BINSTRING")
    def load_SHORT_BINSTRING(self, raw):
        self.append(self._decode_string(raw))

    @handles("BINBYTES")
    def load_BINBYTES(self, value):
        self.append(value)

    @handles("SHORT_BINBYTES")
    def load_SHORT_BINBYTES(self, value):
        self.append(value)

    @handles("BINBYTES8")
    def load_BINBYTES8(self, value):
        self.append(value)

    @handles("BYTEARRAY8")
    def load_BYTEARRAY8(self, value):
        self.append(value)

    @handles("NEXT_BUFFER")
    def load_NEXT_BUFFER(self):
        self.append(self.next_buffer())

    @handles("READONLY_BUFFER")
    def load_READONLY_BUFFER(self):
        stack = self.stack
        stack[-1] = self.readonly_buffer(stack[-1])

    @handles("NONE")
    def load_NONE(self):
        self.append(None)

    @handles("NEWTRUE")
    def load_NEWTRUE(self):
        self.append(True)

    @handles("NEWFALSE")
    def load_NEWFALSE(self):
        self.append(False)

    @handles("UNICODE")
    def load_UNICODE(self, text):
        # raw-unicode-escape: latin-1, except \uXXXX and \UXXXXXXXX.  The
        # codec's function itself: a codec looked up by name is imported on
        # first use, and reading a stream imports nothing.
        raw = text.encode("latin-1")
        try:
            self.append(_raw_unicode_escape_decode(raw)[0])
        except UnicodeDecodeError as exc:
            raise BadTextError("UNICODE: %s" % exc.reason, exc.encoding, raw, exc.start,
                               exc.end, exc.reason) from None

    @handles("SHORT_BINUNICODE")
    def load_SHORT_BINUNICODE(self, value):
        self.append(value)

    @handles("BINUNICODE")
    def load_BINUNICODE(self, value):
        self.append(value)

    @handles("BINUNICODE8")
    def load_BINUNICODE8(self, value):
        self.append(value)

    @handles("FLOAT")
    def load_FLOAT(self, text):
        # _pickle.c's grammar, the stricter one: float() in pickle.py also
        # takes spaces ('F nan'), underscores ('F1_0') and gives inf for an
        # overflow ('F1e400'), where _pickle.c raises.
        try:
            value = float(text)
        except ValueError:
            raise BadValueError("FLOAT: %r is not a float" % text) from None
        if "_" in text or text != text.strip():
            raise BadValueError("FLOAT: %r is not a float" % text)
        if value in _INFINITIES and "n" not in text.lower():
            raise BadArgumentError("FLOAT: %r is out of range" % text)
        self.append(value)

    @handles("BINFLOAT")
    def load_BINFLOAT(self, value):
        self.append(value)

    @handles("EMPTY_LIST")
    def load_EMPTY_LIST(self):
        self.append([])

    @handles("APPEND")
    def load_APPEND(self):
        stack = self.stack
        value = stack.pop()
        target = stack[-1]
        if type(target) is list:
            target.append(value)
        else:
            self.extend(target, [value])

    @handles("APPENDS")
    def load_APPENDS(self):
        items = self.pop_mark()
        target = self.stack[-1]
        if type(target) is list:
            target.extend(items)
        else:
            self.extend(target, items)

    @handles("LIST")
    def load_LIST(self):
        items = self.pop_mark()  # before self.append, which pop_mark rebinds
        self.append(items)

    @handles("EMPTY_TUPLE")
    def load_EMPTY_TUPLE(self):
        self.append(())

    # Tuples and frozensets made of tuples or frozensets go through
    # _check_depth: hashing them recurses (see Limits).

    @handles("TUPLE")
    def load_TUPLE(self):
        items = tuple(self.pop_mark())
        if not _NESTING.isdisjoint(map(type, items)):
            self._check_depth(items)
        self.append(items)

    @handles("TUPLE1")
    def load_TUPLE1(self):
        stack = self.stack
        items = (stack[-1],)
        if type(items[0]) in _NESTING:
            self._check_depth(items)
        stack[-1] = items

    @handles("TUPLE2")
    def load_TUPLE2(self):
        stack = self.stack
        items = (stack[-2], stack[-1])
        if not _NESTING.isdisjoint(map(type, items)):
            self._check_depth(items)
        stack[-2:] = [items]

    @handles("TUPLE3")
    def load_TUPLE3(self):
        stack = self.stack
        items = (stack[-3], stack[-2], stack[-1])
        if not _NESTING.isdisjoint(map(type, items)):
            self._check_depth(items)
        stack[-3:] = [items]

    @handles("EMPTY_DICT")
    def load_EMPTY_DICT(self):
        self.append({})

    @handles("DICT")
    def load_DICT(self):
        items = self.pop_mark()
        if len(items) % 2:
            raise StackError("odd number of items for DICT")
        try:
            value = dict(zip(items[::2], items[1::2]))
        except Exception as exc:
            raise _hashing_fault(exc, items[::2], "DICT") from None
        self.append(value)

    @handles("SETITEM")
    def load_SETITEM(self):
        stack = self.stack
        value = stack.pop()
        key = stack.pop()
        target = stack[-1]
        if type(target) is dict:
            try:
                target[key] = value
            except Exception as exc:
                raise _hashing_fault(exc, (key,), "SETITEM") from None
        else:
            self.setitems(target, [key, value])

    @handles("SETITEMS")
    def load_SETITEMS(self):
        items = self.pop_mark()
        if len(items) % 2:
            raise StackError("odd number of items for SETITEMS")
        target = self.stack[-1]
        if type(target) is dict:
            try:
                target.update(zip(items[::2], items[1::2]))
            except Exception as exc:
                raise _hashing_fault(exc, items[::2], "SETITEMS") from None
        else:
            self.setitems(target, items)

    @handles("EMPTY_SET")
    def load_EMPTY_SET(self):
        self.append(set())

    @handles("ADDITEMS")
    def load_ADDITEMS(self):
        items = self.pop_mark()
        target = self.stack[-1]
        if type(target) is set:
            try:
                target.update(items)
            except Exception as exc:
                raise _hashing_fault(exc, items, "ADDITEMS") from None
        else:
            self.additems(target, items)

    @handles("FROZENSET")
    def load_FROZENSET(self):
        members = self.pop_mark()
        try:
            items = frozenset(members)
        except Exception as exc:
            raise _hashing_fault(exc, members, "FROZENSET") from None
        if not _NESTING.isdisjoint(map(type, items)):
            self._check_depth(items)
        self.append(items)

    @handles("POP")
    def load_POP(self):
        # With nothing above the topmost mark, POP discards the mark.
        if self.stack:
            del self.stack[-1]
        else:
            self.pop_mark()

    @handles("DUP")
    def load_DUP(self):
        self.append(self.stack[-1])

    @handles("MARK")
    def load_MARK(self):
        metastack = self.metastack
        metastack.append(self.stack)
        if len(metastack) > self._max_marks:
            raise LimitError("more than %d MARKs open" % self._max_marks)
        stack = self.stack = []
        self.append = stack.append

    @handles("POP_MARK")
    def load_POP_MARK(self):
        self.pop_mark()

    # The memo handlers are written out rather than shared: they are among
    # the most frequent opcodes.

    @handles("GET")
    def load_GET(self, text):
        key = int(text) if text.isdecimal() else _decimal(text, "GET")
        try:
            self.append(self.memo[key])
        except KeyError:
            raise self._memo_miss(key) from None

    @handles("BINGET")
    def load_BINGET(self, key):
        try:
            self.append(self.memo[key])
        except KeyError:
            raise self._memo_miss(key) from None

    @handles("LONG_BINGET")
    def load_LONG_BINGET(self, key):
        try:
            self.append(self.memo[key])
        except KeyError:
            raise self._memo_miss(key) from None

    @handles("PUT")
    def load_PUT(self, text):
        key = int(text) if text.isdecimal() else _decimal(text, "PUT")
        if key < 0:
            raise NegativeMemoKeyError("negative PUT argument %d" % key)
        memo = self.memo
        memo[key] = self.stack[-1]
        if len(memo) > self._max_memo:
            raise self._memo_full()

    @handles("BINPUT")
    def load_BINPUT(self, key):
        memo = self.memo
        memo[key] = self.stack[-1]
        if len(memo) > self._max_memo:
            raise self._memo_full()

    @handles("LONG_BINPUT")
    def load_LONG_BINPUT(self, key):
        # Any uint4 is a fine key for a dict memo; _pickle.c's array memo
        # raises MemoryError for 2**32-1.
        memo = self.memo
        memo[key] = self.stack[-1]
        if len(memo) > self._max_memo:
            raise self._memo_full()

    @handles("MEMOIZE")
    def load_MEMOIZE(self):
        memo = self.memo
        memo[len(memo)] = self.stack[-1]
        if len(memo) > self._max_memo:
            raise self._memo_full()

    @handles("EXT1")
    def load_EXT1(self, code):
        self.append(self.get_extension(code))

    @handles("EXT2")
    def load_EXT2(self, code):
        self.append(self.get_extension(code))

    @handles("EXT4")
    def load_EXT4(self, code):
        self.append(self.get_extension(code))

    @handles("GLOBAL")
    def load_GLOBAL(self, text):
        # Names are UTF-8: protocol 3 writes non-ASCII identifiers.
        module, name = _names(text, "utf-8", "GLOBAL")
        self.append(self._call_out(self.find_class, module, name))

    @handles("STACK_GLOBAL")
    def load_STACK_GLOBAL(self):
        stack = self.stack
        name = stack.pop()
        module = stack.pop()
        if type(name) is not str or type(module) is not str:
            raise StackError("STACK_GLOBAL requires str")
        self.append(self._call_out(self.find_class, module, name))

    @handles("REDUCE")
    def load_REDUCE(self):
        stack = self.stack
        args = stack.pop()
        # _pickle.c requires a tuple; pickle.py takes any iterable.
        if not isinstance(args, tuple):
            raise OperandTypeError("REDUCE: the arguments are a %s, not a tuple"
                                   % type(args).__name__)
        stack[-1] = self.call(stack[-1], args)

    @handles("BUILD")
    def load_BUILD(self):
        stack = self.stack
        state = stack.pop()
        self.build(stack[-1], state)

    @handles("INST")
    def load_INST(self, text):
        # INST is from Python 2, whose names were ASCII.  The mark is popped
        # before find_class, as _pickle.c does: a stream without one fails
        # without importing anything.
        module, name = _names(text, "ascii", "INST")
        args = tuple(self.pop_mark())
        cls = self._call_out(self.find_class, module, name)
        self.append(self.instantiate(cls, args, "inst"))

    @handles("OBJ")
    def load_OBJ(self):
        items = self.pop_mark()
        if not items:
            raise StackError("OBJ: no class above the MARK")
        self.append(self.instantiate(items[0], tuple(items[1:]), "obj"))

    @handles("NEWOBJ")
    def load_NEWOBJ(self):
        stack = self.stack
        args = stack.pop()
        if not isinstance(args, tuple):
            raise StackError("NEWOBJ: the arguments are a %s, not a tuple" % type(args).__name__)
        stack[-1] = self.new_object(stack[-1], args, None, "newobj")

    @handles("NEWOBJ_EX")
    def load_NEWOBJ_EX(self):
        stack = self.stack
        kwargs = stack.pop()
        args = stack.pop()
        if not isinstance(args, tuple) or not isinstance(kwargs, dict):
            raise StackError("NEWOBJ_EX: needs a tuple and a dict, got a %s and a %s"
                             % (type(args).__name__, type(kwargs).__name__))
        stack[-1] = self.new_object(stack[-1], args, kwargs, "newobj_ex")

    @handles("PROTO")
    def load_PROTO(self, proto):
        if proto > HIGHEST_PROTOCOL:
            raise UnsupportedProtocolError("unsupported pickle protocol: %d" % proto)
        self.proto = proto

    @handles("STOP")
    def load_STOP(self):
        # The top of the stack is the result; the loop returns it.
        return self.stack.pop()

    @handles("FRAME")
    def load_FRAME(self, length):
        raise _Frame(length)

    @handles("PERSID")
    def load_PERSID(self, text):
        # Protocol 0 persistent ids are ASCII text.
        if not text.isascii():
            raise BadArgumentError("persistent IDs in protocol 0 must be ASCII strings")
        self.append(self._call_out(self.persistent_load, text))

    @handles("BINPERSID")
    def load_BINPERSID(self):
        stack = self.stack
        stack[-1] = self._call_out(self.persistent_load, stack[-1])


_OPERAND_ERRORS = {TypeError: OperandTypeError, AttributeError: OperandAttributeError,
                   IndexError: OperandIndexError}


def _hashing_fault(exc, keys, what):
    """What exc, raised while hashing `keys` into a dict or set, is: the
    stream's fault when a key is a value the machine makes that cannot be
    hashed (a list as a dict key: TypeError in both CPython unpicklers),
    else what called code raised (a class's own __hash__ or __eq__)."""
    for key in keys:
        if _unhashable(key):
            return OperandTypeError("%s: unhashable %s" % (what, type(key).__name__))
    return _CalledCode(exc)


def _unhashable(value):
    """Whether value is unhashable for a reason of its own, not of a class's
    __hash__: a list, dict, set, bytearray or writable memoryview, or a
    tuple or frozenset holding one."""
    todo = [value]
    while todo:
        value = todo.pop()
        kind = type(value)
        if kind not in _MACHINE_TYPES:
            continue
        if kind.__hash__ is None or (kind is memoryview and not value.readonly):
            return True
        if kind is tuple:
            todo.extend(value)
    return False


def _unknown_opcode(self):
    raise UnknownOpcodeError("unknown opcode byte")


def _claimed_length(op, data, pos):
    """The length a counted argument's prefix claims, or None."""
    prefix = _LENGTH_PREFIX.get(op.arg.n) if op.arg is not None else None
    if prefix is None:
        return None
    try:
        return prefix.read(data, pos)[0]
    except TruncatedError:
        return None


def _build_dispatch():
    """One (handler, argument reader) per byte, from the table; every opcode
    must have exactly one handler and every handler an opcode."""
    missing = [op.name for op in opcodes if op.name not in _HANDLERS]
    if missing:
        raise ImportError("opcodes without a handler: %s" % ", ".join(missing))
    dispatch = [(_unknown_opcode, None)] * 256
    for op in opcodes:
        dispatch[op.byte] = (_HANDLERS[op.name], op.arg.read if op.arg is not None else None)
    dispatch[by_name["STOP"].byte] = (_HANDLERS["STOP"], _ENDS)
    return dispatch


_ENDS = object()  # the reader in STOP's dispatch entry: the loop ends there


_DISPATCH = _build_dispatch()


class SymbolicUnpickler(Unpickler):
    """Read any pickle into the object model, importing and calling nothing.

    The machine and every handler are Unpickler's; only the effect hooks
    differ.  Globals become `model.Global` (Python 2 names mapped as
    find_class maps them), calls become `model.Object` whose `via` names the
    opcode, BUILD and the item opcodes fill in the Object, persistent ids
    become `model.PersistentId` and out-of-band buffers `model.Buffer`
    (or, when the load is given `buffers`, the next of them).
    """

    def __init__(self, file, *, fix_imports=True, encoding="ASCII", errors="strict",
                 buffers=None, limits=None):
        super().__init__(file, fix_imports=fix_imports, encoding=encoding, errors=errors,
                         buffers=buffers, limits=limits)
        self._buffer_index = 0

    def find_class(self, module, name):
        return model.Global(*self._python3_name(module, name))

    def persistent_load(self, pid):
        return model.PersistentId(pid)

    def call(self, func, args):
        return model.Object(self._callable(func, "REDUCE"), args, via="reduce")

    def instantiate(self, cls, args, via):
        return model.Object(self._callable(cls, via.upper()), args, via=via)

    def new_object(self, cls, args, kwargs, via):
        return model.Object(self._callable(cls, via.upper()), args, kwargs=kwargs, via=via)

    def build(self, obj, state):
        # BUILD's meaning (effects.set_state) is not run here but written
        # down: the state becomes the Object's, whatever its type, since no
        # class is there to say what it would accept.
        target = self._object(obj, "BUILD")
        if target.has_state:
            raise StackError("BUILD: a second state for the same object")
        target.state, target.has_state = state, True

    def extend(self, obj, items):
        # Likewise APPENDS (effects.extend): the items are recorded.
        self._object(obj, "APPENDS").listitems.extend(items)

    def setitems(self, obj, items):
        self._object(obj, "SETITEMS").dictitems.extend(zip(items[::2], items[1::2]))

    def additems(self, obj, items):
        self._object(obj, "ADDITEMS").setitems.extend(items)

    def next_buffer(self):
        if self._buffers is not None:  # given: the next of them, as Unpickler takes it
            return super().next_buffer()
        buffer = model.Buffer(index=self._buffer_index)
        self._buffer_index += 1
        return buffer

    def readonly_buffer(self, obj):
        if isinstance(obj, model.Buffer):
            return model.Buffer(obj.index, obj.data, readonly=True)
        if type(obj) is bytearray:
            return model.Buffer(data=bytes(obj), readonly=True)
        if type(obj) is bytes:
            return obj
        raise StackError("READONLY_BUFFER: a %s is not a buffer" % type(obj).__name__)

    _CALLABLES = (model.Global, model.Object, model.PersistentId)

    def _callable(self, func, what):
        if not isinstance(func, self._CALLABLES):
            raise StackError("%s: a %s cannot be called" % (what, type(func).__name__))
        return func

    def _object(self, obj, what):
        if not isinstance(obj, model.Object):
            raise StackError("%s on a %s, which the model cannot extend"
                             % (what, type(obj).__name__))
        return obj


# -- the shorthands ------------------------------------------------------------


def load(file, *, fix_imports=True, encoding="ASCII", errors="strict", buffers=None,
         limits=None):
    """Read one pickle from a binary file (pickle.load)."""
    return Unpickler(file, fix_imports=fix_imports, encoding=encoding, errors=errors,
                     buffers=buffers, limits=limits).load()


def loads(data, /, *, fix_imports=True, encoding="ASCII", errors="strict", buffers=None,
          limits=None):
    """Read one pickle from a bytes-like object (pickle.loads)."""
    unpickler = Unpickler(_NO_FILE, fix_imports=fix_imports, encoding=encoding,
                          errors=errors, buffers=buffers, limits=limits)
    return unpickler._load_bytes(_as_bytes(data))


def load_symbolic(file, *, fix_imports=True, encoding="ASCII", errors="strict", limits=None):
    """Read one pickle from a binary file into the object model."""
    return SymbolicUnpickler(file, fix_imports=fix_imports, encoding=encoding, errors=errors,
                             limits=limits).load()


def loads_symbolic(data, /, *, fix_imports=True, encoding="ASCII", errors="strict",
                   buffers=None, limits=None):
    """Read one pickle from a bytes-like object into the object model.

    NEXT_BUFFER takes the next of `buffers` when they are given, as `loads`
    does; without them it reads a `model.Buffer` naming its position."""
    unpickler = SymbolicUnpickler(_NO_FILE, fix_imports=fix_imports, encoding=encoding,
                                  errors=errors, buffers=buffers, limits=limits)
    return unpickler._load_bytes(_as_bytes(data))


def _as_bytes(data):
    if isinstance(data, str):
        raise TypeError("Can't load pickle from unicode string")
    return data if type(data) is bytes else bytes(data)


class _NoFile:
    """The file of an unpickler that is given its bytes directly."""

    def read(self, n=-1):
        return b""

    def readline(self):
        return b""


_NO_FILE = _NoFile()


# -- the I/O layer ---------------------------------------------------------------
# The machine runs over bytes in memory.  Reading a file is this: give it what
# has been read so far; when it runs out at an opcode (which it then has not
# started to execute), read more and run that opcode again.  A seekable file
# is read ahead in growing chunks and sought back to just after the STOP.  A
# file that cannot seek is read one whole instruction at a time -- its length
# comes from the table's argument encodings -- stopping at STOP, so nothing
# after the pickle is consumed (a FRAME is read whole, as _pickle.c does).
# Claimed lengths are read in chunks: a length that lies costs only the bytes
# that are really there.

_CHUNK = 1 << 12
_MAX_READ = 1 << 20


def _load_file(unpickler, file):
    seekable = getattr(file, "seekable", None)
    if seekable is not None and seekable() and hasattr(file, "seek") and hasattr(file, "tell"):
        return _load_seekable(unpickler, file)
    return _load_sequential(unpickler, file)


def _load_seekable(unpickler, file):
    start = file.tell()
    unpickler._begin()
    data = _read_bytes(file.read, _CHUNK)
    base = 0
    size = _CHUNK
    while True:
        try:
            value, end = unpickler._execute(data, 0, base, final=False)
            break
        except _NeedMore as need:
            more = _read_bytes(file.read, size)
            if not more:
                raise need.error from None
            data = data[need.error.offset - base:] + more
            base = need.error.offset
            size *= 2  # so a large pickle is copied O(log n) times, not O(n)
    file.seek(start + base + end)
    return value


def _load_sequential(unpickler, file):
    unpickler._begin()
    max_length = unpickler._limits.max_length
    data = _fetch(file, max_length)
    base = 0
    while True:
        try:
            return unpickler._execute(data, 0, base, final=False)[0]
        except _NeedMore as need:
            more = _fetch(file, max_length)
            if not more:
                raise need.error from None
            data = data[need.error.offset - base:] + more
            base = need.error.offset


def _read_bytes(read, n):
    """Up to n bytes from read, fewer only at the end of the file."""
    chunks = []
    while n > 0:
        chunk = read(min(n, _MAX_READ))
        if not chunk:
            break
        if not isinstance(chunk, bytes):
            raise TypeError("read() returned a %s, not bytes" % type(chunk).__name__)
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _fetch(file, max_length):
    """Whole instructions, up to a STOP, a FRAME (with its frame), a byte
    that is no opcode, the end of the file, or _CHUNK bytes."""
    chunks = []
    size = 0
    while size < _CHUNK:
        raw, complete = _fetch_instruction(file, max_length)
        if not raw:
            break
        chunks.append(raw)
        size += len(raw)
        op = by_code.get(raw[0])
        if not complete or op is None or op.name in ("STOP", "FRAME"):
            break
    return b"".join(chunks)


def _fetch_instruction(file, max_length):
    """(bytes of one instruction, whether it is all there).

    A length over max_length is not read: the machine reports it."""
    raw = _read_bytes(file.read, 1)
    op = by_code.get(raw[0]) if raw else None
    if op is None or op.arg is None:
        return raw, True
    arg = op.arg
    parts = [raw]
    if arg.n >= 0:
        parts.append(_read_bytes(file.read, arg.n))
        complete = len(parts[-1]) == arg.n
    elif arg.n == A.UP_TO_NEWLINE:
        for _ in range(2 if arg is A.stringnl_noescape_pair else 1):
            parts.append(file.readline())
        complete = all(part.endswith(b"\n") for part in parts[1:])
    else:
        prefix = _LENGTH_PREFIX[arg.n]
        parts.append(_read_bytes(file.read, prefix.n))
        complete = len(parts[-1]) == prefix.n
        if complete:
            complete = _fetch_payload(file, prefix.read(parts[-1], 0)[0], max_length, parts)
    if complete and op.name == "FRAME":
        complete = _fetch_payload(file, A.uint8.read(parts[-1], 0)[0], max_length, parts)
    return b"".join(parts), complete


def _fetch_payload(file, claimed, max_length, parts):
    if claimed > max_length:
        return False
    parts.append(_read_bytes(file.read, max(claimed, 0)))
    return len(parts[-1]) == max(claimed, 0)
