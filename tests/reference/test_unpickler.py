"""The reference unpickler accepts every opcode and is a drop-in pickle.Unpickler.

Each accept case is assembly text with the value the spec says it gives.  When
CPython's C unpickler (pickle.loads) and pure-Python one (pickle._loads) agree
on a case, they must also give that value, so the expectations are checked
against CPython as well as against the reference.
"""

import collections
import copyreg
import datetime
import inspect
import io
import os
import pickle
import statistics
import sys
import types
import warnings

import pytest

from picklespec.reference import asm, model, opcodes
from picklespec.reference import unpickler as U
from picklespec.reference.errors import ForbiddenError, TruncatedError, UnpicklingError

IMPLEMENTATIONS = {"reference": U.Unpickler, "C": pickle.Unpickler, "Python": pickle._Unpickler}


def persistent(pid):
    return ("persistent", pid)


def run(cls, data, encoding="ASCII", buffers=None, persistent_load=None, find_class=None):
    """One load with the given unpickler class; hooks assigned as attributes."""
    if find_class is not None:
        cls = type("Custom", (cls,), {"find_class": lambda self, m, n: find_class(m, n)})
    unpickler = cls(io.BytesIO(data), encoding=encoding,
                    buffers=None if buffers is None else buffers())
    if persistent_load is not None:
        unpickler.persistent_load = persistent_load
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes in STRING warn in 3.12+
        return unpickler.load()


def outcome(cls, data, **options):
    try:
        return ("value", run(cls, data, **options))
    except Exception as exc:  # noqa: BLE001 - any outcome is data here
        return ("error", type(exc).__name__)


def same(a, b):
    """Same value, types and sharing (nan equal to nan, -0.0 apart from 0.0)."""
    return model.equal(model.describe(a), model.describe(b))


# Shared values for the sharing cases.
shared_list = []
ordered = collections.OrderedDict

# (assembly, expected value, options).  Every opcode appears at least once.
ACCEPT = [
    ("INT 42", 42, {}),
    ("INT -7", -7, {}),
    ("INT 00", False, {}),
    ("INT 01", True, {}),
    ("INT 1_0", 10, {}),
    ("INT 123456789012345678901234567890", 123456789012345678901234567890, {}),
    ("BININT -2", -2, {}),
    ("BININT1 255", 255, {}),
    ("BININT2 65535", 65535, {}),
    ("LONG 123L", 123, {}),
    ("LONG -5", -5, {}),
    ("LONG1 -129", -129, {}),
    ("LONG1 0", 0, {}),
    ("LONG4 340282366920938463463374607431768211456", 2**128, {}),
    ("STRING 'abc'", "abc", {}),
    ("STRING 'abc'", b"abc", {"encoding": "bytes"}),
    ("""STRING "a'b\"""", "a'b", {}),
    (r"STRING 'a\nb\\c\x41\101\'\q'", b"a\nb\\cAA'\\q", {"encoding": "bytes"}),
    (r"STRING 'caf\xe9'", "caf\u00e9", {"encoding": "latin1"}),
    ("BINSTRING b'\\xe9t\\xe9'", "\u00e9t\u00e9", {"encoding": "latin1"}),
    ("SHORT_BINSTRING b'ab'", "ab", {}),
    ("SHORT_BINSTRING b'\\xff'", b"\xff", {"encoding": "bytes"}),
    ("BINBYTES b'\\x00\\xff'", b"\x00\xff", {}),
    ("SHORT_BINBYTES b''", b"", {}),
    ("BINBYTES8 b'abc'", b"abc", {}),
    ("BYTEARRAY8 b'ab'", bytearray(b"ab"), {}),
    ("PROTO 5\nNEXT_BUFFER", b"oob", {"buffers": lambda: [b"oob"]}),
    ("PROTO 5\nNEXT_BUFFER\nREADONLY_BUFFER", b"ro", {"buffers": lambda: [b"ro"]}),
    ("NONE", None, {}),
    ("NEWTRUE", True, {}),
    ("NEWFALSE", False, {}),
    (r"UNICODE caf\u00e9 \U0001f600", "caf\u00e9 \U0001f600", {}),
    ("UNICODE raw=b'\\xe9\\n'", "\u00e9", {}),
    ("SHORT_BINUNICODE '\u00e9'", "\u00e9", {}),
    ("BINUNICODE '\\ud800'", "\ud800", {}),
    ("BINUNICODE8 'x'", "x", {}),
    ("FLOAT 1.5", 1.5, {}),
    ("FLOAT -0.0", -0.0, {}),
    ("FLOAT inf", float("inf"), {}),
    ("FLOAT -Infinity", float("-inf"), {}),
    ("FLOAT nan", float("nan"), {}),
    ("FLOAT 1e-400", 0.0, {}),
    ("FLOAT 1.", 1.0, {}),
    ("FLOAT .5", 0.5, {}),
    ("BINFLOAT -2.5", -2.5, {}),
    ("EMPTY_LIST", [], {}),
    ("EMPTY_LIST\nBININT1 1\nAPPEND", [1], {}),
    ("EMPTY_LIST\nMARK\nBININT1 1\nBININT1 2\nAPPENDS", [1, 2], {}),
    ("EMPTY_LIST\nMARK\nAPPENDS", [], {}),
    ("MARK\nNONE\nLIST", [None], {}),
    ("EMPTY_TUPLE", (), {}),
    ("MARK\nBININT1 1\nBININT1 2\nTUPLE", (1, 2), {}),
    ("NONE\nTUPLE1", (None,), {}),
    ("NONE\nNEWTRUE\nTUPLE2", (None, True), {}),
    ("BININT1 1\nBININT1 2\nBININT1 3\nTUPLE3", (1, 2, 3), {}),
    ("EMPTY_DICT", {}, {}),
    ("MARK\nSHORT_BINUNICODE 'a'\nBININT1 1\nDICT", {"a": 1}, {}),
    ("EMPTY_DICT\nBININT1 1\nNONE\nSETITEM", {1: None}, {}),
    ("EMPTY_DICT\nMARK\nBININT1 1\nBININT1 2\nBININT1 3\nBININT1 4\nSETITEMS", {1: 2, 3: 4}, {}),
    ("BININT1 1\nMARK\nSETITEMS", 1, {}),  # no items: no target needed (both CPythons)
    ("EMPTY_SET", set(), {}),
    ("EMPTY_SET\nMARK\nBININT1 1\nBININT1 1\nADDITEMS", {1}, {}),
    ("MARK\nBININT1 1\nFROZENSET", frozenset({1}), {}),
    ("NONE\nBININT1 1\nPOP", None, {}),
    ("NONE\nMARK\nPOP", None, {}),  # POP with nothing above the mark pops the mark
    ("EMPTY_LIST\nDUP\nTUPLE2", (shared_list, shared_list), {}),
    ("NONE\nMARK\nBININT1 1\nBININT1 2\nPOP_MARK", None, {}),
    ("EMPTY_LIST\nPUT 0\nGET 0\nTUPLE2", (shared_list, shared_list), {}),
    ("EMPTY_LIST\nBINPUT 7\nPOP\nBINGET 7", [], {}),
    ("EMPTY_LIST\nLONG_BINPUT 70000\nLONG_BINGET 70000\nTUPLE2", (shared_list, shared_list), {}),
    ("EMPTY_LIST\nMEMOIZE\nNONE\nMEMOIZE\nPOP\nPOP\nBINGET 0\nBINGET 1\nTUPLE2", ([], None), {}),
    ("EXT1 <ext1>", ordered, {}),
    ("EXT2 <ext2>", collections.deque, {}),
    ("EXT4 <ext4>", collections.Counter, {}),
    ("GLOBAL builtins len", len, {}),
    ("PROTO 2\nGLOBAL __builtin__ xrange", range, {}),
    ("PROTO 2\nGLOBAL copy_reg _reconstructor", copyreg._reconstructor, {}),
    ("GLOBAL os.path join", os.path.join, {}),
    ("PROTO 4\nGLOBAL collections OrderedDict.fromkeys", ordered.fromkeys, {}),
    ("PROTO 4\nSHORT_BINUNICODE 'builtins'\nSHORT_BINUNICODE 'len'\nSTACK_GLOBAL", len, {}),
    ("GLOBAL builtins complex\nBININT1 1\nBININT1 2\nTUPLE2\nREDUCE", complex(1, 2), {}),
    ("GLOBAL types SimpleNamespace\nEMPTY_TUPLE\nNEWOBJ\n"
     "EMPTY_DICT\nSHORT_BINUNICODE 'a'\nBININT1 1\nSETITEM\nBUILD",
     types.SimpleNamespace(a=1), {}),
    ("MARK\nINST collections OrderedDict", ordered(), {}),
    ("MARK\nMARK\nMARK\nSHORT_BINUNICODE 'a'\nBININT1 1\nTUPLE\nLIST\n"
     "INST collections OrderedDict", ordered(a=1), {}),
    ("MARK\nGLOBAL collections OrderedDict\nOBJ", ordered(), {}),
    ("GLOBAL builtins int\nSHORT_BINUNICODE '12'\nTUPLE1\nNEWOBJ", 12, {}),
    ("GLOBAL builtins int\nSHORT_BINUNICODE '11'\nTUPLE1\n"
     "EMPTY_DICT\nSHORT_BINUNICODE 'base'\nBININT1 2\nSETITEM\nNEWOBJ_EX", 3, {}),
    ("PROTO 5\nNONE\nPROTO 0\nPROTO 2", None, {}),  # anywhere, repeated
    ("BININT1 1\nBININT1 2", 2, {}),  # leftover stack items at STOP
    ("MARK\nNONE", None, {}),  # an open MARK at STOP
    ("PROTO 4\nFRAME 2\nNONE", None, {}),  # the frame holds NONE and STOP
    ("PROTO 4\nFRAME 0\nFRAME 1\nNONE", None, {}),
    ("PERSID abc", ("persistent", "abc"), {"persistent_load": persistent}),
    ("SHORT_BINUNICODE 'x'\nBINPERSID", ("persistent", "x"), {"persistent_load": persistent}),
]


# Extension codes registered for the EXT cases (chosen free at run time).
EXTENSIONS = {}


def stream(text):
    for placeholder, code in EXTENSIONS.items():
        text = text.replace(placeholder, str(code))
    return asm.assemble(text + "\nSTOP\n")


def free_code(low, high):
    return next(code for code in range(high, low - 1, -1) if code not in copyreg._inverted_registry)


@pytest.fixture(autouse=True, scope="module")
def extensions():
    names = {"<ext1>": ("OrderedDict", 1, 0xFF), "<ext2>": ("deque", 0x100, 0xFFFF),
             "<ext4>": ("Counter", 0x10000, 0x7FFFFFFF)}
    for placeholder, (name, low, high) in names.items():
        EXTENSIONS[placeholder] = free_code(low, high)
        copyreg.add_extension("collections", name, EXTENSIONS[placeholder])
    yield
    for placeholder, (name, _, _) in names.items():
        copyreg.remove_extension("collections", name, EXTENSIONS.pop(placeholder))


@pytest.mark.parametrize("text, expected, options", ACCEPT,
                         ids=[case[0].replace("\n", "; ")[:60] for case in ACCEPT])
def test_accept(text, expected, options):
    data = stream(text)
    got = run(U.Unpickler, data, **options)
    assert same(got, expected), got
    if "persistent_load" not in options:  # loads has no hook to give
        buffers = options.get("buffers", lambda: None)()
        got = U.loads(data, encoding=options.get("encoding", "ASCII"), buffers=buffers)
        assert same(got, expected), got
    c, py = outcome(pickle.Unpickler, data, **options), outcome(pickle._Unpickler, data, **options)
    if c[0] == py[0] == "value" and same(c[1], py[1]):
        assert same(c[1], expected), "CPython disagrees with the expectation: %r" % (c[1],)


def test_every_opcode_has_an_accept_case():
    used = {ins.op.name for text, _, _ in ACCEPT for ins in asm.read_instructions(stream(text))}
    assert used == set(opcodes.by_name)


def test_buffers_are_the_objects_given():
    buffer = bytearray(b"xy")
    assert U.loads(stream("PROTO 5\nNEXT_BUFFER"), buffers=[buffer]) is buffer
    view = U.loads(stream("PROTO 5\nNEXT_BUFFER\nREADONLY_BUFFER"), buffers=[buffer])
    assert isinstance(view, memoryview) and view.readonly and view.tobytes() == b"xy"
    data = pickle.dumps(pickle.PickleBuffer(buffer), 5, buffer_callback=lambda b: False)
    assert U.loads(data, buffers=[buffer]) is buffer


# Inputs on which _pickle.c and pickle.py disagree (3.10-3.13), with the
# reference's reading and the reason.
DECIDED = [
    ("INT 010", 10, "gh-126992: base 10 (C: 8, pickle.py: error)"),
    ("INT 001", 1, "gh-126992: base 10 (C: 1, pickle.py: error)"),
    ("INT +1", 1, "gh-135241: only '01' is True (C: True)"),
    ("INT  1", 1, "gh-135241: only '01' is True (C: True)"),
    ("INT -0", 0, "gh-135241: only '00' is False (C: False)"),
    ("LONG 010L", 10, "gh-126992: base 10 (C: 8, pickle.py: error)"),
    ("EMPTY_LIST\nLONG_BINPUT 4294967295\nPOP\nLONG_BINGET 4294967295", [],
     "a dict memo takes any uint4 key (C: MemoryError)"),
]


@pytest.mark.parametrize("text, expected, why", DECIDED, ids=[d[0] for d in DECIDED])
def test_decided_disagreements(text, expected, why):
    got = U.loads(stream(text))
    assert same(got, expected), why


def test_int_and_long_text_follow_int_on_ascii():
    # Spaces, a sign and underscores, as both unpicklers take them.
    assert U.loads(b"I 12 \n.") == 12 and U.loads(b"L-1_000L\n.") == -1000
    assert U.loads(b"Np 3\ng3\n.") is None


# Python 2.7.18's own output (cPickle unless noted), read with encoding and
# fix_imports as Python 3 reads it.
PY2_STRS = {
    0: b"(dp1\nS'f'\nF1.5\nsS'i'\nI7\nsS'n'\nL12L\nsS's'\nS'caf\\xe9'\np2\nsS'u'\n"
       b"Vcaf\xe9\np3\nsS't'\n(I01\nNtp4\ns.",
    1: b"}q\x01(U\x01fG?\xf8\x00\x00\x00\x00\x00\x00U\x01iK\x07U\x01nL12L\nU\x01sU\x04"
       b"caf\xe9q\x02U\x01uX\x05\x00\x00\x00caf\xc3\xa9q\x03U\x01t(I01\nNtu.",
    2: b"\x80\x02}q\x01(U\x01fG?\xf8\x00\x00\x00\x00\x00\x00U\x01iK\x07U\x01n\x8a\x01\x0c"
       b"U\x01sU\x04caf\xe9q\x02U\x01uX\x05\x00\x00\x00caf\xc3\xa9q\x03U\x01t\x88N\x86u.",
}
PY2_DATETIME = {
    0: b"cdatetime\ndatetime\np1\n(S'\\x07\\xe8\\x05\\x06\\x07\\x08\\t\\x00\\x00\\n'\ntRp2\n.",
    1: b"cdatetime\ndatetime\nq\x01(U\n\x07\xe8\x05\x06\x07\x08\t\x00\x00\ntRq\x02.",
    2: b"\x80\x02cdatetime\ndatetime\nq\x01U\n\x07\xe8\x05\x06\x07\x08\t\x00\x00\n\x85Rq\x02.",
}
PY2_XRANGE = b"\x80\x02c__builtin__\nxrange\nq\x01K\x00K\x03K\x01\x87Rq\x02."
PY2_SET = b"c__builtin__\nset\np1\n((lp2\nI1\naI2\natRp3\n."
PY2_CLASSIC = {
    0: b"(i__main__\nClassic\np1\n(dp2\nS'a'\nI1\nsb.",
    1: b"(c__main__\nClassic\nq\x01oq\x02}q\x03U\x01aK\x01sb.",
    2: b"\x80\x02(c__main__\nClassic\nq\x01oq\x02}q\x03U\x01aK\x01sb.",
}
PY2_NEWSTYLE = {
    0: b"ccopy_reg\n_reconstructor\np1\n(c__main__\nNewStyle\np2\nc__builtin__\nobject\np3\n"
       b"NtRp4\n(dp5\nS'b'\n(lp6\nI1\naI2\nasb.",
    2: b"\x80\x02c__main__\nNewStyle\nq\x01)\x81q\x02}q\x03U\x01b]q\x04(K\x01K\x02esb.",
}


class Classic:
    pass


class NewStyle:
    pass


def python2_classes(module, name):
    if module == "__main__":
        return {"Classic": Classic, "NewStyle": NewStyle}[name]
    return pickle.Unpickler.find_class(pickle.Unpickler(io.BytesIO()), module, name)


@pytest.mark.parametrize("protocol", [0, 1, 2])
@pytest.mark.parametrize("cls", IMPLEMENTATIONS.values(), ids=IMPLEMENTATIONS)
def test_python2_streams(cls, protocol):
    text = {"f": 1.5, "i": 7, "n": 12, "s": "caf\u00e9", "u": "caf\u00e9", "t": (True, None)}
    assert run(cls, PY2_STRS[protocol], encoding="latin1") == text
    raw = {k.encode(): v for k, v in text.items()}
    raw[b"s"] = b"caf\xe9"
    assert run(cls, PY2_STRS[protocol], encoding="bytes") == raw
    moment = datetime.datetime(2024, 5, 6, 7, 8, 9, 10)
    assert run(cls, PY2_DATETIME[protocol], encoding="latin1") == moment
    assert run(cls, PY2_DATETIME[protocol], encoding="bytes") == moment
    classic = run(cls, PY2_CLASSIC[protocol], encoding="latin1", find_class=python2_classes)
    assert type(classic) is Classic and classic.__dict__ == {"a": 1}
    if protocol in PY2_NEWSTYLE:
        new = run(cls, PY2_NEWSTYLE[protocol], encoding="latin1", find_class=python2_classes)
        assert type(new) is NewStyle and new.__dict__ == {"b": [1, 2]}


def test_python2_names_are_mapped_below_protocol_3():
    assert U.loads(PY2_XRANGE) == range(3)
    assert U.loads(PY2_SET) == {1, 2}
    with pytest.raises(ImportError):  # no module __builtin__ without the mapping
        U.loads(PY2_XRANGE, fix_imports=False)
    with pytest.raises(ImportError):  # the mapping applies below protocol 3 only
        U.loads(b"\x80\x03c__builtin__\nxrange\n.")


def test_python2_str_that_is_not_ascii_is_a_clear_error():
    with pytest.raises(UnpicklingError, match="encoding='latin1' or 'bytes'"):
        U.loads(PY2_STRS[2])


# -- the standard library's API ------------------------------------------------


def test_signatures_match_the_standard_library():
    def params(f):
        return [(p.name if p.kind != p.POSITIONAL_ONLY else None, p.kind, p.default)
                for p in inspect.signature(f).parameters.values() if p.name != "limits"]
    assert params(U.loads) == params(pickle._loads)
    assert params(U.load) == params(pickle._load)
    assert params(U.Unpickler) == params(pickle._Unpickler)


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return type(other) is Point and (self.x, self.y) == (other.x, other.y)


class Slotted:
    __slots__ = ("a", "__dict__")


class Stateful:
    def __setstate__(self, state):
        self.seen = state


def program(module, path):
    """A small program written against pickle; module is pickle or ours."""
    data = {"points": [Point(1, 2), Point(3, 4)], "ref": "db:7", "n": 1}
    slotted = Slotted()
    slotted.a, slotted.b = 1, 2
    stateful = Stateful()
    stateful.seen = ("s",)

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            return obj if isinstance(obj, str) and obj.startswith("db:") else None

    with open(path, "wb") as f:
        for protocol in range(6):
            Pickler(f, protocol).dump(data)
            if protocol >= 2:  # slots need protocol 2 (PEP 307)
                pickle.dump([slotted, stateful], f, protocol)

    class Unpickler(module.Unpickler):
        def persistent_load(self, pid):
            return ("loaded", pid)

        def find_class(self, mod, name):
            return {"Point": Point, "Slotted": Slotted, "Stateful": Stateful}.get(
                name) or super().find_class(mod, name)

    results = []
    with open(path, "rb") as f:
        while True:
            try:
                obj = Unpickler(f).load()
            except EOFError:
                break
            results.append((f.tell(), obj))
    return results


def test_drop_in(tmp_path):
    theirs = program(pickle, tmp_path / "a")
    ours = program(U, tmp_path / "b")
    assert [pos for pos, _ in ours] == [pos for pos, _ in theirs]
    for (_, a), (_, b) in zip(ours, theirs):
        if isinstance(a, dict):
            assert a == b and a["ref"] == ("loaded", "db:7")
        else:
            assert (a[0].a, a[0].b, a[1].seen) == (b[0].a, b[0].b, b[1].seen) == (1, 2, {"seen": ("s",)})


def test_memo_survives_between_loads_and_can_be_set():
    f = io.BytesIO(pickle.dumps(["x"], 2) + b"h\x01.")
    for cls in (U.Unpickler, pickle._Unpickler):
        f.seek(0)
        unpickler = cls(f)
        first = unpickler.load()
        assert unpickler.load() is first[0]
    unpickler = U.Unpickler(io.BytesIO(b"h\x05."))
    unpickler.memo = {5: "preset"}
    assert unpickler.load() == "preset"


def test_find_class_can_refuse(tmp_path):
    class Restricted(U.Unpickler):
        def find_class(self, module, name):
            raise ForbiddenError("global %s.%s is forbidden" % (module, name))

    with pytest.raises(ForbiddenError) as info:
        Restricted(io.BytesIO(b"\x80\x02N0cos\nsystem\n.")).load()
    assert (info.value.offset, info.value.opcode) == (4, "GLOBAL")


# Streams whose last opcode before STOP calls code that fails.
CALLED_CODE_FAILS = [
    (b"cno_such_module_here\nx\n.", ModuleNotFoundError),
    (b"cbuiltins\nno_such_name\n.", AttributeError),
    (b"N(cbuiltins\nlen\n)R.", TypeError),  # len()
    (b"cbuiltins\nint\nX\x01\x00\x00\x00x\x85R.", ValueError),  # int('x')
    # itemgetter(5)([]): an IndexError of C code is the call's, not the stack's
    (b"coperator\nitemgetter\nK\x05\x85R]\x85R.", IndexError),
    (b"cdatetime\ndate\nK\x01K\x02K\x40\x87R.", ValueError),  # date(1, 2, 64)
    (b"(cbuiltins\nlen\nK\x01K\x02o.", TypeError),
    (b"\x80\x02ccollections\nOrderedDict\n)\x81N}K\x01K\x02s\x86b.", TypeError),  # setattr(od, 1, 2)
]


@pytest.mark.parametrize("data, cause", CALLED_CODE_FAILS)
def test_failures_of_called_code_propagate_unchanged_with_their_location(data, cause):
    # What CPython's two unpicklers raise is the expectation.
    for load in (pickle.loads, pickle._loads):
        with pytest.raises(Exception) as info:
            load(data)
        assert type(info.value) is cause
    last = asm.read_instructions(data)[-2]
    with pytest.raises(Exception) as info:
        U.loads(data)
    assert type(info.value) is cause
    assert (info.value.pickle_offset, info.value.pickle_opcode) == (last.offset, last.op.name)
    if sys.version_info >= (3, 11):
        assert info.value.__notes__ == [
            "when unpickling: raised by code that opcode %s at offset %d called"
            % (last.op.name, last.offset)]


def test_failures_of_hooks_are_the_same_exception_object():
    class Boom(Exception):
        pass

    raised = []

    def fail(pid):
        raised.append(Boom(pid))
        raise raised[-1]

    unpickler = U.Unpickler(io.BytesIO(b"Pid\n."))
    unpickler.persistent_load = fail
    with pytest.raises(Boom) as info:
        unpickler.load()
    assert info.value is raised[0] and info.value.pickle_opcode == "PERSID"

    class Strict(U.Unpickler):
        def find_class(self, module, name):
            raise pickle.UnpicklingError("not %s" % name)

    with pytest.raises(pickle.UnpicklingError) as info:
        Strict(io.BytesIO(b"cos\nsystem\n.")).load()
    assert type(info.value) is pickle.UnpicklingError
    assert (info.value.pickle_offset, info.value.pickle_opcode) == (0, "GLOBAL")


def test_called_code_that_raises_truncation_is_not_read_past():
    # A TruncatedError raised by called code is that code's: the file is
    # not read further to complete it.
    class Inner(U.Unpickler):
        def find_class(self, module, name):
            return U.loads(b"(")  # truncated: raises TruncatedError

    data = io.BytesIO(b"cos\nsystem\n." + b"N." * 10)
    with pytest.raises(TruncatedError) as info:
        Inner(data).load()
    assert (info.value.offset, info.value.opcode) == (1, None)  # the inner stream's end


def test_unpickler_without_init():
    class Lazy(U.Unpickler):
        def __init__(self):
            pass

    with pytest.raises(UnpicklingError, match="was not called"):
        Lazy().load()
    with pytest.raises(TypeError):
        U.Unpickler(object())
    with pytest.raises(TypeError):
        U.loads("a str")


# -- files ---------------------------------------------------------------------


class Pipe(io.RawIOBase):
    """A stream that cannot seek and gives at most 3 bytes a read."""

    def __init__(self, data):
        self.data = data
        self.pos = 0
        self.reads = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        self.reads += 1
        n = min(len(buffer), 3, len(self.data) - self.pos)
        buffer[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        return n


OBJECTS = [[1, "two", (3.0, None)], {"k": b"v" * 300}, list(range(2000)), "x" * 70000]


@pytest.mark.parametrize("protocol", range(6))
def test_back_to_back_pickles_from_files(tmp_path, protocol):
    blobs = [pickle.dumps(obj, protocol) for obj in OBJECTS]
    path = tmp_path / "many"
    path.write_bytes(b"".join(blobs) + b"tail")
    ends = [sum(map(len, blobs[:i + 1])) for i in range(len(blobs))]
    with open(path, "rb") as f:
        for obj, end in zip(OBJECTS, ends):
            assert U.load(f) == obj
            assert f.tell() == end
        assert f.read() == b"tail"
    pipe = Pipe(b"".join(blobs) + b"tail")
    for obj, end in zip(OBJECTS, ends):
        assert U.load(pipe) == obj
        assert pipe.pos == end  # nothing after the STOP was consumed
    assert pipe.read() == b"tail"


def test_a_real_pipe():
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "wb") as w:
        w.write(pickle.dumps({"a": 1}, 0) + pickle.dumps([2], 5))
    with os.fdopen(read_end, "rb", buffering=0) as r:
        assert r.seekable() is False
        assert U.load(r) == {"a": 1}
        assert U.load(r) == [2]
        with pytest.raises(EOFError):
            U.load(r)


def test_empty_file_is_eof():
    with pytest.raises(EOFError) as info:
        U.load(io.BytesIO(b""))
    assert isinstance(info.value, UnpicklingError) and info.value.kind == "truncated"


# -- the dispatch --------------------------------------------------------------


def test_one_handler_per_opcode_registered_by_name():
    assert set(U._HANDLERS) == set(opcodes.by_name)
    for op in opcodes.opcodes:
        assert U._HANDLERS[op.name].__name__ == "load_" + op.name
        assert U._DISPATCH[op.byte][0] is U._HANDLERS[op.name]
        reader = U._ENDS if op.name == "STOP" else (op.arg.read if op.arg else None)
        assert U._DISPATCH[op.byte][1] is reader
    with pytest.raises(TypeError, match="two handlers"):
        U.handles("NONE")(lambda self: None)
    with pytest.raises(KeyError):
        U.handles("NO_SUCH_OPCODE")


def test_handlers_are_small_and_in_table_order():
    lines = [inspect.getsourcelines(U._HANDLERS[op.name]) for op in opcodes.opcodes]
    starts = [start for _, start in lines]
    assert starts == sorted(starts)
    assert statistics.median(len(source) - 1 for source, _ in lines) <= 5
