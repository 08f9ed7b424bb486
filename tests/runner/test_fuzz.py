"""picklespec fuzz: finding, minimizing, deduplicating and writing disagreements."""

import json
import os
import sys

import pytest

from picklespec.cases.corpus import load_corpus
from picklespec.runner import fuzz
from picklespec.runner.fuzz_grammar import RandomSource, generate
from picklespec.runner.fuzz_minimize import ddmin, minimize

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_targets", "nosets.py")
PLAIN = "cmd:%s %s plain" % (sys.executable, FAKE)
NOSETS = "cmd:%s %s nosets" % (sys.executable, FAKE)


def _run(tmp_path, name, *argv):
    out = tmp_path / name
    if "--dumps" not in argv:
        argv += ("--dumps", "0")
    status = fuzz.main(list(argv) + ["--out", str(out), "--no-corpus"])
    summary = json.loads((out / "summary.json").read_text())
    return status, out, summary


def test_two_targets_apart_on_one_opcode_give_that_signature_minimized(tmp_path, capsys):
    status, out, summary = _run(tmp_path, "a", "--target", PLAIN, "--target", NOSETS,
                                "--inputs", "400", "--seed", "7")
    assert status == 1
    assert summary["complete"] is True and summary["inputs"] == 400
    assert summary["disagreements"] >= 2  # several inputs, one signature
    [found] = summary["signatures"]
    assert found["signature"] == [[["fake-plain", "value-1", ""],
                                   ["fake-nosets", "rejected", "UnpicklingError"]], "EMPTY_SET"]
    assert found["count"] == summary["disagreements"]
    assert bytes.fromhex(found["stream"]) == b"\x8f."  # EMPTY_SET STOP: nothing smaller disagrees
    corpus = load_corpus([str(out)])
    assert corpus.problems == []
    [case] = corpus.cases
    assert case.classification == "implementation-defined"
    assert case.data == b"\x8f."
    assert [o.accepts for o in case.outcomes] == [True, False]
    assert "fake-nosets: rejected (UnpicklingError: this unpickler has no sets)" in case.note
    shown = capsys.readouterr().out
    assert "1 distinct signatures" in shown and "EMPTY_SET" in shown


def test_a_run_is_reproduced_by_its_seed(tmp_path):
    first = _run(tmp_path, "a", "--target", PLAIN, "--target", NOSETS, "--inputs", "300",
                 "--seed", "3")
    again = _run(tmp_path, "b", "--target", PLAIN, "--target", NOSETS, "--inputs", "300",
                 "--seed", "3")
    keep = ("signature", "count", "stream", "input", "how", "id")
    assert [{k: s[k] for k in keep} for s in first[2]["signatures"]] == \
        [{k: s[k] for k in keep} for s in again[2]["signatures"]]
    assert first[2]["disagreements"] == again[2]["disagreements"]
    files = sorted(p.relative_to(first[1]) for p in first[1].rglob("*.yaml"))
    assert files and files == sorted(p.relative_to(again[1]) for p in again[1].rglob("*.yaml"))
    for name in files:
        assert (first[1] / name).read_text() == (again[1] / name).read_text()


def test_inputs_depend_on_seed_and_number_only():
    def made(seed, index):
        return generate(RandomSource("%s:%d" % (seed, index)))

    assert [made("s", i) for i in range(50)] == [made("s", i) for i in range(50)]
    assert [made("s", i) for i in range(50)] != [made("t", i) for i in range(50)]


def test_reference_against_the_c_unpickler_in_process(tmp_path):
    status, out, summary = _run(tmp_path, "a", "--target", "reference", "--target", "cpython-c",
                                "--inputs", "300", "--seed", "1")
    assert status in (0, 1)
    assert [t["where"] for t in summary["targets"]] == ["in process", "in process"]
    assert summary["inputs"] == 300
    assert load_corpus([str(out)]).problems == []
    assert len(list(out.rglob("fuzz-*.yaml"))) == len(summary["signatures"])


def test_interrupted_run_keeps_what_it_found(tmp_path):
    targets = fuzz.open_fuzz_targets([PLAIN, NOSETS])
    batches = []

    def progress(fuzzer):
        batches.append(fuzzer.inputs)
        if len(batches) == 2:
            raise KeyboardInterrupt

    try:
        fuzzer = fuzz.Fuzzer(targets, "7", str(tmp_path), progress=progress)
        fuzzer.run(inputs=10000, batch=200)
    finally:
        for t in targets:
            t.close()
    assert fuzzer.interrupted and fuzzer.inputs == 400
    fuzz.write_summary(fuzzer, str(tmp_path))
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["complete"] is False and summary["inputs"] == 400
    assert len(summary["signatures"]) == 1 and load_corpus([str(tmp_path)]).problems == []


@pytest.mark.parametrize("argv, said", [
    (["--target", "reference"], "at least two"),
    (["--target", "reference", "--target", "no-such-target"], "unknown target"),
])
def test_usage_errors(argv, said, capsys, tmp_path):
    assert fuzz.main(argv + ["--out", str(tmp_path)]) == 2
    assert said in capsys.readouterr().err


def test_ddmin_finds_the_one_minimal_sublist():
    units = [bytes([b]) for b in b"abcdefgh"]
    assert ddmin(units, lambda us: b"c" in us and b"f" in us) == [b"c", b"f"]


def test_minimize_takes_out_instructions_then_bytes():
    # BININT 300 is needed only for its argument's first byte being 0x2c
    data = b"\x80\x04K\x01J\x2c\x01\x00\x00N\x85."
    small, used = minimize(data, lambda d: b"J\x2c" in d)
    assert small == b"J\x2c" and used > 0


def _loads_outcome(loads, data):
    try:
        return "value", loads(data)
    except Exception as exc:
        return "raised", type(exc).__name__


def _frames(data):
    """(FRAME length, bytes from the end of the FRAME instruction to the end of
    the instruction the frame ends in, whether it ends inside an argument)."""
    from picklespec.reference.asm import read_instructions

    out, offset = [], 0
    ins = read_instructions(data)
    for n, i in enumerate(ins):
        offset += len(i.raw)
        if i.op is not None and i.op.name == "FRAME":
            length = int.from_bytes(i.raw[1:], "little")
            edge = offset
            for later in ins[n + 1:]:
                if edge - offset >= length:
                    break
                edge += len(later.raw)
            out.append((length, edge - offset, edge - offset != length))
    return out


def test_minimize_keeps_a_frame_ending_inside_an_argument_there():
    # A disagreement the fuzzer found (seed trial, input 17, frame-short): the
    # FRAME ends inside LONG's argument; CPython's C unpickler reads past
    # the frame's end and loads it, pickle.py refuses.  Taking out NONE and
    # PUT used to leave FRAME 6 ending elsewhere, so nothing inside the frame
    # could go; with the length rewritten, the frame still ends inside an
    # argument and the rest goes.
    import _pickle
    import pickle

    data = bytes.fromhex("9506000000000000004e70300a4c32340a54080000006d6470736176746b852e")

    def apart(d):
        return _loads_outcome(_pickle.loads, d)[0] == "value" and \
            _loads_outcome(pickle._loads, d) == ("raised", "UnpicklingError")

    assert apart(data)
    assert _frames(data) == [(6, 8, True)]  # ends after LONG's first digit
    small, _ = minimize(data, apart)
    assert apart(small)
    assert small == b"\x95\x02" + bytes(7) + b"L2\n."  # FRAME 2, LONG 2, STOP
    assert _frames(small) == [(2, 3, True)]  # still inside LONG's argument


def test_frame_lengths_follow_what_is_kept():
    from picklespec.runner.fuzz_minimize import frame_ends, join_units

    frame = b"\x95" + (3).to_bytes(8, "little")
    units = [b"\x80\x04", frame, b"N", b"N", b"\x85", b"."]  # a frame of N N TUPLE1
    ends = frame_ends(units)
    assert ends == {1: (5, 0)}  # ends where STOP begins
    assert join_units(units, range(6), ends) == b"".join(units)  # all kept: unchanged
    assert join_units(units, [1, 3, 5], ends) == b"\x95" + (1).to_bytes(8, "little") + b"N."
    long_frame = b"\x95" + (9).to_bytes(8, "little")  # 6 bytes past the end
    units = [long_frame, b"N", b"N", b"."]
    assert frame_ends(units) == {0: (4, 6)}
    assert join_units(units, [0, 3], frame_ends(units)) == \
        b"\x95" + (7).to_bytes(8, "little") + b"."  # still 6 bytes past the end


def test_a_long_input_loses_its_long_runs_by_bisection_first():
    # A mutant of a long corpus stream the fuzzer found (zodbpickle C against
    # Python): a list of 1001 INTs, one of them with a NUL in its text, which
    # the C unpickler's strtol stops at and pickle.py's int() refuses.  Delta
    # debugging alone spent its 3000 tests and left 810 bytes.
    import _pickle
    import pickle

    data = b"(l" + b"".join(b"I%s\na" % (b"\x0093" if i == 993 else b"%d" % i)
                            for i in range(1001)) + b"."

    def apart(d):
        return _loads_outcome(_pickle.loads, d)[0] == "value" and \
            _loads_outcome(pickle._loads, d) == ("raised", "ValueError")

    assert apart(data)
    small, used = minimize(data, apart, budget=3000)
    assert apart(small)
    assert small == b"I\x00\n."  # the INT alone, cut at the NUL
    assert used < 3000


def test_batched_probes_minimize_as_one_at_a_time():
    data = b"\x80\x04K\x01J\x2c\x01\x00\x00N\x85."

    def holds(d):
        return b"J\x2c" in d

    asked = []

    def many(ds):
        asked.append(len(ds))
        return [holds(d) for d in ds]

    one, _ = minimize(data, holds)
    batched, _ = minimize(data, None, test_many=many, window=8)
    assert batched == one == b"J\x2c"
    assert max(asked) > 1


def test_jobs_share_the_inputs_and_merge_what_they_found(tmp_path):
    status, out, summary = _run(tmp_path, "a", "--target", PLAIN, "--target", NOSETS,
                                "--inputs", "400", "--seed", "7", "--jobs", "2")
    alone = _run(tmp_path, "b", "--target", PLAIN, "--target", NOSETS,
                 "--inputs", "400", "--seed", "7")[2]
    assert status == 1 and summary["jobs"] == 2 and summary["inputs"] == 400
    assert summary["disagreements"] == alone["disagreements"]  # the same 400 inputs
    [found] = summary["signatures"]
    assert found["signature"] == alone["signatures"][0]["signature"]
    assert bytes.fromhex(found["stream"]) == b"\x8f."
    assert load_corpus([str(out)]).problems == []


NOMEMO = "cmd:%s %s nomemo" % (sys.executable, FAKE)
_MEMO = {"PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"}


def test_dumps_that_differ_in_bytes_are_found_and_shrunk(tmp_path):
    status, out, summary = _run(tmp_path, "a", "--target", PLAIN, "--target", NOMEMO,
                                "--inputs", "150", "--seed", "2", "--dumps", "100")
    assert status == 1 and summary["signatures"]
    for found in summary["signatures"]:
        outcomes, where = found["signature"]
        assert [o[1] for o in outcomes] in (["bytes-1", "bytes-2"], ["bytes-1", "unpicklable"])
        protocol, opcode = where.split()[1:]
        # the memo write only one of them makes (or, at protocol 4+, the length
        # of the FRAME holding it)
        assert opcode in _MEMO | {"unpicklable"} | ({"FRAME"} if int(protocol) >= 4 else set())
        # shrunk: what is left is no bigger than a container around one value
        assert len(json.dumps(found["object"])) < 200
        assert found["case"] is None  # no producer names the bytes: no dump case


def test_dump_cases_from_real_interpreters_pass_the_checker(tmp_path):
    from picklespec.runner.targets import find_interpreters

    old = [i for i in find_interpreters() if i.supported and i.version[:2] == (3, 6) and i.has_c]
    if not old:
        pytest.skip("no CPython 3.6 found here (its protocol 0 ints differ from 3.7+)")
    status, out, summary = _run(tmp_path, "a", "--target", "cpython-c", "--target",
                                "python:%s:c" % old[0].path, "--inputs", "120", "--seed", "2",
                                "--dumps", "100")
    dumps = list((out / "dump").glob("fuzz-*.yaml"))
    assert dumps and load_corpus([str(out)]).problems == []


def test_a_frame_ending_inside_a_wide_put_argument_is_costly():
    from picklespec.runner.fuzz_grammar import costly

    def framed(size):
        return b"\x80\x04\x95" + size.to_bytes(8, "little") + b"Nr\x01\x00\x00\x000."

    assert costly(framed(3))  # the frame ends after "r\x01": inside LONG_BINPUT's index
    assert not costly(framed(6))  # it ends after the index
    assert not costly(framed(7))


def test_short_frames_never_end_inside_a_wide_put_argument():
    from picklespec.reference.asm import read_instructions
    from picklespec.runner.fuzz_grammar import costly, fault, program

    made = 0
    for i in range(300):
        source = RandomSource("frames:%d" % i)
        prog = program(source, protocol=4)
        if not any(name in ("PUT", "LONG_BINPUT") for name, _ in prog.instructions):
            continue
        data = fault(source, prog, "frame-short")
        assert not costly(data), data
        made += 1
        frames = [x for x in read_instructions(data) if x.op is not None and x.op.name == "FRAME"]
        assert frames  # and it still is a short frame
    assert made > 50


def test_answers_alike_but_for_their_ids_are_the_same_success():
    value = b'{"id": %d, "object": {"type": "int", "value": "5"}, "ok": true}'
    assert fuzz.same_success([value % 1, value % 2])
    assert not fuzz.same_success([value % 1, value.replace(b'"5"', b'"6"') % 2])
    rejected = b'{"exception": "UnpicklingError", "id": %d, "kind": "rejected", "ok": false}'
    assert not fuzz.same_success([rejected % 1, rejected % 2])  # profiles judge cleanness
    assert fuzz.same_success([{"ok": True, "object": {"type": "none"}}] * 2)
    assert not fuzz.same_success([{"ok": True, "object": {"type": "none"}},
                                  {"ok": True, "object": {"type": "int", "value": "0"}}])
