"""The opcode table agrees with the running interpreter's pickletools and pickle."""

import pickle
import pickletools

import pytest

from picklespec.reference import arguments, opcodes

THEIRS = {op.name: op for op in pickletools.opcodes}


def test_same_opcode_names():
    assert set(opcodes.by_name) == set(THEIRS)


@pytest.mark.parametrize("op", opcodes.opcodes, ids=lambda op: op.name)
def test_row_matches_pickletools(op):
    theirs = THEIRS[op.name]
    assert op.code == theirs.code
    assert op.proto == theirs.proto
    assert (op.arg.name if op.arg else None) == (theirs.arg.name if theirs.arg else None)
    if op.arg:
        assert op.arg.n == theirs.arg.n
    assert [s.name for s in op.before] == [s.name for s in theirs.stack_before]
    assert [s.name for s in op.after] == [s.name for s in theirs.stack_after]


@pytest.mark.parametrize("op", opcodes.opcodes, ids=lambda op: op.name)
def test_code_matches_pickle_module_constant(op):
    assert getattr(pickle, op.name) == op.code.encode("latin-1")


def test_every_argument_encoding_is_used():
    used = {op.arg.name for op in opcodes.opcodes if op.arg}
    assert used == {a.name for a in arguments.ALL}


def test_opcode_reference_document_is_generated_from_the_table():
    import pathlib

    from picklespec.reference import spec

    committed = pathlib.Path(spec.__file__).parent.with_name("OPCODES.md").read_text(encoding="utf-8")
    assert committed == spec.render(), (
        "reference/OPCODES.md is stale: python -m picklespec.reference.spec > reference/OPCODES.md")


def test_every_opcode_is_documented():
    for op in opcodes.opcodes:
        assert op.doc.strip().endswith("."), op.name
