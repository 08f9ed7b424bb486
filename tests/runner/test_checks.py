"""The checks judge real targets' answers: loads, clean and unclean rejections,
implementation-defined choices, the three levels of dump, and cross reads.

Cases are written as case files (the real corpus reader reads them), with
streams as CPython writes them; the targets are this interpreter's two
picklers and the reference, through the worker.
"""

import sys
import textwrap

import pytest

from picklespec.cases.corpus import load_corpus
from picklespec.reference import asm
from picklespec.runner import checks, targets
from picklespec.runner.projections import python2_view
from picklespec.reference.normalize import normalize
from picklespec.runner.checks import check_case, cross_check
from picklespec.runner.difference import first_difference

HOST = "cpython-%d.%d" % sys.version_info[:2]


@pytest.fixture(scope="module")
def opened():
    started = targets.open_targets(targets.parse_targets(["cpython-c", "cpython-py", "reference"]))
    yield {t.spec.kind: t for t in started}
    for target in started:
        target.close()


def read_cases(tmp_path, folder, text):
    path = tmp_path / folder
    path.mkdir(exist_ok=True)
    (path / "cases.yaml").write_text("cases:\n" + textwrap.indent(textwrap.dedent(text), "  "))
    corpus = load_corpus([str(path)])
    assert not corpus.problems, [str(p) for p in corpus.problems]
    return {case.id: case for case in corpus.cases}


def results(case, target, oracle, protocols=None):
    return {(r.check, r.protocol): r for r in check_case(case, target, protocols, oracle=oracle)}


# -- normalize ---------------------------------------------------------------------

# (a, b, equivalent): streams in assembly text.
NORMALIZE = [
    ("PROTO 2\nEMPTY_LIST\nBINPUT 0\nSTOP", "PROTO 2\nEMPTY_LIST\nSTOP", True),  # a store nothing fetches
    ("MARK\nLIST\nPUT 5\nGET 5\nTUPLE2\nSTOP", "MARK\nLIST\nBINPUT 0\nBINGET 0\nTUPLE2\nSTOP", True),
    ("EMPTY_LIST\nLONG_BINPUT 300\nLONG_BINGET 300\nTUPLE2\nSTOP",
     "EMPTY_LIST\nMEMOIZE\nBINGET 0\nTUPLE2\nSTOP", True),
    ("PROTO 4\nFRAME 3\nBININT1 1\nSTOP", "PROTO 4\nBININT1 1\nSTOP", True),  # framing aside
    ("BININT1 1\nSTOP", "BININT1 2\nSTOP", False),
    ("BININT1 1\nSTOP", "BININT2 1\nSTOP", False),  # another opcode is another stream
    ("PROTO 2\nBININT1 1\nSTOP", "PROTO 3\nBININT1 1\nSTOP", False),
    # A fetch gets the latest store to its index.
    ("INT 1\nPUT 0\nINT 2\nPUT 0\nGET 0\nSTOP", "INT 1\nINT 2\nBINPUT 7\nBINGET 7\nSTOP", True),
    ("INT 1\nPUT 0\nINT 2\nPUT 0\nGET 0\nSTOP", "INT 1\nBINPUT 7\nINT 2\nBINGET 7\nSTOP", False),
    # MEMOIZE stores at the number of entries the memo holds.
    ("INT 1\nBINPUT 5\nINT 2\nMEMOIZE\nBINGET 1\nSTOP", "INT 1\nINT 2\nMEMOIZE\nBINGET 0\nSTOP", True),
    # A fetch of an index nothing stored is kept as written.
    ("BINGET 7\nSTOP", "GET 7\nSTOP", False),
]


@pytest.mark.parametrize("a, b, equivalent", NORMALIZE)
def test_normalize(a, b, equivalent):
    assert (normalize(asm.assemble(a)) == normalize(asm.assemble(b))) is equivalent


def test_normalize_text():
    text = normalize(asm.assemble("PROTO 4\nFRAME 9\nEMPTY_LIST\nMEMOIZE\nMARK\nBINGET 0\nAPPENDS\nSTOP"))
    assert text == "PROTO 4\nEMPTY_LIST\nmemo-store 0\nMARK\nmemo-fetch 0\nAPPENDS\nSTOP\n"
    assert normalize(b"\xff").startswith("RAW b'\\xff'")  # malformed bytes are shown, not raised


DIFFERENCES = [
    ("A\nB\nC\n", "A\nB\nC\n", ""),
    ("A\nB\n", "A\nX\n", "line 2: expected 'B', got 'X'"),
    ("A\nB\n", "A\n", "line 2: expected 'B', got the end"),
    ("A\n", "A\nB\n", "line 2: expected the end, got 'B'"),
    ("  0: PROTO 2\n", "  0: PROTO 3\n", "line 1: expected '0: PROTO 2', got '0: PROTO 3'"),
]


@pytest.mark.parametrize("expected, actual, where", DIFFERENCES)
def test_first_difference(expected, actual, where):
    assert first_difference(expected, actual) == where


# -- load cases ---------------------------------------------------------------------

LOADS = """\
- id: int-hex
  title: INT reads 0x as hexadecimal
  tags: [INT]
  protocol: 0
  stream: |
    INT 0x10
    STOP
  result: 16
- id: int-hex-wrong
  title: a case whose result is wrong, so every target fails it
  tags: [INT]
  protocol: 0
  stream: |
    INT 0x10
    STOP
  result: 17
- id: string-ascii
  title: STRING gives str on Python 3, with the default encoding
  tags: [STRING]
  protocol: 0
  stream: |
    STRING 'abc'
    STOP
  result: abc
- id: string-latin1
  title: load options go to the target
  tags: [STRING]
  protocol: 0
  stream: |
    STRING 'caf\\xe9'
    STOP
  load-options: {encoding: latin1}
  result: "caf\\xe9"
"""


@pytest.mark.parametrize("kind", ["c", "py", "reference"])
def test_accept(tmp_path, opened, kind):
    cases = read_cases(tmp_path, "accept", LOADS)
    target = opened[kind]
    for case_id in ("int-hex", "string-ascii", "string-latin1"):
        if kind == "reference" and case_id == "int-hex":
            continue  # CPython's truth, which the reference need not share for this test
        [result] = check_case(cases[case_id], target, oracle=opened["reference"])
        assert (result.check, result.outcome, result.protocol) == ("load", "pass", None), result
    if kind == "reference":
        return
    [wrong] = check_case(cases["int-hex-wrong"], target, oracle=opened["reference"])
    assert wrong.outcome == "fail"
    assert (wrong.expected, wrong.actual) == ("17\n", "16\n")
    assert wrong.first_difference == "line 1: expected '17', got '16'"


def test_a_missing_module_is_unsupported(tmp_path, opened):
    cases = read_cases(tmp_path, "accept", """\
        - id: global-missing-module
          title: a module this interpreter has not
          tags: [GLOBAL]
          protocol: 0
          stream: |
            GLOBAL picklespec_no_such_module thing
            STOP
          result: !global picklespec_no_such_module:thing
        """)
    [result] = check_case(cases["global-missing-module"], opened["c"])
    assert result.outcome == "unsupported"
    assert result.message.startswith("%s-c lacks a module the stream names: ModuleNotFoundError" % HOST)


REJECTS = """\
- id: pop-empty
  title: POP on an empty stack
  tags: [POP]
  protocol: 0
  stream: |
    POP
    STOP
  failure: stack
- id: not-malformed
  title: a well-formed stream in a reject case
  tags: [INT]
  protocol: 0
  stream: |
    INT 1
    STOP
"""


def test_reject_clean_and_unclean(tmp_path, opened):
    cases = read_cases(tmp_path, "reject", REJECTS)
    [c] = check_case(cases["pop-empty"], opened["c"])
    assert (c.check, c.outcome) == ("reject", "pass")
    assert c.message.startswith("rejected: UnpicklingError")
    [py] = check_case(cases["pop-empty"], opened["py"])  # pickle.py: IndexError (gh-141749)
    assert py.outcome == "unclean"
    assert py.message.startswith("unclean rejection: IndexError")
    [accepted] = check_case(cases["not-malformed"], opened["c"])
    assert (accepted.outcome, accepted.message, accepted.actual) == ("fail", "accepted the stream", "1\n")


DEFINED = """\
- id: int-leading-zero
  title: INT 010 is 8 to _pickle (base 0) and an error to pickle.py
  tags: [INT]
  protocol: 0
  stream: |
    INT 010
    STOP
  outcomes:
    - result: 8
      seen: [cpython-3.13-c]
    - result: 10
    - reject: bad-argument
- id: int-leading-zero-narrow
  title: the same stream with fewer outcomes allowed
  tags: [INT]
  protocol: 0
  stream: |
    INT 010
    STOP
  outcomes:
    - result: 10
"""


def test_defined(tmp_path, opened):
    cases = read_cases(tmp_path, "implementation-defined", DEFINED)
    [c] = check_case(cases["int-leading-zero"], opened["c"])
    assert (c.check, c.outcome, c.chosen) == ("defined", "defined", "result: 8")
    [py] = check_case(cases["int-leading-zero"], opened["py"])
    assert (py.outcome, py.chosen) == ("defined", "reject: bad-argument")
    assert "ValueError" in py.message
    assert "records cpython-3.13-c choosing" not in py.message  # py is not the producer seen
    [narrow] = check_case(cases["int-leading-zero-narrow"], opened["c"])
    assert narrow.outcome == "fail"
    assert narrow.message == "loaded an object none of the allowed outcomes gives"
    assert narrow.actual == "8\n" and narrow.expected == "- result: 10\n"
    [refused] = check_case(cases["int-leading-zero-narrow"], opened["py"])
    assert refused.outcome == "fail" and "no allowed outcome is a rejection" in refused.message


# -- dump cases ---------------------------------------------------------------------

DUMPS = """\
- id: int-255
  title: 255 is the largest BININT1
  tags: [int]
  object: 255
  protocols: [0, 2]
  streams:
    0:
      - producer: cpython-2.7..3.13-c+py
        stream: |
          INT 255
          STOP
    2:
      - producer: cpython-3.0..3.13-c+py
        stream: |
          PROTO 2
          BININT1 255
          STOP
- id: int-255-old-only
  title: a case whose only variant is Python 2.7's
  tags: [int]
  object: 255
  protocols: [2]
  streams:
    2:
      - producer: cpython-2.7-c
        stream: |
          PROTO 2
          BININT1 255
          STOP
- id: int-255-wrong
  title: a variant with the wrong bytes for every producer
  tags: [int]
  object: 255
  protocols: [2]
  streams:
    2:
      - producer: cpython-2.7..3.13-c+py
        stream: |
          PROTO 2
          BININT2 255
          STOP
- id: shared-list-long-memo
  title: the same opcodes with four-byte memo indexes
  tags: [list, sharing]
  object: [&x [], *x]
  protocols: [2]
  streams:
    2:
      - producer: cpython-3.0..3.13-c+py
        stream: |
          PROTO 2
          EMPTY_LIST
          LONG_BINPUT 0
          MARK
            EMPTY_LIST
            LONG_BINPUT 1
            LONG_BINGET 1
            APPENDS
          STOP
- id: buffer-before-5
  title: a PickleBuffer cannot be pickled below protocol 5
  tags: [buffers]
  object: !buffer {data: !bytes 'ab', readonly: true}
  protocols: [4]
  streams:
    4:
      - producer: cpython-3.8..3.13-c+py
        fails: true
"""


def test_dump_conforming(tmp_path, opened):
    cases = read_cases(tmp_path, "dump", DUMPS)
    for kind in ("c", "py", "reference"):
        got = results(cases["int-255"], opened[kind], opened["reference"])
        assert sorted(got) == sorted((check, p) for p in (0, 2) for check in
                                     ("dump-bytes", "dump-equivalent", "dump-readable", "load"))
        assert {r.outcome for r in got.values()} == {"pass"}, [r for r in got.values() if r.outcome != "pass"]


def test_dump_without_expectation_is_a_skip(tmp_path, opened):
    cases = read_cases(tmp_path, "dump", DUMPS)
    got = results(cases["int-255-old-only"], opened["c"], opened["reference"])
    skipped = got["dump-bytes", 2]
    assert (skipped.outcome, skipped.message) == ("skip", "no expectation for %s-c" % HOST)
    assert got["dump-equivalent", 2].outcome == "pass"  # against the canonical variant
    assert got["dump-readable", 2].outcome == "pass"


def test_dump_wrong_bytes(tmp_path, opened):
    cases = read_cases(tmp_path, "dump", DUMPS)
    got = results(cases["int-255-wrong"], opened["c"], opened["reference"])
    wrong = got["dump-bytes", 2]
    assert wrong.outcome == "fail"
    assert wrong.message == "bytes differ from cpython-2.7..3.13-c+py's: byte 2 is 0x4b, not 0x4d"
    assert wrong.first_difference == "line 2: expected '2: BININT2 255', got '2: BININT1 255'"
    assert got["dump-equivalent", 2].outcome == "fail"
    assert got["dump-readable", 2].outcome == "pass"
    assert got["load", 2].outcome == "pass"  # BININT2 255 still reads as 255


def test_dump_equivalent_modulo_memo(tmp_path, opened):
    cases = read_cases(tmp_path, "dump", DUMPS)
    got = results(cases["shared-list-long-memo"], opened["c"], opened["reference"])
    assert got["dump-bytes", 2].outcome == "fail"
    equivalent = got["dump-equivalent", 2]
    assert equivalent.outcome == "pass" and "memo and frames aside" in equivalent.message
    assert got["dump-readable", 2].outcome == "pass"


def test_dump_that_must_fail(tmp_path, opened):
    cases = read_cases(tmp_path, "dump", DUMPS)
    got = results(cases["buffer-before-5"], opened["c"], opened["reference"])
    assert got["dump-bytes", 4].outcome == "pass"
    assert got["dump-bytes", 4].message.startswith("fails, as cpython-3.8..3.13-c+py does")
    assert got["dump-equivalent", 4].outcome == "pass"
    assert got["dump-readable", 4].outcome == "skip"
    assert ("load", 4) not in got  # no stream to read


RAISES = """\
- id: buffer-raises-picklingerror
  title: a PickleBuffer below protocol 5 raises PicklingError
  tags: [buffers]
  object: !buffer {data: !bytes 'ab', readonly: true}
  protocols: [4]
  streams:
    4:
      - producer: cpython-3.8..3.13-c+py
        fails: true
        raises: PicklingError
- id: buffer-raises-typeerror
  title: a case recording another exception class than CPython raises
  tags: [buffers]
  object: !buffer {data: !bytes 'ab', readonly: true}
  protocols: [4]
  streams:
    4:
      - producer: cpython-3.8..3.13-c+py
        fails: true
        raises: TypeError
"""


def test_dump_that_must_fail_compares_the_exception_class(tmp_path, opened):
    cases = read_cases(tmp_path, "dump", RAISES)
    for kind in ("c", "py"):
        same = results(cases["buffer-raises-picklingerror"], opened[kind], opened["reference"])
        assert same["dump-bytes", 4].outcome == "pass"
        other = results(cases["buffer-raises-typeerror"], opened[kind], opened["reference"])
        assert other["dump-bytes", 4].outcome == "fail"
        assert other["dump-bytes", 4].message.startswith(
            "fails with PicklingError, where cpython-3.8..3.13-c+py raises TypeError")
        assert other["dump-equivalent", 4].outcome == "pass"  # it does fail, as expected


def test_dump_readable_needs_the_reference(tmp_path, opened):
    cases = read_cases(tmp_path, "dump", DUMPS)
    out = []
    for gen in checks.plan(checks.Prepared(cases["int-255"]), opened["c"], [0], None, out,
                           "no reference in this run"):
        checks.drive(gen, {})
    readable = [r for r in out if r.check == "dump-readable"]
    assert [(r.outcome, r.message) for r in readable] == [
        ("skip", "the reference is not running: no reference in this run")]


def _limited(target, **hello):
    """The same worker, introduced with a narrower hello."""
    return targets.Target(target.spec, target.adapter, dict(target.hello, **hello))


def test_unsupported_protocols_and_options(tmp_path, opened):
    narrow = _limited(opened["c"], dump_protocols=[0, 1, 2], load_protocols=[0, 1, 2], load_options=[])
    dumps = read_cases(tmp_path, "dump", DUMPS)
    got = results(dumps["shared-list-long-memo"], narrow, opened["reference"], [2])
    assert {r.outcome for r in got.values()} == {"fail", "pass"}  # protocol 2 runs
    got = results(dumps["buffer-before-5"], narrow, opened["reference"])
    assert {r.outcome for r in got.values()} == {"unsupported"}
    assert got["dump-bytes", 4].message == "%s-c writes protocols 0-2" % HOST
    loads = read_cases(tmp_path, "accept", LOADS)
    [latin1] = check_case(loads["string-latin1"], narrow)
    assert (latin1.outcome, latin1.message) == (
        "unsupported", "%s-c does not take the load option encoding" % HOST)


def test_crash_of_a_target_is_its_outcome(tmp_path, opened):
    cases = read_cases(tmp_path, "accept", LOADS)
    faulty = targets.open_target(targets.parse_target(
        "cmd:%s %s" % (sys.executable, str(__import__("pathlib").Path(__file__).parent
                                            / "fake_targets" / "faulty.py")))[0])
    try:
        [fine] = check_case(cases["int-hex"], faulty)
        assert fine.outcome == "fail"  # the fake loads everything as 1
        crash = read_cases(tmp_path, "reject", """\
            - id: crash-it
              title: the fake target crashes on this stream
              tags: [STRING]
              protocol: 0
              stream: |
                SHORT_BINUNICODE 'crash'
                STOP
            """)
        [crashed] = check_case(crash["crash-it"], faulty)
        assert (crashed.outcome, crashed.message) == ("crash", "the process exited (status 3)")
        assert "crashing on purpose" in crashed.output
    finally:
        faulty.close()


# -- Python 2 ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def python2():
    found = [i for i in targets.find_interpreters() if i.supported and i.version[0] == 2]
    if not found:
        pytest.skip("no Python 2.7 found on PATH or in pyenv")
    target = targets.open_target(targets.parse_target("python:%s:c" % found[0].path)[0])
    yield target
    target.close()


def test_python2_view():
    document = {"type": "list", "items": [
        {"type": "bytes", "value": "61ff"}, {"type": "str", "value": "a\xff"},
        {"type": "global", "module": "__builtin__", "name": "xrange"},
        {"type": "global", "module": "copy_reg", "name": "_reconstructor"},
        {"type": "global", "module": "picklespec.cases.fixtures", "name": "Plain"}]}
    assert python2_view(document)["items"] == [
        {"type": "str", "value": "a\xff"}, {"type": "str", "value": "a\xff"},
        {"type": "global", "module": "builtins", "name": "range"},
        {"type": "global", "module": "copyreg", "name": "_reconstructor"},
        {"type": "global", "module": "picklespec.cases.fixtures", "name": "Plain"}]
    assert document["items"][0]["type"] == "bytes"  # the original is left alone


def test_python2_reads_string_as_its_str(tmp_path, opened, python2):
    cases = read_cases(tmp_path, "accept", LOADS)
    [result] = check_case(cases["string-ascii"], python2, oracle=opened["reference"])
    assert result.outcome == "pass"
    [wrong] = check_case(cases["int-hex-wrong"], python2, oracle=opened["reference"])
    assert wrong.outcome == "fail"  # the view forgives str/bytes, not values
    [latin1] = check_case(cases["string-latin1"], python2, oracle=opened["reference"])
    assert latin1.outcome == "unsupported"  # Python 2 unpicklers take no encoding


def test_python2_dumps_are_readable(tmp_path, opened, python2):
    cases = read_cases(tmp_path, "dump", """\
        - id: bytes-and-bytearray
          title: Python 2 writes bytes as str, and a bytearray with a codec name
          tags: [bytes]
          object: [!bytes 'ab', !bytearray 'cd']
          protocols: [2, 3]
          streams:
            2:
              - producer: pypy-3.9-py
                fails: true
        """)
    got = results(cases["bytes-and-bytearray"], python2, opened["reference"])
    assert got["dump-readable", 2].outcome == "pass", got["dump-readable", 2]
    assert got["dump-bytes", 2].outcome == "skip"  # the case has no streams
    assert got["dump-readable", 3].outcome == "unsupported"


# -- cross --------------------------------------------------------------------------


def test_cross(tmp_path, opened):
    cases = read_cases(tmp_path, "dump", DUMPS)
    case = cases["int-255"]
    producers = [opened["c"], opened["py"]]
    dumps = [(t, t.dump(255, 2)) for t in producers]
    got = cross_check(case, 2, dumps, producers, oracle=opened["reference"])
    # Both wrote the variant's bytes: one row, named by the variant.
    assert sorted((r.target, r.outcome) for r in got) == [
        ("cpython-3.0..3.13-c+py -> %s-c" % HOST, "pass"),
        ("cpython-3.0..3.13-c+py -> %s-py" % HOST, "pass")]
    odd = [(opened["c"], {"ok": True, "data": asm.assemble("PROTO 2\nBININT2 255\nSTOP").hex()})]
    [row] = cross_check(case, 2, odd, [opened["py"]], oracle=opened["reference"])
    assert (row.target, row.outcome) == ("%s-c -> %s-py" % (HOST, HOST), "pass")


def test_cross_from_python2(tmp_path, opened, python2):
    cases = read_cases(tmp_path, "dump", """\
        - id: str-and-bytes
          title: what Python 2 writes is read by Python 3 with encoding latin1
          tags: [bytes]
          object: [!bytes 'ab', "caf\\xe9"]
          protocols: [2]
          streams:
            2:
              - producer: pypy-3.9-py
                fails: true
        """)
    case = cases["str-and-bytes"]
    got = cross_check(case, 2, [(python2, python2.dump([b"ab", u"caf\xe9"], 2))],
                      [opened["c"], python2], oracle=opened["reference"])
    assert sorted((r.target, r.outcome) for r in got) == [
        ("cpython-2.7-c -> cpython-2.7-c", "pass"), ("cpython-2.7-c -> %s-c" % HOST, "pass")]


VARIANT_RESULTS = """\
- id: pid-int-p0
  title: protocol 0 writes an int persistent id as its str(), which loads as a str
  tags: [persistent-id]
  object: !persistent {pid: 42}
  protocols: [0]
  streams:
    0:
      - producer: cpython-3.6..3.13-c+py
        stream: |
          PERSID 42
          STOP
        result: !persistent '42'
- id: pid-newline-p0
  title: an id with a newline is written as two lines that do not load back
  tags: [persistent-id]
  object: !persistent "a\\nb"
  protocols: [0]
  streams:
    0:
      - producer: cpython-3.6..3.13-c+py
        stream: |
          PERSID a
          RAW b'b\\n.'
        loads: false
"""


def test_a_variant_result_is_what_its_stream_is_held_to(tmp_path, opened):
    cases = read_cases(tmp_path, "dump", VARIANT_RESULTS)
    got = results(cases["pid-int-p0"], opened["c"], opened["reference"])
    assert {check: r.outcome for (check, _), r in got.items()} == {
        "load": "pass", "dump-bytes": "pass", "dump-equivalent": "pass", "dump-readable": "pass"}


def test_a_stream_that_does_not_load_back_is_not_judged(tmp_path, opened):
    cases = read_cases(tmp_path, "dump", VARIANT_RESULTS)
    c = results(cases["pid-newline-p0"], opened["c"], opened["reference"])
    assert (c["load", 0].outcome, c["dump-bytes", 0].outcome) == ("skip", "pass")
    assert c["dump-readable", 0].outcome == "skip"
    assert "loads: false" in c["load", 0].message
    # The reference refuses to write it; that is not judged either.
    ref = results(cases["pid-newline-p0"], opened["reference"], opened["reference"])
    assert ref["dump-bytes", 0].outcome == "skip"
    assert ref["dump-bytes", 0].message.startswith("refused, where cpython-3.6..3.13-c+py writes")


# -- several dumps, reducer_override, find_class restrictions ------------------

SEQUENCES = """\
- id: twice
  title: one list dumped twice through one pickler
  tags: [clear-memo]
  object: [&tw [1], *tw]
  options: {sequence: true}
  protocols: [2]
  streams:
    2:
      - producer: cpython-3.8..3.13-c+py
        stream: |
          PROTO 2
          EMPTY_LIST
          BINPUT 0
          BININT1 1
          APPEND
          STOP
          PROTO 2
          BINGET 0
          STOP
"""


def test_a_sequence_dump_loads_back_as_a_sequence(tmp_path, opened):
    case = read_cases(tmp_path, "dump", SEQUENCES)["twice"]
    assert checks.Prepared(case).load_options == {"sequence": "true"}
    for kind in ("c", "py", "reference"):
        got = results(case, opened[kind], opened["reference"])
        assert {r.outcome for r in got.values()} == {"pass"}, [r for r in got.values() if r.outcome != "pass"]


# Cases of the corpus, one per feature and outcome, on this interpreter's targets.
CORPUS_CASES = ["sequence-shared-list-cleared", "reducer-override-plain", "reducer-override-int",
                "find-class-allowed-ext", "find-class-forbidden-behind-memo",
                "find-class-forbidden-ext", "load-sequence-memo-persists"]


def test_the_new_options_reach_every_kind(opened):
    corpus = load_corpus()
    for case_id in CORPUS_CASES:
        case = corpus.by_id(case_id)
        for kind in ("c", "py", "reference"):
            got = results(case, opened[kind], opened["reference"])
            assert got and {r.outcome for r in got.values()} == {"pass"}, (case_id, kind, [
                r for r in got.values() if r.outcome != "pass"])


def test_a_cross_read_of_an_object_with_no_tagged_json_form_is_not_judged(tmp_path, opened):
    """staticmethod(len): CPython loads it and neither it nor the reference can
    describe it as tagged JSON, so there is nothing to compare."""
    import pickle

    cases = read_cases(tmp_path, "dump", """\
        - id: a-list
          title: a list
          tags: [list]
          object: [1]
          protocols: [2]
          streams:
            2:
              - producer: cpython-3.0..3.13-c+py
                stream: |
                  PROTO 2
                  EMPTY_LIST
                  BINPUT 0
                  BININT1 1
                  APPEND
                  STOP
        """)
    data = asm.assemble("PROTO 2\nGLOBAL builtins staticmethod\nGLOBAL builtins len\nTUPLE1\n"
                        "REDUCE\nSTOP")
    assert type(pickle.loads(data)) is staticmethod
    [row] = cross_check(cases["a-list"], 2, [(opened["py"], {"ok": True, "data": data.hex()})],
                        [opened["c"]], oracle=opened["reference"])
    assert row.outcome == "unsupported" and "no tagged-JSON form" in row.message, row.message


def test_object_text_tells_shared_values_from_equal_copies():
    from picklespec.runner.judges.common import object_text

    inner = [1]
    assert object_text([[1], [1]]) == "- [1]\n- [1]\n"
    assert object_text([inner, inner]) == "- &id001 [1]\n- *id001\n"
    assert object_text([[1], [1]]) == "- [1]\n- [1]\n"  # asked again, after the shared one
    assert object_text(1.0) != object_text(1)
    thing = object()
    assert object_text(thing) == repr(thing) + "\n"  # not of the model: shown as it is
