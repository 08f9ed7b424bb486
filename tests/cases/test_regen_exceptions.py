"""picklespec cases regen --only exceptions: the type CPython raises, recorded.

The recorder runs here with the running interpreter's C and pure-Python
workers standing for the sixteen producers of the real rule; what they
raise is what this CPython raises (the expected names below were read off
pickle.loads by hand and hold on 3.6-3.13).
"""

import io
import sys

import pytest

from picklespec.cases import corpus, regen_exceptions
from picklespec.cases.regen import worker_command
from picklespec.process import Adapter

HERE = {("cpython", sys.version_info[:2], kind) for kind in ("c", "py")}

CASES = """\
cases:
  - id: exc-unregistered-ext
    title: EXT1 of a code nothing registered
    tags: [EXT1]
    protocol: 2
    stream: |
      PROTO 2
      EXT1 1
      STOP
    failure: bad-argument
    finds: []
    calls: []

  - id: exc-pop-empty
    title: POP of an empty stack
    tags: [POP]
    protocol: 0
    stream: |
      POP
      STOP
    failure: stack
    exception: UnpicklingError
    finds: []
    calls: []

  - id: exc-loads
    title: a stream that loads, whatever the folder says
    tags: [NONE]
    protocol: 0
    stream: |
      NONE
      STOP
    failure: malformed
    exception: ValueError
    finds: []
    calls: []

  - id: exc-forbidden
    title: a global allow_globals refuses
    tags: [GLOBAL]
    protocol: 0
    load-options: {allow_globals: []}
    stream: |
      GLOBAL builtins len
      STOP
    failure: forbidden
    finds: [builtins:len]
    calls: []
"""


def adapters():
    return [Adapter(worker_command(sys.executable, kind), timeout=30) for kind in ("c", "py")]


def run(path, write=True, required=HERE):
    out = io.StringIO()
    opened = adapters()
    try:
        recorder = regen_exceptions.ExceptionRecorder(opened, write=write, out=out,
                                                      required=required)
        recorder.hello()
        recorder.run_file(str(path))
    finally:
        for adapter in opened:
            adapter.close()
    return recorder, out.getvalue()


@pytest.fixture
def reject_file(tmp_path):
    path = tmp_path / "reject" / "exc.yaml"
    path.parent.mkdir()
    path.write_text(CASES, encoding="utf-8")
    return path


def test_common_exception_is_one_type_raised_by_all():
    assert regen_exceptions.common_exception({1: "ValueError", 2: "ValueError"}) == "ValueError"
    assert regen_exceptions.common_exception({1: "ValueError", 2: "IndexError"}) is None
    assert regen_exceptions.common_exception({1: "ValueError", 2: None}) is None
    assert regen_exceptions.common_exception({}) is None


def test_the_rule_is_cpython_3_6_to_3_13_both_kinds():
    assert len(regen_exceptions.REQUIRED) == 16
    assert ("cpython", (3, 6), "py") in regen_exceptions.REQUIRED
    assert ("cpython", (3, 13), "c") in regen_exceptions.REQUIRED
    assert not any(version[0] == 2 for _, version, _ in regen_exceptions.REQUIRED)


def test_recording_writes_agreements_and_removes_the_rest(reject_file):
    recorder, out = run(reject_file)
    # written: ValueError; removed: the C/py disagreement and the stream that loads
    assert recorder.counts["changed"] == 4 and recorder.counts["errors"] == 0, out
    assert "UnpicklingError: cpython-%d.%d-c" % sys.version_info[:2] in out
    assert "IndexError: cpython-%d.%d-py" % sys.version_info[:2] in out
    read = corpus.load_corpus([reject_file.parent])
    assert read.problems == []
    got = {case.id: case.exception for case in read.cases}
    assert got == {"exc-unregistered-ext": "ValueError", "exc-pop-empty": None,
                   "exc-loads": None, "exc-forbidden": "UnpicklingError"}
    text = reject_file.read_text()
    assert "    failure: bad-argument\n    exception: ValueError\n    finds: []\n" in text
    assert text.replace("    exception: ValueError\n", "").replace(
        "    exception: UnpicklingError\n", "") == CASES.replace(
        "    exception: UnpicklingError\n", "").replace("    exception: ValueError\n", "")
    again, out = run(reject_file)
    assert again.counts["changed"] == 0, out
    assert reject_file.read_text() == text


def test_without_write_the_file_is_kept(reject_file):
    recorder, out = run(reject_file, write=False)
    assert recorder.counts["changed"] == 4
    assert "+exception: ValueError" in out
    assert reject_file.read_text() == CASES


def test_a_run_without_every_required_producer_refuses(reject_file):
    with pytest.raises(SystemExit) as info:
        run(reject_file, required=regen_exceptions.REQUIRED)
    assert "missing: cpython-3.6-c" in str(info.value)
    assert reject_file.read_text() == CASES


def lint(tmp_path, value, folder="reject"):
    path = tmp_path / folder / "case.yaml"
    path.parent.mkdir(exist_ok=True)
    first = CASES.split("\n\n")[0].replace(
        "    failure: bad-argument\n", "    failure: bad-argument\n    exception: %s\n" % value)
    path.write_text(first + "\n", encoding="utf-8")
    return [(p.field, p.message) for p in corpus.check([path.parent])]


def test_the_linter_checks_the_exception_name(tmp_path):
    assert lint(tmp_path, "ValueError") == []
    assert lint(tmp_path, "UnpicklingError") == []
    for wrong in ("NoSuchError", "len", "pickle.UnpicklingError", "[ValueError]"):
        (problem,) = lint(tmp_path, wrong)
        assert problem[0] == "exception" and "built-in exception" in problem[1], wrong


def test_only_a_reject_case_records_an_exception(tmp_path):
    problems = lint(tmp_path, "ValueError", folder="implementation-defined")
    assert any(field == "exception" for field, _ in problems), problems
