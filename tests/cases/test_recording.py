"""cases/recording.py: the scanner ground truth, recorded in this process.

runner/worker.py's ``record`` request runs the same module under every
interpreter (tests/runner/test_worker.py, tests/cases/test_regen.py); these
tests hold its in-process use -- the scan judge's, for streams the corpus
has no record for -- to the committed corpus, which real CPythons recorded.
"""

import json
import pickle
import subprocess
import sys

import pytest

from picklespec.cases import corpus, recording
from picklespec.reference.asm import assemble

PRODUCER = "cpython-%d.%d-c" % sys.version_info[:2]
EXT1 = "picklespec.cases.fixtures:Extension1"


def _record(case):
    options = dict(case.load_options)
    sequence = options.pop("sequence", False)
    options.pop("allow_globals", None)
    return recording.record(bytes(case.data), sequence=sequence, **options)


@pytest.fixture(scope="module")
def load_cases():
    return [c for c in corpus.load_corpus().cases if c.classification != "dump"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # UNICODE's invalid escapes
def test_by_default_it_records_what_the_corpus_records_for_this_c_unpickler(load_cases):
    stale = []
    for case in load_cases:
        found = _record(case)
        if (found.finds, found.calls) != case.scan_for(PRODUCER):
            stale.append("%s: recorded %r, asks %r" % (case.id, case.scan_for(PRODUCER),
                                                        (found.finds, found.calls)))
    assert stale == []


@pytest.mark.parametrize("case_id, finds, calls", [
    # _pickle refuses a list as NEWOBJ's arguments before the call; pickle.py calls
    ("defined-newobj-list-args", ["picklespec.cases.fixtures:NewArgs"], []),
    # _pickle asks nothing for a GLOBAL without its name line; pickle.py asks for "builtins:"
    ("reject-truncated-global-no-name", [], []),
])
def test_the_c_unpickler_not_pickle_py_is_the_default(load_cases, case_id, finds, calls):
    case = next(c for c in load_cases if c.id == case_id)
    assert case.scan_for("cpython-3.13-c") == (finds, calls)
    assert case.scan_for("cpython-3.13-py") != (finds, calls)  # the case still shows a difference
    found = _record(case)
    assert (found.finds, found.calls) == (finds, calls)


def test_an_extension_code_met_before_is_asked_for_and_no_stand_in_is_left():
    from picklespec.cases import fixtures

    data = assemble("PROTO 2\nEXT1 240\nSTOP\n")
    assert pickle.loads(data) is fixtures.Extension1  # now in copyreg's cache of codes
    for _ in range(2):
        found = recording.record(data)
        assert (found.finds, found.calls, found.outcome) == ([EXT1], [], "loaded")
    assert pickle.loads(data) is fixtures.Extension1


@pytest.mark.parametrize("text", [
    "GLOBAL builtins len\nEMPTY_DICT\nBUILD\nSTOP\n",
    "GLOBAL builtins len\nMARK\nINT 1\nINT 2\nSETITEMS\nSTOP\n",
    "PROTO 2\nGLOBAL builtins len\nBININT1 1\nAPPEND\nSTOP\n",
    "PROTO 2\nGLOBAL builtins len\nMARK\nBININT1 1\nAPPENDS\nSTOP\n",
])
def test_a_stand_in_itself_absorbs_build_and_items(text):
    found = recording.record(assemble(text))
    assert (found.finds, found.calls, found.events) == (["builtins:len"], [], [])
    assert found.outcome == "loaded"


def test_calls_and_what_they_give_are_recorded_with_their_arguments():
    found = recording.record(assemble(
        "PROTO 2\nGLOBAL builtins len\nBININT1 1\nTUPLE1\nREDUCE\nEMPTY_TUPLE\nREDUCE\n"
        "GLOBAL builtins object\nBININT1 1\nBININT1 2\nTUPLE2\nNEWOBJ\nBINUNICODE 'x'\nBUILD\n"
        "TUPLE2\nSTOP\n"))
    assert found.outcome == "loaded"
    assert found.finds == ["builtins:len", "builtins:object"]
    assert found.calls == ["builtins:len", "builtins:object"]
    assert found.events == [{"call": "builtins:len", "args": 1}, {"call": None, "args": 0},
                            {"call": "builtins:object", "args": 2}]


def test_a_persistent_object_is_inert():
    found = recording.record(assemble("PROTO 2\nBINUNICODE 'x'\nBINPERSID\nBININT1 7\nTUPLE1\n"
                                      "REDUCE\nSTOP\n"))
    assert (found.finds, found.calls, found.outcome) == ([], [], "loaded")
    assert found.events == [{"call": None, "args": 1}]


def test_a_failing_load_keeps_what_came_before():
    found = recording.record(assemble("PROTO 2\nGLOBAL builtins len\nEMPTY_TUPLE\nREDUCE\n"
                                      "GLOBAL builtins id\nRAW b'J\\x01'\n"))
    assert found.outcome == "rejected"
    assert type(found.exception).__name__ in ("UnpicklingError", "EOFError")
    assert (found.finds, found.calls) == (["builtins:len", "builtins:id"], ["builtins:len"])


def test_options_reach_the_unpickler():
    # two pickles, one memo: the second GETs what the first PUT
    two = assemble("PROTO 2\nGLOBAL builtins len\nBINPUT 0\nSTOP\n") + \
        assemble("PROTO 2\nBINGET 0\nEMPTY_TUPLE\nREDUCE\nSTOP\n")
    found = recording.record(two, sequence=True)
    assert found.outcome == "loaded"
    assert (found.finds, found.calls) == (["builtins:len"], ["builtins:len"])
    assert recording.record(two).calls == []
    # a Python 2 str is decoded as the encoding says, before the call
    py2 = assemble("PROTO 2\nGLOBAL builtins len\nSHORT_BINSTRING b'\\xff'\nTUPLE1\nREDUCE\nSTOP\n")
    found = recording.record(py2)
    assert (found.outcome, found.calls) == ("rejected", [])
    assert isinstance(found.exception, UnicodeDecodeError)
    found = recording.record(py2, encoding="latin-1")
    assert (found.outcome, found.calls) == ("loaded", ["builtins:len"])
    # out-of-band buffers come from the caller
    found = recording.record(assemble("PROTO 5\nNEXT_BUFFER\nSTOP\n"), buffers=[b"x"])
    assert found.outcome == "loaded"
    assert recording.record(assemble("PROTO 5\nNEXT_BUFFER\nSTOP\n")).outcome == "rejected"


IMPORT = r"""
import json, sys
seen = []
sys.addaudithook(lambda event, args: seen.append(event) if event == "sys.addaudithook" else None)
from picklespec.cases import recording
print(json.dumps({"hooks": seen, "fixtures": "picklespec.cases.fixtures" in sys.modules}))
"""


def test_importing_it_does_nothing():
    # no audit hook (the worker's real loads have one), no extension codes registered
    proc = subprocess.run([sys.executable, "-c", IMPORT], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout) == {"hooks": [], "fixtures": False}
