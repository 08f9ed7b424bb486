"""picklespec.strategies: each strategy generates what it claims.

Ground truth is CPython's own pickle machinery (the C unpickler loads valid
programs and rejects faulted ones; the C pickler's output shows which path of
the reduce protocol an instance took), never the reference.
"""

import io
import pickle
import pickletools

import _pickle
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import picklespec.strategies as ps
from picklespec.reference import model
from picklespec.reference.asm import read_instructions
from picklespec.reference.opcodes import by_name

FAST = settings(max_examples=25, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _ops(data):
    return [op.name for op, _, _ in pickletools.genops(data)]


def _has_cycle(root):
    state = {}

    def visit(node):
        if not isinstance(node, (list, tuple, dict)):
            return False
        mark = state.get(id(node))
        if mark == "open":
            return True
        if mark == "done":
            return False
        state[id(node)] = "open"
        children = node.values() if isinstance(node, dict) else node
        if any(visit(c) for c in children):
            return True
        state[id(node)] = "done"
        return False
    return visit(root)


def _has_sharing(root):
    """Whether a list, dict or non-empty tuple is reached twice (the empty
    tuple is a singleton picklers write again rather than memoize)."""
    seen, work = set(), [root]
    while work:
        node = work.pop()
        if not isinstance(node, (list, tuple, dict)) or node == ():
            continue
        if id(node) in seen:
            return True
        seen.add(id(node))
        work.extend(node.values() if isinstance(node, dict) else node)
    return False


# -- programs ---------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", range(6))
@FAST
@given(data=st.data())
def test_valid_programs_load_with_the_c_unpickler(protocol, data):
    stream = data.draw(ps.programs(protocol=protocol))
    _pickle.loads(stream)  # raises on any fault
    names = [i.op.name for i in read_instructions(stream)]
    assert names[-1] == "STOP"
    assert all(by_name[n].proto <= protocol for n in names)
    if protocol >= 2:
        assert stream[:2] == bytes([0x80, protocol])


class _Persistent(_pickle.Unpickler):
    def persistent_load(self, pid):
        return ("persistent", pid)


@FAST
@given(ps.programs(persistent=True))
def test_programs_with_persistent_ids_load_given_a_persistent_load(stream):
    _Persistent(io.BytesIO(stream)).load()


@pytest.mark.parametrize("fault", ps.REJECTED_FAULTS)
@FAST
@given(data=st.data())
def test_faulted_programs_are_rejected_by_the_c_unpickler(fault, data):
    stream = data.draw(ps.programs(fault=fault))
    with pytest.raises(Exception):
        _pickle.loads(stream)


@FAST
@given(ps.programs(fault="frame-short", protocol=4))
def test_a_short_frame_ends_inside_an_argument(stream):
    ins = read_instructions(stream)
    frames = [i for i in ins if i.op is not None and i.op.name == "FRAME"]
    ends = {i.offset + len(i.raw) + i.value for i in frames}
    inside = {i.offset + k for i in ins if len(i.raw) > 1 for k in range(1, len(i.raw))}
    assert ends & inside


def test_programs_are_reproducible_from_hypothesis_seed():
    def draws():
        out = []

        @seed(1234)
        @settings(max_examples=20, database=None, derandomize=False, deadline=None)
        @given(ps.programs(fault=True))
        def collect(stream):
            out.append(stream)
        collect()
        return out
    assert draws() == draws()


# -- objects ------------------------------------------------------------------------------


@FAST
@given(ps.objects(cycles=True))
def test_cycles_when_asked(obj):
    assert _has_cycle(obj)
    loaded = pickle.loads(pickle.dumps(obj, 4))
    assert model.equal(model.describe(loaded), model.describe(obj))


@FAST
@given(ps.objects(cycles=False))
def test_no_cycles_unless_asked(obj):
    assert not _has_cycle(obj)


def test_sharing_happens():
    shared = []

    @seed(5)
    @FAST
    @given(ps.objects(sharing=True))
    def collect(obj):
        if _has_sharing(obj):
            shared.append(obj)
    collect()
    assert shared
    # the C pickler writes a second reference as a memo fetch
    assert any({"BINGET", "LONG_BINGET"} & set(_ops(pickle.dumps(obj, 2))) for obj in shared)


@FAST
@given(ps.python2_values())
def test_python2_values_are_of_the_shared_types(value):
    allowed = (type(None), bool, int, float, complex, str, list, tuple, dict, set, frozenset)
    work = [value]
    while work:
        node = work.pop()
        assert type(node) in allowed
        if isinstance(node, dict):
            work.extend(node)
            work.extend(node.values())
        elif isinstance(node, (list, tuple, set, frozenset)):
            work.extend(node)


# -- instances: the C pickler shows the path taken -------------------------------------------

# At protocol 4 no scalar needs a call (protocol 2 writes bytes as REDUCE of
# _codecs.encode), so the calls in the stream are the instance's own.
PATH_OPCODES = {  # path -> (protocol, opcodes that must appear, opcodes that must not)
    "dict-state": (4, {"NEWOBJ", "BUILD"}, set()),
    "no-state": (4, {"NEWOBJ"}, {"BUILD"}),
    "slots-state": (4, {"NEWOBJ", "BUILD"}, set()),
    "slots-and-dict": (4, {"NEWOBJ", "BUILD"}, set()),
    "reduce-args": (4, {"REDUCE"}, {"BUILD", "NEWOBJ"}),
    "reduce-state": (4, {"REDUCE", "BUILD"}, set()),
    "listitems": (4, {"NEWOBJ"}, set()),
    "dictitems": (4, {"NEWOBJ"}, set()),
    "append-only": (4, {"REDUCE"}, set()),
    "global-name": (4, {"STACK_GLOBAL"}, {"REDUCE", "NEWOBJ", "BUILD"}),
    "setstate": (4, {"NEWOBJ", "BUILD"}, set()),
    "falsy-state": (4, {"NEWOBJ", "BUILD"}, set()),
    "newobj": (4, {"NEWOBJ"}, {"REDUCE"}),
    "newobj-ex": (4, {"NEWOBJ_EX"}, set()),
    "initargs": (4, {"NEWOBJ"}, set()),
    "state-setter": (5, {"REDUCE"}, {"BUILD"}),
    "extension": (4, {"EXT1", "EXT2", "EXT4"}, {"GLOBAL", "STACK_GLOBAL"}),
}


def test_every_path_is_checked():
    assert set(PATH_OPCODES) == set(ps.REDUCE_PATHS)


@pytest.mark.parametrize("path", sorted(PATH_OPCODES))
@settings(max_examples=8, deadline=None, database=None)
@given(data=st.data())
def test_instances_take_their_path(path, data):
    protocol, must, must_not = PATH_OPCODES[path]
    obj = data.draw(ps.instances(via=path))
    ops = set(_ops(pickle.dumps(obj, protocol)))
    if path == "extension":
        assert ops & must and not ops & must_not
    else:
        assert must <= ops and not ops & must_not, ops
    if path == "listitems" and obj:
        assert ops & {"APPEND", "APPENDS"}
    if path == "dictitems" and obj:
        assert ops & {"SETITEM", "SETITEMS"}


# -- real pickles ---------------------------------------------------------------------------


@pytest.mark.parametrize("implementation", ["c", "py"])
@FAST
@given(data=st.data())
def test_pickled_is_what_the_named_pickler_writes(implementation, data):
    protocol = data.draw(st.integers(0, pickle.HIGHEST_PROTOCOL))
    obj, stream = data.draw(ps.pickled(protocol=protocol, implementation=implementation))
    if implementation == "c":
        assert stream == _pickle.dumps(obj, protocol)
    else:
        out = io.BytesIO()
        pickle._Pickler(out, protocol).dump(obj)
        assert stream == out.getvalue()
    if protocol >= 2:
        assert stream[:2] == bytes([0x80, protocol])
    assert model.equal(model.describe(pickle.loads(stream)), model.describe(obj))


@FAST
@given(ps.pickles(protocol=4))
def test_pickles_as_a_library_uses_them(stream):
    pickle.loads(stream)


@FAST
@given(st.data())
def test_mutations_change_the_stream(data):
    base = data.draw(ps.pickles(protocol=2))
    assert data.draw(ps.mutations(base)) != base
    assert data.draw(ps.mutations(ps.pickles(protocol=3))) is not None
