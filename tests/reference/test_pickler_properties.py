"""Generated object graphs: the reference pickler writes the C pickler's bytes,
and CPython reads them back as the same graph (values, sharing and cycles)."""

import io
import pickle

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from picklespec.reference import model
from picklespec.reference import pickler as R

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-2**70, max_value=2**70),
    st.sampled_from([0, 255, 256, 65535, 65536, 2**31 - 1, 2**31, -2**31, -2**31 - 1,
                     2**2039, -2**2039 - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.text(alphabet="\\\n\r\x00\x1a\u20ac\ud800a", max_size=6),  # escapes at protocol 0
    st.binary(max_size=20),
)
hashables = st.recursive(
    scalars.filter(lambda x: not isinstance(x, float) or x == x),  # nan is no key
    lambda inner: st.one_of(st.tuples(inner, inner), st.frozensets(inner, max_size=4)),
    max_leaves=6,
)
def bytearray_or_list(items):
    """Some bytearrays among the containers: the bytes of a list of small ints."""
    if all(type(x) is int and 0 <= x < 256 for x in items):
        return bytearray(items)
    return list(items)


trees = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6),
        st.lists(inner, max_size=6).map(tuple),
        st.dictionaries(hashables, inner, max_size=5),
        st.sets(hashables, max_size=5),
        st.lists(inner, max_size=4).map(bytearray_or_list),
    ),
    max_leaves=30,
)


def containers(root):
    """Every list, dict and tuple reachable from root, each once."""
    seen, found, work = set(), [], [root]
    while work:
        value = work.pop()
        if id(value) in seen or not isinstance(value, (list, dict, tuple, set, frozenset)):
            continue
        seen.add(id(value))
        found.append(value)
        work.extend(value.values() if isinstance(value, dict) else value)
    return found


@st.composite
def graphs(draw):
    """A tree, then links added into its lists and dicts: shared values and
    cycles (through tuples too, when a link points at a tuple's ancestor)."""
    root = draw(st.lists(trees, min_size=1, max_size=5))
    nodes = containers(root)
    mutable = [node for node in nodes if isinstance(node, (list, dict))]
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        target = draw(st.sampled_from(mutable))
        value = draw(st.sampled_from(nodes))
        if isinstance(target, list):
            target.insert(draw(st.integers(0, len(target))), value)
        else:
            target[draw(st.text(max_size=3))] = value
    return root


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_same_bytes_as_c_and_cpython_reads_it_back(graph):
    expected = model.describe(graph)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        data = R.dumps(graph, protocol)
        assert data == pickle.dumps(graph, protocol)
        assert model.equal(model.describe(pickle.loads(data)), expected)


@settings(max_examples=40, deadline=None)
@given(st.lists(graphs(), min_size=1, max_size=4), st.sampled_from(range(6)))
def test_one_pickler_many_dumps(graphs_, protocol):
    ours, theirs = io.BytesIO(), io.BytesIO()
    ref, c = R.Pickler(ours, protocol), pickle.Pickler(theirs, protocol)
    for graph in graphs_:
        ref.dump(graph)
        c.dump(graph)
    assert ours.getvalue() == theirs.getvalue()
    ours.seek(0)
    reader = pickle.Unpickler(ours)
    for graph in graphs_:
        assert model.equal(model.describe(reader.load()), model.describe(graph))
