"""Pickle programs drawn from the opcode table: valid ones, faulted ones, mutants.

Theory of operation
-------------------
A pickle is a program for a stack machine (reference/opcodes.py).  This
module writes such programs at random, the way a grammar-based fuzzer does,
knowing from the one opcode table what each opcode takes from the stack and
leaves on it (`OpcodeInfo.before` / `.after`) and which protocol introduced
it.  It keeps an *abstract stack* -- for each entry its kind (the table's
StackObject names: int, str, tuple, list, dict, set, ...), whether it is
hashable, its size, and for globals and instances what they can do -- and a
mark stack and the memo keys written so far.  At each step it picks an
opcode of the protocol (among those that take no more entries than are above
the topmost mark, and need no mark unless one is open: drawing again, a few
times, until its operands are on the abstract stack), writes its argument,
and applies its effect, until the budget is spent; then it makes sure
something is on the stack and writes STOP.  What the table says of each
opcode (its byte, what it takes and leaves, how its argument is written) is
worked out once, when the module loads.  A few facts the table does
not hold decide whether a program that is well typed is also *valid*: dict
keys and set members must be hashable, REDUCE and NEWOBJ need a callable
with the right number of arguments, BUILD a state its instance takes, GET a
key the memo has.  These rules are the `_ALLOWED` functions below, one per
opcode that needs one.  Globals come from `GLOBALS` only (classes of
picklespec.cases.fixtures and a few builtins), so a generated program calls
nothing else; `ALLOWED_GLOBALS` is the same list in the form of the
``allow_globals`` load option, which the fuzzer passes to every target
that takes it.

Every choice is asked of a *source*: `RandomSource` (random.Random, what
``picklespec fuzz`` uses: fast, reproducible from a seed) or a Hypothesis
draw (picklespec.strategies), which then shrinks programs the way it
shrinks anything else.  Both see the same grammar.

`fault` turns a valid program into one with a controlled fault, each of
which every CPython unpickler rejects (cleanly or not):

=================  ===========================================================
``truncated``      the stream cut before its STOP
``unknown-opcode`` a byte that is no opcode inserted between two instructions
``bad-argument``   an argument replaced by one its encoding refuses
                   (``INT 1x``, invalid UTF-8, a negative length, PROTO 6)
``stack``          an opcode needing more operands than are above the mark,
                   or a mark-taking opcode with no mark
``memo``           a GET of a key no PUT wrote
``frame``          a FRAME announcing more bytes than the stream holds
=================  ===========================================================

and one that CPython's C unpickler accepted until 3.13.15 (gh-154848):
``frame-short``, a FRAME that ends inside an opcode's argument.

`value` draws an object for the fuzzer's dumps: plain data with shared
members and self-containing lists, globals, and fixture instances as the
model's Object nodes (REDUCE, NEWOBJ, BUILD); set members are ints and None,
whose hashes (and so the order a set is written in) are the same in every
process.

`mutate` changes a given stream at the byte level (flip a bit, set, insert
or delete a byte, cut or repeat a span) or at the opcode level (drop,
repeat or swap instructions, an integer argument set to a boundary value).
"""

import random
import struct

from picklespec.reference import arguments as A
from picklespec.reference.asm import read_instructions
from picklespec.reference.opcodes import by_code, by_name, markobject, opcodes, stackslice

__all__ = ["RandomSource", "Program", "GLOBALS", "ALLOWED_GLOBALS", "FAULTS", "REJECTED_FAULTS",
           "program", "fault", "mutate", "generate", "highest_protocol_of", "costly", "value"]

FIXTURES = "picklespec.cases.fixtures"

# Faults every CPython unpickler rejects, and the one the C unpickler
# accepted until 3.13.15 / 3.14.7 (gh-154848).
REJECTED_FAULTS = ("truncated", "unknown-opcode", "bad-argument", "stack", "memo", "frame")
FAULTS = REJECTED_FAULTS + ("frame-short",)

UNKNOWN_BYTES = bytes(b for b in range(256) if b not in by_code)


class RandomSource:
    """Choices from random.Random: the fuzzer's source, reproducible from a seed."""

    __slots__ = ("rng", "_random")

    def __init__(self, seed=None):
        self.rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        self._random = self.rng.random

    def integer(self, lo, hi):
        if hi - lo < 1099511627776:  # 2**40: a float's 53 bits draw it evenly enough
            return lo + int(self._random() * (hi - lo + 1))
        return self.rng.randint(lo, hi)

    def choice(self, seq):
        return seq[int(self._random() * len(seq))]

    def chance(self, percent):
        return self._random() * 100 < percent

    def raw(self, n):
        return self.rng.getrandbits(8 * n).to_bytes(n, "little") if n else b""


# -- what the grammar may call ---------------------------------------------------


class Callable:
    """A global a program may push, and what calling it does.

    `call`: the (min, max) positional arguments REDUCE, OBJ and INST may pass
    (None: not called); `new`: the same for NEWOBJ / NEWOBJ_EX
    (cls.__new__(cls, *args)); `makes`: the kind of what it returns; `state`:
    the BUILD state its instances take (``dict``, ``pair`` -- a 2-tuple for
    __setstate__ -- or None); `hashable`: whether its instances are.
    """

    __slots__ = ("module", "name", "call", "new", "makes", "state", "hashable")

    def __init__(self, module, name, call, new, makes="instance", state=None, hashable=True):
        self.module = module
        self.name = name
        self.call = call
        self.new = new
        self.makes = makes
        self.state = state
        self.hashable = hashable

    def __repr__(self):
        return "%s:%s" % (self.module, self.name)


C = Callable
GLOBALS = [
    C(FIXTURES, "make", (0, 3), None, "tuple", hashable=False),  # returns (args, kwargs)
    C(FIXTURES, "Plain", (0, 0), (0, 0), state="dict", hashable=False),
    C(FIXTURES, "Empty", (0, 0), (0, 0), state="dict", hashable=False),
    C(FIXTURES, "Slots", (0, 2), (0, 0)),
    C(FIXTURES, "Reduce2", (1, 2), None, state="dict"),
    C(FIXTURES, "Reduce3", (0, 1), None, state="dict"),
    C(FIXTURES, "SetState", (0, 2), None, state="pair"),
    C(FIXTURES, "NewArgs", (2, 2), (2, 2), state="dict"),
    C(FIXTURES, "NewArgsEx", (1, 2), (1, 2), state="dict"),
    C(FIXTURES, "Classic", (0, 3), None, state="dict"),
    C(FIXTURES, "InitArgs", (0, 2), None, state="dict"),
    C(FIXTURES, "Extension1", (0, 0), (0, 0), state="dict"),
    C(FIXTURES, "ReduceList", (0, 0), None, "list", hashable=False),
    C(FIXTURES, "ReduceDict", (0, 0), None, "dict", hashable=False),
    C("builtins", "list", (0, 0), None, "list", hashable=False),
    C("builtins", "dict", (0, 0), None, "dict", hashable=False),
    C("builtins", "set", (0, 0), None, "set", hashable=False),
]
del C
# Reached through EXT1/EXT2/EXT4 (cases/fixtures.py registers the codes).
EXTENSIONS = {"EXT1": (0xf0, Callable(FIXTURES, "Extension1", (0, 0), (0, 0), state="dict")),
              "EXT2": (0xf0f0, Callable(FIXTURES, "Extension2", (0, 0), (0, 0), state="dict")),
              "EXT4": (0xf0f0f0, Callable(FIXTURES, "Extension4", (0, 0), (0, 0), state="dict"))}
ALLOWED_GLOBALS = sorted({"%s:%s" % (g.module, g.name) for g in GLOBALS}
                         | {"%s:%s" % (g.module, g.name) for _, g in EXTENSIONS.values()})


# -- the abstract machine ------------------------------------------------------------


class Entry:
    """An abstract stack entry: kind, hashability, size, and the global it is or came from."""

    __slots__ = ("kind", "hashable", "size", "of")

    def __init__(self, kind, hashable=True, size=0, of=None):
        self.kind = kind
        self.hashable = hashable
        self.size = size
        self.of = of


_KIND = {"int_or_bool": "int", "bytes_or_str": "str", "None": "none"}
_UNHASHABLE = ("list", "dict", "set", "bytearray")
_CODE = {op.name: op.code.encode("latin-1") for op in opcodes}  # each opcode's byte


def _pushed(name):
    """(kind, hashable) of what the table says `name` pushes."""
    kind = by_name[name].after[0].name
    return _KIND.get(kind, kind), kind not in _UNHASHABLE


class Program:
    """A program: its protocol, its instructions as bytes, and what the machine held
    before each (entries above the topmost mark, open marks)."""

    __slots__ = ("protocol", "instructions", "depths", "keys")

    def __init__(self, protocol):
        self.protocol = protocol
        self.instructions = []  # (name or None, bytes)
        self.depths = []  # (entries above the topmost mark, open marks) before each
        self.keys = set()  # every memo key written

    def to_bytes(self):
        return b"".join(raw for _, raw in self.instructions)

    def names(self):
        return [name for name, _ in self.instructions]


class _Machine:
    """The abstract stack while a program is written: entries, and None for a
    mark; `marks` the positions of the open marks and `top` where the entries
    above the topmost one start, kept as marks come and go; the memo (key ->
    entry, and the keys in the order written)."""

    __slots__ = ("s", "persistent", "protocol", "stack", "marks", "top", "memo", "memo_keys",
                 "prog", "ins", "depths")

    def __init__(self, source, protocol, persistent=True):
        self.s = source
        self.persistent = persistent
        self.protocol = protocol
        self.stack = []
        self.marks = []
        self.top = 0
        self.memo = {}
        self.memo_keys = []
        self.prog = Program(protocol)
        self.ins = self.prog.instructions
        self.depths = self.prog.depths

    def emit(self, name, arg=b""):
        self.depths.append((len(self.stack) - self.top, len(self.marks)))
        self.ins.append((name, _CODE[name] + arg))

    def push_mark(self):
        self.emit("MARK")
        self.marks.append(len(self.stack))
        self.stack.append(None)
        self.top = len(self.stack)

    def pop_mark(self):
        """Take the topmost mark, and everything above it, off the stack."""
        del self.stack[self.marks.pop():]
        self.top = self.marks[-1] + 1 if self.marks else 0

    def remember(self, key, entry):
        if key not in self.memo:
            self.memo_keys.append(key)
        self.memo[key] = entry
        self.prog.keys.add(key)


def _callable(entry, arity_of, n):
    if entry is None or entry.kind != "global":
        return False
    arity = getattr(entry.of, arity_of)
    return arity is not None and arity[0] <= n <= arity[1]


def _instance_state(inst, state):
    want = inst.of.state if inst.kind == "instance" and inst.of is not None else None
    if want == "dict":
        return state.kind == "dict"
    if want == "pair":
        return state.kind == "tuple" and state.size == 2
    return False


# Facts beyond the table that make a well-typed program valid: operands
# (topmost last) -> allowed.  Opcodes not listed need only the table's kinds.
_ALLOWED = {
    "SETITEM": lambda ops: ops[1].hashable,
    "SETITEMS": lambda ops: len(ops) % 2 == 1 and all(k.hashable for k in ops[1::2]),
    "DICT": lambda ops: len(ops) % 2 == 0 and all(k.hashable for k in ops[0::2]),
    "ADDITEMS": lambda ops: all(e.hashable for e in ops[1:]),
    "FROZENSET": lambda ops: all(e.hashable for e in ops),
    "REDUCE": lambda ops: ops[1].kind == "tuple" and _callable(ops[0], "call", ops[1].size),
    "NEWOBJ": lambda ops: ops[1].kind == "tuple" and _callable(ops[0], "new", ops[1].size),
    "NEWOBJ_EX": lambda ops: (ops[1].kind == "tuple" and ops[2].kind == "dict" and ops[2].size == 0
                              and _callable(ops[0], "new", ops[1].size)),
    "OBJ": lambda ops: len(ops) >= 1 and _callable(ops[0], "call", len(ops) - 1),
    "BUILD": lambda ops: _instance_state(ops[0], ops[1]),
    "BINPERSID": lambda ops: ops[0].kind in ("int", "str", "bytes", "tuple", "none"),
    "STOP": lambda ops: False,  # written by the program's end only
    "POP_MARK": lambda ops: True,
}
_NEVER = {"NEXT_BUFFER", "READONLY_BUFFER", "FRAME", "PROTO", "STOP", "STACK_GLOBAL",
          "GLOBAL", "INST", "EXT1", "EXT2", "EXT4", "GET", "BINGET", "LONG_BINGET",
          "PERSID"}  # pushed by their own productions below, or never in a valid program


# What an operand-taking opcode leaves on the stack, given its operands (topmost
# last; for APPENDS and the like the container below the mark first); the
# opcodes not listed push what the table names.
def _leaves_called(ops):
    g = ops[0].of
    return Entry(g.makes, g.hashable, 2 if g.makes == "tuple" else 0, g)


def _leaves_grown(ops):
    ops[0].size += 1
    return ops[0]


_LEAVES = {
    "DUP": lambda ops: (ops[0], ops[0]),
    "APPEND": lambda ops: (_leaves_grown(ops),),
    "SETITEM": lambda ops: (_leaves_grown(ops),),
    "APPENDS": lambda ops: (),  # the container stays where it was
    "SETITEMS": lambda ops: (),
    "ADDITEMS": lambda ops: (),
    "TUPLE": lambda ops: (Entry("tuple", all(e.hashable for e in ops), len(ops)),),
    "LIST": lambda ops: (Entry("list", False, len(ops)),),
    "DICT": lambda ops: (Entry("dict", False, len(ops)),),
    "FROZENSET": lambda ops: (Entry("frozenset", True, len(ops)),),
    "REDUCE": lambda ops: (_leaves_called(ops),),
    "BUILD": lambda ops: (ops[0],),
    "BINPERSID": lambda ops: (Entry("persistent"),),
    "MEMOIZE": lambda ops: (ops[0],),
}
for _name in ("TUPLE1", "TUPLE2", "TUPLE3"):
    _LEAVES[_name] = _LEAVES["TUPLE"]
for _name in ("NEWOBJ", "NEWOBJ_EX", "OBJ"):
    _LEAVES[_name] = _LEAVES["REDUCE"]


def _leaves_kind(kind):
    return lambda ops: (Entry(kind),)


class _Taker:
    """What the table says an operand-taking opcode needs, and what it leaves,
    worked out once."""

    __slots__ = ("op", "name", "fixed", "n", "mark", "container", "rule", "leaves")

    def __init__(self, op):
        self.op = op
        self.name = op.name
        # the kinds of its fixed operands (None: any), topmost last
        self.fixed = [None if k.name == "any" else _KIND.get(k.name, k.name)
                      for k in op.before if k is not markobject and k is not stackslice]
        self.n = len(self.fixed)
        self.mark = markobject in op.before
        # APPENDS, SETITEMS, ADDITEMS: a container below the mark
        self.container = self.fixed[0] if self.mark and op.before[0] is not markobject else False
        self.rule = _ALLOWED.get(op.name)
        if not op.after:
            self.leaves = lambda ops: ()
        elif op.name in _LEAVES:
            self.leaves = _LEAVES[op.name]
        else:
            self.leaves = _leaves_kind(_KIND.get(op.after[0].name, op.after[0].name))


def _operands(m, taker):
    """The entries an opcode would take (topmost last; for APPENDS and the like
    the container below the mark first), or None if they are not there."""
    stack = m.stack
    start = m.top
    if taker.mark:
        if start == 0:
            return None
        if taker.container is not False:
            below = stack[start - 2] if start >= 2 else None
            if below is None or below.kind != taker.container:
                return None
            return [below] + stack[start:]
        return stack[start:]
    n = taker.n
    if len(stack) - start < n:
        return None
    if not n:
        return []
    ops = stack[-n:]
    for entry, kind in zip(ops, taker.fixed):
        if kind is not None and entry.kind != kind:
            return None
    return ops


def _apply(m, taker, ops):
    """Write an operand-taking opcode and apply its effect to the abstract stack."""
    m.emit(taker.name)
    stack = m.stack
    if taker.mark:
        m.pop_mark()
        if taker.container is not False:
            stack[-1].size += len(ops) - 1
    else:
        del stack[len(stack) - len(ops):]
    stack.extend(taker.leaves(ops))


_LOWER = "abcdefghijklmnopqrstuvwxyz_"
_UNI = "abcxyz \u00e9\u00ff\u0100\u20ac\U0001f600"


def _random_text(s, alphabet=_LOWER, most=8):
    return "".join([s.choice(alphabet) for _ in range(s.integer(0, most))])


def _small_int(s):
    r = s.integer(0, 9)
    if r < 5:
        return s.integer(-3, 300)
    if r < 8:
        return s.integer(-(1 << 31), (1 << 31) - 1)
    return s.integer(-(1 << 70), 1 << 70)


def _float(s):
    r = s.integer(0, 9)
    if r == 0:
        return s.choice([0.0, -0.0, float("inf"), float("-inf"), 1e308, 5e-324])
    if r < 5:
        return float(s.integer(-1000, 1000)) / 8
    return struct.unpack(">d", struct.pack(">Q", s.integer(0, (1 << 64) - 1)))[0] if s.chance(10) \
        else s.integer(-10 ** 6, 10 ** 6) / 7.0


# The argument of each push opcode that takes one, drawn from a source.
_ARGUMENTS = {
    "BININT": lambda s: A.int4.write(s.integer(-(1 << 31), (1 << 31) - 1)),
    "BININT1": lambda s: A.uint1.write(s.integer(0, 255)),
    "BININT2": lambda s: A.uint2.write(s.integer(0, 65535)),
    "LONG": lambda s: A.decimalnl_long.write("%dL" % _small_int(s)),
    "LONG1": lambda s: A.long1.write(_small_int(s)),
    "LONG4": lambda s: A.long4.write(_small_int(s)),
    "STRING": lambda s: A.stringnl.write(repr(_random_text(s))),
    "BINSTRING": lambda s: A.string4.write(_random_text(s).encode("ascii")),
    "SHORT_BINSTRING": lambda s: A.string1.write(_random_text(s).encode("ascii")),
    "BINBYTES": lambda s: A.bytes4.write(s.raw(s.integer(0, 6))),
    "SHORT_BINBYTES": lambda s: A.bytes1.write(s.raw(s.integer(0, 6))),
    "BINBYTES8": lambda s: A.bytes8.write(s.raw(s.integer(0, 6))),
    "BYTEARRAY8": lambda s: A.bytearray8.write(bytearray(s.raw(s.integer(0, 6)))),
    "UNICODE": lambda s: A.unicodestringnl.write(_random_text(s)),
    "SHORT_BINUNICODE": lambda s: A.unicodestring1.write(_random_text(s, _UNI)),
    "BINUNICODE": lambda s: A.unicodestring4.write(_random_text(s, _UNI)),
    "BINUNICODE8": lambda s: A.unicodestring8.write(_random_text(s, _UNI)),
    "FLOAT": lambda s: A.floatnl.write(repr(_float(s))),
    "BINFLOAT": lambda s: A.float8.write(_float(s)),
}


def _push_int(m, s):
    """INT: a bool (``00``, ``01``) now and then, otherwise a 4-byte integer."""
    if s.chance(15):
        m.emit("INT", A.decimalnl_short.write(s.choice(["00", "01"])))
        return Entry("bool")
    m.emit("INT", A.decimalnl_short.write(str(s.integer(-(1 << 31), (1 << 31) - 1))))
    return Entry("int")


def _production(name):
    """Writing push opcode `name` with its argument; the entry it pushes."""
    kind, hashable = _pushed(name)
    argument = _ARGUMENTS.get(name)
    if argument is None:
        def push(m, s):
            m.emit(name)
            return Entry(kind, hashable)
    else:
        def push(m, s):
            m.emit(name, argument(s))
            return Entry(kind, hashable)
    return push


def _push_global(m):
    s = m.s
    g = s.choice(GLOBALS)
    if m.protocol >= 4 and s.chance(60):
        for text in (g.module, g.name):
            m.emit("SHORT_BINUNICODE", A.unicodestring1.write(text))
            m.stack.append(Entry("str"))
            if s.chance(30):
                _memoize(m)
        m.emit("STACK_GLOBAL")
        del m.stack[-2:]
    else:
        m.emit("GLOBAL", _GLOBAL_ARGUMENTS[g])
    return Entry("global", of=g)


def _push_ext(m):
    name = m.s.choice(("EXT1", "EXT2", "EXT4"))
    code, g = EXTENSIONS[name]
    m.emit(name, by_name[name].arg.write(code))
    return Entry("global", of=g)


_PUT_FORMS_AT = [[n for n in ("PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE") if by_name[n].proto <= p]
                 for p in range(6)]
# the GET forms of a protocol, for a key of 256 or more [0] and below [1]
_GET_FORMS_AT = [[[n for n in forms if by_name[n].proto <= p]
                  for forms in (("GET", "LONG_BINGET"), ("GET", "BINGET", "LONG_BINGET"))]
                 for p in range(6)]


def _memoize(m):
    """Write the top entry to the memo with one of the protocol's PUT forms."""
    s = m.s
    name = s.choice(_PUT_FORMS_AT[m.protocol])
    if name == "MEMOIZE":
        key = len(m.memo)
        m.emit(name)
    else:
        key = s.integer(0, 300) if name == "LONG_BINPUT" or name == "PUT" else s.integer(0, 255)
        if s.chance(50):
            key = len(m.memo)
        if name == "BINPUT":
            key %= 256
        arg = A.decimalnl_short.write(str(key)) if name == "PUT" else by_name[name].arg.write(key)
        m.emit(name, arg)
    m.remember(key, m.stack[-1])


def _get(m):
    s = m.s
    key = s.choice(m.memo_keys)
    name = s.choice(_GET_FORMS_AT[m.protocol][key < 256])
    arg = A.decimalnl_short.write(str(key)) if name == "GET" else by_name[name].arg.write(key)
    m.emit(name, arg)
    return m.memo[key]


_PUSHES = [op.name for op in opcodes if not op.before and op.after and op.after[0] is not markobject
           and op.name not in _NEVER]
_PRODUCTIONS = {name: _production(name) for name in _PUSHES}
_PRODUCTIONS["INT"] = _push_int
_GLOBAL_ARGUMENTS = {g: A.stringnl_noescape_pair.write("%s %s" % (g.module, g.name))
                     for g in GLOBALS}
_TAKERS = [_Taker(op) for op in opcodes if op.before and op.name not in _NEVER
           and op.name != "MEMOIZE"]

# The push productions of each protocol; and its takers that could find their
# operands, by whether BINPERSID may be written, the entries above the topmost
# mark (up to 3, as many as any takes without a mark) and whether a mark is open.
_PUSHES_AT = [[_PRODUCTIONS[n] for n in _PUSHES if by_name[n].proto <= p] for p in range(6)]
_TAKERS_AT = [[[[[t for t in _TAKERS
                  if t.op.proto <= p and (persistent or t.name != "BINPERSID")
                  and (marked if t.mark else t.n <= depth)]
                 for marked in (False, True)]
                for depth in range(4)]
               for p in range(6)]
              for persistent in (False, True)]


def _inst(m):
    """MARK args INST module name: a Python 2 classic instance."""
    s = m.s
    start = m.top
    if start == 0:
        return False
    n = len(m.stack) - start
    choices = [g for g in GLOBALS if g.call and g.call[0] <= n <= g.call[1]]
    if not choices:
        return False
    g = s.choice(choices)
    m.emit("INST", _GLOBAL_ARGUMENTS[g])
    m.pop_mark()
    m.stack.append(Entry(g.makes, g.hashable, 2 if g.makes == "tuple" else 0, g))
    return True


def _step(m):
    s = m.s
    stack = m.stack
    depth = len(stack) - m.top
    r = s.integer(0, 99)
    if r < 8:
        m.push_mark()
        return
    if r < 14:
        stack.append(_push_global(m) if m.protocol < 2 or s.chance(85) else _push_ext(m))
        return
    if r < 20 and m.memo:
        stack.append(_get(m))
        return
    if r < 26 and depth:
        _memoize(m)
        return
    if r < 28 and m.marks and _inst(m):
        return
    if r < 29 and m.persistent:
        m.emit("PERSID", A.stringnl_noescape.write(_random_text(s)))
        stack.append(Entry("persistent"))
        return
    if r < 45 + 8 * min(depth, 5):
        # an opcode drawn from the protocol's, until one fits (a few tries)
        takers = _TAKERS_AT[m.persistent][m.protocol][min(depth, 3)][m.top > 0]
        for _ in range(12 if takers else 0):
            taker = s.choice(takers)
            ops = _operands(m, taker)
            if ops is None:
                continue
            rule = taker.rule
            if rule is not None and not rule(ops):
                continue
            _apply(m, taker, ops)
            return
    stack.append(s.choice(_PUSHES_AT[m.protocol])(m, s))


def program(source, protocol=None, max_ops=40, persistent=True):
    """A valid program (a `Program`) of `protocol` (drawn from 0-5 when None).

    With `persistent`, PERSID and BINPERSID may appear: the unpickler needs a
    persistent_load (the worker's gives back the id as a persistent node).
    """
    s = source
    if protocol is None:
        protocol = s.integer(0, 5)
    m = _Machine(s, protocol, bool(persistent))
    if protocol >= 2:
        m.emit("PROTO", A.uint1.write(protocol))
    for _ in range(s.integer(1, max_ops)):
        _step(m)
    if len(m.stack) - m.top == 0:
        m.stack.append(s.choice(_PUSHES_AT[protocol])(m, s))
    m.emit("STOP")
    prog = m.prog
    if protocol >= 4 and s.chance(50):
        _frame(prog, s)
    return prog


def _frame(prog, s):
    """Put the instructions after PROTO into FRAMEs of exact length (PEP 3154)."""
    first = 1 if prog.instructions and prog.instructions[0][0] == "PROTO" else 0
    body = prog.instructions[first:]
    depths = prog.depths[first:]
    out, out_depths = prog.instructions[:first], prog.depths[:first]
    i = 0
    while i < len(body):
        n = s.integer(1, max(1, len(body) - i))
        chunk = body[i:i + n]
        size = sum(len(raw) for _, raw in chunk)
        out.append(("FRAME", b"\x95" + A.uint8.write(size)))
        out_depths.append(depths[i])
        out.extend(chunk)
        out_depths.extend(depths[i:i + n])
        i += n
    prog.instructions, prog.depths = out, out_depths


# -- faults ----------------------------------------------------------------------------

_BAD_ARGUMENTS = {  # name -> argument bytes every CPython refuses
    "INT": [b"1x\n", b"x\n", b"--1\n"],
    "LONG": [b"1x\n", b"x\n"],
    "FLOAT": [b"x\n", b"1.5.5\n"],
    "GET": [b"x\n"],
    "PUT": [b"x\n"],
    "STRING": [b"abc\n", b"'abc\n"],
    "UNICODE": [b"\\u12\n"],
    "SHORT_BINUNICODE": [b"\x01\xff", b"\x02\xc3\x28"],
    "BINUNICODE": [b"\x01\x00\x00\x00\xff"],
    "BINUNICODE8": [b"\x01" + b"\x00" * 7 + b"\xff"],
    "BINSTRING": [b"\xff\xff\xff\xff"],
    "LONG4": [b"\xff\xff\xff\xff"],
    "PROTO": [b"\x06", b"\xff"],
    "EXT1": [b"\x00"],
    "EXT2": [b"\x00\x00"],
    "EXT4": [b"\x00\x00\x00\x00", b"\xff\xff\xff\xff"],
}
_STANDALONE_BAD = [("PROTO", b"\x06"), ("LONG4", b"\xff\xff\xff\xff"), ("INT", b"1x\n")]


def fault(source, prog, kind=None):
    """The bytes of `prog` with one fault of `kind` (drawn from FAULTS when None)."""
    s = source
    if kind is None:
        kind = s.choice(FAULTS)
    ins = list(prog.instructions)
    depths = list(prog.depths)
    # the position of STOP (the last instruction); faults go before it
    stop = len(ins) - 1
    first = 1 if ins and ins[0][0] == "PROTO" else 0
    if kind == "truncated":
        data = b"".join(raw for _, raw in ins)
        return data[:s.integer(0, len(data) - 1)]
    if kind == "unknown-opcode":
        at = s.integer(0, stop)
        ins.insert(at, (None, bytes([s.choice(UNKNOWN_BYTES)])))
    elif kind == "bad-argument":
        places = [i for i, (name, _) in enumerate(ins[:stop]) if name in _BAD_ARGUMENTS]
        if places and s.chance(70):
            at = s.choice(places)
            name = ins[at][0]
            ins[at] = (name, by_name[name].code.encode("latin-1") + s.choice(_BAD_ARGUMENTS[name]))
        else:
            name, arg = s.choice(_STANDALONE_BAD)
            ins.insert(s.integer(first, stop), (name, by_name[name].code.encode("latin-1") + arg))
    elif kind == "stack":
        at = s.integer(first, stop)
        above, marks = depths[at]
        if marks == 0 and s.chance(50):
            name = s.choice(["TUPLE", "LIST", "DICT", "POP_MARK", "APPENDS", "FROZENSET"])
        else:
            name = s.choice([n for n, k in (("TUPLE1", 1), ("TUPLE2", 2), ("TUPLE3", 3),
                                            ("STOP", 1), ("REDUCE", 2), ("BUILD", 2))
                             if k > above] or ["TUPLE3"])
            if above >= 3:
                # deeper than any of those takes: cut the stack first
                ins.insert(at, ("MARK", b"("))
                at += 1
        ins.insert(at, (name, by_name[name].code.encode("latin-1")))
    elif kind == "memo":
        key = max(prog.keys | {-1}) + 1 + s.integer(0, 3)
        name = s.choice(["GET", "BINGET", "LONG_BINGET"] if key < 256 else ["GET", "LONG_BINGET"])
        arg = A.decimalnl_short.write(str(key)) if name == "GET" else by_name[name].arg.write(key)
        ins.insert(s.integer(first, stop), (name, by_name[name].code.encode("latin-1") + arg))
    elif kind == "frame":
        at = s.integer(first, stop)
        size = sum(len(raw) for _, raw in ins[at:]) + s.integer(1, 64)
        ins.insert(at, ("FRAME", b"\x95" + A.uint8.write(size)))
    elif kind == "frame-short":
        # never inside the argument of a PUT or LONG_BINPUT: see `costly`
        at = s.integer(first, stop)
        if all(len(raw) == 1 or name in _WIDE_PUTS for name, raw in ins[at:]):
            ins.insert(stop, ("BININT2", b"M\x01\x00"))  # something with an argument to cut
        cuts, pos = [], 0
        for name, raw in ins[at:]:
            if len(raw) > 1 and name not in _WIDE_PUTS:
                cuts.extend(range(pos + 1, pos + len(raw)))
            pos += len(raw)
        ins.insert(at, ("FRAME", b"\x95" + A.uint8.write(s.choice(cuts))))
    else:
        raise ValueError("unknown fault %r; faults are %s" % (kind, ", ".join(FAULTS)))
    return b"".join(raw for _, raw in ins)


# -- mutations ---------------------------------------------------------------------------

_INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, ord("\n"), ord("."), ord("("), ord("0"), ord("-"),
                ord("'"), ord(" "), 0x95, 0x94]
_BOUNDARY = [0, 1, -1, 255, 256, 65535, 65536, (1 << 31) - 1, -(1 << 31), (1 << 32) - 1, 1 << 32,
             (1 << 63) - 1, (1 << 64) - 1]


def mutate(source, data, rounds=None):
    """`data` changed 1-3 times at the byte or the opcode level (never the same bytes
    back, unless the stream is empty and cannot shrink)."""
    s = source
    data = bytes(data)
    original = data
    for _ in range(rounds if rounds is not None else s.integer(1, 3)):
        data = _mutate_once(s, data)
    if data == original:
        data = data + bytes([s.integer(0, 255)])
    return data


def _mutate_once(s, data):
    r = s.integer(0, 9)
    n = len(data)
    if r >= 6 and n:
        ins = read_instructions(data)
        if len(ins) >= 2:
            return _mutate_instructions(s, ins)
    if n == 0:
        return bytes([s.integer(0, 255)])
    at = s.integer(0, n - 1)
    r = s.integer(0, 5)
    if r == 0:
        return data[:at] + bytes([data[at] ^ (1 << s.integer(0, 7))]) + data[at + 1:]
    if r == 1:
        value = s.choice(_INTERESTING) if s.chance(50) else s.integer(0, 255)
        return data[:at] + bytes([value]) + data[at + 1:]
    if r == 2:
        value = s.choice(_INTERESTING) if s.chance(50) else s.integer(0, 255)
        return data[:at] + bytes([value]) + data[at:]
    if r == 3:
        return data[:at] + data[at + 1:]
    end = s.integer(at, min(n, at + 8))
    if r == 4:
        return data[:at] + data[end:]
    return data[:end] + data[at:end] + data[end:]


def _mutate_instructions(s, ins):
    raws = [i.raw for i in ins]
    at = s.integer(0, len(raws) - 1)
    r = s.integer(0, 3)
    if r == 0:
        del raws[at]
    elif r == 1:
        raws.insert(at, raws[at])
    elif r == 2 and at + 1 < len(raws):
        raws[at], raws[at + 1] = raws[at + 1], raws[at]
    else:
        ints = [k for k, i in enumerate(ins) if i.op is not None and i.op.arg is not None
                and i.op.arg in (A.uint1, A.uint2, A.int4, A.uint4, A.uint8, A.long1, A.long4,
                                 A.decimalnl_short, A.decimalnl_long)]
        if ints:
            k = s.choice(ints)
            op = ins[k].op
            value = s.choice(_BOUNDARY)
            try:
                if op.arg in (A.decimalnl_short, A.decimalnl_long):
                    arg = op.arg.write(str(value))
                else:
                    arg = op.arg.write(value)
            except (ValueError, OverflowError, struct.error):
                arg = ins[k].raw[1:]
            raws[k] = ins[k].raw[:1] + arg
    return b"".join(raws)


# -- the fuzzer's input mix --------------------------------------------------------------


def highest_protocol_of(data):
    """The protocol a stream belongs to: its PROTO, or the newest opcode it uses."""
    highest = 0
    for ins in read_instructions(data):
        if ins.op is None:
            continue
        highest = max(highest, ins.op.proto)
        if ins.op.name == "PROTO" and isinstance(ins.value, int) and ins.value <= 5:
            highest = max(highest, ins.value)
    return highest


MEMO_INDEX_LIMIT = 1 << 20
_PUTS = ("PUT", "BINPUT", "LONG_BINPUT")
_WIDE_PUTS = ("PUT", "LONG_BINPUT")  # whose index can pass MEMO_INDEX_LIMIT


def costly(data):
    """Whether a stream writes a memo index of MEMO_INDEX_LIMIT or more, or
    has a FRAME that ends inside the argument of a PUT or LONG_BINPUT.

    CPython's C unpickler keeps its memo as an array as long as the largest
    index, zeroed when it grows: a LONG_BINPUT of 2**28 touches 2 GiB.  Such
    an input says nothing new (the corpus has the 2**32-1 case) and would
    make the fuzzer a burden on its machine, so it is not sent.  The C
    unpickler that reads an argument past its frame's end (gh-154848) reads
    the index of such a PUT from elsewhere: 2 to 5 GiB and seconds per input
    on 3.11, where any other argument a short frame cuts shows the same bug.
    """
    if b"p" not in data and b"r" not in data:
        return False
    frame_end = -1
    for ins in read_instructions(data):
        if ins.op is None:
            continue
        name = ins.op.name
        if name == "FRAME" and isinstance(ins.value, int):
            frame_end = ins.offset + len(ins.raw) + ins.value
        elif name in _PUTS:
            if name in _WIDE_PUTS and ins.offset < frame_end < ins.offset + len(ins.raw):
                return True
            value = ins.value
            if name == "PUT":
                digits = "".join(c for c in str(value or "") if c in "0123456789")
                value = int(digits[:12]) if digits else 0
            if isinstance(value, int) and value >= MEMO_INDEX_LIMIT:
                return True
    return False


def generate(source, seeds=(), max_ops=40):
    """One fuzz input: (how it was made, bytes).  About 40% valid programs, 35%
    faulted ones, 25% mutants of valid programs or of `seeds` (streams of the corpus)."""
    s = source
    r = s.integer(0, 99)
    prog = program(s, max_ops=max_ops)
    if r < 40:
        return "valid", prog.to_bytes()
    if r < 75:
        kind = s.choice(FAULTS)
        return kind, fault(s, prog, kind)
    base = s.choice(seeds) if seeds and s.chance(50) else prog.to_bytes()
    for _ in range(8):
        data = mutate(s, base)
        if not costly(data):
            return "mutant", data
        base = prog.to_bytes()
    return "valid", prog.to_bytes()


# -- objects for dumps ---------------------------------------------------------------------

_DUMP_GLOBALS = [(FIXTURES, "Plain"), (FIXTURES, "function"), (FIXTURES, "Outer.Inner"),
                 ("builtins", "len"), ("builtins", "list")]


def value(source, depth=3):
    """A model value (picklespec.reference.model) for a dump: plain data of every
    kind, containers with shared members and sometimes a list holding itself,
    globals, and fixture instances built through REDUCE, NEWOBJ and BUILD."""
    from picklespec.reference import model

    s = source
    made = []  # containers made so far, to share

    def scalar():
        r = s.integer(0, 12)
        if r == 0:
            return None
        if r == 1:
            return s.chance(50)
        if r <= 3:
            return _small_int(s)
        if r == 4:
            return _float(s)
        if r <= 6:
            return _random_text(s, _UNI)
        if r == 7:
            return s.raw(s.integer(0, 8))
        if r == 8:
            return bytearray(s.raw(s.integer(0, 4)))
        if r == 9:
            return complex(_float(s), _float(s))
        if r == 10:
            module, name = s.choice(_DUMP_GLOBALS)
            return model.Global(module, name)
        return s.integer(-5, 5)

    def hashable():
        r = s.integer(0, 4)
        if r == 0:
            return _small_int(s)
        if r == 1:
            return _random_text(s)
        if r == 2:
            return s.raw(s.integer(0, 4))
        if r == 3:
            return None if s.chance(50) else s.chance(50)
        return tuple(_small_int(s) for _ in range(s.integer(0, 2)))

    def node(d):
        if d <= 0 or s.chance(40):
            if made and s.chance(15):
                return s.choice(made)  # a shared container
            return scalar()
        r = s.integer(0, 7)
        n = s.integer(0, 4)
        if r <= 1:
            out = []
            made.append(out)
            out.extend(node(d - 1) for _ in range(n))
            if s.chance(10):
                out.append(out)  # a list that holds itself
            return out
        if r == 2:
            out = tuple(node(d - 1) for _ in range(n))
            made.append(out)
            return out
        if r == 3:
            out = {}
            made.append(out)
            for _ in range(n):
                out[hashable()] = node(d - 1)
            return out
        if r == 4:
            # members whose hash is the same in every process (str and bytes
            # hashes are salted per process, and a set is written in hash order)
            return (set if s.chance(50) else frozenset)(
                _small_int(s) if s.chance(80) else None for _ in range(n))
        if r == 5:
            return model.Object(model.Global(FIXTURES, "Reduce2"),
                                (node(d - 1), node(d - 1)), via="reduce")
        if r == 6:
            return model.Object(model.Global(FIXTURES, "Plain"), (), via="newobj",
                                state={_random_text(s) or "a": node(d - 1)})
        return model.Object(model.Global(FIXTURES, "NewArgs"), (node(d - 1), node(d - 1)),
                            via="newobj")

    return node(s.integer(1, depth))
