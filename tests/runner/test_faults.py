"""A target that crashes, hangs, prints garbage or runs out of memory loses only
the case it was on; what cannot run at all is a clear message before anything
runs (exit 2); Ctrl-C or SIGTERM leaves a whole report marked incomplete and
no target process behind."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from picklespec.process.adapter import Adapter, AdapterFailure

HERE = os.path.dirname(os.path.abspath(__file__))
FAULTY = os.path.join(HERE, "fake_targets", "faulty.py")

# Each word makes the fake target misbehave as its docstring says; "ok" loads 1.
SEQUENCE = [
    ("ok", "ok"), ("crash", "crash"), ("ok", "ok"), ("hang", "timeout"), ("ok", "ok"),
    ("garbage", "protocol-error"), ("ok", "ok"), ("memory", "crash"), ("ok", "ok"),
    ("abort", "crash"), ("wrongid", "protocol-error"), ("ok", "ok"), ("badjson", "protocol-error"),
    ("ok", "ok"),
]


def _outcome(answer):
    return answer.kind if isinstance(answer, AdapterFailure) else ("ok" if answer["ok"] else "refused")


@pytest.mark.parametrize("pipeline", [True, False], ids=["pipelined", "one-at-a-time"])
def test_each_fault_costs_one_request(pipeline):
    argv = [sys.executable, FAULTY] + ([] if pipeline else ["--no-pipeline"])
    messages = [{"op": "load", "data": word.encode().hex()} for word, _ in SEQUENCE]
    with Adapter(argv, timeout=1.0, memory_mb=512, pipeline=pipeline) as adapter:
        answers = dict(adapter.pipeline(messages))
        assert [_outcome(answers[i]) for i in range(len(SEQUENCE))] == [o for _, o in SEQUENCE]
        assert adapter.restarts == 7  # every fault but the first start


SKIMS = [
    (b'{"id": 7, "ok": true}', 7, {"restart": False}),
    (b'{"id": 7, "ok": false, "restart": true}', 7, {"restart": True}),
    (b'{"exception": "E", "id": 7, "kind": "rejected"}', 7, {"restart": False}),
    (b'{"id": 8, "ok": true}', 7, None),  # another id: decoded, then refused
    (b'{"id":7,"ok":true}', 7, None),  # not json.dumps's spacing: decoded
    (b'{"object": {"id": "7", "type": "list"}, "ok": true}', 7, None),  # tagged JSON's ids are strings
    (b'{"value": "\\"id\\": 7,", "ok": true}', 7, None),  # inside a string
    (b'not JSON "id": 7,', 7, None),
]


@pytest.mark.parametrize("line, ident, skimmed", SKIMS)
def test_skim(line, ident, skimmed):
    from picklespec.process.adapter import _skim

    assert _skim(line, ident) == skimmed


def test_a_crash_keeps_what_the_target_printed():
    with Adapter([sys.executable, FAULTY], timeout=5) as adapter:
        with pytest.raises(AdapterFailure) as caught:
            adapter.request({"op": "load", "data": b"crash".hex()})
        assert caught.value.kind == "crash"
        assert "status 3" in caught.value.message
        assert "crashing on purpose" in caught.value.stderr
        assert adapter.request({"op": "load", "data": b"ok".hex()})["ok"]


def test_a_signal_is_named():
    with Adapter([sys.executable, FAULTY], timeout=5) as adapter:
        with pytest.raises(AdapterFailure, match="SIGABRT"):
            adapter.request({"op": "load", "data": b"abort".hex()})


def test_a_program_that_cannot_start_is_a_crash_per_request():
    adapter = Adapter(["/nonexistent/picklespec-target"], timeout=1)
    with pytest.raises(AdapterFailure, match="cannot start"):
        adapter.request({"op": "hello"})


def test_memory_error_and_restarts():
    # _pickle sizes its memo for the index: LONG_BINPUT 2**32-1 is a MemoryError,
    # answered as a clean rejection; the memory came back, so no restart.
    from picklespec.runner import worker
    from picklespec.runner.targets import WORKER

    stream = b"\x80\x02K\x01r\xff\xff\xff\xff."
    with Adapter([sys.executable, WORKER, "c"], timeout=30, pipeline=True) as adapter:
        answers = dict(adapter.pipeline([{"op": "load", "data": stream.hex()}, {"op": "hello"}]))
        from picklespec.runner.profile import read_profile

        assert answers[0]["exception"] == "MemoryError"
        assert read_profile(answers[1]).is_clean(answers[0])  # the runner judges it clean
        assert "restart" not in answers[0]
        assert answers[1]["ok"] and adapter.restarts == 0
    # Had the memory stayed, the worker would ask for a fresh process ...
    assert worker._memory_kept(limit=1) and not worker._memory_kept(limit=1 << 50)
    # ... which the adapter starts after that answer, writing again what followed.
    fake = {"ok": False, "kind": "rejected", "exception": "MemoryError", "restart": True}
    script = "import json,sys\nfor l in sys.stdin:\n r=json.loads(l)\n a=%r\n a['id']=r['id']\n " \
             "print(json.dumps(a), flush=True)\n" % fake
    with Adapter([sys.executable, "-c", script], timeout=10, pipeline=True) as adapter:
        answers = dict(adapter.pipeline([{"op": "load", "data": ""}] * 3))
        assert [a["exception"] for a in answers.values()] == ["MemoryError"] * 3
        assert adapter.restarts == 2  # a fresh process after each answer asking for one


# -- through picklespec run --------------------------------------------------


def _corpus(tmp_path, words):
    folder = tmp_path / "corpus" / "accept"
    folder.mkdir(parents=True)
    entries = "".join(textwrap.dedent("""\
          - id: fault-{n}-{word}
            title: the fake target does what {word} says
            tags: [int]
            protocol: 0
            stream: |
              SHORT_BINUNICODE '{word}{n}'
              POP
              INT 1
              STOP
            result: 1
        """).format(n=n, word=word) for n, word in enumerate(words))
    (folder / "faults.yaml").write_text("cases:\n" + textwrap.indent(entries, "  "))
    return str(tmp_path / "corpus")


def _run(tmp_path, *args):
    proc = subprocess.run([sys.executable, "-m", "picklespec.runner.cli", "run",
                           "--report-dir", str(tmp_path / "report"), *args],
                          capture_output=True, text=True, timeout=120, cwd=str(tmp_path))
    report = tmp_path / "report" / "run.json"
    data = json.loads(report.read_text()) if report.exists() else None
    return proc, data


def test_run_records_each_fault_and_goes_on(tmp_path):
    words = ["ok", "crash", "ok", "hang", "garbage", "memory", "ok", "badjson", "ok"]
    corpus = _corpus(tmp_path, words)
    proc, data = _run(tmp_path, "--corpus", corpus, "--target", "cmd:%s %s" % (sys.executable, FAULTY),
                      "--timeout", "1", "--memory-mb", "512", "--quiet")
    assert proc.returncode == 1, proc.stderr
    outcomes = {r["case"]: r["outcome"] for r in data["results"]}
    assert outcomes == {
        "fault-0-ok": "pass", "fault-1-crash": "crash", "fault-2-ok": "pass",
        "fault-3-hang": "timeout", "fault-4-garbage": "protocol-error", "fault-5-memory": "crash",
        "fault-6-ok": "pass", "fault-7-badjson": "protocol-error", "fault-8-ok": "pass"}
    crash = next(r for r in data["results"] if r["case"] == "fault-1-crash")
    assert "crashing on purpose" in crash["output"]
    assert data["complete"] is True


def _exit_2(tmp_path, *args):
    proc, data = _run(tmp_path, *args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert data is None, "nothing may run before a usage error"
    assert "Traceback" not in proc.stderr
    return proc.stderr


def test_unknown_target_is_a_usage_error(tmp_path):
    err = _exit_2(tmp_path, "--target", "cpython-c", "--target", "jython")
    assert "unknown target 'jython'" in err and "python:PATH" in err


def test_missing_interpreter_is_a_usage_error(tmp_path):
    err = _exit_2(tmp_path, "--target", "python:/nonexistent/python3.99")
    assert "no interpreter at /nonexistent/python3.99" in err


def test_missing_program_is_a_usage_error(tmp_path):
    err = _exit_2(tmp_path, "--target", "cmd:picklespec-no-such-program --flag")
    assert "picklespec-no-such-program is not a command on PATH" in err


def test_target_that_cannot_start_is_a_usage_error(tmp_path):
    err = _exit_2(tmp_path, "--target", "cmd:%s %s --die-at-start" % (sys.executable, FAULTY))
    assert "cannot start" in err and "refusing to start" in err
    err = _exit_2(tmp_path, "--target", "cmd:%s %s --hello-fails" % (sys.executable, FAULTY))
    assert "the hello fails on purpose" in err


def test_broken_case_file_is_a_usage_error(tmp_path):
    folder = tmp_path / "corpus" / "accept"
    folder.mkdir(parents=True)
    (folder / "broken.yaml").write_text(textwrap.dedent("""\
        cases:
          - id: broken-stream
            title: a stream that does not assemble
            tags: [int]
            protocol: 0
            stream: |
              INT 1
              NOSUCHOPCODE
              STOP
            result: 1
        """))
    err = _exit_2(tmp_path, "--corpus", str(tmp_path / "corpus"), "--target", "cpython-c")
    path = str(folder / "broken.yaml")
    assert "%s:8: stream: does not assemble: unknown opcode 'NOSUCHOPCODE'" % path in err
    assert "nothing was run" in err


def test_no_matching_case_is_a_usage_error(tmp_path):
    err = _exit_2(tmp_path, "--case", "no-such-case-*", "--target", "cpython-c")
    assert "no case id matches 'no-such-case-*'" in err


def _default_sigint():
    # A shell starts a background job (`pytest -n 2 &` in a script, an xdist
    # worker under such a job) with SIGINT ignored, and Python keeps an
    # inherited SIG_IGN; a terminal's Ctrl-C reaches a foreground command
    # whose SIGINT is at its default, which is what these tests stand for.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(tmp_path, command, *args):
    return subprocess.Popen([sys.executable, "-m", "picklespec.runner.cli", command, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=str(tmp_path), preexec_fn=_default_sigint)


def _gone(pid):
    """Whether a process no longer runs (a zombie waiting for its parent counts as gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _adapter_processes(pid_file):
    """The fake adapters' process ids and their children's, as they wrote them."""
    return [int(line) for line in pid_file.read_text().split()]


STOPS = [(signal.SIGINT, 130), (signal.SIGTERM, 143)]
STOP_IDS = ["ctrl-c", "sigterm"]


@pytest.mark.parametrize("signum, status", STOPS, ids=STOP_IDS)
def test_ctrl_c_leaves_a_whole_report_marked_incomplete(tmp_path, signum, status):
    corpus = _corpus(tmp_path, ["slow"] * 60)
    report = tmp_path / "report"
    pids = tmp_path / "pids"
    proc = _start(tmp_path, "run", "--corpus", corpus, "--report-dir", str(report),
                  "--target", "cmd:%s %s --pid-file %s" % (sys.executable, FAULTY, pids))
    # The first progress line comes a second into the 12 s of requests.
    line = proc.stderr.readline()
    assert line.startswith("picklespec: "), line
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == status, (out, err)
    data = json.loads((report / "run.json").read_text())
    assert data["complete"] is False
    assert any("interrupted" in note for note in data["notes"])
    done = [r for r in data["results"] if r["outcome"] == "pass"]
    assert 0 < len(done) < 60
    assert "interrupted" in out
    assert "INCOMPLETE RUN" in (report / "summary.md").read_text()
    started = _adapter_processes(pids)
    assert len(started) == 2 and all(_gone(pid) for pid in started), started


@pytest.mark.parametrize("signum, status", STOPS, ids=STOP_IDS)
def test_a_stop_while_a_target_hangs_kills_it(tmp_path, signum, status):
    corpus = _corpus(tmp_path, ["hang"] + ["ok"] * 5)
    report = tmp_path / "report"
    pids = tmp_path / "pids"
    proc = _start(tmp_path, "run", "--corpus", corpus, "--report-dir", str(report),
                  "--timeout", "600",
                  "--target", "cmd:%s %s --pid-file %s" % (sys.executable, FAULTY, pids))
    line = proc.stderr.readline()
    assert line.startswith("picklespec: "), line
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)  # not the 600 s the hung request may take
    assert proc.returncode == status, (out, err)
    data = json.loads((report / "run.json").read_text())
    assert data["complete"] is False
    started = _adapter_processes(pids)
    assert len(started) == 2 and all(_gone(pid) for pid in started), started


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("signum, status", STOPS, ids=STOP_IDS)
def test_a_stopped_fuzz_run_ends_with_its_summary(tmp_path, signum, status, jobs):
    pids = tmp_path / "pids"
    out_dir = tmp_path / "fuzz"
    proc = _start(tmp_path, "fuzz", "--seconds", "300", "--jobs", jobs, "--no-corpus",
                  "--out", str(out_dir), "--target", "reference",
                  "--target", "cmd:%s %s --pid-file %s" % (sys.executable, FAULTY, pids))
    line = proc.stderr.readline()  # the first progress line: a batch is done
    assert line.startswith("picklespec fuzz: "), line
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == status, (out, err)
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["complete"] is False and summary["inputs"] > 0
    assert "interrupted" in out
    started = _adapter_processes(pids)
    assert len(started) == 2 * int(jobs) and all(_gone(pid) for pid in started), started
