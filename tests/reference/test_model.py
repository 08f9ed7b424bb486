"""The object model: tagged JSON both ways, graph equality, describe/materialize."""

import io
import json
import math
import pickle
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from picklespec.cases import fixtures
from picklespec.reference import model
from picklespec.reference.model import Buffer, Global, Object, PersistentId

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
    st.text(), st.binary(), st.complex_numbers(allow_nan=False),
)
hashables = st.recursive(scalars.filter(lambda x: not isinstance(x, float) or not math.isnan(x)),
                         lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3),
                         max_leaves=6)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(hashables, inner, max_size=4),
        st.sets(hashables, max_size=4),
        st.builds(bytearray, st.binary(max_size=8)),
    ),
    max_leaves=20,
)


def through_json(value):
    return model.from_json(json.loads(json.dumps(model.to_json(value))))


@settings(max_examples=200, deadline=None)
@given(values)
def test_tagged_json_round_trip(value):
    assert model.equal(value, through_json(value))


@settings(max_examples=100, deadline=None)
@given(values)
def test_scalars_in_tagged_json_are_all_strings(value):
    def walk(node):
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        else:
            assert isinstance(node, str), node
    walk(model.to_json(value))


@settings(max_examples=200, deadline=None)
@given(values)
def test_the_depth_found_while_converting_is_json_depth(value):
    doc, depth = model.to_json_and_depth(value)
    assert doc == model.to_json(value)
    assert depth == model.json_depth(doc)


def cyclic():
    a = [1]
    a.append(a)
    t = ([], "x")
    t[0].append(t)
    d = {}
    d["self"] = d
    shared = [2]
    return [a, t, d, shared, shared]


def test_refs_may_come_before_their_definition():
    doc = {"type": "list", "items": [
        {"type": "list", "items": [{"type": "ref", "id": "7"}]},
        {"type": "list", "id": "7", "items": [{"type": "int", "value": "1"}]}]}
    value = model.from_json(doc)
    assert value[0][0] is value[1] and value[1] == [1]


def test_cycles_and_sharing_survive_json():
    back = through_json(cyclic())
    assert back[0][1] is back[0]
    assert back[1][0][0] is back[1]
    assert back[2]["self"] is back[2]
    assert back[3] is back[4]
    assert model.equal(cyclic(), back)


EQUAL = [
    (float("nan"), float("nan")),
    (1, 1),
    ([[]], [[]]),
    ({1: [2]}, {1: [2]}),
    ({1, (2, 3)}, {(2, 3), 1}),
    (Global("builtins", "len"), Global("builtins", "len")),
    (PersistentId("k"), PersistentId("k")),
    (Object(Global("m", "C"), (1,), state={"a": 1}), Object(Global("m", "C"), (1,), state={"a": 1})),
]
UNEQUAL = [
    (0.0, -0.0),
    (1, 1.0),
    (1, True),
    ("a", b"a"),
    (b"a", bytearray(b"a")),
    ((1,), [1]),
    ({1}, frozenset([1])),
    (Global("builtins", "len"), Global("builtins", "abs")),
    (Object(Global("m", "C"), ()), Object(Global("m", "C"), (), via="newobj")),
    (Object(Global("m", "C"), ()), Object(Global("m", "C"), (), state=None, has_state=True)),
]


@pytest.mark.parametrize("a, b", EQUAL, ids=repr)
def test_equal(a, b):
    assert model.equal(a, b)


@pytest.mark.parametrize("a, b", UNEQUAL, ids=repr)
def test_unequal(a, b):
    assert not model.equal(a, b)


def test_sharing_of_mutables_is_compared():
    x = []
    assert not model.equal([x, x], [[], []])
    assert not model.equal([[], []], [x, x])


def test_a_set_member_leading_back_to_its_set():
    def make():
        holder = Object(Global("m", "C"), ())
        s = {holder}
        holder.state = {"set": s}
        holder.has_state = True
        return s
    assert model.equal(make(), make())


def test_an_empty_state_is_no_state():
    # Python 2 reduces an instance with an empty __dict__ to state {}.
    class Bare(object):
        def __reduce_ex__(self, protocol):
            return (fixtures.make, (), {})
    assert model.describe(Bare()).has_state is False


def test_a_memoryview_describes_as_a_buffer():
    d = model.describe(memoryview(b"ab"))
    assert isinstance(d, Buffer) and d.data == b"ab" and d.readonly


def test_a_persistent_id_holding_real_objects_describes_them():
    # GLOBAL fixtures.Plain, BINPERSID: pickle's persistent_load gets the class
    # itself; a list pid used as a dict key is described before it is hashed.
    loaded = _persistent(b"cpicklespec.cases.fixtures\nPlain\nQ.")
    d = model.describe(loaded)
    assert d == PersistentId(Global("picklespec.cases.fixtures", "Plain"))
    assert model.to_json(d) == {"type": "persistent", "pid": {
        "type": "global", "module": "picklespec.cases.fixtures", "name": "Plain"}}
    keyed = model.describe({PersistentId([fixtures.Plain]): 1})
    assert keyed == {PersistentId([Global("picklespec.cases.fixtures", "Plain")]): 1}
    assert PersistentId([Global("picklespec.cases.fixtures", "Plain")]) in keyed


def _persistent(data):
    class Loader(pickle.Unpickler):
        def persistent_load(self, pid):
            return model.PersistentId(pid)
    return Loader(io.BytesIO(data)).load()


def test_globals_without_a_module_are_found_where_they_live():
    assert model.describe(Ellipsis) == Global("builtins", "Ellipsis")
    assert model.describe(NotImplemented) == Global("builtins", "NotImplemented")


def test_deep_nesting_needs_no_recursion():
    deep = []
    cur = deep
    for _ in range(30 * sys.getrecursionlimit()):
        nxt = []
        cur.append(nxt)
        cur = nxt
    # (the stdlib json module itself recurses, so this stays in Python values)
    assert model.equal(deep, model.from_json(model.to_json(deep)))


def test_the_depth_of_objects_refs_and_empty_containers():
    objects = [model.describe(obj) for obj in REAL] + [
        model.describe(fixtures.ReduceList([])), cyclic(), [], {}, [[]], {(): []},
        PersistentId([1, (2,)]), Buffer(0, None, True), [Buffer(None, b"ab", False)],
        Object(Global("builtins", "set"), setitems=[1, "x"]),
        Object(Global("m", "C"), ([],), dictitems=[("k", {})], listitems=[[]]),
    ]
    for value in objects:
        doc, depth = model.to_json_and_depth(value)
        assert depth == model.json_depth(doc), doc


def roundtrip_real(obj):
    """describe(loads(dumps(materialize(describe(obj)))))"""
    described = model.describe(obj)
    rebuilt = model.materialize(described)
    return described, model.describe(pickle.loads(pickle.dumps(rebuilt, 4)))


REAL = [
    fixtures.Plain(a=1, b=[2]),
    fixtures.Empty(),
    fixtures.Slots(1, 2),
    fixtures.Reduce2(1, 2),
    fixtures.Reduce3(5),
    fixtures.NewArgs(1, 2),
    fixtures.NewArgsEx(1, b=2),
    fixtures.SetState(3, 4),
    fixtures.ReduceList([1, 2]),
    fixtures.ReduceDict(a=1),
    fixtures.Outer.Inner,
    fixtures.function,
    len,
    1 + 2j,
]


@pytest.mark.parametrize("obj", REAL, ids=lambda o: type(o).__name__)
def test_describe_and_materialize_are_inverse(obj):
    described, again = roundtrip_real(obj)
    assert model.equal(described, again)


def test_describe_instance_is_its_reduction():
    d = model.describe(fixtures.Plain(a=1))
    assert isinstance(d, Object)
    assert d.via == "newobj"
    assert d.callable == Global("picklespec.cases.fixtures", "Plain")
    assert d.args == ()
    assert d.state == {"a": 1}


def test_buffer_describes_with_data():
    buf = pickle.PickleBuffer(bytearray(b"ab"))
    d = model.describe(buf)
    assert isinstance(d, Buffer) and d.data == b"ab" and not d.readonly


BAD_JSON = [
    ({"type": "int", "value": 1}, "$: scalar value must be a JSON string"),
    ({"type": "int", "value": "x"}, "$: not an integer"),
    ({"type": "nope"}, "$: unknown type 'nope'"),
    ({"type": "list", "items": [{"type": "ref", "id": "9"}]}, "$.items[0]: ref to unknown"),
    ({"type": "tuple", "id": "1", "items": [{"type": "ref", "id": "1"}]},
     "reaches itself through immutable values only"),
    ({"type": "list", "items": [{"type": "list", "id": "1", "items": []},
                                {"type": "list", "id": "1", "items": []}]}, "defined twice"),
    ({"type": "bytes", "value": "abc"}, "$: not an even-length hex string"),
    ({"type": "dict", "items": [[{"type": "list", "items": []}, {"type": "none"}]]},
     "$.items[0]: unhashable dict key"),
    ({"type": "object", "via": "magic", "callable": {"type": "none"},
      "args": {"type": "tuple", "items": []}}, "$: via must be one of"),
    ([1], "$: expected an object with a 'type'"),
]


@pytest.mark.parametrize("doc, message", BAD_JSON, ids=lambda x: str(x)[:40])
def test_malformed_tagged_json_names_the_path(doc, message):
    with pytest.raises(model.ModelError) as info:
        model.from_json(doc)
    assert message in str(info.value)


class _Int(int):
    pass


def test_leaves_held_once_are_written_in_place_and_shared_ones_get_an_id():
    # The tagged JSON of cases/README.md, written out by hand.
    word = "shared"
    value = [word, word, "once", 7, None, True, 1.5, b"\x00", bytearray(b"a"), 2j, _Int(3)]
    assert model.to_json(value) == {"type": "list", "items": [
        {"type": "str", "value": "shared", "id": "1"},
        {"type": "ref", "id": "1"},
        {"type": "str", "value": "once"},
        {"type": "int", "value": "7"},
        {"type": "none"},
        {"type": "bool", "value": "true"},
        {"type": "float", "value": "1.5"},
        {"type": "bytes", "value": "00"},
        {"type": "bytearray", "value": "61"},
        {"type": "complex", "real": "0.0", "imag": "2.0"},
        {"type": "int", "value": "3"},  # a subclass in a model made by hand: its value
    ]}
    doc, depth = model.to_json_and_depth({1: [None]})
    assert depth == model.json_depth(doc) == 6


def test_describe_keeps_plain_members_and_copies_bytearrays():
    inner = bytearray(b"x")
    value = [1, "a", inner, (inner, 2.5), {None: inner}, {3}, frozenset([b"b"])]
    described = model.describe(value)
    assert described == value
    assert described[2] is not inner and described[3][0] is described[2]
    assert described[4][None] is described[2]
