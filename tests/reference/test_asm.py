"""The assembler and disassembler: exact round trips, readable text, clear errors."""

import collections
import io
import pickle
import pickletools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from picklespec.reference import asm, opcodes

SAMPLES = [
    None, True, -1, 255, 65536, 2**31, -2**70, 0.1, float("inf"), -0.0,
    "", "caf\u00e9 \n#\\", "\ud800", b"", b"\x00\n#", bytearray(b"ab"),
    (), (1,), (1, 2), (1, 2, 3), tuple(range(5)), [1, [2]], {"k": {1: None}},
    {1, 2}, frozenset({3}), list(range(300)), collections.OrderedDict(a=1),
    complex(1, 2), range(3), slice(1, 2),
]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_round_trip_of_cpython_output(protocol):
    for obj in SAMPLES:
        for dumps in (pickle.dumps, pickle._dumps):
            data = dumps(obj, protocol)
            text = asm.disassemble(data)
            assert asm.assemble(text) == data, text
            assert asm.assemble(asm.disassemble(data, offsets=True, indent=False)) == data


def test_names_and_arguments_are_shown_as_the_spec_spells_them():
    text = asm.disassemble(pickle.dumps(["caf\u00e9", 300, b"x"], 4))
    assert text.splitlines() == [
        "PROTO 4", "FRAME 20", "EMPTY_LIST", "MEMOIZE", "MARK",
        "  SHORT_BINUNICODE 'caf\u00e9'", "  MEMOIZE", "  BININT2 300",
        "  SHORT_BINBYTES b'x'", "  MEMOIZE", "APPENDS", "STOP",
    ]


def test_text_arguments_are_the_text_of_the_line():
    data = b"I010\ncos\nsystem\nS'a\\n'\n."
    assert asm.disassemble(data) == "INT 010\nGLOBAL os system\nSTRING 'a\\n'\nSTOP\n"


def test_offsets():
    text = asm.disassemble(b"\x80\x02K\x01.", offsets=True)
    assert text == "0: PROTO 2\n2: BININT1 1\n4: STOP\n"


@pytest.mark.parametrize("data, shown", [
    (b"\x8a\x02\x01\x00.", "LONG1 raw=b'\\x02\\x01\\x00'"),    # not minimal
    (b"X\x01\x00\x00\x00\xff.", "BINUNICODE raw="),            # invalid UTF-8
    (b"I1 # x\n.", "INT raw=b'1 # x\\n'"),                     # '#' in text
    (b"\xff", "RAW b'\\xff'  # unknown opcode byte 0xff"),
    (b"N.\xfe", "RAW b'\\xfe'  # trailing bytes after STOP"),
    (b"K", "RAW b'K'  # BININT1 argument"),
])
def test_forms_that_keep_the_exact_bytes(data, shown):
    text = asm.disassemble(data)
    assert shown in text
    assert asm.assemble(text) == data


def test_back_to_back_pickles_are_both_disassembled():
    data = pickle.dumps(1, 2) + pickle.dumps(2, 0)
    assert asm.disassemble(data, indent=False).splitlines()[-3:] == ["STOP", "INT 2", "STOP"]


def test_comments_blank_lines_and_offsets_are_ignored():
    text = "# a pickle\n\n 0: PROTO 2   # header\n  2: NONE\n\nSTOP  # done\n"
    assert asm.assemble(text) == b"\x80\x02N."


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_round_trip_of_arbitrary_bytes(data):
    assert asm.assemble(asm.disassemble(data)) == data


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_round_trip_of_mutated_cpython_output(draw):
    base = pickle.dumps(draw.draw(st.sampled_from(SAMPLES)), draw.draw(st.integers(0, 5)))
    cut = draw.draw(st.integers(0, len(base)))
    junk = draw.draw(st.binary(max_size=4))
    data = base[:cut] + junk + base[cut + len(junk):]
    assert asm.assemble(asm.disassemble(data)) == data


def test_every_opcode_assembles_from_its_name():
    for op in opcodes.opcodes:
        if op.arg is None:
            assert asm.assemble(op.name) == op.code.encode("latin-1")


@pytest.mark.parametrize("text, line, words", [
    ("PROTO 2\nBOGUS\n", 2, "unknown opcode 'BOGUS'"),
    ("NONE\nPROTO x\n", 2, "uint1 needs an integer, got x"),
    ("NONE 3\n", 1, "NONE takes no argument"),
    ("NONE\n\nBININT1 256\n", 3, "uint1 cannot hold 256"),
    ("SHORT_BINBYTES 'x'\n", 1, "bytes1 needs a bytes literal"),
    ("SHORT_BINUNICODE b'x'\n", 1, "unicodestring1 needs a str literal"),
    ("RAW 3\n", 1, "RAW needs a bytes literal"),
    ("STOP\nGLOBAL\n", 2, "GLOBAL needs an argument (stringnl_noescape_pair)"),
    ("GLOBAL os\n", 1, "stringnl_noescape_pair needs 'first second'"),
    ("BINFLOAT one\n", 1, "float8 needs a float"),
    ("INT raw=3\n", 1, "raw= needs a bytes literal"),
])
def test_errors_name_the_line(text, line, words):
    with pytest.raises(asm.AssemblyError) as info:
        asm.assemble(text)
    assert info.value.line == line
    assert words in info.value.message
    assert str(info.value).startswith("line %d: " % line)


def test_read_instructions_never_raises_and_reports_why():
    found = asm.read_instructions(b"\x80\x02X\x02\x00\x00\x00\xff\xfeN.")
    assert [i.op.name for i in found] == ["PROTO", "BINUNICODE", "NONE", "STOP"]
    assert found[1].value is None and "UTF-8" in found[1].error
    assert [i.offset for i in found] == [0, 2, 9, 10]


@pytest.mark.parametrize("text, words", [
    ("GLOBAL os\n", "stringnl_noescape_pair needs 'first second'"),
    ("UNICODE \u2603\n", "latin-1"),
])
def test_text_arguments_that_cannot_be_written_are_assembly_errors(text, words):
    with pytest.raises(asm.AssemblyError, match=words) as info:
        asm.assemble("NONE\n" + text)
    assert info.value.line == 2


@pytest.mark.parametrize("bits", [b"\x7f\xf0\x00\x00\x00\x00\x00\x01", b"\xff\xf8\x00\x00\x00\x00\x00\x00"])
def test_nans_other_than_the_canonical_one_keep_their_bits(bits):
    data = b"G" + bits + b"."
    assert "raw=" in asm.disassemble(data)
    assert asm.assemble(asm.disassemble(data)) == data
    assert asm.disassemble(b"G" + pickle.dumps(float("nan"), 1)[1:]) == "BINFLOAT nan\nSTOP\n"


# -- annotations, held to the standard library's pickletools.dis ------------------

_NOTE = re.compile(r"^\s*(\d+): .*?(\(as \d+\)|\(MARK at \d+\))\s*$")


def _pickletools_notes(data):
    """Offset -> note, and the highest protocol, as pickletools.dis prints them."""
    out = io.StringIO()
    pickletools.dis(data, out)
    notes = {}
    highest = None
    for line in out.getvalue().splitlines():
        m = _NOTE.match(line)
        if m:
            notes[int(m.group(1))] = m.group(2)
        if line.startswith("highest protocol among opcodes = "):
            highest = int(line.rsplit(" ", 1)[1])
    return notes, highest


_SHARED = [1, 2]
OBJECTS = [[1, 2, {"a": (3,)}], {"k": _SHARED, "j": _SHARED}, [[], [[]], ([],)], "x", {1, 2, 3},
           list(range(1500))]


@pytest.mark.parametrize("protocol", range(6))
@pytest.mark.parametrize("number", range(len(OBJECTS)))
def test_annotations_are_those_of_pickletools(protocol, number):
    data = pickle.dumps(OBJECTS[number], protocol=protocol)
    expected, highest = _pickletools_notes(data)
    assert asm.annotations(asm.read_instructions(data)) == expected
    text = asm.disassemble(data, offsets=True, annotate=True)
    assert text.splitlines()[-1] == "# highest protocol among opcodes = %d" % highest
    for offset, note in expected.items():
        assert any(line.lstrip().startswith("%d:" % offset) and line.endswith("  # " + note)
                   for line in text.splitlines())
    assert asm.assemble(text) == data  # annotations are comments


def test_annotations_are_off_by_default_and_a_stray_pop_mark_is_named():
    data = b"(K\x01e1."  # MARK, BININT1, APPENDS pops it, POP_MARK finds none
    assert "#" not in asm.disassemble(data)
    assert asm.annotations(asm.read_instructions(data)) == {3: "(MARK at 0)", 4: "(no MARK to pop)"}
