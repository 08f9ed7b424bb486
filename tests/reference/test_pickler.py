"""The reference pickler writes what the running interpreter's C pickler writes.

Every expected stream comes from ``_pickle`` itself: the same object, the same
protocol, the same hooks, given to both picklers.
"""

import copyreg
import io
import os
import pathlib
import pickle
import subprocess
import sys
import textwrap

import _pickle
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))  # objects pickle by module name
import pickler_objects as PO  # noqa: E402

from picklespec.reference import PicklingError, arguments, opcodes  # noqa: E402
from picklespec.reference.asm import read_instructions  # noqa: E402
from picklespec.reference import pickler as R  # noqa: E402

PROTOCOLS = range(pickle.HIGHEST_PROTOCOL + 1)


def test_expected_streams_come_from_the_c_pickler():
    assert pickle.Pickler is _pickle.Pickler
    assert pickle.dumps is _pickle.dumps


def outcome(pickler_class, objects, protocol, **kwargs):
    """The bytes of dumping each object in turn with one pickler, or the error."""
    f = io.BytesIO()
    try:
        p = pickler_class(f, protocol, **kwargs)
        for obj in objects:
            p.dump(obj)
    except Exception as exc:
        return type(exc), str(exc)
    return f.getvalue()


def same_error(expected, got):
    """The reference raised what _pickle raised: the same type, or for
    _pickle's PicklingError our subclass of it (with its location)."""
    if expected is pickle.PicklingError:
        return issubclass(got, pickle.PicklingError)
    return got is expected


def assert_same(c_pickler, ref_pickler, objects, protocol, **kwargs):
    expected = outcome(c_pickler, objects, protocol, **kwargs)
    got = outcome(ref_pickler, objects, protocol, **kwargs)
    if isinstance(expected, bytes):
        assert got == expected
    else:
        assert isinstance(got, tuple) and same_error(expected[0], got[0]), (expected, got)


def opcode_names(data):
    return {ins.op.name for ins in read_instructions(data) if ins.op is not None}


def with_mixin(mixin, base):
    return type(base.__name__, (mixin, base), {}) if mixin else base


# -- the table: every type and size class, every protocol -----------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("name, make", PO.CASES, ids=[name for name, _ in PO.CASES])
def test_same_bytes_as_c(name, make, protocol):
    assert_same(pickle.Pickler, R.Pickler, [make()], protocol)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("name, mixin, make", PO.PICKLER_CASES,
                         ids=[case[0] for case in PO.PICKLER_CASES])
def test_same_bytes_with_hooks(name, mixin, make, protocol):
    obj = make()
    assert_same(with_mixin(mixin, pickle.Pickler), with_mixin(mixin, R.Pickler),
                [obj, [obj, obj]], protocol)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("name", ["fix-imports-names", "builtin-types", "singleton-types",
                                  "bytes[1]", "bytearray[300]", "set2", "complex",
                                  "nested-class-2", "stdlib-containers"])
def test_same_bytes_without_fix_imports(name, protocol):
    obj = dict(PO.CASES)[name]()
    assert_same(pickle.Pickler, R.Pickler, [obj], protocol, fix_imports=False)


def test_the_table_covers_each_opcode_a_cpython_pickler_writes():
    """Each opcode but those no CPython 3 pickler writes occurs in some expected stream."""
    seen = set()
    for _, make in PO.CASES:
        for protocol in PROTOCOLS:
            try:
                data = pickle.dumps(make(), protocol)
            except Exception:
                continue
            if len(data) < 50000:  # the big ones repeat what small ones show
                seen.update(opcode_names(data))
    never = {"DUP", "INST", "OBJ", "STRING", "BINSTRING", "SHORT_BINSTRING",
             "PERSID", "BINPERSID", "EXT1", "EXT2", "EXT4",  # in the tests below
             "NEXT_BUFFER", "READONLY_BUFFER", "BINUNICODE8", "BINBYTES8"}
    assert set(opcodes.by_name) - never <= seen


def test_the_table_holds_streams_where_pickle_py_differs():
    """The expected bytes are _pickle's, not pickle.py's: the two disagree on
    some of the table (lone last items, empty last batches, ...)."""
    cases = dict(PO.CASES)
    for name in ("list1001", "list2001", "dict1000", "dict1001", "set1000"):
        obj = cases[name]()
        assert any(pickle._dumps(obj, p) != pickle.dumps(obj, p) for p in PROTOCOLS), name
    mixin, make = {case[0]: case[1:] for case in PO.PICKLER_CASES}["reducer-override"]
    obj = make()
    ours = dump_with(with_mixin(mixin, R.Pickler), 5, lambda p: p.dump(obj))
    assert ours == dump_with(with_mixin(mixin, pickle.Pickler), 5, lambda p: p.dump(obj))
    assert ours != dump_with(with_mixin(mixin, pickle._Pickler), 5, lambda p: p.dump(obj))


# -- several dumps, the memo, fast mode -----------------------------------------


def shared_sequence():
    lst = [1, "two"]
    d = {"k": lst}
    return [lst, d, "a string", lst, [d, d], PO.Point(lst, d), d]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_dumps_on_one_pickler_share_the_memo(protocol):
    assert_same(pickle.Pickler, R.Pickler, shared_sequence(), protocol)


def dump_with(pickler_class, protocol, script):
    f = io.BytesIO()
    p = pickler_class(f, protocol)
    script(p)
    return f.getvalue()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_clear_memo_between_dumps(protocol):
    objs = shared_sequence()

    def script(p):
        for i, obj in enumerate(objs):
            p.dump(obj)
            if i % 2:
                p.clear_memo()
    assert dump_with(R.Pickler, protocol, script) == dump_with(pickle.Pickler, protocol, script)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_fast_mode_writes_no_memo(protocol):
    objs = shared_sequence() + [PO.deep_list(80), [frozenset([1])] * 3]

    def script(p):
        p.fast = 1
        for obj in objs:
            p.dump(obj)
    data = dump_with(R.Pickler, protocol, script)
    assert data == dump_with(pickle.Pickler, protocol, script)
    stored = {"PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"}
    assert not stored & opcode_names(data)
    assert pickle.loads(data) == objs[0]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_fast_mode_refuses_a_cycle(protocol):
    for cls in (pickle.Pickler, R.Pickler):
        p = cls(io.BytesIO(), protocol)
        p.fast = 1
        with pytest.raises(ValueError, match="cyclic") as info:  # _pickle's type
            p.dump(PO.recursive_list())
        if cls is R.Pickler:
            assert info.value.pickle_path == ["[1]"] * R.FAST_NESTING_LIMIT


def test_memo_is_keyed_like_the_c_picklers():
    obj = shared_sequence()[:5]
    c = pickle.Pickler(io.BytesIO(), 4)
    c.dump(obj)
    ours = R.Pickler(io.BytesIO(), 4)
    ours.dump(obj)
    assert {k: v[0] for k, v in ours.memo.items()} == {k: v[0] for k, v in c.memo.copy().items()}
    assert all(ours.memo[k][1] is v[1] for k, v in c.memo.copy().items())


# -- hooks set as attributes, as the C pickler allows -----------------------------

# _pickle.Pickler instances have no __dict__ (and from 3.13 its persistent_id
# is a read-only method); a subclass's instances take any attribute.
C_SUBCLASS = type("Pickler", (pickle.Pickler,), {})


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_hooks_assigned_on_the_instance(protocol):
    def script(p):
        p.persistent_id = lambda obj: obj.key if isinstance(obj, PO.Persistent) else None
        p.dispatch_table = {PO.Point: lambda pt: (PO.Point, (pt.y, pt.x))}
        p.dump([PO.Persistent("k"), PO.Point(1, 2), PO.Persistent(7)])
    assert dump_with(R.Pickler, protocol, script) == dump_with(C_SUBCLASS, protocol, script)


@pytest.mark.parametrize("attr, value", [("dispatch_table", 42),
                                         ("reducer_override", None), ("reducer_override", 10)])
def test_unusable_hooks_assigned_on_the_instance_fail_as_in_c(attr, value):
    def script(p):
        setattr(p, attr, value)
        p.dump([1, PO.Point(1, 2)])
    errors = []
    for cls in (C_SUBCLASS, R.Pickler):
        with pytest.raises(Exception) as info:
            dump_with(cls, 2, script)
        errors.append(info.type)
    assert errors == [TypeError, TypeError]


def test_reducer_override_assigned_on_the_instance():
    def script(p):
        p.reducer_override = lambda obj: ((PO.make_overridden, ("x",)) if obj is PO.Point
                                          else NotImplemented)
        p.dump([PO.Point, PO.Point(1, 2), [1]])
    assert dump_with(R.Pickler, 5, script) == dump_with(C_SUBCLASS, 5, script)


def test_default_persistent_id_is_a_method():
    p = R.Pickler(io.BytesIO())
    assert p.persistent_id("anything") is None
    assert not hasattr(R.Pickler, "reducer_override")  # as the C pickler: absent


# -- extension codes (copyreg.add_extension) --------------------------------------


EXTENSIONS = [("pickler_objects", "Point", 1), ("pickler_objects", "Reduce2", 255),
              ("pickler_objects", "Reduce3", 256), ("pickler_objects", "module_function", 65535),
              ("pickler_objects", "Outer.Inner", 65536), ("pickler_objects", "NewArgs", 0x7FFFFFFF)]


@pytest.fixture
def extensions():
    for module, name, code in EXTENSIONS:
        copyreg.add_extension(module, name, code)
    yield
    for module, name, code in EXTENSIONS:
        copyreg.remove_extension(module, name, code)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_extension_codes(extensions, protocol):
    obj = [PO.Point, PO.Reduce2(), PO.Reduce3(), PO.module_function, PO.Outer.Inner,
           PO.NewArgs(1, 2), PO.Point(3, 4), PO.Point]
    assert_same(pickle.Pickler, R.Pickler, [obj], protocol)
    if protocol >= 2:
        names = opcode_names(R.dumps(obj, protocol))
        assert {"EXT1", "EXT2", "EXT4"} <= names


# -- protocol 5 buffers -------------------------------------------------------------


def buffers_case():
    ro = pickle.PickleBuffer(b"read-only bytes")
    rw = pickle.PickleBuffer(bytearray(b"writable"))
    big = pickle.PickleBuffer(b"B" * 70000)
    return [ro, rw, ro, big, pickle.PickleBuffer(bytearray())]


@pytest.mark.parametrize("answer", [True, False, None, 1, 0])
def test_buffer_callback(answer):
    seen = {}
    for cls in (pickle.Pickler, R.Pickler):
        got = seen[cls] = []

        def callback(buf, got=got):
            got.append(bytes(buf.raw()))
            return answer
        data = dump_with(lambda f, p: cls(f, p, buffer_callback=callback), 5,
                         lambda p: p.dump(buffers_case()))
        seen[cls, "data"] = data
    assert seen[R.Pickler, "data"] == seen[pickle.Pickler, "data"]
    assert seen[R.Pickler] == seen[pickle.Pickler]
    out_of_band = {"NEXT_BUFFER", "READONLY_BUFFER"} <= opcode_names(seen[R.Pickler, "data"])
    assert out_of_band == (not answer)


def test_buffers_out_of_band_round_trip():
    buffers = []
    obj = buffers_case()
    data = R.dumps(obj, 5, buffer_callback=buffers.append)
    loaded = pickle.loads(data, buffers=buffers)
    assert [bytes(b) for b in loaded] == [bytes(b.raw()) for b in obj]


def test_noncontiguous_buffer():
    for cls in (pickle.Pickler, R.Pickler):
        buf = PO.noncontiguous()
        try:
            cls(io.BytesIO(), 5).dump(buf)
        except pickle.PicklingError as exc:
            assert "contiguous" in str(exc)
            exc.__traceback__ = None
        else:
            raise AssertionError("no error from %s" % cls)
        finally:
            buf.release()


# -- constructor arguments ------------------------------------------------------------


@pytest.mark.parametrize("args, kwargs", [
    ((io.BytesIO(), 6), {}),
    ((io.BytesIO(), "2"), {}),
    ((io.BytesIO(), 4), {"buffer_callback": list}),
    ((io.BytesIO(), 2.0), {}),
    ((object(),), {}),
])
def test_bad_arguments_fail_as_in_c(args, kwargs):
    with pytest.raises(Exception) as c_info:
        pickle.Pickler(*args, **kwargs)
    with pytest.raises(c_info.type):
        R.Pickler(*args, **kwargs)


@pytest.mark.parametrize("protocol, expected", [(None, pickle.DEFAULT_PROTOCOL), (-1, 5),
                                                (-5, 5), (True, 1), (0, 0)])
def test_protocol_argument(protocol, expected):
    assert R.Pickler(io.BytesIO(), protocol).proto == expected
    assert R.dumps(None, protocol) == pickle.dumps(None, protocol)


def test_module_constants():
    assert R.DEFAULT_PROTOCOL == pickle.DEFAULT_PROTOCOL
    assert R.HIGHEST_PROTOCOL == opcodes.HIGHEST_PROTOCOL == pickle.HIGHEST_PROTOCOL


def test_dump_writes_to_the_file():
    chunks = []

    class Sink:
        write = chunks.append
    obj = [b"x" * 70000, "s" * 100, PO.Point(1, 2), pickle.PickleBuffer(b"y" * 70000)]
    R.dump(obj, Sink(), 5)
    assert b"".join(chunks) == pickle.dumps(obj, 5)
    assert any(chunk is obj[0] for chunk in chunks)  # a large payload is not copied


def test_a_pickler_whose_init_was_skipped():
    class Lazy(R.Pickler):
        def __init__(self):
            pass
    with pytest.raises(PicklingError, match="__init__"):
        Lazy().dump(1)


def test_large_payload_header_agrees_with_the_descriptor():
    counted = [op for op in opcodes.opcodes
               if op.arg is not None and op.arg.n in R._LENGTH_FIELDS]
    assert {op.name for op in counted} >= {"BINBYTES", "BINBYTES8", "BINUNICODE",
                                            "BINUNICODE8", "BYTEARRAY8"}
    for op in counted:
        if op.arg is arguments.long1:
            continue  # an int, not a payload
        payload = "\u00e9t\u00e9" if "UNICODE" in op.name else b"\x00\xffpayload"
        raw = payload.encode("utf-8") if isinstance(payload, str) else payload
        assert R._encode(op, payload) == R._CODE[op] + R._length_field(op, len(raw)) + raw


# -- errors: what could not be pickled, and where --------------------------------------


def lam():
    return lambda: None


ALL = (0, 1, 2, 3, 4, 5)
NOTES = sys.version_info >= (3, 11)  # BaseException.add_note (PEP 678)


def c_error(obj, protocol, pickler=pickle.Pickler):
    """The type of what _pickle raises for obj."""
    with pytest.raises(Exception) as info:
        pickler(io.BytesIO(), protocol).dump(obj)
    return info.type


@pytest.mark.parametrize("make, protocols, path", [
    (lambda: lam(), ALL, []),
    (lambda: [1, {"k": [0, lam()]}], ALL, ["[1]", "['k']", "[1]"]),
    (lambda: (1, 2, 3, 4, (lam(),)), ALL, ["[4]", "[0]"]),
    (lambda: {lam(): 1}, (1, 2, 3, 4, 5), ["<key "]),
    (lambda: [{1, 2, PO.Raises()}], (4, 5), ["[0]", "<item "]),
    (lambda: [{1, 2, PO.Raises()}], (0, 3), ["[0]", "<args>", "[0]", "["]),
    (lambda: PO.Point(1, [lam()]), ALL, [".y", "[0]"]),
    (lambda: [PO.Point(PO.Point(lam(), 0), 0)], ALL, ["[0]", ".x", ".x"]),
    (lambda: PO.Slotted(1, lam()), (2, 5), [".b"]),
    (lambda: PO.NewArgs(1, lam()), (2, 5), ["<args>", "[1]"]),
    (lambda: PO.NewArgsEx(1, k=lam()), (4, 5), ["<kwargs>", "['k']"]),
    (lambda: PO.Reduce4([1, lam()]), ALL, ["[1]"]),
    (lambda: PO.BadReduce((PO.Point, (), lam())), ALL, ["<state>"]),
    (lambda: PO.BadReduce((lam(), ())), ALL, ["<callable>"]),
    (lambda: [PO.BadReduce(42)], ALL, ["[0]"]),
])
def test_errors_are_c_picklers_and_carry_their_path(make, protocols, path):
    for protocol in protocols:
        with pytest.raises(Exception) as info:
            R.dumps(make(), protocol)
        assert same_error(c_error(make(), protocol), info.type)
        got = info.value.pickle_path
        assert len(got) == len(path) and all(g.startswith(p) for g, p in zip(got, path)), got
        if isinstance(info.value, PicklingError) and got:
            assert info.value.path is got
            assert "(at obj%s)" % "".join(got) in str(info.value)


def test_path_steps_are_a_list():
    with pytest.raises(PicklingError) as info:
        R.dumps({"a": [PO.Point(0, PO.BadReduce(42))]}, 4)
    assert info.value.path == ["['a']", "[0]", ".y"]
    assert "(at obj['a'][0].y)" in str(info.value)


def test_persistent_id_error_has_its_path():
    class P(R.Pickler):
        def persistent_id(self, obj):
            return ("pid", PO.Unpickleable()) if isinstance(obj, PO.Persistent) else None
    with pytest.raises(PO.CustomError) as info:
        P(io.BytesIO(), 2).dump([1, PO.Persistent("x")])
    assert info.value.pickle_path == ["[1]", "<persistent id>", "[1]"]
    if NOTES:
        assert info.value.__notes__ == [
            "when serializing tuple item 1",
            "when serializing pickler_objects.Persistent persistent id",
            "when serializing list item 1"]


def test_deep_nesting_raises_recursionerror_as_c_does():
    # _pickle counts C levels from 3.12 (a limit of its own), so it is given more.
    assert c_error(PO.deep_list(100000), 4) is RecursionError
    depth = sys.getrecursionlimit() * 4
    with pytest.raises(RecursionError) as info:
        R.dumps(PO.deep_list(depth), 4)
    assert info.value.pickle_path[:3] == ["[0]", "[0]", "[0]"]
    R.dumps(PO.deep_list(10), 4)  # and the pickler is fine afterwards


# -- what called code raises propagates: the same object, located ------------------------


def _in_a_graph(target):
    return [0, {"k": target}]


# Each place called code runs: (pickler class, object, protocol) for an
# exception object `exc` that the called code raises at obj[1]['k'].
def _reduce(exc):
    return R.Pickler, _in_a_graph(PO.RaisesGiven(exc)), 2


def _reduce_ex(exc):
    return R.Pickler, _in_a_graph(PO.RaisesGivenEx(exc)), 2


def _getstate(exc):
    return R.Pickler, _in_a_graph(PO.GetstateRaisesGiven(exc)), 2


def _reducer_override(exc):
    def reducer_override(self, obj):
        if type(obj) is PO.Point:
            raise exc
        return NotImplemented
    return type("P", (R.Pickler,), {"reducer_override": reducer_override}), \
        _in_a_graph(PO.Point(1, 2)), 5


def _dispatch_table(exc):
    def reduce_point(obj):
        raise exc
    return type("P", (R.Pickler,), {"dispatch_table": {PO.Point: reduce_point}}), \
        _in_a_graph(PO.Point(1, 2)), 2


def _persistent_id(exc):
    def persistent_id(self, obj):
        if type(obj) is PO.Point:
            raise exc
    return type("P", (R.Pickler,), {"persistent_id": persistent_id}), \
        _in_a_graph(PO.Point(1, 2)), 1


def _buffer_callback(exc):
    def callback(buf):
        raise exc
    return (lambda f, p: R.Pickler(f, p, buffer_callback=callback)), \
        _in_a_graph(pickle.PickleBuffer(b"data")), 5


@pytest.mark.parametrize("source", [_reduce, _reduce_ex, _getstate, _reducer_override,
                                    _dispatch_table, _persistent_id, _buffer_callback])
@pytest.mark.parametrize("exc_type", [PO.CustomError, TypeError, KeyError, pickle.PicklingError])
def test_called_code_errors_propagate_unchanged(source, exc_type):
    exc = exc_type("raised by called code")
    pickler, obj, protocol = source(exc)
    with pytest.raises(BaseException) as info:
        pickler(io.BytesIO(), protocol).dump(obj)
    assert info.value is exc
    assert exc.pickle_path == ["[1]", "['k']"]
    assert str(exc) == str(exc_type("raised by called code"))  # the message untouched
    if NOTES:
        assert exc.__notes__ == ["when serializing dict item 'k'", "when serializing list item 1"]
    else:
        assert not hasattr(exc, "__notes__")


def test_a_copyreg_reducer_error_propagates():
    exc = PO.CustomError("from copyreg")

    def reduce_registered(obj):
        raise exc
    saved = copyreg.dispatch_table[PO.Registered]
    copyreg.dispatch_table[PO.Registered] = reduce_registered
    try:
        with pytest.raises(PO.CustomError) as info:
            R.dumps(_in_a_graph(PO.Registered(1)), 3)
    finally:
        copyreg.dispatch_table[PO.Registered] = saved
    assert info.value is exc and exc.pickle_path == ["[1]", "['k']"]


def test_the_c_pickler_lets_the_same_object_through():
    """The rule is _pickle's: the ground truth of the test above."""
    exc = PO.CustomError("raised by called code")
    with pytest.raises(PO.CustomError) as info:
        pickle.dumps(_in_a_graph(PO.RaisesGiven(exc)), 2)
    assert info.value is exc


def test_a_recursion_error_from_getattr_propagates():
    """pickletester's test_bad_getattr: a RuntimeError, as _pickle lets through."""
    for protocol in (0, 1):
        assert c_error(PO.BadGetattr(), protocol) is RecursionError
        with pytest.raises(RecursionError):
            R.dumps(PO.BadGetattr(), protocol)


# The notes CPython 3.14's _pickle.c adds (gh-122213), as its own tests
# (Lib/test/pickletester.py, AbstractPicklingErrorTests) expect them: the
# reference writes the same notes from Python 3.11 on.
U = PO.Unpickleable
BR = "pickler_objects.BadReduce"


@pytest.mark.skipif(not NOTES, reason="PEP 678 notes need Python 3.11")
@pytest.mark.parametrize("make, protocols, notes", [
    (lambda: {"a": {"b": U()}}, ALL,
     ["when serializing dict item 'b'", "when serializing dict item 'a'"]),
    (lambda: [1, [2, 3, U()]], ALL,
     ["when serializing list item 2", "when serializing list item 1"]),
    (lambda: [*range(1005), U()], ALL, ["when serializing list item 1005"]),
    (lambda: (1, (2, 3, U())), ALL,
     ["when serializing tuple item 2", "when serializing tuple item 1"]),
    (lambda: {U()}, (4, 5), ["when serializing set element"]),
    (lambda: {U()}, (0, 1, 2, 3), ["when serializing list item 0", "when serializing tuple item 0",
                                   "when serializing set reconstructor arguments"]),
    (lambda: frozenset({frozenset({U()})}), (4, 5), ["when serializing frozenset element"] * 2),
    (lambda: PO.BadReduce((PO.UnpickleableCallable(), ())), ALL,
     ["when serializing %s reconstructor" % BR, "when serializing %s object" % BR]),
    (lambda: PO.BadReduce((print, (1, 2, U()))), ALL,
     ["when serializing tuple item 2", "when serializing %s reconstructor arguments" % BR,
      "when serializing %s object" % BR]),
    (lambda: PO.BadReduce((copyreg.__newobj__, (PO.BadReduce, 1, 2, U()))), (2, 3, 4, 5),
     ["when serializing tuple item 2", "when serializing %s __new__ arguments" % BR,
      "when serializing %s object" % BR]),
    (lambda: PO.BadReduce((copyreg.__newobj_ex__, (PO.BadReduce, (), {"a": U()}))), (4, 5),
     ["when serializing dict item 'a'", "when serializing %s __new__ arguments" % BR,
      "when serializing %s object" % BR]),
    (lambda: PO.BadReduce((print, (), U())), ALL,
     ["when serializing %s state" % BR, "when serializing %s object" % BR]),
    (lambda: PO.BadReduce((print, (), "state", None, None, PO.UnpickleableCallable())), ALL,
     ["when serializing %s state setter" % BR, "when serializing %s object" % BR]),
    (lambda: PO.BadReduce(lambda: (list, (), None, iter([1, 2, U()]))), ALL,
     ["when serializing %s item 2" % BR, "when serializing %s object" % BR]),
    (lambda: PO.BadReduce(lambda: (dict, (), None, None, iter([("a", U())]))), ALL,
     ["when serializing %s item 'a'" % BR, "when serializing %s object" % BR]),
    (lambda: PO.BadReduce(42), ALL, ["when serializing %s object" % BR]),
])
def test_notes_are_cpythons(make, protocols, notes):
    for protocol in protocols:
        with pytest.raises(Exception) as info:
            R.dumps(make(), protocol)
        assert info.value.__notes__ == notes


@pytest.mark.skipif(not NOTES, reason="PEP 678 notes need Python 3.11")
def test_notes_where_c_has_none():
    """A dict key and a persistent id: _pickle.c notes neither; the reference
    writes a note of the same form, so the notes name every level."""
    with pytest.raises(PO.CustomError) as info:
        R.dumps([{"k": 1, U(): 2}], 4)
    assert info.value.__notes__[0].startswith("when serializing dict key <pickler_objects.")
    assert info.value.__notes__[1:] == ["when serializing list item 0"]


# -- finding a global: effects.whichmodule, as _pickle.c's ---------------------------------


class _Touchy(type(sys)):
    """A module whose every attribute lookup fails with something else than
    AttributeError (a lazy module that cannot load, say)."""

    def __getattr__(self, name):
        raise RuntimeError("touchy")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_whichmodule_searches_modules_as_c_does(protocol):
    """A function with no __module__ is looked for in every loaded module.
    _pickle.c passes over a module that lacks the name (AttributeError) and
    lets any other error of the search through; so does the one meaning the
    pickler shares with the unpickler (effects.whichmodule)."""
    home = type(sys)("_picklespec_home")
    exec("def found_by_scan():\n    pass\n", home.__dict__)
    found = home.found_by_scan
    found.__module__ = None
    sys.modules["_picklespec_home"] = home
    try:
        assert_same(pickle.Pickler, R.Pickler, [[found]], protocol)
        assert b"_picklespec_home" in R.dumps(found, protocol)
        # A module that cannot be searched, met first (sys.modules keeps its order).
        del sys.modules["_picklespec_home"]
        sys.modules["_picklespec_touchy"] = _Touchy("_picklespec_touchy")
        sys.modules["_picklespec_home"] = home
        assert c_error([found], protocol) is RuntimeError
        with pytest.raises(RuntimeError, match="touchy") as info:
            R.dumps([found], protocol)
        assert info.value.pickle_path == ["[0]"]
    finally:
        sys.modules.pop("_picklespec_touchy", None)
        sys.modules.pop("_picklespec_home", None)


# -- the pickler's own faults: the types _pickle raises, per version ---------------------


@pytest.mark.parametrize("code", [object(), None, 1.5, -1, 0, 2**31, 2**1000, -2**1000, True])
def test_a_broken_extension_registry_fails_as_in_c(code):
    """copyreg checks the codes it registers; a registry changed behind its
    back fails as _pickle.c of this version fails (gh-123431 changed it)."""
    key = ("pickler_objects", "MyList")
    copyreg._extension_registry[key] = code
    try:
        for protocol in (2, 3, 4, 5):
            assert_same(pickle.Pickler, R.Pickler, [PO.MyList], protocol)
    finally:
        del copyreg._extension_registry[key]


def test_the_c_pickler_is_held_to_the_same_errors():
    """same_error is not trivially true: a PicklingError is not a TypeError."""
    assert not same_error(TypeError, PicklingError)
    assert not same_error(pickle.PicklingError, TypeError)
    assert same_error(pickle.PicklingError, PicklingError)


def test_non_ascii_persistent_id_at_protocol_0():
    p = with_mixin(PO.PersistentIds, R.Pickler)(io.BytesIO(), 0)
    with pytest.raises(PicklingError, match="ASCII"):
        p.dump(PO.Persistent("caf\u00e9"))
    p = with_mixin(PO.PersistentIds, R.Pickler)(io.BytesIO(), 0)
    with pytest.raises(PicklingError, match="newline"):
        p.dump(PO.Persistent("two\nlines"))


# -- drop-in: a program using pickle.Pickler gives the same output -----------------------


PROGRAM = textwrap.dedent("""
    import hashlib, io, pickle, sys
    import pickler_objects as PO

    def main(path):
        objs = [PO.shared(), {"k": PO.Point(1, [2, 3])}, b"x" * 70000, PO.recursive_list(),
                [PO.Color.RED, PO.Outer.Inner, len, 10**40, 1.5, None, True]]
        with open(path, "wb") as f:
            p = pickle.Pickler(f, 2)
            for obj in objs[:3]:
                p.dump(obj)
            pickle.dump(objs[3], f, protocol=4)
            f.write(pickle.dumps(objs[4], 5))
        with open(path, "rb") as f:
            data = f.read()
            f.seek(0)
            reader = pickle.Unpickler(f)  # one memo for the three dumps above
            loaded = [reader.load() for _ in range(3)]
            loaded += [pickle.load(f), pickle.load(f)]
        print(hashlib.sha256(data).hexdigest(), len(data))
        print([type(obj).__name__ for obj in loaded])
        print(loaded[0][:4], loaded[0][8] is loaded[0][9], loaded[0][4] is loaded[0][8].x)
        print(loaded[1]["k"].y, loaded[3][1] is loaded[3], loaded[4])

    main(sys.argv[1])
""")

SUBSTITUTE = textwrap.dedent("""
    import pickle, runpy, sys
    from picklespec.reference import pickler

    class Counting(pickler.Pickler):
        dumps = 0

        def dump(self, obj):
            Counting.dumps += 1
            super().dump(obj)

    # pickler.dump and pickler.dumps make their Pickler by this name too.
    pickler.Pickler = pickle.Pickler = Counting
    pickle.dump, pickle.dumps = pickler.dump, pickler.dumps
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")
    sys.stderr.write("reference dumps: %d" % Counting.dumps)
""")


def test_drop_in_replacement(tmp_path):
    program = tmp_path / "program.py"
    program.write_text(PROGRAM)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(pathlib.Path(__file__).parent)] + sys.path))

    def run(*argv):
        done = subprocess.run([sys.executable, *argv], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        return done.stdout, done.stderr
    plain, _ = run(str(program), str(tmp_path / "plain.pickle"))
    substituted, report = run("-c", SUBSTITUTE, str(program), str(tmp_path / "ours.pickle"))
    assert report == "reference dumps: 5"
    assert substituted == plain
    assert (tmp_path / "ours.pickle").read_bytes() == (tmp_path / "plain.pickle").read_bytes()
    assert "True" in plain


# -- the benchmark runs -------------------------------------------------------------------


def test_bench_quick_prints_ratios(capsys):
    from picklespec.reference import bench
    assert bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "dumps" in out and "x py" in out and "x C" in out
    assert "dumps: geometric mean" in out and "loads: geometric mean" in out
    assert "differ" not in out and "failed" not in out
