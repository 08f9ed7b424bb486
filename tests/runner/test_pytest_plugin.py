"""The pytest plugin: inert by default; with its options, cases as pytest items."""

import importlib.metadata
import sys
import textwrap

import pytest

# Imported here, so pytester's in-process runs share these modules instead of
# importing them afresh each time: PyYAML's C parser, imported once per
# process, builds nodes of the classes it first saw.
import picklespec.cases.corpus  # noqa: F401
import picklespec.runner.checks  # noqa: F401

pytest_plugins = ["pytester"]


def _installed():
    """Whether the pytest11 entry point loads the plugin (picklespec installed with it)."""
    return any(ep.value == "picklespec.runner.pytest_plugin"
               for ep in importlib.metadata.entry_points(group="pytest11"))


# Without the entry point (a checkout not reinstalled since it was added) the
# plugin is loaded by name, as the entry point would load it.  Hypothesis's
# plugin is left out of the inner sessions: it costs each one a second.
PLUGIN = ([] if _installed() else ["-p", "picklespec.runner.pytest_plugin"]) + ["-p", "no:hypothesispytest"]

ACCEPT = """\
cases:
  - id: load-int-zero
    title: INT 0 loads as 0
    tags: [INT]
    protocol: 0
    stream: |
      INT 0
      STOP
    result: 0

  - id: load-bin1-one
    title: BININT1 1 loads as 1
    tags: [BININT1]
    protocol: 1
    stream: |
      BININT1 1
      STOP
    result: 1

  - id: load-proto4-none
    title: NONE after PROTO 4
    tags: [PROTO, NONE]
    protocol: 4
    stream: |
      PROTO 4
      NONE
      STOP
    result: null
"""

REJECT = """\
cases:
  - id: reject-bin1-truncated
    title: BININT1 without its byte
    tags: [BININT1]
    protocol: 1
    hex: "4b"
    failure: truncated
"""

# A target that loads every stream as 0, does protocols 0 to 2 and no dumps.
FAKE = """\
import json, sys
for line in sys.stdin:
    request = json.loads(line)
    if request["op"] == "hello":
        answer = {"ok": True, "name": "zero-1.0", "implementation": "zero", "version": "1.0",
                  "kind": "fake", "producer": None, "dump_protocols": [],
                  "load_protocols": [0, 1, 2], "load_options": [], "checks": ["load"],
                  "opcodes": "all", "model": [], "clean_exceptions": ["UnpicklingError"]}
    elif request["op"] == "load":
        answer = {"ok": True, "object": {"type": "int", "value": "0"}}
    else:
        answer = {"ok": False, "kind": "unsupported", "message": "no pickler"}
    answer["id"] = request["id"]
    print(json.dumps(answer), flush=True)
"""


@pytest.fixture
def corpus(pytester):
    pytester.mkdir("cases")
    pytester.mkdir("cases/accept").joinpath("small.yaml").write_text(ACCEPT, encoding="utf-8")
    pytester.mkdir("cases/reject").joinpath("small.yaml").write_text(REJECT, encoding="utf-8")
    pytester.path.joinpath("zero.py").write_text(FAKE, encoding="utf-8")
    fake = "cmd:%s %s" % (sys.executable, pytester.path / "zero.py")
    return ["--picklespec-corpus=%s" % (pytester.path / "cases"), "--picklespec-target=" + fake]


def test_inert_without_its_options(pytester):
    pytester.makepyfile("def test_one():\n    pass\n")
    result = pytester.runpytest(*PLUGIN, "-v")
    result.assert_outcomes(passed=1)
    # no header line, no items (pytest itself names installed plugins in its header)
    assert "picklespec targets" not in result.stdout.str()
    assert "picklespec::" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*::test_one PASSED*", "*1 passed*"])
    # it is loaded all the same: its options are there
    assert "--picklespec-target" in pytester.runpytest(*PLUGIN, "--help").stdout.str()


def test_an_option_without_picklespec_is_a_usage_error(pytester):
    result = pytester.runpytest(*PLUGIN, "--picklespec-case=load-*")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--picklespec-case needs --picklespec or --picklespec-target*"])


def test_items_are_case_protocol_target(pytester, corpus):
    result = pytester.runpytest(*PLUGIN, *corpus, "--picklespec-target=reference", "--co", "-q")
    assert result.ret == pytest.ExitCode.OK
    assert result.outlines[:9] == [
        "picklespec::load-int-zero[p0-zero-1.0]",
        "picklespec::load-int-zero[p0-reference]",
        "picklespec::load-bin1-one[p1-zero-1.0]",
        "picklespec::load-bin1-one[p1-reference]",
        "picklespec::load-proto4-none[p4-zero-1.0]",
        "picklespec::load-proto4-none[p4-reference]",
        "picklespec::reject-bin1-truncated[p1-zero-1.0]",
        "picklespec::reject-bin1-truncated[p1-reference]",
        "",
    ]
    result.stdout.fnmatch_lines(["8 tests collected in *"])


def test_outcomes(pytester, corpus):
    import xml.etree.ElementTree as ET

    result = pytester.runpytest(*PLUGIN, *corpus, "--picklespec-target=reference", "-rs", "--junitxml=out.xml")
    # the reference conforms; zero-1.0 reads 0 for 1 and accepts a truncated stream,
    # and has no protocol 4, which is a skip with the reason, not a pass
    result.assert_outcomes(passed=5, failed=2, skipped=1)
    result.stdout.fnmatch_lines([
        "picklespec targets: cmd:*zero.py, reference",
        "*_ load-bin1-one?p1-zero-1.0? _*",
        "*cases/accept/small.yaml:11: BININT1 1 loads as 1",
        "load on zero-1.0: fail",
        "*first difference: *expected *1*, got *0*",
        "*_ reject-bin1-truncated?p1-zero-1.0? _*",
        "*cases/reject/small.yaml:2: BININT1 without its byte",
        "reject on zero-1.0: fail",
        "SKIPPED ?1? cases/accept/small.yaml:20: load: zero-1.0 reads protocols 0-2",
    ])
    # --junitxml: one testcase per item, the checks' outcomes as its properties
    cases = {c.get("name"): c for c in ET.parse(str(pytester.path / "out.xml")).getroot().iter("testcase")}
    assert len(cases) == 8
    assert cases["load-bin1-one[p1-zero-1.0]"].find("failure") is not None
    assert cases["load-proto4-none[p4-zero-1.0]"].find("skipped") is not None
    properties = {p.get("name"): p.get("value") for p in cases["load-int-zero[p0-zero-1.0]"].iter("property")}
    assert properties == {"load": "pass"}


def test_select_and_stop_as_pytest_does(pytester, corpus):
    result = pytester.runpytest(*PLUGIN, *corpus, "-k", "p1", "-m", "accept")
    result.assert_outcomes(failed=1, deselected=3)
    result = pytester.runpytest(*PLUGIN, *corpus, "--picklespec-protocol=1", "--co", "-q")
    assert result.outlines[:2] == ["picklespec::load-bin1-one[p1-zero-1.0]",
                                   "picklespec::reject-bin1-truncated[p1-zero-1.0]"]
    result = pytester.runpytest(*PLUGIN, *corpus, "--picklespec-case=load-*", "-x")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*stopping after 1 failures*"])


def test_xdist(pytester, corpus):
    pytest.importorskip("xdist", reason="pytest-xdist is not installed")
    result = pytester.runpytest(*PLUGIN, *corpus, "-n", "2")
    result.assert_outcomes(passed=1, failed=2, skipped=1)


def test_a_wrong_target_is_a_usage_error(pytester):
    result = pytester.runpytest(*PLUGIN, "--picklespec-target=no-such-target")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*picklespec: unknown target 'no-such-target'; targets are *"])


@pytest.mark.parametrize("args, message", [
    (["--picklespec", "--picklespec-corpus=cases"],
     ["picklespec: the corpus has problems; fix them first:", "  cases/accept/broken.yaml:2: *"]),
    (["--picklespec-target=cmd:%s -c 'raise SystemExit(3)'" % sys.executable, "--picklespec-corpus=good"],
     ["picklespec: cmd:* cannot start: crash: the process exited (status 3)"]),
])
def test_collection_errors_are_clear(pytester, args, message):
    # A collection error, not a usage error, so pytest-xdist workers report it too.
    pytester.mkdir("cases")
    pytester.mkdir("cases/accept").joinpath("broken.yaml").write_text(
        textwrap.dedent("""\
        cases:
          - id: Not An Id
            title: broken
        """), encoding="utf-8")
    pytester.mkdir("good")
    pytester.mkdir("good/accept").joinpath("empty.yaml").write_text("cases: []\n", encoding="utf-8")
    result = pytester.runpytest(*PLUGIN, *args)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting picklespec*"] + message)
    assert "Traceback" not in result.stdout.str() + result.stderr.str()



def test_a_broken_corpus_is_the_error_and_the_targets_started_with_it_end(pytester):
    """The targets start while the corpus is read: when it has problems,
    those are the error, even beside a target that cannot start, and a
    target that did start is closed, not left running."""
    import os
    import time

    pytester.mkdir("cases")
    pytester.mkdir("cases/accept").joinpath("broken.yaml").write_text(
        "cases:\n  - id: Not An Id\n    title: broken\n", encoding="utf-8")
    pid_file = pytester.path / "target.pid"
    pytester.path.joinpath("zero.py").write_text(
        "import os, sys\nopen(sys.argv[1], 'w').write(str(os.getpid()))\n" + FAKE, encoding="utf-8")
    started = "--picklespec-target=cmd:%s %s %s" % (sys.executable, pytester.path / "zero.py", pid_file)
    crashing = "--picklespec-target=cmd:%s -c 'raise SystemExit(3)'" % sys.executable
    corpus_error = ["*ERROR collecting picklespec*",
                    "picklespec: the corpus has problems; fix them first:",
                    "  cases/accept/broken.yaml:2: *"]
    result = pytester.runpytest(*PLUGIN, "--picklespec-corpus=cases", started)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(corpus_error)
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    # The target started; it is closed once its hello is in.
    deadline = time.monotonic() + 60
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the target (pid %d) is still running" % pid)

    result = pytester.runpytest(*PLUGIN, "--picklespec-corpus=cases", started, crashing)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(corpus_error)
    assert "cannot start" not in result.stdout.str() + result.stderr.str()

    # With a corpus that reads well, the target that cannot start is the error.
    pytester.path.joinpath("cases/accept/broken.yaml").unlink()
    result = pytester.runpytest(*PLUGIN, "--picklespec-corpus=cases", started, crashing)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting picklespec*",
                                 "picklespec: cmd:* cannot start: crash: the process exited (status 3)"])


def _expectations(path, entries):
    """A baseline file: {key: outcome}, each with a reason."""
    import json

    path.write_text(json.dumps({"format": "picklespec-baseline/1", "expected": {
        key: {"outcome": outcome, "reason": "listed: " + key} for key, outcome in entries.items()}}),
        encoding="utf-8")
    return "--picklespec-baseline=%s" % path


def test_known_deviations_are_strict_xfails(pytester, corpus):
    # zero-1.0 reads 0 for BININT1 1 (fail) and accepts a truncated stream (fail).
    option = _expectations(pytester.path / "known.json", {
        "load-bin1-one||load|zero-1.0": "fail",              # fails as listed: xfailed
        "reject-bin1-truncated||reject|zero-1.0": "crash",   # fails otherwise: a failure
        "load-int-zero||load|zero-1.0": "fail",              # passes: XPASS(strict), a failure
    })
    result = pytester.runpytest(*PLUGIN, *corpus, option, "-rxX")
    result.assert_outcomes(passed=0, failed=2, skipped=1, xfailed=1)
    out = result.stdout.str()
    assert "XFAIL picklespec::load-bin1-one[p1-zero-1.0] - known deviation (listed in " in out
    assert "load: listed: load-bin1-one||load|zero-1.0" in out
    result.stdout.fnmatch_lines(["*[[]XPASS(strict)[]] known deviation*load-int-zero*",
                                 "*reject on zero-1.0: fail*"])
    # --runxfail and --picklespec-no-expectations judge every item on its own
    pytester.runpytest(*PLUGIN, *corpus, option, "--runxfail").assert_outcomes(
        passed=1, failed=2, skipped=1)
    pytester.runpytest(*PLUGIN, *corpus, "--picklespec-no-expectations").assert_outcomes(
        passed=1, failed=2, skipped=1)


def test_a_bad_expectations_file_is_a_clear_collection_error(pytester, corpus):
    (pytester.path / "bad.json").write_text("{not json", encoding="utf-8")
    result = pytester.runpytest(*PLUGIN, *corpus, "--picklespec-baseline=%s" % (pytester.path / "bad.json"))
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*bad.json: not a JSON baseline*"])
    assert "Traceback" not in result.stdout.str()


def test_the_shipped_expectations_are_honoured(pytester):
    """A cell the published run records as failing on this interpreter's C
    pickle is an expected failure here too (read from the shipped file, which
    a real run of real interpreters wrote)."""
    from picklespec.runner import baseline

    name = "cpython-%d.%d-c" % sys.version_info[:2]
    known = {key: outcome for key, outcome in baseline.shipped().expected.items()
             if key.endswith("||reject|" + name)}
    if not known:
        pytest.skip("the published run has no failing reject cell of %s" % name)
    case = sorted(known)[0].split("|")[0]
    result = pytester.runpytest(*PLUGIN, "--picklespec-target=cpython-c", "--picklespec-case=" + case, "-rx")
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines(["*XFAIL picklespec::%s?p*-%s? - known deviation (listed in *baseline.json)*" % (
        case, name)])
