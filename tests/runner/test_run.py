"""picklespec run: rounds over persistent targets, each request asked once, the
exit status, the report directory, baselines, and the progress line."""

import io
import json
import os
import sys
import textwrap
import threading

import pytest

from picklespec.cases.corpus import load_corpus
from picklespec.runner import run as run_module
from picklespec.runner import targets
from picklespec.process.adapter import Adapter
from picklespec.runner.run import Progress, execute, main

HOST = "cpython-%d.%d" % sys.version_info[:2]

CASES = {
    "accept": """\
        - id: run-int-hex
          title: INT reads 0x as hexadecimal
          tags: [INT]
          protocol: 0
          stream: |
            INT 0x10
            STOP
          result: 16
        - id: run-binint1
          title: BININT1 at protocol 2
          tags: [BININT1]
          protocol: 2
          stream: |
            PROTO 2
            BININT1 7
            STOP
          result: 7
        """,
    "dump": """\
        - id: run-int-255
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
        """,
}


def write_corpus(root, cases=CASES):
    for folder, text in cases.items():
        os.makedirs(os.path.join(root, folder), exist_ok=True)
        with open(os.path.join(root, folder, "cases.yaml"), "w") as f:
            f.write("cases:\n" + textwrap.indent(textwrap.dedent(text), "  "))
    return str(root)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = write_corpus(tmp_path_factory.mktemp("corpus"))
    loaded = load_corpus([root])
    assert not loaded.problems
    return root, loaded.cases


@pytest.fixture(scope="module")
def builtins():
    opened = targets.open_targets(targets.parse_targets(run_module.DEFAULT_TARGETS))
    yield opened
    for target in opened:
        target.close()


def test_execute(corpus, builtins):
    _, cases = corpus
    run = execute(cases, builtins)
    assert run.complete and run.started and run.finished
    assert sorted(run.targets) == sorted(["reference", HOST + "-c", HOST + "-py"])
    assert run.targets["reference"]["spec"] == "reference"
    keys = [r.key for r in run.results]
    assert len(keys) == len(set(keys))
    by_check = {}
    for r in run.results:
        by_check.setdefault(r.check, []).append(r)
    assert len(by_check["load"]) == 3 * (2 + 2)  # two accept cases, the dump case at 0 and 2
    assert len(by_check["dump-bytes"]) == 3 * 2
    # Every target wrote the variant's bytes: one row per consumer and protocol.
    assert sorted({r.target for r in by_check["cross"]}) == sorted(
        "%s -> %s" % (variant, consumer) for variant in ("cpython-2.7..3.13-c+py", "cpython-3.0..3.13-c+py")
        for consumer in ("reference", HOST + "-c", HOST + "-py"))
    failing = [r for r in run.results if r.outcome != "pass" and r.case != "run-int-hex"]
    assert not failing, failing


def test_each_request_is_asked_once(corpus, builtins, monkeypatch):
    _, cases = corpus
    asked = []
    real = Adapter.pipeline

    def recording(self, messages, *args, **kwargs):
        asked.extend((id(self), m) for m in messages)
        return real(self, messages, *args, **kwargs)

    monkeypatch.setattr(Adapter, "pipeline", recording)
    run = execute(cases, builtins)
    assert len(asked) == len(set(asked))
    dumps = [m for _, m in asked if '"op": "dump"' in m]
    assert len(dumps) == 3 * 2  # shared by dump-bytes, -equivalent, -readable and cross
    assert run.complete


def test_jobs_do_not_change_results(corpus, builtins):
    _, cases = corpus
    one = {r.key: r.outcome for r in execute(cases, builtins, jobs=1).results}
    all_at_once = {r.key: r.outcome for r in execute(cases, builtins).results}
    assert one == all_at_once


def test_protocols_and_no_cross(corpus, builtins):
    _, cases = corpus
    run = execute(cases, builtins, protocols=[2], cross=False)
    assert {r.check for r in run.results} == {"load", "dump-bytes", "dump-equivalent", "dump-readable"}
    assert {r.case for r in run.results} == {"run-binint1", "run-int-255"}
    assert {r.protocol for r in run.results if r.case == "run-int-255"} == {2}


def test_stopped_run_is_incomplete(corpus, builtins):
    _, cases = corpus
    stop = threading.Event()
    stop.set()
    run = execute(cases, builtins, stop=stop)
    assert not run.complete
    assert any("interrupted" in note for note in run.notes)


def test_without_the_reference_dump_readable_is_skipped(corpus, builtins):
    _, cases = corpus
    run = execute(cases, [t for t in builtins if t.name != "reference"], oracle_problem="not asked for")
    readable = [r for r in run.results if r.check == "dump-readable"]
    assert readable and all(r.outcome == "skip" for r in readable)
    assert "dump-readable not checked: not asked for" in run.notes


# -- the command ----------------------------------------------------------------


def _main(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_run_conforming(corpus, tmp_path, capsys):
    root, _ = corpus
    status, out, err = _main(capsys, "--corpus", root, "--case", "run-int-255", "--quiet",
                             "--report-dir", str(tmp_path / "r"))
    assert status == 0, out + err
    data = json.loads((tmp_path / "r" / "run.json").read_text())
    assert data["complete"] is True
    assert {r["outcome"] for r in data["results"]} == {"pass"}
    assert sorted(os.listdir(tmp_path / "r")) == ["findings.md", "junit.xml", "matrix.html", "run.json", "summary.md"]
    assert "0 failing" in out


def test_run_default_report_dir_is_relative_to_cwd(corpus, tmp_path, capsys, monkeypatch):
    root, _ = corpus
    monkeypatch.chdir(tmp_path)
    status, _, _ = _main(capsys, "--corpus", root, "--case", "run-binint1", "--target", "cpython-c", "-q")
    assert status == 0
    assert (tmp_path / "reports" / "runs" / "latest" / "run.json").exists()


def test_run_failing_then_baseline(tmp_path, capsys):
    cases = dict(CASES, accept=CASES["accept"].replace("result: 7", "result: 8"))
    root = write_corpus(tmp_path / "corpus", cases)
    report = str(tmp_path / "r")
    base = str(tmp_path / "baseline.json")
    status, out, _ = _main(capsys, "--corpus", root, "-q", "--report-dir", report, "--target", "cpython-c")
    assert status == 1
    assert "new failure: run-binint1||load|%s-c: fail: loaded a different object" % HOST in out
    status, out, _ = _main(capsys, "--corpus", root, "-q", "--report-dir", report, "--target", "cpython-c",
                           "--baseline", base, "--update-baseline")
    assert status == 0 and "baseline updated" in out
    assert json.loads(open(base).read())["expected"] == {"run-binint1||load|%s-c" % HOST: {
        "outcome": "fail",
        "reason": "load BININT1: fail: loaded a different object; expected N, got N"}}
    status, out, _ = _main(capsys, "--corpus", root, "-q", "--report-dir", report, "--target", "cpython-c",
                           "--baseline", base)
    assert status == 0, out
    # Fixed: the baseline's failure is now an unexpected pass.
    root = write_corpus(tmp_path / "corpus", CASES)
    status, out, _ = _main(capsys, "--corpus", root, "-q", "--report-dir", report, "--target", "cpython-c",
                           "--baseline", base)
    assert status == 1 and "unexpected pass" in out


USAGE_ERRORS = [
    (["--update-baseline"], "--update-baseline needs --baseline FILE"),
    (["--jobs", "0"], "--jobs must be 1 or more"),
    (["--timeout", "0"], "--timeout must be more than 0 seconds"),
    (["--baseline", "/nonexistent/baseline.json"], "cannot read the baseline"),
    (["--protocol", "5", "--case", "run-int-hex"], "no case covers protocol 5"),
]


@pytest.mark.parametrize("argv, message", USAGE_ERRORS)
def test_usage_errors(corpus, tmp_path, capsys, argv, message):
    root, _ = corpus
    status, out, err = _main(capsys, "--corpus", root, "--report-dir", str(tmp_path / "r"), *argv)
    assert status == 2
    assert message in err
    assert not (tmp_path / "r").exists()


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--protocol", "9"])
    assert caught.value.code == 2


def test_progress_line_counts_cells_and_the_time_left():
    stream = io.StringIO()
    progress = Progress(stream, delay=0, every=0, tty=True)
    progress(1000, 0.25, 4000)
    progress.end()
    text = stream.getvalue()
    assert text.startswith("\rpicklespec: 1,000 cells of about 4,000, 25%, ") and text.endswith("\n")
    # 3/4 of the work left after t seconds: about 3t left
    assert Progress.line(1000, 0.25, 4000, 10.0).endswith("25%, 10 s, about 30 s left")
    assert Progress.line(0, 0.01, None, 1.0) == "picklespec: 0 cells, 1%, 1 s"
    quiet = io.StringIO()
    Progress(quiet, delay=60, tty=True)(1, 0.5)  # a run that ends quickly shows nothing
    assert quiet.getvalue() == ""
    log = io.StringIO()
    Progress(log, delay=0, every=0)(1, 0.5)  # not a terminal: a line now and then
    assert log.getvalue() == "picklespec: 1 cells, 50%, 0 s, about 0 s left\n"


def test_ctrl_c_before_any_case_ran(corpus, tmp_path, capsys, monkeypatch):
    root, _ = corpus

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "_select_cases", interrupted)
    status, out, _ = _main(capsys, "--corpus", root, "--report-dir", str(tmp_path / "r"), "-q")
    assert status == 130
    assert out.startswith("interrupted before any case ran")
    data = json.loads((tmp_path / "r" / "run.json").read_text())
    assert data["complete"] is False and data["results"] == []


# -- the first run: the shipped expectations, --strict, --no-expectations --------

KNOWN_CASE = "memo-get-text-index-above-ssize-t"


@pytest.fixture(scope="module")
def known_cell():
    """A reject cell the published run lists as failing on this interpreter's
    C unpickler (OverflowError on 3.6-3.13: unclean), from the shipped file."""
    from picklespec.runner import baseline

    key = "%s||reject|%s-c" % (KNOWN_CASE, HOST)
    outcome = baseline.shipped().expected.get(key)
    if outcome is None:
        pytest.skip("the published run has no %s" % key)
    return key, outcome


def test_a_run_is_judged_against_the_shipped_expectations_from_any_folder(
        known_cell, tmp_path, capsys, monkeypatch):
    from picklespec import known

    monkeypatch.chdir(tmp_path)  # not the repository: the expectations come with the package
    status, out, err = _main(capsys, "--target", "cpython-c", "--case", KNOWN_CASE, "-q")
    assert status == 0, out + err
    lines = out.splitlines()
    assert "%s-c: 1 known deviation, 0 new" % HOST in lines
    assert "1 known deviation of %s-c (listed in %s), 0 new" % (HOST, known.path("baseline.json")) in lines
    assert known_cell[0] not in out  # a known deviation is counted, not listed
    # the next step comes last: the HTML report and the findings
    report = os.path.join("reports", "runs", "latest")
    assert lines[-4:-1] == ["next: open %s in a browser" % os.path.join(report, "matrix.html"),
                            "failures grouped by root cause: %s" % os.path.join(report, "findings.md"),
                            "the published run's findings, per target: %s" % known.path("findings.md")]
    assert lines[-1].startswith("other reports: ")


def test_strict_and_no_expectations_fail_on_a_known_deviation(known_cell, tmp_path, capsys):
    common = ["--target", "cpython-c", "--case", KNOWN_CASE, "-q", "--report-dir", str(tmp_path / "r")]
    status, out, _ = _main(capsys, *common, "--strict")
    assert status == 1
    assert "1 known deviation of %s-c" % HOST in out  # still said to be known
    assert "--strict: every cell that does not conform fails the run" in out
    status, out, _ = _main(capsys, *common, "--no-expectations")
    assert status == 1
    assert "%s: %s: unclean rejection: OverflowError" % known_cell in out
    assert "known deviation" not in out
    status, _, err = _main(capsys, *common, "--no-expectations", "--baseline", "x.json")
    assert status == 2 and "contradict" in err


def test_a_baseline_of_ones_own_replaces_the_expectations(known_cell, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.json").write_text(json.dumps({"format": "picklespec-baseline/1", "expected": {}}))
    status, out, _ = _main(capsys, "--target", "cpython-c", "--case", KNOWN_CASE, "-q",
                           "--baseline", "mine.json")
    assert status == 1
    assert "new failure: %s: %s" % known_cell in out
    assert "baseline (mine.json): 0 expected failures seen, 1 new failures" in out


# -- selection -------------------------------------------------------------------


def _results(report):
    return json.loads((report / "run.json").read_text())["results"]


@pytest.mark.parametrize("argv, chosen", [
    (["-k", "binint1 and not dump"], {"run-binint1"}),
    (["-k", "int and not hex"], {"run-binint1", "run-int-255"}),
    (["--kind", "dump"], {"run-int-255"}),
    (["--kind", "accept", "--case", "*-hex"], {"run-int-hex"}),
])
def test_k_and_kind_choose_the_cases(corpus, tmp_path, capsys, argv, chosen):
    root, _ = corpus
    status, out, err = _main(capsys, "--corpus", root, "--target", "cpython-c", "-q", "--no-expectations",
                             "--report-dir", str(tmp_path), *argv)
    assert status == 0, out + err
    assert {r["case"] for r in _results(tmp_path)} == chosen


def test_check_narrows_what_is_judged_and_reported(corpus, tmp_path, capsys):
    root, _ = corpus
    status, out, err = _main(capsys, "--corpus", root, "-q", "--report-dir", str(tmp_path),
                             "--target", "cpython-c", "--check", "dump-bytes", "--check", "load")
    assert status == 0, out + err
    results = _results(tmp_path)
    assert {r["check"] for r in results} == {"dump-bytes", "load"}
    assert {r["case"] for r in results if r["check"] == "dump-bytes"} == {"run-int-255"}


@pytest.mark.parametrize("argv, message", [
    (["-k", "int and"], "picklespec run: -k 'int and': column 8: expected a word, \"not\" or \"(\", found the end"),
    (["-k", "nothing-like-it"], "no case matches -k 'nothing-like-it'"),
    (["--kind", "dump", "--case", "run-binint1"], "no case matches --case 'run-binint1' and --kind dump"),
])
def test_a_bad_selection_is_a_usage_error(corpus, tmp_path, capsys, argv, message):
    root, _ = corpus
    status, _, err = _main(capsys, "--corpus", root, "--report-dir", str(tmp_path / "r"), *argv)
    assert status == 2
    assert message in err
    assert not (tmp_path / "r").exists()


def test_fail_fast_stops_after_the_chunk_with_the_first_failure(tmp_path, builtins):
    cases = dict(CASES, accept=CASES["accept"].replace("result: 7", "result: 8"))  # run-binint1 fails
    loaded = load_corpus([write_corpus(tmp_path, cases)]).cases
    assert [c.id for c in loaded] == ["run-int-hex", "run-binint1", "run-int-255"]
    builtins = [t for t in builtins if t.name.endswith("-c")]  # the reference refuses INT 0x10
    run = execute(loaded, builtins, chunk=1, stop_after=lambda r: r.failing)
    assert {r.case for r in run.results} == {"run-int-hex", "run-binint1"}
    assert "stopped after the first failure (--fail-fast): 1 of 3 cases not run" in run.notes
    assert run.complete
    whole = execute(loaded, builtins, chunk=1)
    assert {r.case for r in whole.results} == {c.id for c in loaded}
    # chunks do not change what is judged
    assert sorted(r.key for r in whole.results) == sorted(r.key for r in execute(loaded, builtins).results)


def test_fail_fast_on_the_command_line(tmp_path, capsys):
    cases = dict(CASES, accept=CASES["accept"].replace("result: 7", "result: 8"))
    root = write_corpus(tmp_path / "corpus", cases)
    status, out, _ = _main(capsys, "--corpus", root, "-q", "-x", "--target", "cpython-c",
                           "--report-dir", str(tmp_path / "r"))
    assert status == 1
    assert "new failure: run-binint1||load|%s-c: fail" % HOST in out


def test_progress_on_a_terminal(tmp_path):
    """Through a pseudo-terminal, as a user sees it: cells, percentage, time left."""
    import pty
    import select

    master, slave = pty.openpty()
    try:
        with open(slave, "w", closefd=False) as stream:
            progress = Progress(stream, delay=0, every=0)
            assert progress.tty
            progress(0, 0.01)
            progress(500, 0.5, 1000)
            progress.end()
        text = ""
        while not text.endswith("\n"):  # the terminal passes it on in its own time
            ready, _, _ = select.select([master], [], [], 10)
            assert ready, "nothing more from the terminal: %r" % text
            text += os.read(master, 4096).decode()
    finally:
        os.close(master)
        os.close(slave)
    shown = [part.strip() for part in text.replace("\r\n", "\n").split("\r") if part.strip()]
    assert shown[0] == "picklespec: 0 cells, 1%, 0 s"
    assert shown[1].startswith("picklespec: 500 cells of about 1,000, 50%, 0 s, about ")
    assert shown[1].endswith(" s left")


def test_missing_shipped_expectations_are_a_usage_error_with_the_way_out(corpus, tmp_path, capsys, monkeypatch):
    from picklespec.runner import baseline

    monkeypatch.setattr(baseline, "shipped_path", lambda: str(tmp_path / "gone.json"))
    root, _ = corpus
    status, _, err = _main(capsys, "--corpus", root, "--report-dir", str(tmp_path / "r"))
    assert status == 2
    assert "gone.json: cannot read the baseline" in err and "--no-expectations runs without them" in err
    assert not (tmp_path / "r").exists()


def test_chunks_keep_corpus_order_and_share_the_work():
    """Every target gets its requests in corpus order, whatever the chunks
    (PyPy's dumps of instances depend on the order, pypy/pypy#5436), and a
    chunk of dump cases, about thirteen requests each, holds fewer cases."""
    cases = load_corpus(None).cases
    chunks = run_module._chunked(cases, None, None)
    assert [c.id for part in chunks for c in part] == [c.id for c in cases]
    assert 8 <= len(chunks) <= 11
    dumps = [part for part in chunks if all(c.classification == "dump" for c in part)]
    loads = [part for part in chunks if all(c.classification != "dump" for c in part)]
    assert dumps and loads
    assert max(len(part) for part in dumps) * 5 < min(len(part) for part in loads[:-1] or loads)
    assert [len(part) for part in run_module._chunked(cases[:60], 25, None)] == [25, 25, 10]
