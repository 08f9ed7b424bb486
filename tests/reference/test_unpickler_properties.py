"""Properties: the reference reads CPython's output as CPython does, and any
corruption of it gives a value or an UnpicklingError, never anything else."""

import io
import os
import pickle

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from picklespec.reference import model
from picklespec.reference import unpickler as U
from picklespec.reference.errors import ForbiddenError, UnpicklingError

# PICKLESPEC_EXAMPLES raises the count for a longer search.
SETTINGS = settings(max_examples=int(os.environ.get("PICKLESPEC_EXAMPLES", 75)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def scalars(protocol):
    kinds = [st.none(), st.booleans(), st.integers(), st.integers(-2**600, 2**600),
             st.floats(), st.text(max_size=8)]
    if protocol >= 3:
        kinds.append(st.binary(max_size=8))
    return st.one_of(kinds)


def keys():
    return st.one_of(st.integers(), st.text(max_size=4), st.tuples(st.integers(), st.text(max_size=2)))


def trees(protocol):
    def containers(children):
        kinds = [st.lists(children, max_size=5), st.tuples(children, children),
                 st.lists(children, max_size=4).map(tuple),
                 st.dictionaries(keys(), children, max_size=4)]
        if protocol >= 4:
            kinds += [st.sets(keys(), max_size=4), st.frozensets(keys(), max_size=4)]
        return st.one_of(kinds)
    return st.recursive(scalars(protocol), containers, max_leaves=25)


def mutables(root):
    found, seen, work = [], set(), [root]
    while work:
        value = work.pop()
        if id(value) in seen or not isinstance(value, (list, tuple, dict)):
            continue
        seen.add(id(value))
        if isinstance(value, (list, dict)):
            found.append(value)
        work.extend(value.values() if isinstance(value, dict) else value)
    return found


@st.composite
def graphs(draw, protocol):
    """A tree, then references between its lists and dicts: sharing and cycles."""
    root = [draw(trees(protocol))]
    targets = mutables(root)
    for _ in range(draw(st.integers(0, 4))):
        holder = draw(st.sampled_from(targets))
        other = draw(st.sampled_from(targets))
        if isinstance(holder, list):
            holder.append(other)
        else:
            holder[draw(keys())] = other
    return root


@SETTINGS
@given(st.data(), st.integers(0, 5))
def test_reads_cpython_output_as_cpython_does(data, protocol):
    graph = data.draw(graphs(protocol))
    stream = pickle.dumps(graph, protocol)
    theirs = model.describe(pickle.loads(stream))
    ours = U.loads(stream)
    assert model.equal(model.describe(ours), theirs)
    assert model.equal(U.loads_symbolic(stream), theirs)
    assert model.equal(model.describe(U.load(io.BytesIO(stream))), theirs)


class Restricted(U.Unpickler):
    """Nothing outside the machine can run, so every fault is the stream's."""

    def find_class(self, module, name):
        raise ForbiddenError("no globals here")


def corrupt(draw, stream):
    edit = draw(st.sampled_from(["truncate", "replace", "insert", "delete"]))
    at = draw(st.integers(0, len(stream)))
    if edit == "truncate":
        return stream[:at]
    junk = draw(st.binary(min_size=1, max_size=4))
    if edit == "replace":
        return stream[:at] + junk + stream[at + len(junk):]
    if edit == "insert":
        return stream[:at] + junk + stream[at:]
    return stream[:at] + stream[at + len(junk):]


@SETTINGS
@given(st.data(), st.integers(0, 5))
def test_corrupted_streams_give_a_value_or_an_unpickling_error(data, protocol):
    stream = pickle.dumps(data.draw(graphs(protocol)), protocol)
    for _ in range(3):
        stream = corrupt(data.draw, stream)
    for load in (lambda s: Restricted(io.BytesIO(s)).load(), U.loads_symbolic):
        try:
            load(stream)
        except UnpicklingError as exc:
            assert exc.offset is not None and 0 <= exc.offset <= len(stream)
            assert exc.opcode is None or isinstance(exc.opcode, str)


@SETTINGS
@given(st.binary(max_size=40))
def test_arbitrary_bytes_give_a_value_or_an_unpickling_error(stream):
    for load in (lambda s: Restricted(io.BytesIO(s)).load(), U.loads_symbolic):
        try:
            load(stream)
        except UnpicklingError as exc:
            assert exc.offset is not None


# -- agreement with CPython's C unpickler, failures included -------------------
# Graphs that hold instances whose loading runs code, some of which fails:
# the reference must end as _pickle does, with the same value or the same
# exception type (what called code raises propagates unchanged).

FAILURES = {"ValueError": ValueError, "TypeError": TypeError, "KeyError": KeyError,
            "IndexError": IndexError, "AttributeError": AttributeError,
            "ImportError": ImportError, "RuntimeError": RuntimeError}


def fail_with(kind, text):
    raise FAILURES[kind](text)


class FailsToBuild:
    """Reduces to a call that raises `kind` when loaded (REDUCE)."""

    def __init__(self, kind):
        self.kind = kind

    def __reduce__(self):
        return (fail_with, (self.kind, "refused"))


class FailsToSetState:
    """Loads through NEWOBJ and BUILD; its __setstate__ raises `kind`."""

    def __init__(self, kind):
        self.kind = kind

    def __getstate__(self):
        return {"kind": self.kind}

    def __setstate__(self, state):
        raise FAILURES[state["kind"]]("no state")


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


def instances():
    kinds = st.sampled_from(sorted(FAILURES))
    return st.one_of(
        st.builds(Point, st.integers(), st.text(max_size=3)),
        kinds.map(FailsToBuild),
        kinds.map(FailsToSetState),
        st.sampled_from([len, dict.fromkeys, str.maketrans, Point]),
    )


def outcome(load, stream):
    try:
        return "value", model.describe(load(stream))
    except Exception as exc:  # noqa: BLE001 - the outcome is the data here
        return "error", type(exc)


@SETTINGS
@given(st.data(), st.integers(0, 5))
def test_ends_as_the_c_unpickler_does(data, protocol):
    leaves = st.one_of(scalars(protocol), instances())
    graph = data.draw(st.recursive(leaves, lambda children: st.one_of(
        st.lists(children, max_size=4), st.tuples(children, children),
        st.dictionaries(keys(), children, max_size=3)), max_leaves=12))
    stream = pickle.dumps(graph, protocol)
    theirs = outcome(pickle.loads, stream)
    ours = outcome(U.loads, stream)
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "value":
        assert model.equal(ours[1], theirs[1])
    else:
        assert ours[1] is theirs[1]
