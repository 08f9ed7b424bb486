"""picklespec.strategies: Hypothesis strategies for testing anything that reads or writes pickles.

Install with the extra that brings Hypothesis::

    pip install picklespec[strategies]

and use them in a test suite of your own::

    from hypothesis import given
    import picklespec.strategies as ps

    @given(ps.pickles(protocol=4))                  # what CPython's pickler writes
    def test_reads_what_cpython_writes(data):
        assert my_loads(data) == pickle.loads(data)

    @given(ps.programs(protocol=2, fault=True))     # malformed on purpose
    def test_rejects_cleanly(data):
        with pytest.raises(MyUnpicklingError):
            my_loads(data)

What there is
-------------
`objects`           object graphs of plain data, with sharing and, on request, cycles
`instances`         instances of picklespec.cases.fixtures classes, built through each
                    path of the reduce protocol (`REDUCE_PATHS`)
`python2_values`    values Python 2.7 holds too, with the same meaning once pickled
`pickled`, `pickles`  (object, bytes) and bytes written by a real pickler -- the running
                    interpreter's ``_pickle`` (``implementation="c"``) or ``pickle.py``
                    (``"py"``) -- at a protocol
`programs`          pickle programs drawn from the opcode table (picklespec.reference
                    .opcodes: each opcode's stack effect and protocol), valid ones or with
                    a controlled fault (`FAULTS`)
`mutations`         a given stream changed at the byte or the opcode level

The program grammar is runner/fuzz_grammar.py, the one ``picklespec fuzz``
draws from; here Hypothesis makes its choices, so a failing program shrinks
the way any Hypothesis example does.  A valid program calls nothing but the
globals in `ALLOWED_GLOBALS` (classes of picklespec.cases.fixtures, which
this module imports so that its copyreg extension codes are registered, and
``builtins.list``/``dict``/``set``); a loader restricted to those
(``find_class``) reads every valid program.

Where it lives
--------------
The repository's top level is fixed (reference/, cases/, runner/), so the
source of this package is runner/strategies/; pyproject.toml's package-dir
maps it to ``picklespec.strategies``, a package of its own in the
``picklespec`` namespace, the one public name to import.
"""

import pickle

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - the extra is missing
    raise ImportError("picklespec.strategies needs Hypothesis: pip install picklespec[strategies]") \
        from exc

import picklespec.cases.fixtures as fixtures
from picklespec.runner import fuzz_grammar as grammar
from picklespec.runner.fuzz_grammar import ALLOWED_GLOBALS, FAULTS, REJECTED_FAULTS

__all__ = ["objects", "scalars", "instances", "python2_values", "pickled", "pickles", "programs",
           "mutations", "REDUCE_PATHS", "FAULTS", "REJECTED_FAULTS", "ALLOWED_GLOBALS",
           "HIGHEST_PROTOCOL"]

HIGHEST_PROTOCOL = pickle.HIGHEST_PROTOCOL


class _Draw:
    """The grammar's source of choices, answered by Hypothesis draws."""

    def __init__(self, draw):
        self.draw = draw

    def integer(self, lo, hi):
        return self.draw(st.integers(lo, hi))

    def choice(self, seq):
        return seq[self.draw(st.integers(0, len(seq) - 1))]

    def chance(self, percent):
        return self.draw(st.integers(0, 99)) < percent

    def raw(self, n):
        return self.draw(st.binary(min_size=n, max_size=n))


# -- plain data -------------------------------------------------------------------------


def scalars(python2=False):
    """None, bools, ints of any size, floats (NaN and infinities too), str, and bytes
    (not with `python2`: Python 2's str is text and bytes at once)."""
    parts = [st.none(), st.booleans(), st.integers(), st.integers(-(1 << 70), 1 << 70),
             st.floats(allow_nan=True), st.text(max_size=12)]
    if not python2:
        parts.append(st.binary(max_size=12))
    return st.one_of(parts)


def _hashables(python2=False):
    return st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
                     *([] if python2 else [st.binary(max_size=8)]))


def _trees(leaves, python2=False, max_leaves=20):
    def containers(children):
        return st.one_of(
            st.lists(children, max_size=4),
            st.lists(children, max_size=4).map(tuple),
            st.dictionaries(_hashables(python2), children, max_size=4),
            st.sets(_hashables(python2), max_size=4),
            st.frozensets(_hashables(python2), max_size=4),
        )
    return st.recursive(leaves, containers, max_leaves=max_leaves)


def _nodes(root):
    """(node, path of ids from the root) for every container reachable, each once."""
    out, seen, work = [], set(), [(root, ())]
    while work:
        node, path = work.pop()
        if not isinstance(node, (list, tuple, dict)) or id(node) in seen:
            continue
        seen.add(id(node))
        out.append((node, path))
        children = node.values() if isinstance(node, dict) else node
        work.extend((child, path + (id(node),)) for child in children)
    return out


def _reaches(start, goal):
    """Whether goal is start or inside it, however deep."""
    return any(node is goal for node, _ in _nodes(start))


def _link(container, target, i):
    if isinstance(container, list):
        container.append(target)
    else:
        container["shared-%d" % i] = target


@st.composite
def objects(draw, sharing=True, cycles=False, max_leaves=20, leaves=None):
    """An object graph: lists, tuples, dicts, sets and frozensets of scalars.

    With `sharing`, some containers are reached more than once (the memo's
    business); with `cycles`, at least one list or dict contains itself,
    directly or through others (the root then is one, if nothing else is).
    `leaves` is the strategy for what is not a container (`scalars()`).
    """
    root = draw(_trees(leaves if leaves is not None else scalars(), max_leaves=max_leaves))
    if cycles and not isinstance(root, (list, dict)):
        root = [root]
    nodes = _nodes(root)
    mutable = [(n, p) for n, p in nodes if isinstance(n, (list, dict))]
    if sharing and len(nodes) > 1 and mutable:
        for i in range(draw(st.integers(0, 3))):
            container, path = mutable[draw(st.integers(0, len(mutable) - 1))]
            # anything from which the container cannot be reached: sharing, no cycle
            others = [n for n, _ in nodes if not _reaches(n, container)]
            if others:
                _link(container, others[draw(st.integers(0, len(others) - 1))], i)
    if cycles:
        container, path = mutable[draw(st.integers(0, len(mutable) - 1))]
        above = [n for n, _ in nodes if id(n) in path] + [container]
        _link(container, above[draw(st.integers(0, len(above) - 1))], 99)
    return root


_graphs = objects  # for the functions below whose argument is called objects


def python2_values(max_leaves=12):
    """Values Python 2.7 holds too, that a pickle carries between 2 and 3 with the same
    meaning: None, bool, int, float, complex, str (unicode in Python 2), and lists,
    tuples, dicts, sets and frozensets of them (no bytes, which Python 2 writes as str)."""
    leaves = st.one_of(scalars(python2=True),
                       st.builds(complex, st.floats(allow_nan=False), st.floats(allow_nan=False)))
    return _trees(leaves, python2=True, max_leaves=max_leaves)


# -- instances: the paths of the reduce protocol ----------------------------------------


def _attrs():
    return st.dictionaries(st.sampled_from(["a", "b", "c", "x"]), scalars(), min_size=1, max_size=3)


def _plain(attrs):
    return fixtures.Plain(**attrs)


def _slots(a, b):
    return fixtures.Slots(a, b)


def _slots_and_dict(a, extra):
    obj = fixtures.SlotsAndDict()
    obj.a = a
    obj.__dict__.update(extra)
    return obj


def _append_only(items):
    obj = fixtures.AppendOnly()
    for item in items:
        obj.append(item)
    return obj


def _falsy():
    return fixtures.FalsyState()


# path -> (what the pickler does, strategy)
REDUCE_PATHS = {
    "dict-state": ("copyreg's reduction; state is the __dict__ (BUILD)", st.builds(_plain, _attrs())),
    "no-state": ("an empty __dict__: no state, no BUILD", st.builds(fixtures.Empty)),
    "slots-state": ("__slots__ without __dict__: state (None, slots)",
                    st.builds(_slots, scalars(), st.integers())),
    "slots-and-dict": ("__slots__ and __dict__: state (dict, slots)",
                       st.builds(_slots_and_dict, scalars(), _attrs())),
    "reduce-args": ("__reduce__ gives (callable, args)", st.builds(fixtures.Reduce2, scalars(), scalars())),
    "reduce-state": ("__reduce__ gives (callable, args, state)", st.builds(fixtures.Reduce3, scalars())),
    "listitems": ("a list subclass: listitems after the call (APPENDS)",
                  st.lists(scalars(), max_size=4).map(fixtures.ReduceList)),
    "dictitems": ("a dict subclass: dictitems after the call (SETITEMS)",
                  st.dictionaries(_hashables(), scalars(), max_size=4).map(fixtures.ReduceDict)),
    "append-only": ("listitems on an object with append but no extend",
                    st.builds(_append_only, st.lists(scalars(), max_size=4))),
    "global-name": ("__reduce__ gives a string: pickled as a global by that name",
                    st.just(fixtures.SINGLETON)),
    "setstate": ("__getstate__/__setstate__ with a tuple state",
                 st.builds(fixtures.SetState, scalars(), scalars())),
    "falsy-state": ("__getstate__ gives a falsy state (0)", st.builds(_falsy)),
    "newobj": ("__getnewargs__: cls.__new__(cls, *args) (NEWOBJ, protocol 2+)",
               st.builds(fixtures.NewArgs, scalars(), scalars())),
    "newobj-ex": ("__getnewargs_ex__: args and kwargs (NEWOBJ_EX, protocol 4+)",
                  st.builds(fixtures.NewArgsEx, scalars(), scalars())),
    "initargs": ("__getinitargs__ (Python 2 classic instances)",
                 st.builds(fixtures.InitArgs, scalars(), scalars())),
    "state-setter": ("__reduce__ with a state setter, the sixth item (protocol 5 era)",
                     st.builds(fixtures.StateSetter, scalars())),
    "extension": ("a class registered with copyreg.add_extension (EXT1/EXT2/EXT4)",
                  st.sampled_from([fixtures.Extension1, fixtures.Extension2,
                                   fixtures.Extension4]).map(lambda cls: cls())),
}


# copyreg cannot reduce these below protocol 2 ("a class that defines
# __slots__ without defining __getstate__ cannot be pickled")
PROTOCOL_2_PATHS = ("slots-state", "slots-and-dict")


def instances(via=None, protocol=None):
    """An instance of a picklespec.cases.fixtures class, pickled through the reduce
    protocol path `via` (a key of REDUCE_PATHS), or through any of them that
    `protocol` (when given) can pickle."""
    if via is None:
        return st.one_of([strategy for name, (_, strategy) in REDUCE_PATHS.items()
                          if protocol is None or protocol >= 2 or name not in PROTOCOL_2_PATHS])
    if via not in REDUCE_PATHS:
        raise ValueError("unknown path %r; paths are %s" % (via, ", ".join(REDUCE_PATHS)))
    return REDUCE_PATHS[via][1]


# -- real pickles ---------------------------------------------------------------------------


def _dumps(obj, protocol, implementation):
    if implementation == "c":
        return pickle.dumps(obj, protocol)
    if implementation == "py":
        import io

        out = io.BytesIO()
        pickle._Pickler(out, protocol).dump(obj)
        return out.getvalue()
    raise ValueError("implementation is 'c' (_pickle) or 'py' (pickle.py), not %r" % (implementation,))


@st.composite
def pickled(draw, protocol=None, objects=None, implementation="c"):
    """(object, bytes): an object and what this interpreter's pickler writes for it.

    `protocol`: an int, or drawn from 0 to HIGHEST_PROTOCOL; `objects`: the
    strategy for the object (default: object graphs with sharing and cycles,
    and fixture instances); `implementation`: ``"c"`` (``_pickle``) or
    ``"py"`` (``pickle._Pickler``).
    """
    if protocol is None:
        protocol = draw(st.integers(0, HIGHEST_PROTOCOL))
    if objects is None:
        objects = st.one_of(_graphs(cycles=False), _graphs(cycles=True),
                            st.lists(instances(protocol=protocol), max_size=3))
    obj = draw(objects)
    return obj, _dumps(obj, protocol, implementation)


def pickles(protocol=None, objects=None, implementation="c"):
    """The bytes a real pickler writes, as `pickled` draws them (without the object)."""
    return pickled(protocol, objects, implementation).map(lambda pair: pair[1])


# -- programs and mutations -----------------------------------------------------------------


@st.composite
def programs(draw, protocol=None, fault=None, max_ops=40, persistent=False):
    """A pickle program drawn from the opcode grammar (runner/fuzz_grammar.py).

    `protocol`: the opcodes allowed (those of protocols up to it; a PROTO
    first from 2 on), drawn from 0-5 when None.  `fault`: None for a valid
    program, which CPython's unpicklers load; a kind from FAULTS for that
    fault; True for any of REJECTED_FAULTS, each of which every CPython
    unpickler rejects.  `persistent`: allow PERSID/BINPERSID (the loader
    then needs a persistent_load).
    """
    source = _Draw(draw)
    prog = grammar.program(source, protocol, max_ops=max_ops, persistent=persistent)
    if fault is None or fault is False:
        return prog.to_bytes()
    kind = source.choice(REJECTED_FAULTS) if fault is True else fault
    if kind not in FAULTS:
        raise ValueError("unknown fault %r; faults are %s" % (kind, ", ".join(FAULTS)))
    return grammar.fault(source, prog, kind)


@st.composite
def mutations(draw, stream):
    """`stream` (bytes, or a strategy for bytes) changed one to three times: a bit
    flipped, a byte set, inserted or deleted, a span cut or repeated, an
    instruction dropped, repeated or swapped, an integer argument at a boundary."""
    data = draw(stream) if isinstance(stream, st.SearchStrategy) else bytes(stream)
    return grammar.mutate(_Draw(draw), data)
