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
    Progress(log, delay=0, every=0)(1, 0.5)  # not a terminal: nothing
    assert log.getvalue() == ""


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
