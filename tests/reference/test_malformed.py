"""Malformed streams: always an UnpicklingError that says where and in which opcode.

A case is assembly text whose faulty line is marked ``# <-``: the error must
name the byte offset of that line's opcode and the opcode (None for a RAW
line: there is no opcode there).  Offsets come from the assembler, not from
the unpickler.
"""

import io
import pickle
import sys
import tracemalloc

import pytest

from picklespec.reference import asm, opcodes
from picklespec.reference import unpickler as U
from picklespec.reference.errors import (
    BadArgumentError,
    ForbiddenError,
    FrameError,
    LimitError,
    MemoError,
    StackError,
    TruncatedError,
    UnknownOpcodeError,
    UnpicklingError,
)


def marked(text):
    """(bytes, offset of the marked line, the name of the opcode it starts with).

    A marked RAW line holds an opcode cut short, a byte that is no opcode, or
    nothing (the input ended where an opcode should be)."""
    lines = text.strip("\n").splitlines()
    [at] = [i for i, line in enumerate(lines) if "# <-" in line]
    before = asm.assemble("\n".join(lines[:at]))
    line = asm.assemble(lines[at])
    op = opcodes.by_code.get(line[0]) if line else None
    return asm.assemble("\n".join(lines)), len(before), op.name if op else None


def fails(data, error, offset, opcode, **options):
    with pytest.raises(error) as info:
        U.loads(data, **options)
    exc = info.value
    assert isinstance(exc, pickle.UnpicklingError)
    assert (exc.offset, exc.opcode) == (offset, opcode), str(exc)
    # The place is told: a PEP 678 note on 3.11+, the message's end on 3.10.
    if sys.version_info >= (3, 11):
        assert exc.__notes__[-1] == "at offset %d, opcode %s" % (offset, opcode) if opcode \
            else exc.__notes__[-1] == "at offset %d" % offset
    else:
        assert str(exc).endswith(")") and "offset %d" % offset in str(exc)
    return exc


MALFORMED = [
    # -- the end of the input
    ("RAW b''  # <-", U.InputExhausted),
    ("NONE\nRAW b''  # <-", U.InputExhausted),
    ("BININT1 1\nRAW b'J\\x01\\x00'  # <-", TruncatedError),
    ("NONE\nRAW b'I12'  # <-", TruncatedError),
    ("RAW b'cos\\nsystem'  # <-", TruncatedError),
    ("RAW b'X\\x05\\x00\\x00\\x00abc'  # <-", TruncatedError),
    # -- unknown opcodes
    ("PROTO 2\nRAW b'\\xff'  # <-", UnknownOpcodeError),
    ("NONE\nRAW b'\\x00'  # <-", UnknownOpcodeError),
    # -- the stack (gh-141749: pickle.py raises IndexError for these)
    ("POP  # <-", StackError),
    ("NONE\nPOP\nPOP  # <-", StackError),
    ("APPEND  # <-", StackError),
    ("NONE\nMARK\nNONE\nAPPEND  # <-", StackError),
    ("EMPTY_LIST\nNONE\nAPPENDS  # <-", StackError),
    ("NONE\nLIST  # <-", StackError),
    ("NONE\nTUPLE  # <-", StackError),
    ("TUPLE1  # <-", StackError),
    ("NONE\nTUPLE2  # <-", StackError),
    ("NONE\nNONE\nTUPLE3  # <-", StackError),
    ("NONE\nMARK\nNONE\nTUPLE2  # <-", StackError),
    ("NONE\nDICT  # <-", StackError),
    ("NONE\nNONE\nSETITEM  # <-", StackError),
    ("NONE\nSETITEMS  # <-", StackError),
    ("MARK\nSETITEMS  # <-", StackError),
    ("EMPTY_SET\nADDITEMS  # <-", StackError),
    ("NONE\nFROZENSET  # <-", StackError),
    ("POP_MARK  # <-", StackError),
    ("DUP  # <-", StackError),
    ("MARK\nDUP  # <-", StackError),
    ("NONE\nBUILD  # <-", StackError),
    ("EMPTY_TUPLE\nREDUCE  # <-", StackError),
    ("EMPTY_TUPLE\nNEWOBJ  # <-", StackError),
    ("EMPTY_TUPLE\nEMPTY_DICT\nNEWOBJ_EX  # <-", StackError),
    ("SHORT_BINUNICODE 'len'\nSTACK_GLOBAL  # <-", StackError),
    ("OBJ  # <-", StackError),
    ("INST builtins list  # <-", StackError),
    ("READONLY_BUFFER  # <-", StackError),
    ("BINPERSID  # <-", StackError),
    ("PUT 1  # <-", StackError),
    ("BINPUT 1  # <-", StackError),
    ("LONG_BINPUT 1  # <-", StackError),
    ("MEMOIZE  # <-", StackError),
    ("STOP  # <-", StackError),
    ("NONE\nMARK\nSTOP  # <-", StackError),
    # -- the memo
    ("GET 0  # <-", MemoError),
    ("NONE\nBINPUT 1\nBINGET 3  # <-", MemoError),
    ("LONG_BINGET 70000  # <-", MemoError),
    ("GET -1  # <-", MemoError),
    ("NONE\nPUT -1  # <-", MemoError),
    ("GET x  # <-", BadArgumentError),
    # -- arguments, including where the CPythons disagree
    ("INT 0x10  # <-", BadArgumentError),  # gh-126992: base 10
    ("INT 0o7  # <-", BadArgumentError),
    ("INT 1e3  # <-", BadArgumentError),
    ("INT raw=b'\\n'  # <-", BadArgumentError),
    ("INT raw=b'1\\x00junk\\n'  # <-", BadArgumentError),  # gh-126996: NUL
    ("NONE\nPUT raw=b'1\\x00\\n'  # <-", BadArgumentError),
    ("INT raw=b'\\xa01\\n'  # <-", BadArgumentError),  # not ASCII whitespace
    ("LONG L  # <-", BadArgumentError),
    ("LONG 12LL  # <-", BadArgumentError),
    ("LONG 0x10L  # <-", BadArgumentError),
    ("FLOAT 1_0  # <-", BadArgumentError),  # _pickle.c's grammar, the stricter
    ("FLOAT raw=b' nan\\n'  # <-", BadArgumentError),
    ("FLOAT raw=b'1.5 \\n'  # <-", BadArgumentError),
    ("FLOAT 1e400  # <-", BadArgumentError),
    ("FLOAT raw=b'1.5\\x00x\\n'  # <-", BadArgumentError),
    ("FLOAT raw=b'\\n'  # <-", BadArgumentError),
    ("STRING abc  # <-", BadArgumentError),
    ("STRING 'abc  # <-", BadArgumentError),
    ("STRING '  # <-", BadArgumentError),
    ("STRING 'a\\x4'  # <-", BadArgumentError),
    ("STRING 'a\\'  # <-", BadArgumentError),
    ("STRING 'caf\\xe9'  # <-", BadArgumentError),  # not ASCII, the default
    ("BINSTRING raw=b'\\xff\\xff\\xff\\xff'  # <-", BadArgumentError),
    ("UNICODE \\u12  # <-", BadArgumentError),
    ("BINUNICODE raw=b'\\x01\\x00\\x00\\x00\\xff'  # <-", BadArgumentError),
    ("LONG4 raw=b'\\xfe\\xff\\xff\\xff'  # <-", BadArgumentError),
    ("PROTO 6  # <-", BadArgumentError),
    ("NONE\nPROTO 255  # <-", BadArgumentError),
    ("GLOBAL raw=b'\\nlist\\n'  # <-", BadArgumentError),
    ("GLOBAL raw=b'builtins\\n\\n'  # <-", BadArgumentError),
    ("GLOBAL raw=b'\\xff\\nx\\n'  # <-", BadArgumentError),
    ("MARK\nINST raw=b'caf\\xc3\\xa9\\nx\\n'  # <-", BadArgumentError),
    ("EXT1 0  # <-", BadArgumentError),
    ("EXT2 65000  # <-", BadArgumentError),
    ("EXT4 -5  # <-", BadArgumentError),
    ("PERSID raw=b'\\xe9\\n'  # <-", BadArgumentError),
    # -- operands of the wrong type
    ("NONE\nEMPTY_TUPLE\nREDUCE  # <-", StackError),
    ("GLOBAL builtins len\nEMPTY_LIST\nREDUCE  # <-", StackError),  # _pickle.c: tuple only
    ("BININT1 1\nEMPTY_TUPLE\nNEWOBJ  # <-", StackError),
    ("GLOBAL builtins object\nEMPTY_LIST\nNEWOBJ  # <-", StackError),
    ("GLOBAL builtins object\nEMPTY_TUPLE\nEMPTY_LIST\nNEWOBJ_EX  # <-", StackError),
    ("MARK\nBININT1 1\nOBJ  # <-", StackError),
    ("MARK\nOBJ  # <-", StackError),
    ("EMPTY_LIST\nEMPTY_LIST\nBUILD  # <-", StackError),  # gh-128965
    ("EMPTY_LIST\nNONE\nEMPTY_SET\nTUPLE2\nBUILD  # <-", StackError),  # gh-144411
    ("BININT1 1\nEMPTY_DICT\nBUILD  # <-", StackError),  # no __dict__
    ("BININT1 1\nMARK\nAPPENDS  # <-", StackError),  # gh-135573
    ("BININT1 1\nMARK\nADDITEMS  # <-", StackError),  # gh-135573
    ("BININT1 1\nNONE\nAPPEND  # <-", StackError),
    ("BININT1 1\nNONE\nNONE\nSETITEM  # <-", StackError),
    ("EMPTY_DICT\nEMPTY_LIST\nNONE\nSETITEM  # <-", StackError),  # unhashable
    ("EMPTY_DICT\nMARK\nEMPTY_DICT\nNONE\nSETITEMS  # <-", StackError),
    ("MARK\nEMPTY_LIST\nNONE\nDICT  # <-", StackError),
    ("MARK\nEMPTY_LIST\nFROZENSET  # <-", StackError),
    ("EMPTY_SET\nMARK\nEMPTY_LIST\nADDITEMS  # <-", StackError),
    ("MARK\nNONE\nDICT  # <-", StackError),  # odd
    ("EMPTY_DICT\nMARK\nNONE\nSETITEMS  # <-", StackError),  # odd
    ("BININT1 1\nBININT1 2\nSTACK_GLOBAL  # <-", StackError),
    ("NONE\nREADONLY_BUFFER  # <-", StackError),
    ("EMPTY_LIST\nREADONLY_BUFFER  # <-", StackError),
    ("PROTO 5\nNEXT_BUFFER  # <-", UnpicklingError),  # no buffers given: nothing on the stack is wrong
    # -- what find_class and persistent_load refuse
    ("GLOBAL os path.join  # <-", ForbiddenError),  # dotted before PROTO 4
    ("PROTO 3\nSHORT_BINUNICODE 'os'\nSHORT_BINUNICODE 'path.join'\nSTACK_GLOBAL  # <-",
     ForbiddenError),
    ("PROTO 4\nGLOBAL builtins f.<locals>.g  # <-", ForbiddenError),
    ("PERSID x  # <-", ForbiddenError),
    # -- frames (PEP 3154; gh-154848)
    ("PROTO 4\nFRAME 5  # <-\nNONE\nSTOP", TruncatedError),
    ("PROTO 4\nFRAME 1\nBININT1 5  # <-\nSTOP", FrameError),
    ("PROTO 4\nFRAME 3\nSHORT_BINUNICODE 'abc'  # <-\nSTOP", FrameError),
    ("PROTO 4\nFRAME 11\nFRAME 1  # <-\nNONE\nSTOP", FrameError),
    ("PROTO 4\nFRAME 18446744073709551615  # <-\nSTOP", LimitError),
    ("PROTO 4\nFRAME 3\nRAW b'X\\x05\\x00'  # <-\nRAW b'\\x00\\x00abcde.'", FrameError),
    # -- lengths that claim more than there is
    ("BINBYTES8 raw=b'\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff'  # <-", LimitError),
    ("BINUNICODE8 raw=b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80'  # <-", LimitError),
    ("BINBYTES raw=b'\\x00\\x00\\x00\\x40'  # <-", TruncatedError),
    ("BINUNICODE raw=b'\\xff\\xff\\xff\\xff'  # <-", TruncatedError),
    ("BYTEARRAY8 raw=b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x40'  # <-", TruncatedError),
    ("LONG4 raw=b'\\xff\\xff\\xff\\x7f'  # <-", TruncatedError),
    ("BINSTRING raw=b'\\xff\\xff\\xff\\x7f'  # <-", TruncatedError),
]


@pytest.mark.parametrize("text, error", MALFORMED,
                         ids=[m[0].replace("\n", "; ")[:70] for m in MALFORMED])
def test_malformed(text, error):
    data, offset, opcode = marked(text)
    fails(data, error, offset, opcode)
    with pytest.raises(error):  # the file path reports the same
        U.load(io.BytesIO(data))


def test_dotted_names_need_a_proto_4_first():
    with pytest.raises(ForbiddenError):
        U.loads(b"cos\npath.join\n.")
    import os.path
    assert U.loads(b"\x80\x04cos\npath.join\n.") is os.path.join
    assert U.loads(b"\x80\x02\x80\x04cos\npath.join\n.") is os.path.join


def test_empty_input_is_eof_like_the_standard_library():
    for data in (b"", b"\x80\x02"):
        with pytest.raises(EOFError):
            U.loads(data)


@pytest.mark.parametrize("obj", [
    {"a": [1, 2.5, "s", b"b", (None, True)], "b": 2**80},
    [[i, str(i)] for i in range(40)],
    "x" * 300, [b"y" * 40000] * 2 + [b"z" * 70000], {1, 2, frozenset({3})}, bytearray(b"z"),
])
@pytest.mark.parametrize("protocol", range(6))
def test_truncation_at_every_byte(obj, protocol):
    data = pickle.dumps(obj, protocol)
    instructions = asm.read_instructions(data)
    frames = [(i.offset, i.offset + len(i.raw), i.offset + len(i.raw) + i.value)
              for i in instructions if i.op.name == "FRAME"]
    cuts = range(len(data))
    if len(data) > 5000:  # every byte near each instruction's start, some in between
        cuts = sorted(({i.offset + k for i in instructions for k in range(12)}
                       | set(range(0, len(data), 997))) & set(range(len(data))))
    for cut in cuts:
        # The FRAME whose frame the cut falls in, else the instruction it
        # falls in, else (a cut between instructions) no opcode at all.
        expected = next(((start, "FRAME") for start, body, end in frames if body <= cut < end),
                        None)
        if expected is None:
            expected = next(((i.offset, i.op.name) for i in instructions
                             if i.offset < cut < i.offset + len(i.raw)), (cut, None))
        exc = fails(data[:cut], TruncatedError, *expected)
        assert isinstance(exc, EOFError) == (expected[1] is None)


@pytest.mark.parametrize("byte", sorted(set(range(256)) - set(opcodes.by_code)))
def test_every_unknown_opcode(byte):
    fails(b"\x80\x02N" + bytes([byte]), UnknownOpcodeError, 3, None)


def test_deep_marks_are_a_limit():
    fails(b"(" * 10**6, LimitError, 2**18, "MARK")
    fails(b"(" * 10**6 + b"l" * 10**6 + b".", LimitError, 2**18, "MARK")
    assert U.loads(b"(" * 100_000 + b"N.") is None  # open MARKs at STOP are fine
    fails(b"((((N.", LimitError, 3, "MARK", limits=U.Limits(max_marks=3))


def test_deep_tuples_are_a_limit_not_a_crash():
    # Hashing a 10**6-deep tuple crashes CPython; building it must fail first.
    fails(b"N" + b"\x85" * 10**6 + b"}N\x85s.", LimitError, 10_001, "TUPLE1")
    deep = b"N" + b"\x85" * 10_000 + b"."
    assert isinstance(U.loads(deep), tuple)


def test_nested_frozensets_count_too():
    level = b"q\x000(h\x00\x91"  # BINPUT 0, POP, MARK, BINGET 0, FROZENSET
    data = b"N\x85" + level * 60 + b"."
    limits = U.Limits(max_depth=50)
    exc = fails(data, LimitError, 2 + 7 * 49 + 6, "FROZENSET", limits=limits)
    assert "50" in exc.message
    assert isinstance(U.loads(data), frozenset)


def test_tuples_that_called_code_builds_count_too():
    # REDUCE of builtins.tuple on a one-item list, repeated, nests a tuple
    # per REDUCE; used as a dict key, hashing it overflowed the C stack.
    n = 60
    data = (b"\x80\x02}" + b"cbuiltins\ntuple\nq\x000" + b"h\x00(" * n + b")"
            + b"l\x85R" * n + b"Ns.")
    limits = U.Limits(max_depth=50)
    first_reduce = len(b"\x80\x02}cbuiltins\ntuple\nq\x000") + 3 * n + 1 + 2
    exc = fails(data, LimitError, first_reduce + 3 * 49, "REDUCE", limits=limits)
    assert "50" in exc.message
    (key,) = U.loads(data)  # within the default limit it loads
    depth = 0
    while key:
        key, depth = key[0], depth + 1
    assert depth == n
    # The stream of the report: 200,000 levels, refused at the default limit.
    n = 200_000
    data = (b"\x80\x02}" + b"cbuiltins\ntuple\nq\x000" + b"h\x00(" * n + b")"
            + b"l\x85R" * n + b"Ns.")
    with pytest.raises(LimitError):
        U.loads(data)


def test_lists_nest_without_limit():
    # Nothing recurses into lists while loading, so they are not limited.
    result = U.loads(b"]" * 100_000 + b"a" * 99_999 + b".")
    assert isinstance(result, list)


def test_configured_limits():
    fails(b"N\x94\x94\x94\x94.", LimitError, 4, "MEMOIZE", limits=U.Limits(max_memo=3))
    fails(b"C\x05abcde.", LimitError, 0, "SHORT_BINBYTES", limits=U.Limits(max_length=4))
    fails(b"Vabcdef\n.", LimitError, 0, "UNICODE", limits=U.Limits(max_length=4))
    fails(b"C\x05abc", LimitError, 0, "SHORT_BINBYTES", limits=U.Limits(max_length=4))
    assert U.loads(b"C\x04abcd.", limits=U.Limits(max_length=5)) == b"abcd"


class Pipe(io.RawIOBase):
    """Cannot seek; gives what it has (a lying length meets the end)."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), len(self.data) - self.pos)
        buffer[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        return n


GIGANTIC = [
    (b"B\x00\x00\x00\x40abc", TruncatedError),                # 1 GiB claimed
    (b"\x8e" + (2**62).to_bytes(8, "little") + b"abc", TruncatedError),
    (b"\x95" + (2**40).to_bytes(8, "little") + b"N.", TruncatedError),
    (b"\x8d" + (2**64 - 1).to_bytes(8, "little") + b"abc", LimitError),
    (b"\x96" + (2**35).to_bytes(8, "little"), TruncatedError),
]


@pytest.mark.parametrize("data, error", GIGANTIC)
def test_claimed_lengths_do_not_allocate(data, error):
    for load in (lambda: U.loads(data), lambda: U.load(io.BytesIO(data)),
                 lambda: U.load(Pipe(data))):
        tracemalloc.start()
        try:
            with pytest.raises(error) as info:
                load()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 4 * 2**20, peak
        assert info.value.offset == 0


def test_straddling_a_frame_that_ends_where_a_read_ends():
    # The frame ends exactly at the end of the first chunk a file is read in,
    # so the straddle is met as "no more input": it must still be a
    # FrameError, not a reason to read on.
    body_len = U._CHUNK - 11
    pairs = (body_len - 5) // 2
    body = b"N0" * pairs + b"N" * (body_len - 5 - 2 * pairs) + b"X\x05\x00\x00\x00"
    data = b"\x80\x04\x95" + len(body).to_bytes(8, "little") + body + b"hello."
    offset = len(data) - len(b"X\x05\x00\x00\x00hello.")
    fails(data, FrameError, offset, "BINUNICODE")
    for source in (io.BytesIO(data), Pipe(data)):
        with pytest.raises(FrameError) as info:
            U.load(source)
        assert (info.value.offset, info.value.opcode) == (offset, "BINUNICODE")


def test_missing_buffers_are_no_stack_fault():
    # Nothing on the stack is of the wrong type: the load was not given the
    # buffers the stream refers to (a plain UnpicklingError in CPython).
    for buffers in (None, [], iter([])):
        with pytest.raises(UnpicklingError) as info:
            U.loads(b"\x80\x05\x97.", buffers=buffers)
        assert type(info.value) is UnpicklingError and info.value.kind == "malformed"
