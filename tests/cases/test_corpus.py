"""The real corpus: it checks clean, CPython writes what it says, the reference agrees.

The dump tests hold three picklers to the variants named for them: the C
and pure-Python picklers of the running CPython (`cpython-X.Y-c` and
`cpython-X.Y-py`), which proves the expected streams are real and
regenerable, and the reference, held to the C pickler's variants.  Every
stream of every dump case must load back, with the standard library, to the
case's result.  The load cases are the reference's: accept cases must give
their result, reject cases an UnpicklingError, implementation-defined cases
one of their outcomes.
"""

import builtins
import copyreg
import importlib
import io
import pickle
import re
import sys

import pytest

import picklespec.cases.fixtures  # noqa: F401  (registers the corpus's extension codes, as the worker does)
from picklespec.cases import coverage as coverage_module
from picklespec.cases.corpus import load_corpus
from picklespec.reference import errors, model

CORPUS = load_corpus()
DUMPS = [c for c in CORPUS.cases if c.classification == "dump"]
ACCEPT = [c for c in CORPUS.cases if c.classification == "accept"]
REJECT = [c for c in CORPUS.cases if c.classification == "reject"]
CHOICES = [c for c in CORPUS.cases if c.classification == "implementation-defined"]
VERSION = "%d.%d" % sys.version_info[:2]
PICKLERS = {"c": pickle.Pickler, "py": pickle._Pickler}


def ids(cases):
    return [c.id for c in cases]


def make_buffer(node):
    data = node.data or b""
    return pickle.PickleBuffer(bytes(data) if node.readonly else bytearray(data))


def dump_with(pickler_class, case, protocol):
    """What a pickler class writes for a case's object: as the worker asks it."""
    obj = model.materialize(case.object, buffer=make_buffer)
    kwargs = {}
    if "fix_imports" in case.options:
        kwargs["fix_imports"] = case.options["fix_imports"]
    if case.options.get("buffer_callback") == "oob" and protocol >= 5:
        kwargs["buffer_callback"] = lambda buf: False

    hooks = {"persistent_id": lambda self, obj: obj.pid if isinstance(obj, model.PersistentId)
             else None}
    if "reducer_override" in case.options:
        override = named(case.options["reducer_override"])
        hooks["reducer_override"] = lambda self, obj: override(obj)
    if "dispatch_table" in case.options:
        hooks["dispatch_table"] = named(case.options["dispatch_table"])
    out = io.BytesIO()
    pickler = type("Hooked", (pickler_class,), hooks)(out, protocol, **kwargs)
    # sequence: each item through one pickler; clear_memo between them
    for index, item in enumerate(obj if case.options.get("sequence") else [obj]):
        if index and case.options.get("clear_memo"):
            pickler.clear_memo()
        pickler.dump(item)
    return out.getvalue()


def named(text):
    """The object a module:qualname option names."""
    module, _, qualname = text.partition(":")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


# What `allow_globals`' find_class raises when regen records `exception`
# (runner/worker.py's, as in the pickle documentation's "Restricting Globals").
RESTRICTION = pickle.UnpicklingError


def load_with(unpickler_class, data, options, restriction=errors.ForbiddenError):
    """A stream loaded by an unpickler class with a case's load-options, described.

    `allow_globals` installs a find_class that raises `restriction` for any
    other global."""
    kwargs = {k: options[k] for k in ("encoding", "errors", "fix_imports") if k in options}
    if "buffers" in options:
        kwargs["buffers"] = [type(b)(b) for b in options["buffers"]]

    hooks = {"persistent_load": lambda self, pid: model.PersistentId(pid)}
    if "allow_globals" in options:
        allowed = set(options["allow_globals"])

        def find_class(self, module, name):
            if "%s:%s" % (module, name) not in allowed:
                # a restriction built on find_class refuses: the `forbidden` kind
                raise restriction("global '%s.%s' is forbidden" % (module, name))
            return named("%s:%s" % (module, name))
        hooks["find_class"] = find_class
        copyreg._extension_cache.clear()  # CPython asks find_class about a code only once
    stream = io.BytesIO(data)
    unpickler = type("Hooked", (unpickler_class,), hooks)(stream, **kwargs)
    if options.get("sequence"):
        result = []
        while stream.tell() < len(data):
            result.append(unpickler.load())
        return model.describe(result)
    return model.describe(unpickler.load())


def load_options_of(case):
    """A dump case's load-options: several pickles load back as a sequence."""
    if case.options.get("sequence"):
        return dict(case.load_options, sequence=True)
    return case.load_options


def check_dumps(pickler_class, case, producer, refuse_unloadable=False):
    """Every protocol's variant for the producer: the same bytes, or a failure.

    With `refuse_unloadable` (the reference), a stream the producer writes
    that does not load back (`loads: false`) must be refused instead.
    """
    checked = 0
    for protocol in case.protocols:
        if protocol > pickle.HIGHEST_PROTOCOL:
            continue
        variant = case.variant_for(producer, protocol)
        assert variant is not None, "protocol %d: no variant for %s" % (protocol, producer)
        if variant.fails or (refuse_unloadable and not variant.loads):
            with pytest.raises(Exception):
                dump_with(pickler_class, case, protocol)
        else:
            got = dump_with(pickler_class, case, protocol)
            assert got == variant.stream, "protocol %d (%s): %r" % (
                protocol, variant.producer_text, got)
        checked += 1
    assert checked


def test_corpus_checks_clean():
    assert [str(p) for p in CORPUS.problems] == []


@pytest.mark.parametrize("kind", sorted(PICKLERS))
@pytest.mark.parametrize("case", DUMPS, ids=ids(DUMPS))
def test_cpython_writes_its_variant(case, kind):
    check_dumps(PICKLERS[kind], case, "cpython-%s-%s" % (VERSION, kind))


@pytest.mark.parametrize("case", DUMPS, ids=ids(DUMPS))
def test_reference_writes_the_c_variant(case):
    from picklespec.reference import pickler

    check_dumps(pickler.Pickler, case, "cpython-%s-c" % VERSION, refuse_unloadable=True)


@pytest.mark.parametrize("case", DUMPS, ids=ids(DUMPS))
def test_every_dump_stream_loads_back(case):
    loaded = 0
    for protocol, variants in sorted(case.streams.items()):
        for variant in variants:
            if variant.fails:
                continue
            if not variant.loads:
                with pytest.raises(Exception):
                    load_with(pickle.Unpickler, variant.stream, load_options_of(case))
                continue
            got = load_with(pickle.Unpickler, variant.stream, load_options_of(case))
            assert model.equal(got, case.result_for(variant)), \
                "protocol %d, %s: loads as %r" % (protocol, variant.producer_text, got)
            loaded += 1
    # a case about a failure: its producers fail, or write what does not load back
    fails_only = all(v.fails or not v.loads for vs in case.streams.values() for v in vs)
    assert loaded or fails_only


@pytest.mark.parametrize("case", ACCEPT, ids=ids(ACCEPT))
def test_reference_accepts(case):
    from picklespec.reference import unpickler

    got = load_with(unpickler.Unpickler, case.data, case.load_options)
    assert model.equal(got, case.result), "loads as %r" % (got,)


@pytest.mark.parametrize("case", REJECT, ids=ids(REJECT))
def test_reference_rejects(case):
    from picklespec.reference import unpickler

    # A fault of the stream is an UnpicklingError; a failure of the code the
    # stream calls (an import, a call with the wrong arguments) propagates as
    # that code raised it, marked with the opcode that called it.
    with pytest.raises(Exception) as info:
        load_with(unpickler.Unpickler, case.data, case.load_options)
    assert isinstance(info.value, pickle.UnpicklingError) or \
        getattr(info.value, "pickle_opcode", None) is not None, repr(info.value)


@pytest.mark.parametrize("case", REJECT, ids=ids(REJECT))
def test_reference_failure_is_the_cases(case):
    """The case's `failure` is the kind of the reference's error (errors.kind_of):
    the class's kind for a fault of the stream, `called` for what called code raised."""
    from picklespec.reference import unpickler

    assert case.failure is not None, "every reject case names its failure"
    with pytest.raises(Exception) as info:
        load_with(unpickler.Unpickler, case.data, case.load_options)
    kind = errors.kind_of(info.value)
    assert kind == case.failure, "the reference fails with %s (%s: %s), the case says %s" % (
        kind, type(info.value).__name__, info.value, case.failure)


def exception_type(name):
    """The exception class a case's `exception` names: a built-in, or pickle's."""
    return getattr(builtins, name, None) or getattr(pickle, name)


EXCEPTIONS = [c for c in REJECT if c.exception is not None]


@pytest.mark.parametrize("kind", sorted(PICKLERS))
@pytest.mark.parametrize("case", EXCEPTIONS, ids=ids(EXCEPTIONS))
def test_cpython_raises_the_recorded_exception(case, kind):
    """This interpreter's unpicklers raise the type `regen` recorded from every CPython."""
    unpickler_class = {"c": pickle.Unpickler, "py": pickle._Unpickler}[kind]
    with pytest.raises(Exception) as info:
        load_with(unpickler_class, case.data, case.load_options, restriction=RESTRICTION)
    assert type(info.value).__name__ == case.exception, repr(info.value)


@pytest.mark.parametrize("case", EXCEPTIONS, ids=ids(EXCEPTIONS))
def test_reference_raises_the_recorded_exception(case):
    """The reference's error is an instance of the type CPython raises, so an
    ``except`` clause written for CPython catches it."""
    from picklespec.reference import unpickler

    with pytest.raises(Exception) as info:
        load_with(unpickler.Unpickler, case.data, case.load_options, restriction=RESTRICTION)
    caught = isinstance(info.value, exception_type(case.exception))
    assert caught, "%s: %s" % (type(info.value).__name__, info.value)


@pytest.mark.parametrize("case", CHOICES, ids=ids(CHOICES))
def test_reference_choice_is_allowed(case):
    from picklespec.reference import unpickler

    try:
        got = load_with(unpickler.Unpickler, case.data, case.load_options)
    except pickle.UnpicklingError as exc:
        kind = getattr(exc, "kind", "malformed")
        allowed = [o.reject for o in case.outcomes if not o.accepts]
        assert allowed, "rejected (%s: %s); the allowed outcomes are results" % (kind, exc)
    else:
        assert any(model.equal(got, o.result) for o in case.outcomes if o.accepts), \
            "loads as %r, not an allowed outcome" % (got,)


def test_corpus_size_and_opcode_coverage():
    result = coverage_module.coverage(CORPUS)
    assert result.total >= 600
    assert result.short() == []


TRACKER_REF = re.compile(r"^(gh-\d+|bpo-\d+|https://github\.com/python/cpython/(issues|pull)/\d+"
                         r"|https://bugs\.python\.org/issue\d+)$")


def test_every_implementation_defined_case_cites_a_cpython_tracker_issue():
    """An implementation's choice is only documented by the tracker thread
    where CPython discussed it; a PEP says what the format is, not that the
    choice is left open."""
    missing = [case.id for case in CORPUS.select("implementation-defined")
               if not any(TRACKER_REF.match(str(ref)) for ref in case.refs or ())]
    assert not missing, "implementation-defined cases citing no CPython tracker issue: %s" % missing
