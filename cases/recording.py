"""The scanner ground truth: which globals an unpickler asks for, and calls.

Theory of operation
-------------------
A scanner is judged against what CPython's unpickler itself does with a
stream (cases/README.md, "Scanner ground truth"): each ``find_class(module,
name)`` request, in order, and each call of an object a find_class gave.
`record` finds out by loading the stream with a real unpickler whose
``find_class`` imports nothing: it writes the request down and returns a
*stand-in*, a fresh class standing for the global.  Calling a stand-in --
as a function (REDUCE, INST/OBJ with arguments) or through ``__new__``
(NEWOBJ, NEWOBJ_EX, INST/OBJ without arguments) -- writes the call down and
gives back an *inert* object, which absorbs whatever the stream does next:
calling it (written down as a call of no global), BUILD, APPEND(S),
SETITEM(S), ADDITEMS.  The stand-ins absorb BUILD, APPEND(S) and SETITEM(S)
themselves too.  A persistent id loads as an inert object: it is not a
global, and what an application's persistent_load gives is not the stream's
to know.  So the record is the stream's own data flow; nothing it names is
ever imported, reached or run, and a call with the wrong arguments does not
stop the load.  A load that fails midway keeps what was asked and called
before the failure.

Extension codes (EXT1, EXT2, EXT4) go through copyreg's registry to
find_class, as in every CPython: the corpus's codes are registered
(cases/fixtures.py), and copyreg's cache of codes already met is emptied
before the load -- else a code met earlier would skip find_class -- and
after it, so that no stand-in answers a later load of the process
(`forget_extensions`).

Which unpickler reads the stream is the caller's choice: runner/worker.py's
``record`` request passes its kind's (CPython 2.7's cPickle, any version's
pickle.py, PyPy's), which is how ``picklespec cases regen`` records the
corpus's ``finds``/``calls``; by default it is this interpreter's
``pickle.Unpickler``, the C one on CPython 3, like the newest C unpickler
that is the corpus's authority (the runner's scan judge records the streams
the corpus has no record for this way).

This module has no side effect on import and runs under every interpreter
the worker runs under (CPython 2.7, 3.6 and later, PyPy): it is written in
the subset of Python they share.
"""

import io

__all__ = ["Recording", "record", "forget_extensions"]


class Recording(object):
    """What a load with stand-ins did.

    ``finds``: each find_class request as ``"MODULE:NAME"``, in order;
    ``calls``: each call of a found object, as the global it stands for;
    ``events``: every call, ``{"call": "MODULE:NAME" or None, "args": N}``
    (None for a call of something no find_class gave, such as a call's
    result), with its number of arguments; ``exception``: what stopped the
    load, or None when it ran to its end.
    """

    __slots__ = ("finds", "calls", "events", "exception")

    def __init__(self):
        self.finds = []
        self.calls = []
        self.events = []
        self.exception = None

    @property
    def outcome(self):
        return "loaded" if self.exception is None else "rejected"

    def called(self, label, args, kwargs):
        """Write a call down (label None: not of a found object); an inert object."""
        if label is not None:
            self.calls.append(label)
        self.events.append({"call": label, "args": len(args) + len(kwargs)})
        return Inert(self)

    def find_class(self, module, name):
        """The recording find_class: the request written down, a stand-in returned."""
        label = _label(module, name)
        self.finds.append(label)
        recording = self

        def __new__(cls, *args, **kwargs):
            return recording.called(label, args, kwargs)

        return StandIn("StandIn", (object,), {
            "__new__": __new__, "_picklespec_label": label, "_picklespec_recording": self,
            "__module__": __name__, "__setstate__": staticmethod(_nothing),
            "append": staticmethod(_nothing), "extend": staticmethod(_nothing),
            "add": staticmethod(_nothing)})

    def persistent_load(self, pid):
        return Inert(self)


def _nothing(*args, **kwargs):
    return None


def _label(module, name):
    """ "MODULE:NAME" as find_class was asked (Python 2 passes byte strings)."""
    def text(value):
        return value.decode("latin-1") if isinstance(value, bytes) else value
    return u"%s:%s" % (text(module), text(name))


class Inert(object):
    """What a call of a stand-in gives: inert, whatever is done to it."""

    def __init__(self, recording):
        self._recording = recording

    def __call__(self, *args, **kwargs):
        return self._recording.called(None, args, kwargs)

    __setstate__ = append = extend = add = __setitem__ = _nothing


class StandIn(type):
    """The type of a stand-in: calling one writes the call down."""

    def __call__(cls, *args, **kwargs):
        return cls._picklespec_recording.called(cls._picklespec_label, args, kwargs)

    __setitem__ = _nothing  # SETITEM(S) on a found object itself


def forget_extensions():
    """Empty copyreg's cache of extension codes already loaded.

    CPython's unpicklers (both kinds, every version) consult find_class for
    an EXT code only the first time the process meets it, then take the
    object from copyreg._extension_cache.
    """
    try:
        import copyreg
    except ImportError:  # Python 2
        import copy_reg as copyreg
    copyreg._extension_cache.clear()


def _this_interpreter(file, hooks, **options):
    """This interpreter's pickle.Unpickler with the hooks as its methods (Python 3)."""
    import pickle

    methods = dict((name, staticmethod(hook)) for name, hook in hooks.items())
    return type("Recorder", (pickle.Unpickler,), methods)(file, **options)


def record(data, open_unpickler=None, sequence=False, **options):
    """The Recording of a stream loaded with stand-ins.

    ``open_unpickler(file, hooks, **options)`` gives the unpickler to load
    with, its ``find_class`` and ``persistent_load`` replaced by the hooks
    (a dict of the two); by default this interpreter's pickle.Unpickler.
    ``options`` are the unpickler's own (encoding, errors, fix_imports,
    buffers), passed as given; with ``sequence`` every pickle of the input
    is loaded, one after another, by the same unpickler.
    """
    import picklespec.cases.fixtures  # noqa: F401  (registers the corpus's extension codes)

    open_unpickler = open_unpickler or _this_interpreter
    recording = Recording()
    hooks = {"find_class": recording.find_class, "persistent_load": recording.persistent_load}
    forget_extensions()
    try:
        stream = io.BytesIO(data)
        unpickler = open_unpickler(stream, hooks, **options)
        unpickler.load()
        while sequence and stream.tell() < len(data):
            unpickler.load()
    except Exception as exc:  # the stream's fault, or something a stand-in could not absorb
        recording.exception = exc
    finally:
        forget_extensions()  # the stand-ins must not answer a later load's EXT
    return recording
