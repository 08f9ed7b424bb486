"""The adapter kit: a Python pickle library as a picklespec target in ~20 lines.

Theory of operation
-------------------
An adapter is a program that answers runner/PROTOCOL.md on stdin/stdout.  For
a Python library most of that program is the same every time: the framing
(one JSON request per line, one answer per line, ids echoed, nothing else on
stdout), tagged JSON both ways, exceptions turned into ``rejected`` answers
that name the exception type, results with no tagged-JSON form answered
``undescribable``, and staying alive whatever one request does.  This module
is that program; an adapter only says what it is (its *profile*, the hello
answer) and hands over the library's functions::

    import os, sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import kit

    def make():
        import somepickle                       # ImportError: "not installed"
        return kit.Adapter(
            hello={"name": "somepickle", "implementation": "somepickle",
                   "version": somepickle.__version__, "kind": "py",
                   "load_protocols": [0, 1, 2, 3], "opcodes": kit.opcodes_up_to(3),
                   "model": [], "clean_exceptions": ["UnpicklingError", "EOFError"]},
            load=lambda data, options: somepickle.loads(data))

    kit.main(make)

The functions, each optional (``checks`` in the hello is the list of those
given):

``load(data, options) -> object``
    the object the library built; the kit describes it (reference/model.py's
    ``describe``: real objects -> the object model -> tagged JSON).
``dump(obj, protocol, options) -> bytes``
    ``obj`` is the real object the request's tagged JSON stands for
    (``model.materialize``); ``(bytes, buffers)`` for out-of-band buffers.
``parse(data) -> None``
    returns if the stream is a well-formed pickle, raises if not.
``scan(data) -> (finds, calls)``
    lists of ``"module:name"``; ``calls`` None when the scanner does not say.
``transform(data) -> bytes``
    the stream the library made of the given one.

Any exception a function raises is the library's answer: ``rejected`` (load,
parse, scan, transform) or ``unpicklable`` (dump), with the exception's type
name as ``exception`` and its base classes' as ``exception_bases``, from
which the runner decides whether the rejection is clean (the profile's
``clean_exceptions``); the answer also says ``"clean": false`` itself when
no class in the exception's MRO is named there, for runners that read that
field.  Raise ``Rejected`` for a library that
answers "bad" as a value, ``Unsupported`` for a request it cannot do.
``unpickler_load`` and ``pickler_dump`` make the load and dump functions of a
library shaped like ``pickle`` (Unpickler/Pickler classes) with every load
and dump option of the protocol.

The kit runs on Python 2.7 and 3.6 onward and needs nothing installed: it
takes picklespec's object model and worker helpers from the files beside it
(runner/worker.py, which registers reference/model.py and cases/fixtures.py
under their picklespec names), so an adapter runs in whatever interpreter or
virtualenv holds its library.  The profile is checked when the adapter
starts: a profile that lacks a required field or uses a word outside the
vocabulary is answered at hello as ``ok: false`` with what is wrong.
"""

import binascii
import json
import os
import re
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.dirname(HERE)
# The adapter put runner/adapters on sys.path to import this module; its
# folders (dill/, torch/, ...) must not stand in for the libraries they adapt.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE]


def _load_worker():
    """runner/worker.py as a module (it registers picklespec's model on import)."""
    name = "picklespec_adapter_worker"
    if name in sys.modules:
        return sys.modules[name]
    path = os.path.join(RUNNER, "worker.py")
    try:
        import importlib.util
    except ImportError:  # Python 2.7
        import imp

        return imp.load_source(name, path)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


worker = _load_worker()

# The recursion limit an adapter runs with: 10,000, not the worker's 3,000.
# Where a dump stops at the limit depends on the limit, and pickle5's
# pure-Python pickler on CPython 3.7, dumping the fixture lists nested 100,000
# deep at protocol 1 after a threading.Condition failed to pickle, aborts
# the process ("Fatal Python error: Cannot recover from stack overflow") at
# a limit of 3,000 or 6,000 and raises RecursionError, as every CPython's
# own pickler does, at 2,000, 3,500, 4,000 or 10,000.  That abort is the
# interpreter's recovery from an overflow failing, not the library's
# conduct; 10,000 is the limit every published run of the adapters used.
RECURSION_LIMIT = 10000

model = worker.model

__all__ = ["Adapter", "Rejected", "Unsupported", "main", "serve", "opcodes_up_to", "version_of",
           "unpickler_load", "pickler_dump", "load_kwargs", "model", "OPCODES", "CHECKS", "PROJECTIONS"]

# Every opcode of pickletools, with the protocol that introduced it.
OPCODES = {
    "INT": 0, "BININT": 1, "BININT1": 1, "BININT2": 1, "LONG": 0, "LONG1": 2, "LONG4": 2,
    "STRING": 0, "BINSTRING": 1, "SHORT_BINSTRING": 1, "BINBYTES": 3, "SHORT_BINBYTES": 3,
    "BINBYTES8": 4, "BYTEARRAY8": 5, "NEXT_BUFFER": 5, "READONLY_BUFFER": 5, "NONE": 0,
    "NEWTRUE": 2, "NEWFALSE": 2, "UNICODE": 0, "SHORT_BINUNICODE": 4, "BINUNICODE": 1,
    "BINUNICODE8": 4, "FLOAT": 0, "BINFLOAT": 1, "EMPTY_LIST": 1, "APPEND": 0, "APPENDS": 1,
    "LIST": 0, "EMPTY_TUPLE": 1, "TUPLE": 0, "TUPLE1": 2, "TUPLE2": 2, "TUPLE3": 2,
    "EMPTY_DICT": 1, "DICT": 0, "SETITEM": 0, "SETITEMS": 1, "EMPTY_SET": 4, "ADDITEMS": 4,
    "FROZENSET": 4, "POP": 0, "DUP": 0, "MARK": 0, "POP_MARK": 1, "GET": 0, "BINGET": 1,
    "LONG_BINGET": 1, "PUT": 0, "BINPUT": 1, "LONG_BINPUT": 1, "MEMOIZE": 4, "EXT1": 2,
    "EXT2": 2, "EXT4": 2, "GLOBAL": 0, "STACK_GLOBAL": 4, "REDUCE": 0, "BUILD": 0, "INST": 0,
    "OBJ": 1, "NEWOBJ": 2, "NEWOBJ_EX": 4, "PROTO": 2, "STOP": 0, "FRAME": 4, "PERSID": 0,
    "BINPERSID": 1,
}
CHECKS = ("load", "dump", "parse", "scan", "transform")
PROJECTIONS = ("no-tuple", "sets-as-lists", "no-frozenset", "double-numbers", "str-keys",
               "str-attributes", "py2-str-as-bytes", "no-bytearray", "unresolved-globals")
LOAD_OPTIONS = ("encoding", "errors", "fix_imports", "buffers", "sequence", "allow_globals")


def version_of(distribution):
    """The installed version of a distribution (PyPI name), from its metadata."""
    try:
        from importlib.metadata import version
    except ImportError:  # before 3.8
        import pkg_resources

        return pkg_resources.get_distribution(distribution).version
    return version(distribution)


def opcodes_up_to(protocol, without=()):
    """The opcodes of protocols 0..protocol, less those named in `without`, sorted."""
    return sorted(name for name, proto in OPCODES.items() if proto <= protocol and name not in without)


class Rejected(Exception):
    """The library refused the stream without raising: exception name and message."""

    def __init__(self, exception, message):
        Exception.__init__(self, message)
        self.exception = exception
        self.message = message


class Unsupported(Exception):
    """The request asks for something this library does not do."""


class Adapter(object):
    """What an adapter is: its profile (the hello answer) and its functions."""

    def __init__(self, hello, load=None, dump=None, parse=None, scan=None, transform=None,
                 picklebuffer=None):
        # The PickleBuffer class dumps are given for out-of-band buffers
        # (pickle5's own on Python 3.6 and 3.7); the interpreter's by default.
        self.picklebuffer = picklebuffer
        self.functions = dict((name, fn) for name, fn in (
            ("load", load), ("dump", dump), ("parse", parse), ("scan", scan),
            ("transform", transform)) if fn is not None)
        self.hello = _profile(hello, sorted(self.functions, key=CHECKS.index))


class ProfileError(ValueError):
    """A profile that lacks a field or uses a word outside the vocabulary."""


def _profile(given, checks):
    """The hello answer: the profile as given, completed and checked."""
    hello = dict(given)
    hello.setdefault("checks", checks)
    hello.setdefault("producer", None)
    hello.setdefault("model", [])
    hello.setdefault("load_options", [])
    hello.setdefault("pipeline", True)  # requests are read a line at a time, answered in order
    problems = []
    for field in ("name", "implementation", "version", "kind"):
        if not isinstance(hello.get(field), str) or not hello.get(field):
            problems.append("%s must be a non-empty string" % field)
    if sorted(hello["checks"], key=lambda c: CHECKS.index(c) if c in CHECKS else 9) != checks:
        problems.append("checks %r must be the functions given: %r" % (hello["checks"], checks))
    if not checks:
        problems.append("no function given (load, dump, parse, scan, transform)")
    reads = [c for c in checks if c != "dump"]
    for field, needed in (("load_protocols", reads), ("dump_protocols", "dump" in checks)):
        value = hello.setdefault(field, [])
        if needed and not value:
            problems.append("%s is required (checks %s)" % (field, ", ".join(checks)))
        if any(p not in range(6) for p in value):
            problems.append("%s must be protocols 0..5, not %r" % (field, value))
    opcodes = hello.get("opcodes")
    if opcodes != "all" and not (isinstance(opcodes, list) and opcodes):
        problems.append('opcodes must be "all" or a non-empty list of pickletools names')
    elif opcodes != "all":
        problems.extend("unknown opcode %r" % op for op in opcodes if op not in OPCODES)
    problems.extend("unknown model projection %r" % p for p in hello["model"] if p not in PROJECTIONS)
    problems.extend("unknown load option %r" % o for o in hello["load_options"] if o not in LOAD_OPTIONS)
    if ("load" in checks or "parse" in checks) and not hello.get("clean_exceptions"):
        problems.append("clean_exceptions is required (checks %s)" % ", ".join(checks))
    if "readable_by" in hello and "dump" not in checks:
        problems.append("readable_by applies to dumps, and there is no dump function")
    if "scan" in checks and hello.get("scan_reports") not in ("all", "unsafe"):
        problems.append('scan_reports must be "all" or "unsafe"')
    if problems:
        raise ProfileError("; ".join(problems))
    return hello


# -- answers ---------------------------------------------------------------------


def _failure(kind, exc, clean_names=None):
    if isinstance(exc, Rejected):
        answer = {"ok": False, "kind": kind, "exception": exc.exception,
                  "message": "%s: %s" % (exc.exception, exc.message)}
        names = [exc.exception]
    else:
        answer = worker._error(kind, exc)
        names = [cls.__name__ for cls in type(exc).__mro__]
        answer["exception_bases"] = names[1:]  # nearest first: the runner judges clean from these
    if clean_names is not None and not set(names) & set(clean_names):
        answer["clean"] = False
    return answer


def _described(result):
    """The answer for a loaded object: its tagged JSON, or undescribable."""
    try:
        tagged, depth = model.to_json_and_depth(model.describe(result))
    except Exception as exc:
        return worker._error("undescribable", exc)
    if depth > model.MAX_JSON_DEPTH:
        return {"ok": False, "kind": "undescribable",
                "message": "the result nests %d JSON levels deep; answers stop at %d"
                % (depth, model.MAX_JSON_DEPTH)}
    return {"ok": True, "object": tagged}


def _globals(names, what):
    if names is None:
        return None
    out = [str(n) for n in names]
    for name in out:
        if ":" not in name:
            raise ValueError("%s: %r is not \"module:name\"" % (what, name))
    return out


_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*\Z")


def _is_hex(text):
    return isinstance(text, type(u"")) and _HEX.match(text) is not None


class _Session(object):
    """Answers requests for one Adapter (or says why it cannot)."""

    def __init__(self, adapter, problem=None):
        self.adapter = adapter
        self.problem = problem

    def answer(self, request):
        op = request.get("op")
        if op not in ("hello",) + CHECKS:
            return {"ok": False, "kind": "protocol", "message": "unknown op %r" % (op,)}
        if self.problem is not None:
            return {"ok": False, "kind": "unavailable", "message": self.problem}
        if op == "hello":
            return dict(self.adapter.hello, ok=True)
        function = self.adapter.functions.get(op)
        if function is None:
            return {"ok": False, "kind": "unsupported",
                    "message": "%s does no %s" % (self.adapter.hello["name"], op)}
        if op != "dump" and not _is_hex(request.get("data")):
            return {"ok": False, "kind": "protocol", "message": '%s: "data" must be an even-length hex string' % op}
        try:
            return getattr(self, op)(function, request)
        except Unsupported as exc:
            return {"ok": False, "kind": "unsupported", "message": worker._text(exc)}

    def _buffer(self, node):
        if self.adapter.picklebuffer is None:
            return worker._make_buffer(node)
        data = node.data or b""
        return self.adapter.picklebuffer(bytes(data) if node.readonly else bytearray(data))

    def _data(self, request):
        return worker._unhex(request["data"])

    def load(self, function, request):
        options = request.get("options") or {}
        extra = sorted(set(options) - set(self.adapter.hello["load_options"]))
        if extra:
            raise Unsupported("%s has no load option %s" % (self.adapter.hello["name"], ", ".join(extra)))
        try:
            data = self._data(request)
            result = function(data, options)
        except Unsupported:
            raise
        except Exception as exc:
            return _failure("rejected", exc, self.adapter.hello["clean_exceptions"])
        return _described(result)

    def dump(self, function, request):
        protocol = request.get("protocol")
        if protocol not in self.adapter.hello["dump_protocols"]:
            raise Unsupported("protocol %r is not one %s writes" % (protocol, self.adapter.hello["name"]))
        try:
            obj = model.materialize(worker._model_of(request["object"]), buffer=self._buffer)
        except Exception as exc:  # a class this interpreter lacks: not the library's failure
            return worker._error("unavailable", exc)
        try:
            out = function(obj, protocol, request.get("options") or {})
        except Unsupported:
            raise
        except Exception as exc:
            return _failure("unpicklable", exc)
        data, buffers = out if isinstance(out, tuple) else (out, [])
        answer = {"ok": True, "data": worker._hex(bytes(data))}
        if buffers:
            answer["buffers"] = [model.to_json(b) for b in buffers]
        return answer

    def parse(self, function, request):
        try:
            function(self._data(request))
        except Unsupported:
            raise
        except Exception as exc:
            return _failure("rejected", exc, self.adapter.hello["clean_exceptions"])
        return {"ok": True}

    def scan(self, function, request):
        try:
            found = function(self._data(request))
        except Unsupported:
            raise
        except Exception as exc:
            return _failure("rejected", exc, self.adapter.hello.get("clean_exceptions"))
        finds, calls = found  # not a pair: a bug of the adapter, answered internal
        return {"ok": True, "finds": _globals(finds, "finds"), "calls": _globals(calls, "calls")}

    def transform(self, function, request):
        try:
            data = function(self._data(request))
        except Unsupported:
            raise
        except Exception as exc:
            return _failure("rejected", exc, self.adapter.hello.get("clean_exceptions"))
        return {"ok": True, "data": worker._hex(bytes(data))}


def serve(session, stdin, stdout):
    """Answer requests, one JSON line each, until stdin closes."""
    for line in iter(stdin.readline, b""):
        if not line.strip():
            continue
        try:
            request = json.loads(line.decode("utf-8"))
        except ValueError as exc:
            request = None
            answer = {"ok": False, "kind": "protocol", "message": "not a JSON request: %s" % worker._text(exc)}
        if request is not None and not isinstance(request, dict):
            request, answer = None, {"ok": False, "kind": "protocol", "message": "a request must be a JSON object"}
        if request is not None:
            try:
                answer = session.answer(request)
            except Exception as exc:  # a bug in the adapter, never a dead adapter
                answer = worker._error("internal", exc)
                answer["traceback"] = traceback.format_exc()
            if "id" in request:
                answer["id"] = request["id"]
        if answer.get("exception") == "MemoryError" and worker._memory_kept():
            answer["restart"] = True
        try:
            text = worker.to_text(answer)
        except (ValueError, TypeError, worker.TOO_DEEP) as exc:
            text = json.dumps(dict(worker._error("internal", exc), id=answer.get("id")))
        stdout.write((text + "\n").encode("utf-8"))
        stdout.flush()


def main(make, argv=None):
    """Run an adapter: ``make(*arguments)`` returns its Adapter.

    The arguments are the command line's (adapter.json's target arguments).
    An ImportError from make is answered as the library not being installed,
    with the command that installs it; a bad profile as what is wrong with it.
    """
    argv = sys.argv[1:] if argv is None else argv
    name = os.path.basename(os.path.dirname(os.path.abspath(sys.argv[0])))
    try:
        session = _Session(make(*argv))
    except ImportError as exc:
        session = _Session(None, "%s is not installed for %s (%s); run: picklespec adapters install %s"
                           % (name, sys.executable, worker._text(exc), name))
    except ProfileError as exc:
        session = _Session(None, "%s declares a profile the protocol does not allow: %s" % (name, exc))
    except Exception as exc:
        session = _Session(None, "%s cannot start: %s: %s" % (name, type(exc).__name__, worker._text(exc)))
    if worker.PY2:
        stdin, stdout = sys.stdin, sys.stdout
    else:
        stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # what the library prints must not reach the answers
    worker.allow_recursion(RECURSION_LIMIT)
    serve(session, stdin, stdout)
    return 0


# -- pickle-shaped libraries ---------------------------------------------------------


def load_kwargs(options):
    """The keyword arguments of pickle.load for the load options encoding,
    errors, fix_imports and buffers (the others are not pickle.load's): the
    worker's own reading of them."""
    return worker._load_kwargs(options)


def unpickler_load(unpickler_class, method="load", options=LOAD_OPTIONS):
    """A load function for a library with a pickle-like ``Unpickler(file, **kw)``.

    It honours the load options of runner/PROTOCOL.md that are in `options`
    (declare the same list as the profile's ``load_options``), keeps
    persistent ids as the worker does, and calls ``method`` (``noload`` for
    zodbpickle's).  Python 2 unpicklers take no keyword options.
    """
    import io

    def load(data, given):
        kwargs = load_kwargs(given)
        hooks = {"persistent_load": worker._persistent_load}
        if "allow_globals" in given:
            hooks["find_class"] = worker._restricted(given["allow_globals"])
            worker.recording.forget_extensions()  # judged as in a fresh process
        stream = io.BytesIO(data)
        unpickler = worker._with_hooks(unpickler_class, hooks)(stream, **kwargs)
        if given.get("sequence") == "true":
            out = []
            while stream.tell() < len(data):
                out.append(getattr(unpickler, method)())
            return out
        return getattr(unpickler, method)()

    return load


def _dispatch_table(pickler_class, name):
    """The fixture dict `name` as a Pickler's dispatch_table, as the worker
    sets it; ahead of the library's own table where it has one (cloudpickle's)."""
    if sys.version_info[0] < 3:
        raise Unsupported("Python 2 picklers have no dispatch_table")
    import collections
    import collections.abc

    table = worker._named(name)
    own = getattr(pickler_class, "dispatch_table", None)
    if isinstance(own, collections.abc.Mapping):
        table = collections.ChainMap(table, own)
    return table


def pickler_dump(pickler_class, fix_imports=True, reducer_override=True):
    """A dump function for a library with a pickle-like ``Pickler(file, protocol, **kw)``.

    It honours fix_imports, buffer_callback (protocol 5), sequence, clear_memo,
    dispatch_table and reducer_override, and writes persistent ids as the worker does.  For
    a Pickler that takes no ``fix_imports`` (cloudpickle's, which always maps
    names as pickle's default does) pass ``fix_imports=False``: a dump asking
    for ``fix_imports`` false is then answered `Unsupported`.  A Pickler
    older than Python 3.8's has no ``reducer_override`` hook (it would be
    ignored): pass ``reducer_override=False`` and a dump asking for one is
    answered `Unsupported`.
    """
    import io

    def dump(obj, protocol, options):
        out = io.BytesIO()
        buffers = []
        kwargs = {}
        if options.get("buffer_callback") == "oob" and protocol >= 5:
            kwargs["buffer_callback"] = lambda buf: buffers.append(buf) and False
        if "fix_imports" in options:
            if fix_imports:
                kwargs["fix_imports"] = options["fix_imports"] == "true"
            elif options["fix_imports"] != "true":
                raise Unsupported("%s.%s takes no fix_imports, and always maps names as "
                                  "fix_imports=True does" % (pickler_class.__module__,
                                                             pickler_class.__name__))
        hooks = {"persistent_id": worker._persistent_id}
        if "reducer_override" in options:
            if not reducer_override:
                raise Unsupported("%s.%s has no reducer_override hook" % (
                    pickler_class.__module__, pickler_class.__name__))
            hooks["reducer_override"] = worker._named(options["reducer_override"])
        attributes = {}
        if "dispatch_table" in options:
            attributes["dispatch_table"] = _dispatch_table(pickler_class, options["dispatch_table"])
        sequence = options.get("sequence") == "true"
        pickler = worker._with_hooks(pickler_class, hooks, attributes)(out, protocol, **kwargs)
        for index, item in enumerate(obj if sequence else [obj]):
            if index and options.get("clear_memo") == "true":
                pickler.clear_memo()
            pickler.dump(item)
        raws = [b.raw() for b in buffers]
        return out.getvalue(), [bytes(r) if r.readonly else bytearray(r) for r in raws]

    return dump
