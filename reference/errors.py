"""Errors raised by the reference pickler and unpickler.

Two kinds of failure, told apart where they are raised:

- a fault of the *stream* raises one of the UnpicklingError subclasses
  below, located at the opcode.  Where both CPython unpicklers raise a
  specific built-in type for the same fault (ValueError for an unsupported
  protocol, TypeError for REDUCE of something that is not callable, ...),
  the class derives from that type too, so code written for either
  ``except`` clause catches it (`UnsupportedProtocolError`,
  `OperandTypeError`, ...);
- what *called code* raises -- find_class, persistent_load, the callables
  REDUCE and NEWOBJ call, __setstate__, __reduce__ -- propagates unchanged,
  the same exception object, as CPython lets it.  `note_location` records
  where it happened: as attributes (`pickle_offset`, `pickle_opcode`) on
  every version and as a PEP 678 note on 3.11+.

Every error subclasses the standard library's own (`pickle.PicklingError`,
`pickle.UnpicklingError`), so code written against `pickle` catches ours
unchanged.  An unpickling error carries *where* it happened: the byte offset of
the opcode being executed and that opcode's name (as in `pickletools`), so a
malformed stream is always reported as "what, at which byte, in which opcode".
"""

import pickle

_NOTES = hasattr(BaseException, "add_note")  # PEP 678, Python 3.11+

__all__ = [
    "PicklingError",
    "UnpicklingError",
    "TruncatedError",
    "UnknownOpcodeError",
    "BadArgumentError",
    "StackError",
    "MemoError",
    "FrameError",
    "LimitError",
    "ForbiddenError",
    "UnsupportedProtocolError",
    "BadValueError",
    "BadTextError",
    "NegativeMemoKeyError",
    "UnregisteredExtensionError",
    "OperandTypeError",
    "OperandAttributeError",
    "OperandIndexError",
    "NameLookupError",
    "note_location",
    "CALLED",
    "KINDS",
    "kind_of",
]


class PicklingError(pickle.PicklingError):
    """An object, or something inside it, cannot be pickled.

    `path` says where in the object it sat, as a list of steps from the root
    (for example ``["[3]", "['key']", ".attr"]``).
    """

    def __init__(self, message, *, path=()):
        self.message = message
        self.path = list(path)
        super().__init__(self._render())

    def _render(self):
        if not self.path:
            return self.message
        return "%s (at obj%s)" % (self.message, "".join(self.path))


class UnpicklingError(pickle.UnpicklingError):
    """A stream is malformed, or asks for something the unpickler refuses.

    `offset` is the byte offset of the opcode being executed (counted from the
    start of the stream this unpickler read) and `opcode` its name; either may
    be None when the fault is not inside an opcode (for example, an empty
    input).  `kind` is a short, stable word for the family of fault, which
    conformance reports print; the message is for people.

    The message is CPython's where CPython has one for the fault, and the
    place is a PEP 678 note ("at offset 12, opcode BINGET"), which
    tracebacks print, on Python 3.11+; on 3.10, which has no notes, the
    message ends with it.
    """

    kind = "malformed"

    def __init__(self, message, *, offset=None, opcode=None):
        self.message = message
        self.offset = offset
        self.opcode = opcode
        super().__init__(self._render())
        self._note_place()

    def _place(self):
        where = []
        if self.offset is not None:
            where.append("offset %d" % self.offset)
        if self.opcode is not None:
            where.append("opcode %s" % self.opcode)
        return ", ".join(where)

    def _render(self):
        place = self._place()
        if not place or _NOTES:
            return self.message
        return "%s (at %s)" % (self.message, place)

    def _note_place(self):
        place = self._place()
        if _NOTES and place:
            note = "at " + place
            notes = getattr(self, "__notes__", None)
            if notes and notes[-1].startswith("at offset"):
                notes[-1] = note
            elif not notes or note not in notes:
                self.add_note(note)

    def located(self, offset, opcode):
        """Fill in the location if the raiser did not know it; return self."""
        if self.offset is None:
            self.offset = offset
        if self.opcode is None:
            self.opcode = opcode
        self.args = (self._render(),)
        self._note_place()
        return self


class TruncatedError(UnpicklingError):
    """The input ended inside an argument, or before STOP."""

    kind = "truncated"


class UnknownOpcodeError(UnpicklingError):
    """A byte that is not an opcode of protocols 0-5 stands where an opcode must."""

    kind = "unknown-opcode"


class BadArgumentError(UnpicklingError):
    """An argument is present but not of its encoding's form (or value range)."""

    kind = "bad-argument"


class StackError(UnpicklingError):
    """Stack underflow, a missing or misplaced MARK, or an operand of the wrong type."""

    kind = "stack"


class MemoError(UnpicklingError):
    """A GET of a memo key that was never PUT, or a memo index out of range."""

    kind = "memo"


class FrameError(UnpicklingError):
    """A FRAME that lies about its size, or an opcode that crosses a frame's end."""

    kind = "frame"


class LimitError(UnpicklingError):
    """The stream asks for more than the configured limits allow.

    This is how hostile lengths and nesting deep enough to exhaust the
    interpreter are reported, instead of MemoryError or RecursionError.  A
    length is hostile when it is over `Limits.max_length` (by default
    sys.maxsize: "a BINBYTES8 of 16 EiB"); a length the limit allows that
    runs past the end of the input is a TruncatedError.
    """

    kind = "limit"


class ForbiddenError(UnpicklingError):
    """`find_class` (or a restriction built on it) refused a global."""

    kind = "forbidden"


# -- stream faults that CPython raises as a built-in type ---------------------
# Each is the reference's located error *and* the built-in exception both
# CPython unpicklers raise for the same fault.


class UnsupportedProtocolError(BadArgumentError, ValueError):
    """PROTO names a protocol this unpickler does not know (ValueError in CPython)."""


class BadValueError(BadArgumentError, ValueError):
    """A text argument int() or float() refuses, or a STRING escape that
    does not end (ValueError in CPython)."""


class BadTextError(BadArgumentError, UnicodeDecodeError):
    """Bytes that are not text in the encoding the opcode reads them in
    (UnicodeDecodeError in CPython)."""

    def __init__(self, message, encoding, raw, start, end, reason, offset=None, opcode=None):
        UnicodeDecodeError.__init__(self, encoding, raw, start, end, reason)
        self.message = message
        self.offset = offset
        self.opcode = opcode
        self._note_place()

    def located(self, offset, opcode):
        if self.offset is None:
            self.offset = offset
        if self.opcode is None:
            self.opcode = opcode
        self._note_place()
        return self

    def __str__(self):
        return self._render()


class NegativeMemoKeyError(MemoError, ValueError):
    """PUT of a negative memo index (ValueError in CPython, bpo-12847)."""


class UnregisteredExtensionError(BadArgumentError, ValueError):
    """An EXT code that copyreg's registry does not hold (ValueError in CPython)."""


class OperandTypeError(StackError, TypeError):
    """An operand of the wrong type: REDUCE of something not callable, its
    arguments not a tuple, an unhashable dict key (TypeError in CPython)."""


class OperandAttributeError(StackError, AttributeError):
    """An operand without what the opcode uses: BUILD on an object without
    __dict__, APPENDS on one without extend() or append() (AttributeError
    in CPython)."""


class OperandIndexError(StackError, IndexError):
    """An item opcode's index out of its operand's range: SETITEM past the
    end of a list (IndexError in CPython, whose list.__setitem__ raises it)."""


class NameLookupError(ForbiddenError, AttributeError):
    """A global name the unpickler will not follow: a dotted name before
    PROTO 4, a name inside <locals> (AttributeError in CPython, whose
    lookup fails)."""


# -- failure kinds -------------------------------------------------------------
# The word for a stream refused because code it called failed (an import, a
# call with the wrong arguments, a __setstate__ that raised): the exception
# is that code's own, marked by `note_location`, and has no `kind`.
CALLED = "called"


def kind_of(exc):
    """The failure kind of an exception a load raised.

    A fault of the stream gives its class's `kind`; an exception raised by
    called code (marked by `note_location`) gives CALLED; anything else None.
    """
    if isinstance(exc, UnpicklingError):
        return exc.kind
    if getattr(exc, "pickle_offset", None) is not None:
        return CALLED
    return None


def note_location(exc, offset, opcode):
    """Record on exc, raised by called code, the opcode that called it.

    The exception itself is not changed: same object, same type, same
    message.  The place is kept as attributes, and on Python 3.11+ as a
    PEP 678 note that tracebacks print.
    """
    if getattr(exc, "pickle_offset", None) is not None:
        return exc  # noted by an inner load already
    try:
        exc.pickle_offset = offset
        exc.pickle_opcode = opcode
    except AttributeError:  # an exception type without a __dict__
        return exc
    add_note = getattr(exc, "add_note", None)
    if add_note is not None:
        add_note("when unpickling: raised by code that opcode %s at offset %d called"
                 % (opcode, offset))
    return exc


def _kinds():
    kinds = []
    for value in list(globals().values()):
        if isinstance(value, type) and issubclass(value, UnpicklingError) \
                and value.kind not in kinds:
            kinds.append(value.kind)
    return tuple(kinds) + (CALLED,)


# Every failure kind, in the order the classes are defined, then CALLED: the
# closed list case files, the export and reports use (cases/README.md).
KINDS = _kinds()
