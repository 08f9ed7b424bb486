"""Errors raised by the reference pickler and unpickler.

Every error subclasses the standard library's own (`pickle.PicklingError`,
`pickle.UnpicklingError`), so code written against `pickle` catches ours
unchanged.  An unpickling error carries *where* it happened: the byte offset of
the opcode being executed and that opcode's name (as in `pickletools`), so a
malformed stream is always reported as "what, at which byte, in which opcode".
"""

import pickle

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
    """

    kind = "malformed"

    def __init__(self, message, *, offset=None, opcode=None):
        self.message = message
        self.offset = offset
        self.opcode = opcode
        super().__init__(self._render())

    def _render(self):
        where = []
        if self.offset is not None:
            where.append("offset %d" % self.offset)
        if self.opcode is not None:
            where.append("opcode %s" % self.opcode)
        if not where:
            return self.message
        return "%s (at %s)" % (self.message, ", ".join(where))

    def located(self, offset, opcode):
        """Fill in the location if the raiser did not know it; return self."""
        if self.offset is None:
            self.offset = offset
        if self.opcode is None:
            self.opcode = opcode
        self.args = (self._render(),)
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

    This is how hostile lengths ("a BINBYTES8 of 16 EiB") and nesting deep
    enough to exhaust the interpreter are reported, instead of MemoryError or
    RecursionError.
    """

    kind = "limit"


class ForbiddenError(UnpicklingError):
    """`find_class` (or a restriction built on it) refused a global."""

    kind = "forbidden"
