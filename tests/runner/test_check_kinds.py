"""Target profiles and the check kinds parse, scan, transform and producer dump,
judged on small fake targets (tests/runner/fake_targets/profiled.py) whose every
answer is known: honest ones, liars, and ones that declare nothing, crash or hang.

Expected outcomes come from what pickletools and pickle themselves do with the
streams (the fakes call them), never from the runner.
"""

import os
import sys
import textwrap

import pytest

from picklespec.cases.corpus import load_corpus
from picklespec.runner import run as run_module
from picklespec.runner import targets
from picklespec.runner.checks import check_case
from picklespec.runner.profile import ProfileError, read_profile

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_targets", "profiled.py")
HOST = "%d.%d" % sys.version_info[:2]

ACCEPT = """\
- id: k-int
  title: BININT1
  tags: [BININT1]
  protocol: 2
  stream: |
    PROTO 2
    BININT1 5
    STOP
  result: 5
- id: k-leftover
  title: a value left on the stack at STOP
  tags: [STOP]
  protocol: 2
  stream: |
    PROTO 2
    BININT1 1
    BININT1 2
    STOP
  result: 2
- id: k-global
  title: GLOBAL
  tags: [GLOBAL]
  protocol: 0
  stream: |
    GLOBAL builtins len
    STOP
  result: !global builtins:len
- id: k-reduce
  title: REDUCE calls what GLOBAL found
  tags: [REDUCE]
  protocol: 2
  stream: |
    PROTO 2
    GLOBAL builtins len
    SHORT_BINSTRING b'ab'
    TUPLE1
    REDUCE
    STOP
  result: 2
- id: k-stack-global
  title: STACK_GLOBAL
  tags: [STACK_GLOBAL]
  protocol: 4
  stream: |
    PROTO 4
    SHORT_BINUNICODE 'builtins'
    SHORT_BINUNICODE 'len'
    STACK_GLOBAL
    STOP
  result: !global builtins:len
- id: k-tuple
  title: a tuple
  tags: [TUPLE2]
  protocol: 2
  stream: |
    PROTO 2
    BININT1 1
    BININT1 2
    TUPLE2
    STOP
  result: !tuple [1, 2]
"""

REJECT = """\
- id: k-os-system
  title: GLOBAL names os.system (found, never called; refused by allow_globals)
  tags: [GLOBAL, dangerous]
  protocol: 0
  stream: |
    GLOBAL os system
    STOP
  load-options: {allow_globals: []}
  failure: forbidden
- id: k-truncated
  title: BININT1 without its byte
  tags: [BININT1]
  protocol: 1
  hex: "4b"
  failure: truncated
- id: k-stack
  title: APPEND on an empty stack
  tags: [APPEND]
  protocol: 2
  hex: "8002612e"
  failure: stack
- id: reject-type-k-append-to-none
  title: APPEND to None (an operand of the wrong type)
  tags: [APPEND, NONE]
  protocol: 0
  stream: |
    NONE
    NONE
    APPEND
    STOP
  failure: stack
- id: k-cut-after-os-system
  title: GLOBAL os system, then a BININT1 cut short
  tags: [GLOBAL, BININT1, dangerous]
  protocol: 1
  hex: "636f730a73797374656d0a4b"
  load-options: {allow_globals: []}
  failure: truncated
  finds: [os:system]
  calls: []
- id: k-cut-int
  title: PROTO 2, then a BININT1 cut short
  tags: [BININT1]
  protocol: 2
  hex: "80024b"
  failure: truncated
  finds: []
  calls: []
- id: k-py2-str-not-ascii
  title: a Python 2 str that does not decode as ASCII, the default encoding
  tags: [encoding, bad-argument, SHORT_BINSTRING]
  protocol: 2
  hex: "80025501e92e"
  failure: bad-argument
- id: k-limit
  title: a memo index no unpickler can hold
  tags: [LONG_BINGET]
  protocol: 1
  hex: "6affffffff2e"
  failure: limit
"""

DUMP = """\
- id: k-list
  title: a list of two ints
  tags: [list]
  object: [1, 2]
  protocols: [2]
  streams:
    2:
      - producer: cpython-3.0..3.13-c
        stream: |
          PROTO 2
          EMPTY_LIST
          BINPUT 0
          MARK
            BININT1 1
            BININT1 2
          APPENDS
          STOP
- id: k-no-cpython-pickles-it
  title: an object recorded as one every CPython refuses to pickle (a list here, which the fake writes)
  tags: [unpicklable, list]
  object: [3, 4]
  protocols: [2]
  streams:
    2:
      - producer: cpython-3.0..3.13-c+py
        fails: true
        raises: PicklingError
"""


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    for folder, text in (("accept", ACCEPT), ("reject", REJECT), ("dump", DUMP)):
        (root / folder).mkdir()
        (root / folder / "k.yaml").write_text("cases:\n" + textwrap.indent(text, "  "))
    corpus = load_corpus([str(root / f) for f in ("accept", "reject", "dump")])
    assert not corpus.problems, [str(p) for p in corpus.problems]
    return {case.id: case for case in corpus.cases}


def fake(mode, *args):
    spec = targets.parse_target("cmd:%s %s %s %s" % (sys.executable, FAKE, mode, " ".join(args)))[0]
    return targets.open_target(spec, timeout=3)


@pytest.fixture(scope="module")
def reference():
    target = targets.open_target(targets.parse_target("reference")[0])
    yield target
    target.close()


def outcomes(case, target, oracle=None):
    return {(r.check, r.protocol): r for r in check_case(case, target, oracle=oracle)}


# -- profiles -------------------------------------------------------------------------


@pytest.mark.parametrize("mode, message", [
    ("no-checks", "hello lacks 'checks'"),
    ("no-checks", "hello lacks 'model'"),
    ("no-protocols", "hello 'load_protocols' is empty"),
])
def test_a_hello_without_a_usable_profile_is_a_usage_error(mode, message):
    with pytest.raises(targets.UsageError, match="target cmd:.*%s" % message):
        fake(mode)


@pytest.mark.parametrize("hello, message", [
    ({"checks": ["load", "frob"]}, "'checks' has unknown 'frob'"),
    ({"opcodes": ["BININT1", "NOPE"]}, "'opcodes' has unknown 'NOPE'"),
    ({"model": ["no-tuple", "floats-only"]}, "'model' has unknown 'floats-only'"),
    ({"load_protocols": [0, 6]}, "list of protocols 0-5"),
    ({"opcodes": []}, "'opcodes' is empty"),
    ({"clean_exceptions": None}, "hello lacks 'clean_exceptions'"),
    ({"checks": ["dump"], "readable_by": ["three"]}, "write CPython versions as X.Y"),
    ({"scan_reports": "some"}, "'scan_reports' must be one of all, unsafe"),
])
def test_profile_errors_name_the_field(hello, message):
    base = {"ok": True, "name": "x", "implementation": "x", "version": "1", "kind": "x",
            "checks": ["load"], "load_protocols": [2], "dump_protocols": [2], "opcodes": "all",
            "model": [], "clean_exceptions": ["Error"]}
    base.update(hello)
    base = {k: v for k, v in base.items() if v is not None}
    with pytest.raises(ProfileError, match=message):
        read_profile(base)


def test_undeclared_opcodes_are_unsupported_never_failures(cases):
    target = fake("few-opcodes")
    try:
        assert outcomes(cases["k-int"], target)["load", None].outcome == "pass"
        tuple_cell = outcomes(cases["k-tuple"], target)["load", None]
        assert tuple_cell.outcome == "unsupported"
        assert tuple_cell.message == "fake-few-opcodes does not declare the opcode TUPLE2"
        # A truncated BININT1 names no opcode but BININT1 itself: still judged.
        assert outcomes(cases["k-truncated"], target)["reject", None].outcome == "pass"
    finally:
        target.close()


def test_the_runner_judges_clean_from_clean_exceptions(cases):
    target = fake("unclean")
    try:
        # The adapter says "clean": true; its profile does not name Oops, and the runner decides.
        cell = outcomes(cases["k-truncated"], target)["reject", None]
        assert cell.outcome == "unclean" and cell.message == "unclean rejection: Oops: no"
    finally:
        target.close()


def test_projections_apply_before_comparison(cases):
    lists = fake("tuples-as-lists")
    declared = fake("tuples-as-lists", "--no-tuple")
    try:
        assert outcomes(cases["k-tuple"], lists)["load", None].outcome == "fail"
        cell = outcomes(cases["k-tuple"], declared)["load", None]
        assert cell.outcome == "pass" and cell.projection == "no-tuple"
        assert cell.message == "equal under projection no-tuple"
        # A cell that needs no projection says none.
        assert outcomes(cases["k-int"], declared)["load", None].projection is None
    finally:
        lists.close()
        declared.close()


# -- parse ----------------------------------------------------------------------------


def test_parse(cases):
    honest, liar = fake("parser"), fake("parser-accepts-all")
    try:
        assert outcomes(cases["k-int"], honest)["parse", None].outcome == "pass"
        # pickletools.dis refuses a stack left non-empty at STOP, which
        # pickle accepts (gh-127079): a real divergence of the parser.
        leftover = outcomes(cases["k-leftover"], honest)["parse", None]
        assert leftover.outcome == "fail" and leftover.message.startswith("refused a well-formed stream")
        assert outcomes(cases["k-truncated"], honest)["parse", None].outcome == "pass"
        assert outcomes(cases["k-truncated"], liar)["parse", None].outcome == "fail"
        limit = outcomes(cases["k-limit"], liar)["parse", None]
        assert limit.outcome == "skip" and "not a fault of form (failure: limit)" in limit.message
        assert outcomes(cases["k-list"], honest)["parse", 2].outcome == "pass"
        assert ("load", None) not in outcomes(cases["k-int"], honest)  # a parser is not loaded
    finally:
        honest.close()
        liar.close()


def test_a_parser_is_judged_on_the_faults_it_declares(cases):
    dis, genops = fake("parser"), fake("genops")
    try:
        # pickletools.dis keeps a stack and refuses the underflow; genops keeps
        # none, says so in parse_faults, and is not asked.
        assert outcomes(cases["k-stack"], dis)["parse", None].outcome == "pass"
        cell = outcomes(cases["k-stack"], genops)["parse", None]
        assert cell.outcome == "unsupported"
        assert cell.message == ("fake-genops does not check faults of kind stack (its parse_faults: "
                                "bad-argument, truncated, unknown-opcode)")
        assert outcomes(cases["k-truncated"], genops)["parse", None].outcome == "pass"
        # An operand of the wrong type is no fault of form: no parser is asked.
        typed = outcomes(cases["reject-type-k-append-to-none"], dis)["parse", None]
        assert typed.outcome == "skip" and "(failure: type)" in typed.message
    finally:
        dis.close()
        genops.close()


@pytest.mark.parametrize("hello, message", [
    ({"parse_faults": ["stack", "shape"]}, "'parse_faults' has unknown 'shape'"),
    ({"allowed_globals": ["os.system"]}, "write each as MODULE:NAME"),
    ({"checks": ["parse"], "policy_exceptions": ["Unsafe"]}, "apply to loads"),
])
def test_policy_and_fault_fields_are_checked(hello, message):
    base = {"ok": True, "name": "x", "implementation": "x", "version": "1", "kind": "x",
            "checks": ["load", "parse"], "load_protocols": [2], "opcodes": "all",
            "model": [], "clean_exceptions": ["Error"]}
    base.update(hello)
    with pytest.raises(ProfileError, match=message):
        read_profile(base)


# -- loaders with a safety policy ------------------------------------------------------


def test_a_declared_policy_refusal_is_coverage_unless_the_stream_imports_nothing(cases):
    target = fake("policy")
    try:
        cell = outcomes(cases["k-reduce"], target)["load", None]
        assert cell.outcome == "unsupported"
        assert cell.message == "refused by fake-policy's policy (Unsafe): the stream imports builtins:len"
        # Refusing plain data is no policy: a false positive, a failure.
        plain = outcomes(cases["k-int"], target)["load", None]
        assert plain.outcome == "fail" and plain.message == "rejected: Unsafe: no"
        # A malformed stream refused by policy is a clean rejection.
        assert outcomes(cases["k-truncated"], target)["reject", None].outcome == "pass"
    finally:
        target.close()


def test_a_stream_needing_a_global_outside_allowed_globals_is_not_asked(cases):
    allowed, other = fake("allowlist", "--allow", "builtins:len"), fake("allowlist", "--allow", "os:getcwd")
    try:
        assert outcomes(cases["k-reduce"], allowed)["load", None].outcome == "pass"
        cell = outcomes(cases["k-reduce"], other)["load", None]
        assert cell.outcome == "unsupported"
        assert cell.message == "fake-allowlist imports only its allowed_globals, and the stream needs builtins:len"
        assert outcomes(cases["k-int"], other)["load", None].outcome == "pass"
    finally:
        allowed.close()
        other.close()


def test_a_loader_without_the_encoding_option_is_not_asked_to_refuse_by_it(cases):
    target = fake("tuples-as-lists")  # load_options: none
    try:
        cell = outcomes(cases["k-py2-str-not-ascii"], target)["reject", None]
        assert cell.outcome == "unsupported"
        assert "takes no encoding option" in cell.message
    finally:
        target.close()


# -- scan ------------------------------------------------------------------------------


def test_a_scanner_may_refuse_a_malformed_stream_unless_cpython_imported_first(cases):
    target = fake("scanner-refuses")
    try:
        cell = outcomes(cases["k-cut-int"], target)["scan", None]
        assert cell.outcome == "pass" and cell.message.startswith("refused a malformed stream")
        missed = outcomes(cases["k-cut-after-os-system"], target)["scan", None]
        assert missed.outcome == "fail" and missed.missed == ["os:system"]
        assert "without reporting os:system" in missed.message
        # A stream CPython loads, refused: a failure.
        assert outcomes(cases["k-int"], target)["scan", None].outcome == "fail"
    finally:
        target.close()


def test_more_than_cpython_imports_from_a_malformed_stream_is_caution(cases):
    paranoid = fake("scanner-paranoid")  # finds os:system everywhere
    try:
        assert outcomes(cases["k-cut-int"], paranoid)["scan", None].outcome == "pass"
        assert outcomes(cases["k-int"], paranoid)["scan", None].outcome == "fail"  # it loads
    finally:
        paranoid.close()

# -- scan ------------------------------------------------------------------------------


def test_scan(cases):
    honest, blind, paranoid = fake("scanner"), fake("scanner-blind"), fake("scanner-paranoid")
    try:
        for case_id in ("k-global", "k-reduce", "k-stack-global", "k-int"):
            assert outcomes(cases[case_id], honest)["scan", None].outcome == "pass", case_id
        missed = outcomes(cases["k-stack-global"], blind)["scan", None]
        assert missed.outcome == "fail" and missed.missed == ["builtins:len"]
        assert missed.message == "missed builtins:len"
        alarm = outcomes(cases["k-int"], paranoid)["scan", None]
        assert alarm.outcome == "fail" and alarm.false_alarms == ["os:system"]
        # A stream with no recorded truth that does not load has none: a skip.
        assert outcomes(cases["k-truncated"], honest)["scan", None].outcome == "skip"
    finally:
        for target in (honest, blind, paranoid):
            target.close()


def test_a_scanner_of_unsafe_globals_need_not_report_safe_ones(cases):
    unsafe, blind = fake("scanner-unsafe"), fake("scanner-unsafe-blind")
    try:
        assert outcomes(cases["k-global"], unsafe)["scan", None].outcome == "pass"  # builtins:len
        assert outcomes(cases["k-global"], blind)["scan", None].outcome == "pass"
        assert outcomes(cases["k-os-system"], unsafe)["scan", None].outcome == "pass"
        missed = outcomes(cases["k-os-system"], blind)["scan", None]
        assert missed.outcome == "fail" and missed.missed == ["os:system"]
    finally:
        unsafe.close()
        blind.close()


def test_scan_ground_truth_records_calls_without_running_them():
    from picklespec.cases.recording import record

    # os.system is found and called by the stream; the stand-in runs nothing.
    truth = record(b"\x80\x02cos\nsystem\nU\x0cexit 1; boomq\x00\x85R.")
    assert truth.finds == ["os:system"] and truth.calls == ["os:system"]


# -- transform -------------------------------------------------------------------------


def test_transform(cases, reference):
    optimizer, liar = fake("optimizer"), fake("transform-constant")
    try:
        assert outcomes(cases["k-tuple"], optimizer, reference)["transform", None].outcome == "pass"
        assert outcomes(cases["k-list"], optimizer, reference)["transform", 2].outcome == "pass"
        wrong = outcomes(cases["k-tuple"], liar, reference)["transform", None]
        assert wrong.outcome == "fail" and wrong.message == "the output loads to a different object"
        # A malformed stream must not come out as one that loads.
        laundered = outcomes(cases["k-truncated"], liar, reference)["transform", None]
        assert laundered.outcome == "fail"
        assert laundered.message == "a malformed stream came out as one that loads"
        # pickletools.optimize refuses the truncated stream: a pass.
        assert outcomes(cases["k-truncated"], optimizer, reference)["transform", None].outcome == "pass"
    finally:
        optimizer.close()
        liar.close()


# -- producers that are not CPython ------------------------------------------------------


def test_producer_dump(cases):
    same, text, wrong = (fake("producer", "--readable-by", HOST), fake("producer-text", "--readable-by", HOST),
                         fake("producer-wrong", "--readable-by", HOST))
    try:
        identical = outcomes(cases["k-list"], same)["dump", 2]
        assert identical.outcome == "pass" and identical.message.startswith("identical to cpython-")
        readable = outcomes(cases["k-list"], text)["dump", 2]
        assert readable.outcome == "pass", readable.message
        assert readable.message == "read back to the object by cpython-%s (isolated)" % HOST
        bad = outcomes(cases["k-list"], wrong)["dump", 2]
        assert bad.outcome == "fail" and "reads a different object" in bad.message
        assert ("dump-bytes", 2) not in outcomes(cases["k-list"], same)  # one cascade, not three checks
    finally:
        for target in (same, text, wrong):
            target.close()


def test_what_a_producer_writes_for_an_object_no_cpython_pickles_is_not_judged(cases):
    wrong = fake("producer-wrong", "--readable-by", HOST)  # writes the int 2 for anything
    try:
        cell = outcomes(cases["k-no-cpython-pickles-it"], wrong)["dump", 2]
        assert cell.outcome == "unsupported" and "no CPython pickles this object" in cell.message
        assert outcomes(cases["k-list"], wrong)["dump", 2].outcome == "fail"  # elsewhere it is
    finally:
        wrong.close()


def test_producer_reader_missing_is_a_skip(cases):
    target = fake("producer-text", "--readable-by", "1.0")
    try:
        cell = outcomes(cases["k-list"], target)["dump", 2]
        assert cell.outcome == "skip" and "cpython-1.0 is not on this machine" in cell.message
    finally:
        target.close()


# -- adapters that break -----------------------------------------------------------------


@pytest.mark.parametrize("mode, outcome", [("crash", "crash"), ("hang", "timeout")])
@pytest.mark.parametrize("check", ["load", "parse"])
def test_crash_and_hang(cases, mode, outcome, check):
    spec = targets.parse_target("cmd:%s %s %s%s" % (sys.executable, FAKE, mode,
                                                    " --as-parser" if check == "parse" else ""))[0]
    target = targets.open_target(spec, timeout=1)
    try:
        cell = outcomes(cases["k-int"], target)[check, None]
        assert cell.outcome == outcome
    finally:
        target.close()


# -- the run ------------------------------------------------------------------------------


def test_a_target_judged_on_no_cell_never_passes(cases, tmp_path, capsys):
    corpus = os.path.dirname(cases["k-tuple"].file)
    status = run_module.main(["--corpus", corpus, "-q", "--no-cross", "--report-dir", str(tmp_path / "r"),
                              "--case", "k-tuple",
                              "--target", "cmd:%s %s few-opcodes" % (sys.executable, FAKE)])
    err = capsys.readouterr().err
    assert status == 2
    assert "fake-few-opcodes: judged on 0 cells: its profile makes every cell unsupported" in err


def test_findings_group_failures(cases, tmp_path, capsys):
    corpus = os.path.dirname(cases["k-tuple"].file)
    report = tmp_path / "r"
    status = run_module.main(["--corpus", corpus, "-q", "--no-cross", "--report-dir", str(report),
                              "--target", "cmd:%s %s tuples-as-lists" % (sys.executable, FAKE)])
    assert status == 1
    text = (report / "findings.md").read_text()
    assert "## fake-tuples-as-lists" in text
    assert "load TUPLE2: fail: loaded a different object" in text
    assert "stream (hex): `80024b014b02862e`" in text


def test_a_run_with_a_hello_lacking_the_profile_is_a_usage_error(cases, tmp_path, capsys):
    corpus = os.path.dirname(cases["k-tuple"].file)
    status = run_module.main(["--corpus", corpus, "-q", "--report-dir", str(tmp_path / "r"),
                              "--target", "cmd:%s %s no-checks" % (sys.executable, FAKE)])
    err = capsys.readouterr().err
    assert status == 2 and "hello lacks 'checks'" in err
    assert not (tmp_path / "r").exists()  # nothing ran, no report


def test_projected_passes_are_listed_in_findings(cases, tmp_path, capsys):
    corpus = os.path.dirname(cases["k-tuple"].file)
    report = tmp_path / "r"
    run_module.main(["--corpus", corpus, "-q", "--no-cross", "--report-dir", str(report), "--case", "k-*",
                     "--target", "cmd:%s %s tuples-as-lists --no-tuple" % (sys.executable, FAKE)])
    assert "| fake-tuples-as-lists | no-tuple | 1 |" in (report / "findings.md").read_text()


def test_readers_run_isolated_from_site_packages():
    import subprocess

    argv = list(targets.reader_spec(HOST).argv)
    assert argv[1:4] == ["-I", "-S", "-B"]
    probe = argv[:4] + ["-c", "import sys; print([p for p in sys.path if 'site-packages' in p])"]
    assert subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip() == "[]"


def test_a_scanner_is_held_to_the_globals_every_cpython_imports_from_a_malformed_stream():
    """The corpus's own reject case: 2.7 refuses its PROTO 4 before any
    global (its scan variant records nothing), so a scanner that reports
    nothing of it is not faulted."""
    from picklespec.runner.judges.scan import _shared

    corpus = load_corpus()
    recorded = [c for c in corpus.cases if c.classification == "reject" and c.finds
                and any(not v.finds for v in c.scan_variants)]
    assert recorded, "the corpus has a reject case some CPython imports nothing from"
    for case in recorded:
        assert _shared((case.finds, case.calls), case.scan_variants) == ([], [])
    both = [c for c in corpus.cases if c.classification == "reject" and c.finds
            and not c.scan_variants]
    for case in both[:20]:  # what every CPython asks is still required
        assert _shared((case.finds, case.calls), case.scan_variants) == (case.finds, case.calls)
