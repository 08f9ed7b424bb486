"""The worker: one interpreter's pickle, driven over the adapter protocol.

Theory of operation
-------------------
The runner starts this script once per target, under the target's own
interpreter (CPython 2.7, 3.6 and later, PyPy), as::

    python worker.py KIND

where KIND picks the implementation inside that interpreter: ``c`` (the C
accelerator: ``_pickle`` on Python 3, ``cPickle`` on 2.7), ``py`` (the
pure-Python ``pickle._Pickler``/``_Unpickler``; ``pickle.Pickler`` on 2.7) or
``reference`` (picklespec's reference, on 3.10 and later).  It then answers
requests, one JSON object per line on stdin, with one JSON object per line on
stdout, until stdin closes.  runner/PROTOCOL.md documents the requests; any
program in any language that answers them is a target.

The worker has no dependencies: it imports picklespec's object model
(reference/model.py), the case fixtures (cases/fixtures.py) and the scanner
ground truth's recorder (cases/recording.py) from the files next to it,
registering the packages they belong to by hand so the fixture classes keep
the module name ``picklespec.cases.fixtures`` that the expected streams
contain, under every interpreter.

Besides the protocol's requests, ``{"op": "record", ...}`` is how ``picklespec
cases regen`` records the globals a load case's stream resolves: this kind's
unpickler loads it through cases/recording.py, whose find_class records each
request and returns an inert stand-in, so nothing named is ever imported or
run (`record`, below).  Real loads refuse the dangerous globals of
cases/dangerous.py as a second lock (`_guard_dangerous_globals`).

Nothing else may reach stdout: what code under test prints goes to stderr,
so a target that prints garbage cannot break the framing.  Whatever goes
wrong inside a request is answered as data (``"ok": false``), never as a dead
worker, unless the interpreter itself dies -- which the runner sees.
"""

import binascii
import io
import json
import os
import sys
import traceback
import types

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)  # the folder holding reference/, cases/, runner/


def _package_dir(name):
    """Where a picklespec subpackage lives: installed, or in the source tree."""
    for base in (ROOT, os.path.join(ROOT, "picklespec")):
        path = os.path.join(base, name)
        if os.path.isdir(path):
            return path
    raise SystemExit("picklespec worker: cannot find the %s package near %s" % (name, ROOT))


def _register_packages():
    """Make picklespec.reference.model and picklespec.cases.fixtures importable.

    The packages are registered as empty modules whose __path__ points at the
    real folders, so their __init__ files (which may need Python 3.10) never
    run here.  On Python 3.10+ with picklespec installed the real packages are
    used instead, since the reference needs them.
    """
    if sys.version_info >= (3, 10):
        try:
            import picklespec.reference.model  # noqa: F401
            import picklespec.cases.fixtures  # noqa: F401
            return
        except ImportError:
            pass
    top = types.ModuleType("picklespec")
    top.__path__ = []
    sys.modules.setdefault("picklespec", top)
    for sub in ("reference", "cases"):
        mod = types.ModuleType("picklespec." + sub)
        mod.__path__ = [_package_dir(sub)]
        sys.modules.setdefault("picklespec." + sub, mod)
        setattr(sys.modules["picklespec"], sub, sys.modules["picklespec." + sub])


_register_packages()
from picklespec.cases import recording  # noqa: E402
from picklespec.reference import effects, model  # noqa: E402

PY2 = sys.version_info[0] == 2
TOO_DEEP = RuntimeError if PY2 else RecursionError  # what recursing too deep raises

# The recursion limit the worker runs with (the adapter kit has its own): three times
# CPython's default, so a pure-Python pickler can write and describe every
# object of the corpus on every interpreter here (none needs 2,000 frames),
# while a dump that cannot end (the fixtures nested 100,000 deep, the objects
# whose reduce returns themselves) stops after 3,000 frames, not 10,000 as it
# once did: those dumps were half of a pure-Python worker's time.
RECURSION_LIMIT = 3000


def allow_recursion(limit=RECURSION_LIMIT):
    """Raise this interpreter's recursion limit to `limit`, never lower it:
    what a process that pickles in Python here runs with."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), limit))


def to_text(document):
    """JSON text for a document, the same text for equal documents made alike.

    Keys sorted where the C encoder sorts them (Python 3); Python 2.7's
    json falls back to its pure-Python encoder when asked to sort, which
    took two fifths of a 2.7 worker's time, so there the keys come in the
    dict's own order, the same for dicts built alike.
    """
    return json.dumps(document, sort_keys=not PY2)


def implementation(kind):
    """(Pickler, Unpickler, description) for KIND in this interpreter."""
    import pickle

    if kind == "reference":
        from picklespec import reference

        return reference.Pickler, reference.Unpickler, "picklespec reference"
    if kind == "py":
        if PY2:
            return pickle.Pickler, pickle.Unpickler, "pickle.py"
        return pickle._Pickler, pickle._Unpickler, "pickle.py (_Pickler)"
    if kind == "c":
        if PY2:
            import cPickle

            return cPickle.Pickler, cPickle.Unpickler, "cPickle"
        try:
            import _pickle
        except ImportError:
            return None, None, "no _pickle in this interpreter"
        return _pickle.Pickler, _pickle.Unpickler, "_pickle"
    return None, None, "unknown kind %r" % kind


def hello(kind):
    import pickle
    import platform

    impl = platform.python_implementation().lower()
    version = "%d.%d.%d" % sys.version_info[:3]
    try:
        pickler, unpickler, what = implementation(kind)
    except Exception as exc:  # a reference that cannot be imported
        pickler, what = None, "cannot import it: %s" % _text(exc)
    highest = pickle.HIGHEST_PROTOCOL
    producer = "%s-%d.%d-%s" % (impl, sys.version_info[0], sys.version_info[1], kind)
    answer = {
        "ok": pickler is not None,
        "name": producer,
        "implementation": impl,
        "version": version,
        "kind": kind,
        "library": what,
        "producer": producer,
        "executable": sys.executable,
        "dump_protocols": list(range(highest + 1)),
        "load_protocols": list(range(highest + 1)),
        "default_protocol": getattr(pickle, "DEFAULT_PROTOCOL", 0),
        "load_options": (["encoding", "errors", "fix_imports", "buffers"] if not PY2 else [])
        + ["sequence", "allow_globals"],
        "pipeline": True,  # requests may be written before earlier ones are answered
        # The profile (runner/PROTOCOL.md): what is judged, and how.
        "checks": ["load", "dump"],
        "opcodes": "all" if kind == "reference" else _opcodes(),
        "model": [],
        "clean_exceptions": sorted(set(c.__name__ for c in _clean_rejections())),
    }
    if kind == "reference":
        # The reference follows the C pickler of the interpreter it runs on
        # (cases/README.md), so it is held to that producer's streams.
        answer.update({"name": "reference", "implementation": "picklespec",
                       "producer": "%s-%d.%d-c" % (impl, sys.version_info[0], sys.version_info[1])})
        if pickler is not None:
            from picklespec.reference import HIGHEST_PROTOCOL

            protocols = list(range(HIGHEST_PROTOCOL + 1))
            answer.update({"dump_protocols": protocols, "load_protocols": protocols})
    if pickler is None:
        answer.update({"kind_error": what})
    return answer


def _unhex(text):
    return binascii.unhexlify(text.encode("ascii"))


def _hex(raw):
    return binascii.hexlify(raw).decode("ascii")


class Outcome(Exception):
    """A failure to report as data: kind and message."""

    def __init__(self, kind, message):
        Exception.__init__(self, message)
        self.kind = kind
        self.message = message


def _error(kind, exc):
    name = type(exc).__name__
    return {"ok": False, "kind": kind, "exception": name,
            "message": "%s: %s" % (name, _text(exc))}


def _text(exc):
    try:
        text = str(exc)
    except Exception:  # an exception whose __str__ fails is itself a finding
        text = repr(exc)
    if isinstance(text, bytes):  # Python 2: messages may hold any bytes
        text = text.decode("utf-8", "replace")
    notes = getattr(exc, "__notes__", None)  # PEP 678: where the reference found it
    if isinstance(notes, list) and notes:
        text += " (%s)" % "; ".join(str(note) for note in notes)
    return text


def _with_hooks(cls, hooks, attributes=None):
    """An instance-maker for cls with the hooks (name -> function) set, and
    the attributes (name -> value: a pickler's dispatch_table) as class
    attributes, where the C pickler looks them up when it is made.

    Python 3's C classes make the hook attributes read-only but may be
    subclassed; Python 2's cPickle.Pickler and Unpickler are factory
    functions whose objects take the attributes (cPickle's find_class is
    called find_global), and its pickle.py classes are old-style classes
    whose instances take them too.
    """
    if isinstance(cls, type):
        attributes = attributes or {}
        key = (cls, tuple(sorted((name, id(v)) for name, v in hooks.items())),
               tuple(sorted((name, id(v)) for name, v in attributes.items())))
        made = _CLASSES.get(key)
        if made is None:
            namespace = dict((name, (lambda hook: lambda self, *args: hook(*args))(hook))
                             for name, hook in hooks.items())
            namespace.update(attributes)
            if len(_CLASSES) >= 64:
                _CLASSES.clear()
            # The class holds the hooks and attributes, so the ids in its key stay theirs.
            made = _CLASSES[key] = type(cls.__name__, (cls,), namespace)
        return made

    def make(*args, **kwargs):
        obj = cls(*args, **kwargs)
        for name, hook in hooks.items():
            try:
                setattr(obj, name, hook)
            except AttributeError:  # cPickle
                setattr(obj, "find_global", hook)
        return obj
    return make


_CLASSES = {}  # (class, hooks, attributes) -> the subclass made for them: made once


def _named(text):
    """The object a "module:qualname" option names."""
    module, _, qualname = text.partition(":")
    return effects.find_global(module, qualname)


def _restricted(allowed):
    """find_class allowing only the "module:name" globals listed ("Restricting
    Globals" in the pickle documentation).

    One function per list, kept: `_with_hooks` then finds the class it made
    for it, where a new function would make a new class for every load (a
    fuzzer sends the same list with each of its inputs)."""
    key = tuple(allowed)
    made = _RESTRICTED.get(key)
    if made is None:
        import pickle

        allowed = frozenset(allowed)

        def find_class(module, name):
            if "%s:%s" % (module, name) not in allowed:
                raise pickle.UnpicklingError("global '%s.%s' is forbidden" % (module, name))
            return _named("%s:%s" % (module, name))
        if len(_RESTRICTED) >= 16:
            _RESTRICTED.clear()
        made = _RESTRICTED[key] = find_class
    return made


_RESTRICTED = {}  # the allowed globals, as a tuple -> their find_class


_MODELS = {}  # tagged JSON text -> model value, for the latest objects


def _model_of(document):
    """The model value of a tagged-JSON object (see `_decoded_object`)."""
    return _decoded_object(document)[0]


def _decoded_object(document):
    """(model value, whether it holds a persistent id) for a tagged-JSON
    object, decoded once for all protocols.

    The runner asks for the same object at every protocol in a row; the
    model value is only read (materialize makes fresh objects from it each
    time), so the decoding is kept for a few objects.
    """
    key = to_text(document)
    value = _MODELS.get(key)
    if value is None:
        # A persistent id is a "persistent" node: an object without one needs
        # no persistent_id hook (a Python call per object pickled, which is
        # most of a C pickler's time), and Python 3's picklers write the same
        # bytes without it.
        value = (model.from_json(document), '"persistent"' in key)
        if len(_MODELS) >= 8:
            _MODELS.clear()
        _MODELS[key] = value
    return value


def dump(kind, request):
    pickler_class = implementation(kind)[0]
    protocol = int(request.get("protocol", 0))
    options = request.get("options") or {}
    try:
        value, persistent = _decoded_object(request["object"])
        obj = model.materialize(value, buffer=_make_buffer)
    except Exception as exc:
        # The object cannot exist here (a class this version lacks): not a
        # pickling failure of the target.
        return _error("unavailable", exc)
    out = io.BytesIO()
    buffers = []
    kwargs = {}
    if options.get("buffer_callback") == "oob" and not PY2 and protocol >= 5:
        def collect(buf):
            buffers.append(buf)
            return False
        kwargs["buffer_callback"] = collect
    if "fix_imports" in options and not PY2:
        kwargs["fix_imports"] = options["fix_imports"] == "true"
    # Python 2's cPickle memoizes differently once a persistent_id is set,
    # and the expected streams of 2.7's picklers were written with it: there
    # the hook stays.
    hooks = {"persistent_id": _persistent_id} if persistent or PY2 else {}
    if "reducer_override" in options:
        if sys.version_info < (3, 8):
            return {"ok": False, "kind": "unsupported",
                    "message": "reducer_override is new in Python 3.8"}
        try:
            hooks["reducer_override"] = _named(options["reducer_override"])
        except Exception as exc:
            return _error("unavailable", exc)
    attributes = {}
    if "dispatch_table" in options:
        # Pickler.dispatch_table (Python 3.3+): a fixture dict mapping classes
        # to reduction functions, consulted before copyreg.dispatch_table.
        if PY2:
            return {"ok": False, "kind": "unsupported",
                    "message": "Python 2 picklers have no dispatch_table"}
        try:
            attributes["dispatch_table"] = _named(options["dispatch_table"])
        except Exception as exc:
            return _error("unavailable", exc)
    sequence = options.get("sequence") == "true"
    if sequence and not isinstance(obj, list):
        return {"ok": False, "kind": "protocol", "message": "sequence: the object is not a list"}
    try:
        pickler = _with_hooks(pickler_class, hooks, attributes)(out, protocol, **kwargs)
        # sequence: the items, one dump each, through one pickler sharing its memo
        for index, item in enumerate(obj if sequence else [obj]):
            if index and options.get("clear_memo") == "true":
                pickler.clear_memo()
            pickler.dump(item)
    except Exception as exc:
        return _error("unpicklable", exc)
    answer = {"ok": True, "data": _hex(out.getvalue())}
    if buffers:
        # read-only buffers travel as bytes, writable ones as bytearray
        answer["buffers"] = [model.to_json(bytes(raw) if raw.readonly else bytearray(raw))
                             for raw in (b.raw() for b in buffers)]
    return answer


def _buffer(tagged):
    """A buffer given to a load: tagged bytes (read-only) or bytearray (writable)."""
    value = model.from_json(tagged)
    if not isinstance(value, (bytes, bytearray)):
        raise model.ModelError("a buffer must be a bytes or bytearray value")
    return value


def _make_buffer(node):
    """A PickleBuffer (PEP 574) for a Buffer node: read-only over bytes,
    writable over a bytearray."""
    import pickle

    data = node.data or b""
    return pickle.PickleBuffer(bytes(data) if node.readonly else bytearray(data))


def _persistent_id(obj):
    if isinstance(obj, model.PersistentId):
        return obj.pid
    return None


def _persistent_load(pid):
    return model.PersistentId(pid)


def _load_kwargs(options):
    """The unpickler's own arguments a load's options give (none on Python 2)."""
    kwargs = {}
    if not PY2:
        for name in ("encoding", "errors"):
            if name in options:
                kwargs[name] = options[name]
        if "fix_imports" in options:
            kwargs["fix_imports"] = options["fix_imports"] == "true"
        if "buffers" in options:
            kwargs["buffers"] = [_buffer(b) for b in options["buffers"]]
    return kwargs


def load(kind, request):
    unpickler_class = implementation(kind)[1]
    options = request.get("options") or {}
    data = _unhex(request["data"])
    kwargs = _load_kwargs(options)
    if PY2 and options.get("encoding") not in (None, "ASCII", "ascii"):
        return {"ok": False, "kind": "unsupported",
                "message": "Python 2 unpicklers take no encoding"}
    hooks = {"persistent_load": _persistent_load}
    import picklespec.cases.fixtures  # noqa: F401  (registers the corpus's extension codes)
    if "allow_globals" in options:
        hooks["find_class"] = _restricted(options["allow_globals"])
        # CPython's unpicklers consult find_class for an EXT code only the
        # first time the process meets it: a restricted load is judged as
        # in a fresh process, whatever the worker loaded before.
        recording.forget_extensions()
    try:
        stream = io.BytesIO(data)
        unpickler = _with_hooks(unpickler_class, hooks)(stream, **kwargs)
        if options.get("sequence") == "true":
            # load() again on the same unpickler until the input is used up:
            # its memo lasts from one pickle to the next (every CPython)
            result = []
            while stream.tell() < len(data):
                result.append(unpickler.load())
        else:
            result = unpickler.load()
    except Exception as exc:
        answer = _error("rejected", exc)
        # The runner judges clean from these against the hello's clean_exceptions.
        answer["exception_bases"] = [c.__name__ for c in getattr(type(exc), "__mro__", ())[1:]]
        return answer
    try:
        described, depth = model.to_json_and_depth(model.describe(result))
        if depth > model.MAX_JSON_DEPTH:
            raise Outcome("undescribable", "the result nests %d JSON levels deep; answers stop at %d"
                          % (depth, model.MAX_JSON_DEPTH))
    except Outcome as exc:
        return {"ok": False, "kind": exc.kind, "message": exc.message}
    except Exception as exc:
        return _error("undescribable", exc)
    return {"ok": True, "object": described}


# -- recording the globals a stream resolves (cases regen) --------------------
#
# {"op": "record", "data": HEX, "options": {...}} loads the stream with this
# kind's unpickler through cases/recording.py: find_class records each request
# ("module:name" as passed to it) and returns an inert stand-in, so nothing
# named is ever imported or run.  allow_globals is not applied (the recorder
# takes find_class's place); the other load options are.  The answer: "finds"
# and "calls" (lists of "module:name"), "events" (each call with its number of
# arguments; "call" null for a call of something no find_class gave, such as
# a call's result), and how the load ended ("outcome": "loaded" or
# "rejected", with "exception" and "message").


def record(kind, request):
    unpickler_class = implementation(kind)[1]
    options = request.get("options") or {}

    def open_unpickler(stream, hooks, **kwargs):
        return _with_hooks(unpickler_class, hooks)(stream, **kwargs)

    found = recording.record(_unhex(request["data"]), open_unpickler,
                             sequence=options.get("sequence") == "true", **_load_kwargs(options))
    answer = {"ok": True, "outcome": found.outcome}
    if found.exception is not None:
        answer.update(_error("rejected", found.exception))
        answer.update({"ok": True, "outcome": "rejected"})
    answer.update({"finds": found.finds, "calls": found.calls, "events": found.events})
    return answer


def _guard_dangerous_globals():
    """Refuse the dangerous globals (cases/dangerous.py) in every real load.

    Cases naming them load only with allow_globals, which refuses them
    before any import; this audit hook on CPython's own find_class (3.8+)
    is a second lock, should a case ever lose the option.  The recorder
    never reaches the default find_class, so it is not affected.
    """
    if not hasattr(sys, "addaudithook"):
        return
    from picklespec.cases import dangerous

    def hook(event, args):
        if event == "pickle.find_class" and dangerous.is_dangerous(*args):
            raise RuntimeError("picklespec worker: refused to resolve the dangerous global "
                               "%s.%s (cases naming it load only with allow_globals)" % args)
    sys.addaudithook(hook)


def _opcodes():
    """The opcodes this interpreter's pickle implements: its pickletools table."""
    import pickletools

    return [op.name for op in pickletools.opcodes]


def _clean_rejections():
    """The exceptions that are a clean rejection of a stream (runner/checks.py).

    pickle.UnpicklingError (and its subclasses, the reference's among them;
    cPickle's own on 2.7), EOFError (what load raises when the data ends),
    ValueError (an argument its parser refused: a number, UTF-8, an unknown
    protocol), MemoryError (a limit reached: the C unpickler's memo for a
    LONG_BINPUT index of 2**32-1), ImportError and AttributeError (the stream
    names a module, or a name in a module, this interpreter has not:
    find_class's own failures).  Anything else escaping an unpickler --
    IndexError on a stack underflow (gh-141749), KeyError, TypeError,
    struct.error -- is not.
    """
    import pickle

    classes = [pickle.UnpicklingError, EOFError, ValueError, MemoryError, ImportError,
               AttributeError]
    if PY2:
        try:
            import cPickle

            classes.append(cPickle.UnpicklingError)
        except ImportError:
            pass
    return tuple(classes)


def _memory_kept(limit=256 * 1024 * 1024):
    """Whether this process still holds much memory after a MemoryError.

    Usually the allocation that failed gave everything back (the C
    unpickler's memo for a LONG_BINPUT of 2**32-1 is never made) and the
    worker goes on; where the resident size cannot be read, assume not.
    """
    try:
        with open("/proc/self/statm") as f:
            resident = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (IOError, OSError, ValueError, IndexError):
        return True
    return resident > limit


PYPY = hasattr(sys, "pypy_version_info")
_GROWTH = 64 * 1024 * 1024
_COLLECT_AT = [2 * _GROWTH]  # the resident size past which PyPy's heap is collected


def _collect_if_grown():
    """Give PyPy's heap back after a failure that filled it.

    A dump that fails at the recursion limit (the deep fixtures) leaves
    hundreds of megabytes of frames behind in PyPy, which its collector
    takes back only at its next major collection, so the worker's size
    would keep growing.  When the resident size has grown by more than
    _GROWTH since the last collection, one is run now.  It changes no answer
    (the corpus holds no finalizers or weak references that could see it).
    """
    resident = _resident()
    if resident is None or resident < _COLLECT_AT[0]:
        return
    import gc

    gc.collect()
    _COLLECT_AT[0] = (_resident() or resident) + _GROWTH


def _resident():
    """This process's resident size in bytes, None where it cannot be read."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (IOError, OSError, ValueError, IndexError):
        return None


def _tune_collector():
    """Keep the cyclic garbage collector off the worker's long-lived objects.

    What is imported at start-up lives as long as the worker, and is frozen
    out of every collection (gc.freeze, Python 3.7+).  Collections start
    after 50,000 net allocations instead of 700: a request makes thousands
    of objects (a dump at the recursion limit holds a memo of thousands), and
    with the default each request ran several collections, each walking the
    fixtures -- most of a pure-Python worker's time.  Garbage cycles (the
    corpus's self-referencing objects, made anew for each dump) are still
    collected; nothing in the corpus can see when (no finalizers or weak
    references to them).
    """
    import gc

    if hasattr(gc, "freeze"):
        gc.freeze()
    if hasattr(gc, "set_threshold") and not PYPY:
        gc.set_threshold(50000, 20, 20)


def serve(kind, stdin, stdout):
    """Answer requests until stdin closes."""
    for line in iter(stdin.readline, b""):
        if not line.strip():
            continue
        request = {}
        try:
            request = json.loads(line.decode("utf-8"))
        except ValueError as exc:
            request = {"op": None, "error": _text(exc)}
        try:
            answer = HANDLERS.get(request.get("op"), unknown)(kind, request)
        except Exception as exc:
            answer = _error("internal", exc)
            answer["traceback"] = traceback.format_exc()
        if isinstance(request, dict) and "id" in request:
            answer["id"] = request["id"]  # echoed, so answers can be matched
        if answer.get("exception") == "MemoryError" and _memory_kept():
            # What was allocated did not all come back: ask for a fresh process.
            answer["restart"] = True
        elif PYPY and answer.get("ok") is False:
            _collect_if_grown()
        try:
            text = to_text(answer)
        except TOO_DEEP as exc:
            # json recurses: a result nested deeper than the interpreter allows
            # has no JSON form here.
            text = json.dumps(dict(_error("undescribable", exc), id=answer.get("id")))
        stdout.write((text + "\n").encode("utf-8"))
        stdout.flush()


def unknown(kind, request):
    if "error" in request:
        return {"ok": False, "kind": "protocol", "message": "not a JSON request: " + request["error"]}
    return {"ok": False, "kind": "protocol", "message": "unknown op %r" % (request.get("op"),)}


HANDLERS = {"hello": lambda kind, request: hello(kind), "dump": dump, "load": load,
            "record": record}


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: worker.py c|py|reference\n")
        return 2
    # Keep the real stdout for answers; anything else printed goes to stderr.
    if PY2:
        stdin, stdout = sys.stdin, sys.stdout
    else:
        stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    allow_recursion()
    _guard_dangerous_globals()
    _tune_collector()
    serve(argv[1], stdin, stdout)
    stdout.flush()
    sys.stderr.flush()
    # Every answer is out.  Tearing down the heap (the deep fixtures, 100,000
    # objects each) would only make the runner wait for the exit.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
