"""The ground truth of a scan: which globals CPython's unpickler resolves, and calls.

Theory of operation
-------------------
A scanner is judged against what CPython itself does with a stream: the
globals its ``find_class`` is asked for, in order, and which of the objects
found are then called (REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ).  The corpus
records this per case (``finds:`` / ``calls:``, `case.finds` / `case.calls`);
for a case that does not, `record` runs this interpreter's own unpickler,
pickle.py's ``_Unpickler``, with a ``find_class`` that imports nothing: it
writes the name down and returns an inert stand-in, a class whose
construction is written down as a call of that global and builds an inert
object.  Nothing named by the stream is imported or executed; the stand-ins
absorb what the stream does to them (BUILD, APPENDS, SETITEMS, calling what
they return).  Extension codes resolve through copyreg's registry, as
CPython's do.
"""

import io
import pickle

__all__ = ["record", "Truth", "NoTruth"]


class NoTruth(Exception):
    """The stream does not load even with stand-ins; the message says why."""


class Truth:
    __slots__ = ("finds", "calls")

    def __init__(self, finds, calls):
        self.finds = list(finds)
        self.calls = list(calls)


class _Inert(object):
    """What a stand-in builds: takes any state, items and calls, and does nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return _Inert()

    def __setstate__(self, state):
        pass

    def append(self, item):
        pass

    def extend(self, items):
        pass

    def add(self, item):
        pass

    def __setitem__(self, key, value):
        pass


def _stand_in(name, calls):
    def new(cls, *args, **kwargs):
        calls.append(name)
        return object.__new__(_Inert)

    class _Meta(type):
        def __call__(cls, *args, **kwargs):
            calls.append(name)
            return _Inert()

    return _Meta("StandIn", (_Inert,), {"__new__": new, "__qualname__": name})


class _Recorder(pickle._Unpickler):
    def __init__(self, stream, **kwargs):
        super().__init__(stream, **kwargs)
        self.finds, self.calls = [], []

    def find_class(self, module, name):
        text = "%s:%s" % (module, name)
        self.finds.append(text)
        return _stand_in(text, self.calls)

    def persistent_load(self, pid):
        return _Inert()


def record(data, encoding="ASCII", errors="strict", buffers=None, sequence=False):
    """The Truth of a stream as CPython's unpickler reads it; NoTruth if it does not load."""
    import picklespec.cases.fixtures  # noqa: F401 -- registers the corpus's extension codes

    stream = io.BytesIO(bytes(data))
    recorder = _Recorder(stream, encoding=encoding, errors=errors, buffers=buffers)
    try:
        recorder.load()
        while sequence and stream.tell() < len(data):
            recorder.load()
    except Exception as exc:  # the stream itself is at fault, or a stand-in could not absorb it
        raise NoTruth("%s: %s" % (type(exc).__name__, exc)) from None
    return Truth(recorder.finds, recorder.calls)
