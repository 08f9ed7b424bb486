"""Symbolic loading: any stream into the object model, importing and calling nothing."""

import builtins
import copyreg
import pickle
import sys

import pytest

from picklespec.reference import asm, model
from picklespec.reference import unpickler as U
from picklespec.reference.errors import ForbiddenError, StackError
from picklespec.reference.model import Buffer, Global, PersistentId


def plain_samples(protocol):
    """Plain data CPython writes without REDUCE at this protocol."""
    shared = ["shared"]
    cycle = [1]
    cycle.append(cycle)
    loop = {}
    loop["me"] = loop
    samples = [
        None, True, False, 0, -1, 255, 65535, 2**31, -2**63, 2**200, 0.5, -0.0,
        float("inf"), float("nan"), "", "caf\u00e9", "\ud800", (), (1,), (1, 2), (1, 2, 3),
        tuple(range(10)), [], list(range(1500)), {}, {"a": 1, 2: [None]},
        [shared, shared, (shared,)], cycle, loop, [(1, 2)] * 3,
    ]
    if protocol >= 3:
        samples += [b"", b"\x00\xff", [b"x" * 300] * 2]
    if protocol >= 4:
        samples += [set(), {1, "a"}, frozenset({(1, 2)}), "x" * 70000]
    if protocol >= 5:
        samples += [bytearray(b"ab")]
    return samples


@pytest.mark.parametrize("protocol", range(6))
def test_symbolic_agrees_with_real_loading_on_plain_data(protocol):
    for obj in plain_samples(protocol):
        data = pickle.dumps(obj, protocol)
        real = model.describe(U.loads(data))
        assert model.equal(real, model.describe(pickle.loads(data)))
        assert model.equal(U.loads_symbolic(data), real), obj


class Point:
    def __init__(self, x):
        self.x = x
        self.me = self


class WithKwargs:
    def __new__(cls, a, *, b):
        return super().__new__(cls)

    def __getnewargs_ex__(self):
        return (1,), {"b": 2}


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_symbolic_agrees_with_describe_on_instances(protocol):
    data = pickle.dumps([Point(1), Point(2)], protocol)
    assert model.equal(U.loads_symbolic(data), model.describe(U.loads(data)))
    tree = U.loads_symbolic(data)[0]
    assert tree.callable == Global(__name__, "Point") and tree.via == "newobj"
    assert tree.state["me"] is tree  # the cycle is kept


def test_calls_become_objects_named_after_their_opcode():
    tree = U.loads_symbolic(pickle.dumps(WithKwargs(1, b=2), 4))
    assert (tree.via, tree.args, tree.kwargs) == ("newobj_ex", (1,), {"b": 2})
    tree = U.loads_symbolic(pickle.dumps(complex(1, 2), 2))
    assert (tree.callable, tree.args, tree.via) == (Global("builtins", "complex"), (1.0, 2.0),
                                                    "reduce")
    classic = b"(i__main__\nClassic\np1\n(dp2\nS'a'\nI1\nsb."  # Python 2.7, protocol 0
    tree = U.loads_symbolic(classic)
    assert (tree.callable, tree.via, tree.state) == (Global("__main__", "Classic"), "inst",
                                                     {"a": 1})
    tree = U.loads_symbolic(b"(c__main__\nClassic\nq\x01oq\x02}q\x03U\x01aK\x01sb.")
    assert (tree.via, tree.state) == ("obj", {"a": 1})


def test_items_opcodes_on_objects_fill_in_the_object():
    text = """
        GLOBAL collections OrderedDict
        EMPTY_TUPLE
        REDUCE
        MARK
          SHORT_BINUNICODE 'a'
          BININT1 1
        SETITEMS
        SHORT_BINUNICODE 'b'
        NONE
        SETITEM
        GLOBAL collections deque
        EMPTY_TUPLE
        REDUCE
        MARK
          BININT1 7
        APPENDS
        NONE
        APPEND
        GLOBAL builtins set
        EMPTY_TUPLE
        REDUCE
        MARK
          BININT1 3
        ADDITEMS
        TUPLE3
        STOP
    """
    ordered, deque, made = U.loads_symbolic(asm.assemble(text))
    assert ordered.dictitems == [("a", 1), ("b", None)]
    assert deque.listitems == [7, None]
    assert made.setitems == [3]


def test_persistent_ids_buffers_and_extensions():
    assert U.loads_symbolic(b"Pdb:7\n.") == PersistentId("db:7")
    assert U.loads_symbolic(b"K\x07Q.") == PersistentId(7)
    first, second = U.loads_symbolic(b"\x80\x05\x97\x97\x98\x86.")
    assert (first.index, first.readonly) == (0, False)
    assert (second.index, second.readonly) == (1, True)
    data = pickle.dumps(pickle.PickleBuffer(b"in band"), 5)
    assert U.loads_symbolic(data) == b"in band"
    view = U.loads_symbolic(b"\x80\x05\x96\x02\x00\x00\x00\x00\x00\x00\x00ab\x98.")
    assert isinstance(view, Buffer) and (view.data, view.readonly) == (b"ab", True)
    code = next(c for c in range(0xFF, 0, -1) if c not in copyreg._inverted_registry)
    copyreg.add_extension("os", "system", code)
    try:
        assert U.loads_symbolic(b"\x80\x02\x82" + bytes([code]) + b".") == Global("os", "system")
    finally:
        copyreg.remove_extension("os", "system", code)


def test_python2_names_are_mapped_as_find_class_maps_them():
    assert U.loads_symbolic(b"c__builtin__\nxrange\n.") == Global("builtins", "range")
    assert U.loads_symbolic(b"c__builtin__\nxrange\n.", fix_imports=False) == \
        Global("__builtin__", "xrange")
    assert U.loads_symbolic(b"\x80\x03c__builtin__\nxrange\n.") == Global("__builtin__", "xrange")
    assert U.loads_symbolic(b"\x80\x04cos\npath.join\n.") == Global("os", "path.join")
    with pytest.raises(ForbiddenError):
        U.loads_symbolic(b"cos\npath.join\n.")


def test_nothing_is_imported_or_called(monkeypatch):
    modules = set(sys.modules)

    def no_import(*args, **kwargs):
        raise AssertionError("imported %r" % (args[:1],))

    monkeypatch.setattr(builtins, "__import__", no_import)
    data = b"cos\nsystem\n(S'echo owned'\ntRcno_such_module_anywhere\nthing\n)\x81}b\x86."
    call, obj = U.loads_symbolic(data)
    assert call.callable == Global("os", "system") and call.args == ("echo owned",)
    assert obj.callable == Global("no_such_module_anywhere", "thing") and obj.has_state
    monkeypatch.undo()
    assert set(sys.modules) == modules


def test_sharing_is_identity():
    data = pickle.dumps([Point(1)] * 2, 4)
    first, second = U.loads_symbolic(data)
    assert first is second


@pytest.mark.parametrize("text", [
    "GLOBAL os system\nEMPTY_DICT\nBUILD\nSTOP",             # BUILD on a global
    "EMPTY_LIST\nEMPTY_DICT\nBUILD\nSTOP",                   # BUILD on plain data
    "GLOBAL m C\nEMPTY_TUPLE\nNEWOBJ\nEMPTY_DICT\nBUILD\nEMPTY_DICT\nBUILD\nSTOP",
    "GLOBAL m C\nMARK\nNONE\nAPPENDS\nSTOP",                  # items on a global
    "BININT1 1\nEMPTY_TUPLE\nREDUCE\nSTOP",                   # calling an int
    "EMPTY_LIST\nEMPTY_TUPLE\nNEWOBJ\nSTOP",
    "NONE\nREADONLY_BUFFER\nSTOP",
])
def test_what_the_model_cannot_hold_is_a_stack_error(text):
    with pytest.raises(StackError):
        U.loads_symbolic(asm.assemble(text))


def test_from_files_and_to_json():
    import io
    f = io.BytesIO(pickle.dumps(Point(3), 2) + pickle.dumps([1], 0))
    tree = U.load_symbolic(f)
    assert U.load_symbolic(f) == [1]
    as_json = model.to_json(tree)
    assert as_json["type"] == "object" and as_json["via"] == "newobj"
    assert model.equal(model.from_json(as_json), tree)


def test_unhashable_persistent_ids_as_keys_are_not_quadratic():
    # 2,000 dict keys that are persistent ids of lists ([i]): each hashes by
    # its pid's structure, so building the dict is linear.
    keys = b"".join(b"]J" + i.to_bytes(4, "little") + b"aQN" for i in range(2000))
    data = b"\x80\x02}(" + keys + b"u."
    result = U.loads_symbolic(data)
    assert len(result) == 2000
    assert PersistentId([7]) in result and PersistentId([2000]) not in result
    # Equal pids hash alike, whatever they hold.
    assert hash(PersistentId([1, {2: float("nan")}])) == hash(PersistentId([1, {2: float("nan")}]))


def test_reading_any_stream_imports_nothing():
    # Whatever the machine needs is imported up front: no stream makes it
    # import a module (a codec on first use of UNICODE, say).
    import subprocess
    import textwrap

    code = textwrap.dedent("""
        import sys
        from picklespec.cases.corpus import load_corpus
        from picklespec.reference import unpickler
        streams = [b"V\\\\u0041\\n.", b"\\x80\\x04\\x95\\x05\\x00\\x00\\x00\\x00\\x00\\x00\\x00X\\x00\\x00\\x00\\x00."]
        for case in load_corpus().cases:
            if case.data is not None:
                streams.append(case.data)
            for variants in case.streams.values():
                streams.extend(v.stream for v in variants if v.stream is not None)
        before = set(sys.modules)
        for data in streams:
            try:
                unpickler.loads_symbolic(data)
            except Exception:
                pass
        print(len(streams), sorted(set(sys.modules) - before))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, imported = out.stdout.split(" ", 1)
    assert int(count) > 2000
    assert imported.strip() == "[]"
