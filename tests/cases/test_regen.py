"""picklespec cases regen, run with the running interpreter's C pickler.

The expected streams come from `pickle.dumps` itself; the tests check how
regen merges them into a file: new variants, ranges that grow, wrong
streams replaced, everything else of the file kept byte for byte.
"""

import pickle
import sys

import pytest

from picklespec.cases import corpus, regen

MAJOR, MINOR = sys.version_info[:2]
PRODUCER = "cpython-%d.%d-c" % (MAJOR, MINOR)
EARLIER = "cpython-3.8..%d.%d-c" % (MAJOR, MINOR - 1)


def stream_text(obj, protocol):
    from picklespec.reference.asm import disassemble

    return disassemble(pickle.dumps(obj, protocol))


def indented(text, pad="            "):
    return "".join(pad + line + "\n" for line in text.splitlines())


def case_file():
    return """\
# a comment that stays
cases:
  - id: regen-new
    title: a case with no streams yet
    tags: [int]
    object: 256
    protocols: [1, 2]

  # a comment between cases
  - id: regen-extend
    title: a case whose bytes an earlier range already has
    tags: [list]
    object: [1]
    protocols: [2]
    streams:
      2:
        - producer: %(earlier)s
          stream: |
%(list2)s          note: kept
        - producer: cpython-2.7-c
          stream: |
            PROTO 2
            STOP

  - id: regen-wrong
    title: a case whose recorded stream is wrong
    tags: [int]
    object: 7
    protocols: [2]
    streams:
      2:
        - producer: %(producer)s
          stream: |
            PROTO 2
            BININT1 8
            STOP
""" % {"earlier": EARLIER, "producer": PRODUCER, "list2": indented(stream_text([1], 2))}


@pytest.fixture
def dump_file(tmp_path):
    path = tmp_path / "dump" / "regen.yaml"
    path.parent.mkdir()
    path.write_text(case_file(), encoding="utf-8")
    return path


def run(path, capsys, write=True):
    argv = ["--python", sys.executable, "--kind", "c", str(path)]
    status = regen.main(argv + (["--write"] if write else []))
    return status, capsys.readouterr()


def test_regen_writes_merges_and_replaces(dump_file, capsys):
    status, out = run(dump_file, capsys)
    assert status == 0, out.err
    read = corpus.load_corpus([dump_file.parent])
    assert read.problems == []
    new = read.by_id("regen-new")
    for protocol in (1, 2):
        (variant,) = new.streams[protocol]
        assert variant.producer_text == PRODUCER
        assert variant.stream == pickle.dumps(256, protocol)
    extended = read.by_id("regen-extend")
    first, second = extended.streams[2]
    assert first.producer_text == "cpython-3.8..%d.%d-c" % (MAJOR, MINOR)
    assert first.note == "kept"
    assert second.producer_text == "cpython-2.7-c"
    (fixed,) = read.by_id("regen-wrong").streams[2]
    assert fixed.stream == pickle.dumps(7, 2)
    assert "-BININT1 8" in out.out and "+BININT1 7" in out.out
    text = dump_file.read_text()
    assert text.startswith("# a comment that stays\ncases:\n")
    assert "\n  # a comment between cases\n" in text


def test_regen_twice_changes_nothing(dump_file, capsys):
    run(dump_file, capsys)
    before = dump_file.read_text()
    status, out = run(dump_file, capsys, write=False)
    assert status == 0
    assert out.out == ""
    assert "0 differ" in out.err
    assert dump_file.read_text() == before


def test_regen_without_write_reports_and_keeps_the_file(dump_file, capsys):
    before = dump_file.read_text()
    status, out = run(dump_file, capsys, write=False)
    assert status == 1
    assert "+++ %s" % PRODUCER in out.out
    assert dump_file.read_text() == before


# -- scanner ground truth: finds, calls, scan-variants --------------------------
#
# The expectations below are written by hand from the streams (what
# find_class is asked, what is called), not taken from a recording.

from picklespec.cases import dangerous  # noqa: E402
from picklespec.process import Adapter  # noqa: E402

LOAD_CASES = """\
cases:
  - id: scan-getattr-chain
    title: getattr(str, "upper") then a call of its result
    tags: [reduce]
    protocol: 2
    stream: |
      PROTO 2
      GLOBAL builtins getattr
      GLOBAL builtins str
      BINUNICODE 'upper'
      TUPLE2
      REDUCE
      BINUNICODE 'abc'
      TUPLE1
      REDUCE
      STOP
    failure: stack

  - id: scan-memo-alias
    title: a callable memoized, a harmless call, then the memo's callable called
    tags: [reduce, dangerous]
    protocol: 4
    load-options: {allow_globals: ['builtins:len']}
    stream: |
      PROTO 4
      GLOBAL os system
      MEMOIZE
      POP
      GLOBAL builtins len
      SHORT_BINUNICODE 'ab'
      TUPLE1
      REDUCE
      POP
      BINGET 0
      EMPTY_TUPLE
      REDUCE
      STOP
    failure: forbidden

  - id: scan-ext-newobj-inst
    title: EXT1 of a registered code called, NEWOBJ and an INST without arguments
    tags: [extension]
    protocol: 2
    stream: |
      PROTO 2
      EXT1 240
      EMPTY_TUPLE
      REDUCE
      GLOBAL picklespec.cases.fixtures Plain
      EMPTY_TUPLE
      NEWOBJ
      MARK
      INST picklespec.cases.fixtures Empty
      TUPLE3
      STOP
    failure: stack

  - id: scan-none
    title: no global at all
    tags: [int]
    protocol: 0
    stream: |
      INT 1
      STOP
    failure: stack

  - id: scan-name-without-newline
    title: GLOBAL whose name line is cut short by the end of the input
    tags: [truncated]
    protocol: 0
    hex: "636275696c74696e730a"
    failure: truncated
"""

HAND = {
    "scan-getattr-chain": (["builtins:getattr", "builtins:str"], ["builtins:getattr"]),
    "scan-memo-alias": (["os:system", "builtins:len"], ["builtins:len", "os:system"]),
    "scan-ext-newobj-inst": (["picklespec.cases.fixtures:Extension1",
                              "picklespec.cases.fixtures:Plain",
                              "picklespec.cases.fixtures:Empty"],
                             ["picklespec.cases.fixtures:Extension1",
                              "picklespec.cases.fixtures:Plain",
                              "picklespec.cases.fixtures:Empty"]),
    "scan-none": ([], []),
    # _pickle asks nothing (no newline ends the name); pickle.py asks for "builtins:"
    "scan-name-without-newline": ([], []),
}


def record_file(path, kind, authority=PRODUCER, write=True):
    import io

    out = io.StringIO()
    with Adapter(regen.worker_command(sys.executable, kind), timeout=30) as adapter:
        recorder = regen.Recorder(adapter, write=write, out=out, authority=authority)
        recorder.hello()
        recorder.run_file(str(path))
    return recorder, out.getvalue()


@pytest.fixture
def load_file(tmp_path):
    path = tmp_path / "reject" / "scan.yaml"
    path.parent.mkdir()
    path.write_text(LOAD_CASES, encoding="utf-8")
    return path


def test_recording_writes_the_hand_checked_globals(load_file):
    before = corpus.load_corpus([load_file.parent])
    assert all(case.finds is None and case.calls is None for case in before.cases)
    recorder, out = record_file(load_file, "c")
    assert recorder.counts["changed"] == len(HAND) and recorder.counts["errors"] == 0, out
    read = corpus.load_corpus([load_file.parent])
    assert read.problems == []
    for case_id, (finds, calls) in HAND.items():
        case = read.by_id(case_id)
        assert (case.finds, case.calls) == (finds, calls), case_id
    text = load_file.read_text()
    assert "    finds: []\n    calls: []\n" in text  # explicit, not left out
    again, out = record_file(load_file, "c")
    assert again.counts["changed"] == 0, out
    assert load_file.read_text() == text


def test_another_unpickler_that_differs_gets_a_scan_variant(load_file):
    record_file(load_file, "c")
    recorder, out = record_file(load_file, "py")
    assert recorder.counts["changed"] == 1, out
    case = corpus.load_corpus([load_file.parent]).by_id("scan-name-without-newline")
    (variant,) = case.scan_variants
    assert variant.producer_text == "cpython-%d.%d-py" % (MAJOR, MINOR)
    assert (variant.finds, variant.calls) == (["builtins:"], [])
    assert case.scan_for("cpython-%d.%d-py" % (MAJOR, MINOR)) == (["builtins:"], [])
    assert case.scan_for(PRODUCER) == ([], [])
    assert '        finds: ["builtins:"]\n' in load_file.read_text()


def test_only_the_authority_records_a_case_first(load_file):
    recorder, out = record_file(load_file, "py", write=False)
    assert recorder.counts["errors"] == len(HAND)
    assert "not recorded by %s yet" % PRODUCER in out


# -- the linter's rules ------------------------------------------------------


def problems_of(tmp_path, text, folder="reject"):
    path = tmp_path / folder / "case.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text("cases:\n" + text, encoding="utf-8")
    return [(p.field, p.message) for p in corpus.check([path.parent])]


CASE = """\
  - id: lint-case
    title: a case
    tags: [%(tags)s]
    protocol: 0
%(extra)s    stream: |
      GLOBAL %(name)s
      EMPTY_TUPLE
      REDUCE
      STOP
    failure: forbidden
"""


def lint(tmp_path, name="builtins len", tags="reduce", extra=""):
    return problems_of(tmp_path, CASE % {"name": name, "tags": tags, "extra": extra})


def test_finds_and_calls_go_together(tmp_path):
    assert lint(tmp_path, extra="    finds: [builtins:len]\n    calls: [builtins:len]\n") == []
    (problem,) = lint(tmp_path, extra="    finds: [builtins:len]\n")
    assert problem[0] == "finds" and "together" in problem[1]


def test_calls_are_globals_found(tmp_path):
    (problem,) = lint(tmp_path, extra="    finds: []\n    calls: [builtins:len]\n")
    assert "calls names builtins:len, which finds does not" in problem[1]


def test_finds_is_a_list_of_module_name(tmp_path):
    (problem,) = lint(tmp_path, extra="    finds: [len]\n    calls: []\n")
    assert "module:name" in problem[1]


def test_scan_variants_need_the_own_record_and_not_the_authority(tmp_path):
    variant = ("    scan-variants:\n      - producer: %s\n        finds: []\n"
               "        calls: []\n")
    (problem,) = lint(tmp_path, extra=variant % "cpython-2.7-c")
    assert "not recorded" in problem[1]
    own = "    finds: [builtins:len]\n    calls: [builtins:len]\n"
    assert lint(tmp_path, extra=own + variant % "cpython-2.7-c") == []
    (problem,) = lint(tmp_path, extra=own + variant % corpus.SCAN_AUTHORITY)
    assert "authority" in problem[1]


def test_a_stream_naming_a_dangerous_global_must_be_tagged_and_restricted(tmp_path):
    problems = lint(tmp_path, name="os system")
    assert ("tags", "the stream resolves os:system: a dangerous case is tagged dangerous "
            "(cases/README.md, Dangerous cases)") in problems
    assert any(field == "load-options" for field, _ in problems)
    (problem,) = lint(tmp_path, name="os system", tags="reduce, dangerous")
    assert problem[0] == "load-options" and "allow_globals" in problem[1]
    restricted = "    load-options: {allow_globals: ['builtins:len']}\n"
    assert lint(tmp_path, name="os system", tags="reduce, dangerous", extra=restricted) == []
    (problem,) = lint(tmp_path, name="os system", tags="reduce, dangerous",
                      extra="    load-options: {allow_globals: ['os:system']}\n")
    assert "lists the dangerous os:system" in problem[1]


def test_recorded_finds_decide_what_a_stream_resolves(tmp_path):
    # a name computed at load time, spelled nowhere: the record says it
    recorded = "    finds: [builtins:getattr.__self__.eval]\n    calls: []\n"
    problems = lint(tmp_path, extra=recorded)
    assert any(field == "tags" and "getattr.__self__.eval" in message
               for field, message in problems)
    # decoy strings that name os, which the record shows are never resolved
    decoy = CASE.replace("GLOBAL %(name)s", "UNICODE os\n      POP\n      GLOBAL %(name)s")
    text = decoy % {"name": "builtins len", "tags": "reduce",
                    "extra": "    finds: [builtins:len]\n    calls: [builtins:len]\n"}
    assert problems_of(tmp_path, text) == []
    unrecorded = decoy % {"name": "builtins len", "tags": "reduce", "extra": ""}
    assert any(field == "tags" for field, _ in problems_of(tmp_path, unrecorded))


def test_a_dump_case_is_never_dangerous(tmp_path):
    text = """\
  - id: lint-dump
    title: a dump case
    tags: [int, dangerous]
    object: 1
    streams:
      0:
        - producer: cpython-3.13-c
          stream: |
            INT 1
            STOP
"""
    (problem,) = problems_of(tmp_path, text, folder="dump")
    assert problem[0] == "tags" and "never dangerous" in problem[1]


# -- the committed corpus ----------------------------------------------------


def test_every_load_case_is_recorded():
    read = corpus.load_corpus()
    assert read.problems == []
    unrecorded = [c.id for c in read.cases if c.classification != "dump" and c.finds is None]
    assert unrecorded == []


def _record_all(cases, kind):
    with Adapter(regen.worker_command(sys.executable, kind), timeout=30) as adapter:
        recorder = regen.Recorder(adapter)
        recorder.hello()
        return {case.id: recorder.record(case) for case in cases}


def test_the_recorded_globals_are_what_this_cpython_asks():
    """Every load case's record, for this interpreter's C unpickler, is what
    it asks find_class for now (the corpus is recorded with 3.6 to 3.13)."""
    cases = [c for c in corpus.load_corpus().cases if c.classification != "dump"]
    answers = _record_all(cases, "c")
    stale = ["%s: recorded %r, asks %r" % (case.id, case.scan_for(PRODUCER),
                                            (answers[case.id]["finds"], answers[case.id]["calls"]))
             for case in cases
             if case.scan_for(PRODUCER) != (answers[case.id]["finds"], answers[case.id]["calls"])]
    assert stale == []


@pytest.mark.parametrize("kind", ["c", "py"])
def test_dangerous_cases_call_executors_and_computed_callables_without_arguments(kind):
    cases = [c for c in corpus.load_corpus().cases if "dangerous" in c.tags]
    assert len(cases) >= 15
    answers = _record_all(cases, kind)
    argued = []
    for case in cases:
        for event in answers[case.id]["events"]:
            label = event["call"]
            executor = label is None or dangerous.is_executor(*label.split(":", 1))
            if executor and event["args"]:
                argued.append((case.id, label, event["args"]))
    assert argued == []
    # and every one resolves or spells a dangerous global
    for case in cases:
        assert any(dangerous.is_dangerous(*g.split(":", 1)) for g in case.finds) \
            or corpus.spelled_dangerous(case.data), case.id


def test_a_dump_case_never_names_a_dangerous_global(tmp_path):
    text = """\
  - id: lint-dump-call
    title: a dump case calling os.system
    tags: [reduce]
    object: !object {callable: !global os:system, args: !tuple []}
"""
    problems = problems_of(tmp_path, text, folder="dump")
    assert [p for p in problems if p[0] == "object"] == [
        ("object", "a dump case never names a dangerous global (os:system): real "
                   "interpreters build its object and load its streams")]


def test_regen_records_the_exception_class(tmp_path, capsys):
    path = tmp_path / "dump" / "fails.yaml"
    path.parent.mkdir()
    path.write_text("""\
cases:
  - id: regen-generator
    title: a generator cannot be pickled
    tags: [unpicklable]
    object: !global picklespec.cases.fixtures:GENERATOR
    protocols: [2]
    streams:
      2:
        - producer: %s
          fails: true
          raises: PicklingError
""" % PRODUCER, encoding="utf-8")
    status, out = run(path, capsys)
    assert status == 0
    [(case, _)] = corpus.read_file(str(path)).cases
    [variant] = case.streams[2]
    assert variant.fails and variant.raises == "TypeError"  # what _pickle raises, not the file's
    assert "-fails: true raises PicklingError" in out.out
    status, out = run(path, capsys)
    assert "1 streams as recorded, 0 differ" in out.err
