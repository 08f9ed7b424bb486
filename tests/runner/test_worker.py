"""The worker answers the adapter protocol under every interpreter found.

Each interpreter on the machine (CPython 2.7, 3.6+, PyPy) runs the same worker
file; an interpreter that is not installed is skipped with the reason shown.
"""

import json
import subprocess
import sys

import pytest

from picklespec.reference import model
from picklespec.process.adapter import Adapter
from picklespec.runner.targets import WORKER, find_interpreters

# The interpreters picklespec itself finds (PATH and pyenv), by the labels the
# tests name: "this", "2.7", "3.13", "pypy3".
INTERPRETERS = {"this": sys.executable}
for _found in find_interpreters():
    if _found.supported:
        _label = ("pypy%d" % _found.version[0] if _found.implementation == "pypy"
                  else "%d.%d" % _found.version[:2])
        INTERPRETERS.setdefault(_label, _found.path)
WANTED = ["this", "2.7", "3.6", "3.8", "3.13", "pypy3"]


def _pick(label):
    if label in INTERPRETERS:
        return INTERPRETERS[label]
    pytest.skip("no %s interpreter on this machine (looked in PATH and pyenv)" % label)


LIST_OF_PLAIN = model.to_json([1, model.Object(
    model.Global("picklespec.cases.fixtures", "Plain"), (), via="newobj", state={"a": 1})])


@pytest.mark.parametrize("label", WANTED)
@pytest.mark.parametrize("kind", ["c", "py"])
def test_worker_dumps_and_loads(label, kind):
    python = _pick(label)
    with Adapter([python, WORKER, kind], timeout=20) as worker:
        hello = worker.request({"op": "hello"})
        if not hello["ok"]:
            pytest.skip("%s has no %s pickler: %s" % (label, kind, hello.get("kind_error")))
        assert hello["producer"].endswith("-" + kind)
        dumped = worker.request({"op": "dump", "protocol": 2, "object": LIST_OF_PLAIN})
        assert dumped["ok"], dumped
        data = bytes.fromhex(dumped["data"])
        assert b"picklespec.cases.fixtures\nPlain\n" in data
        loaded = worker.request({"op": "load", "data": dumped["data"]})
        assert loaded["ok"], loaded
        assert model.equal(model.from_json(loaded["object"]), model.from_json(LIST_OF_PLAIN))
        rejected = worker.request({"op": "load", "data": "ff"})
        assert rejected["ok"] is False and rejected["kind"] == "rejected"


def test_persistent_ids_cross_the_boundary():
    doc = model.to_json([model.PersistentId("key-1")])
    with Adapter([sys.executable, WORKER, "c"], timeout=20) as worker:
        dumped = worker.request({"op": "dump", "protocol": 0, "object": doc})
        assert bytes.fromhex(dumped["data"]).count(b"Pkey-1\n") == 1
        loaded = worker.request({"op": "load", "data": dumped["data"]})
        assert model.equal(model.from_json(loaded["object"]), model.from_json(doc))


def test_out_of_band_buffers():
    doc = model.to_json(model.Buffer(data=b"xyz"))
    with Adapter([sys.executable, WORKER, "c"], timeout=20) as worker:
        dumped = worker.request({"op": "dump", "protocol": 5, "object": doc,
                                 "options": {"buffer_callback": "oob"}})
        assert dumped["buffers"] == [{"type": "bytearray", "value": b"xyz".hex()}]
        loaded = worker.request({"op": "load", "data": dumped["data"],
                                 "options": {"buffers": dumped["buffers"]}})
        assert loaded["ok"], loaded


def test_bad_requests_are_answered_not_fatal():
    proc = subprocess.run([sys.executable, WORKER, "c"], input=b'garbage\n{"op": "x"}\n{"op": "hello"}\n',
                          capture_output=True, timeout=30)
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == 3
    assert '"kind": "protocol"' in lines[0] and "not a JSON request" in lines[0]
    assert "unknown op" in lines[1]
    assert '"ok": true' in lines[2]


def test_printing_code_cannot_corrupt_the_channel():
    # A reduce callable that prints: its output goes to stderr, not the answers.
    doc = model.to_json(model.Object(model.Global("builtins", "print"), ("noise",)))
    proc = subprocess.run([sys.executable, WORKER, "c"], capture_output=True, timeout=30,
                          input=('{"op": "dump", "protocol": 2, "object": %s}\n{"op": "hello"}\n'
                                 % json.dumps(doc)).encode())
    answers = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [a["ok"] for a in answers] == [True, True]  # print() returned None, which pickles
    assert b"noise" in proc.stderr and b"noise" not in proc.stdout


def test_a_result_nested_past_the_protocol_depth_is_undescribable():
    # 600 nested lists: CPython loads them, but the answer may not nest past 500.
    data = (b"\x80\x02" + b"]" * 600 + b"a" * 599 + b".").hex()
    with Adapter([sys.executable, WORKER, "c"], timeout=20) as worker:
        answer = worker.request({"op": "load", "data": data})
    assert answer["ok"] is False and answer["kind"] == "undescribable"
    assert "nests 1200 JSON levels deep" in answer["message"]  # an object and its items per list


def test_the_runner_names_an_answer_too_deep_to_read():
    from picklespec.process import adapter

    # deeper than any interpreter's JSON reader goes (3.13's reaches past 5000)
    too_deep = b'{"ok": true, "object": ' + b"[" * 500000 + b"]" * 500000 + b"}"
    assert "deeper than the protocol allows" in adapter._decode(too_deep)


# Several dumps through one pickler, reducer_override, find_class restrictions.

SHARED = {"type": "list", "id": "1", "items": [{"type": "int", "value": "7"}]}
TWICE = {"type": "list", "items": [SHARED, {"type": "ref", "id": "1"}]}
FIXTURES = "picklespec.cases.fixtures"


def _worker(label, kind):
    python = sys.executable if kind == "reference" else _pick(label)
    worker = Adapter([python, WORKER, kind], timeout=20)
    hello = worker.request({"op": "hello"})
    if not hello["ok"]:
        worker.close()
        pytest.skip("%s has no %s pickler: %s" % (label, kind, hello.get("kind_error")))
    return worker, hello


KINDS = [(label, kind) for label in ["2.7", "3.6", "3.8", "3.13"] for kind in ("c", "py")] + \
    [("this", "reference")]


@pytest.mark.parametrize("label, kind", KINDS)
def test_sequence_shares_the_memo_unless_cleared(label, kind):
    worker, hello = _worker(label, kind)
    with worker:
        assert {"sequence", "allow_globals"} <= set(hello["load_options"])
        shared = worker.request({"op": "dump", "protocol": 2, "object": TWICE,
                                 "options": {"sequence": "true"}})
        cleared = worker.request({"op": "dump", "protocol": 2, "object": TWICE,
                                  "options": {"sequence": "true", "clear_memo": "true"}})
        # The second pickle of the shared dump is PROTO 2, BINGET, STOP.
        first, second = bytes.fromhex(shared["data"]).split(b".\x80\x02")
        assert second[:1] == b"h" and second[2:] == b"."
        one = bytes.fromhex(cleared["data"])
        assert one.count(b"K\x07") == 2 and one.count(b".") == 2
        for data, same in ((shared["data"], True), (cleared["data"], False)):
            loaded = worker.request({"op": "load", "data": data, "options": {"sequence": "true"}})
            assert loaded["ok"], loaded
            a, b = model.from_json(loaded["object"])
            assert a == b == [7] and (a is b) is same


@pytest.mark.parametrize("label, kind", KINDS)
def test_reducer_override(label, kind):
    worker, hello = _worker(label, kind)
    with worker:
        plain = model.to_json(model.Object(model.Global(FIXTURES, "Plain"), (), via="newobj",
                                           state={"a": 1}))
        for obj, function in ((plain, "reduce_plain"), ({"type": "int", "value": "5"},
                                                        "reduce_builtins")):
            answer = worker.request({"op": "dump", "protocol": 2, "object": obj,
                                     "options": {"reducer_override": FIXTURES + ":" + function}})
            old = hello["version"].startswith(("2.", "3.6.", "3.7."))
            if old:
                assert answer["ok"] is False and answer["kind"] == "unsupported"
                continue
            data = bytes.fromhex(answer["data"])
            if function == "reduce_plain":
                assert b"picklespec.cases.fixtures\nmake\n" in data and b"Plain" not in data
            elif kind == "py":  # pickle.py asks about every object, ints too
                assert b"builtins\nint\n" in data or b"__builtin__\nlong\n" in data
            else:  # _pickle.c (and the reference) never ask about an int
                assert data == b"\x80\x02K\x05."


@pytest.mark.parametrize("label, kind", KINDS)
def test_dispatch_table_and_exception_class(label, kind):
    worker, hello = _worker(label, kind)
    with worker:
        plain = model.to_json(model.Object(model.Global(FIXTURES, "Plain"), (), via="newobj",
                                           state={"a": 1}))
        answer = worker.request({"op": "dump", "protocol": 2, "object": plain,
                                 "options": {"dispatch_table": FIXTURES + ":DISPATCH_PLAIN"}})
        if hello["version"].startswith("2."):
            assert answer["ok"] is False and answer["kind"] == "unsupported"
        else:
            data = bytes.fromhex(answer["data"])
            assert b"picklespec.cases.fixtures\nmake\n" in data and b"Plain" not in data
        # a refused object is answered with the class of the exception raised
        lock = {"type": "global", "module": FIXTURES, "name": "GENERATOR"}
        answer = worker.request({"op": "dump", "protocol": 2, "object": lock})
        assert answer["ok"] is False and answer["kind"] == "unpicklable"
        assert answer["exception"] == "TypeError"  # the reference raises what _pickle raises


EXT240 = "8002" + "82f0" + "2e"  # PROTO 2, EXT1 240, STOP


@pytest.mark.parametrize("label, kind", KINDS)
def test_allow_globals(label, kind):
    worker, hello = _worker(label, kind)
    with worker:
        function = "c%s\nfunction\n." % FIXTURES
        data = function.encode().hex()
        allowed = worker.request({"op": "load", "data": data,
                                  "options": {"allow_globals": [FIXTURES + ":function"]}})
        assert allowed["ok"] and allowed["object"]["name"] == "function"
        refused = worker.request({"op": "load", "data": data,
                                  "options": {"allow_globals": [FIXTURES + ":make"]}})
        assert refused["kind"] == "rejected" and refused.get("clean", True)
        assert "global '%s.function' is forbidden" % FIXTURES in refused["message"]
        # An extension code loaded once is cached by CPython; a restricted
        # load must still ask find_class about it.
        assert worker.request({"op": "load", "data": EXT240})["ok"]
        ext = worker.request({"op": "load", "data": EXT240,
                              "options": {"allow_globals": [FIXTURES + ":make"]}})
        assert ext["kind"] == "rejected" and "Extension1' is forbidden" in ext["message"]


# -- the record op: what find_class is asked, never resolved -------------------

from picklespec.reference.asm import assemble  # noqa: E402

# (stream, finds, calls, outcome), written by hand from the streams
RECORDED = [
    ("GLOBAL os system\nEMPTY_TUPLE\nREDUCE\nSTOP\n", ["os:system"], ["os:system"], "loaded"),
    ("PROTO 2\nGLOBAL subprocess Popen\nEMPTY_TUPLE\nNEWOBJ\nEMPTY_DICT\nBUILD\nSTOP\n",
     ["subprocess:Popen"], ["subprocess:Popen"], "loaded"),
    ("MARK\nINST builtins exec\nMARK\nBININT1 1\nINST builtins eval\nSTOP\n",
     ["builtins:exec", "builtins:eval"], ["builtins:exec", "builtins:eval"], "loaded"),
    ("MARK\nGLOBAL runpy _run_code\nOBJ\nPOP\nGLOBAL os system\nEMPTY_DICT\nBUILD\nSTOP\n",
     ["runpy:_run_code", "os:system"], ["runpy:_run_code"], "loaded"),
    ("GLOBAL os system\nBININT1 1\nBININT1 2\nSETITEM\nMARK\nBININT1 3\nAPPENDS\n"
     "EMPTY_TUPLE\nREDUCE\nEMPTY_DICT\nBUILD\nSTOP\n",
     ["os:system"], ["os:system"], "loaded"),
    ("PROTO 2\nEXT1 240\nEMPTY_TUPLE\nREDUCE\nEMPTY_LIST\nBININT1 1\nAPPEND\nSTOP\n",
     ["picklespec.cases.fixtures:Extension1"], ["picklespec.cases.fixtures:Extension1"],
     "loaded"),
    ("PROTO 2\nGLOBAL builtins getattr\nGLOBAL importlib import_module\nBINUNICODE 'os'\n"
     "TUPLE1\nREDUCE\nBINUNICODE 'system'\nTUPLE2\nREDUCE\nEMPTY_TUPLE\nREDUCE\nRAW b'X\\x10'\n",
     ["builtins:getattr", "importlib:import_module"],
     ["importlib:import_module", "builtins:getattr"], "rejected"),
]


@pytest.mark.parametrize("label", WANTED)
@pytest.mark.parametrize("kind", ["c", "py"])
def test_record_finds_and_calls(label, kind):
    python = _pick(label)
    with Adapter([python, WORKER, kind], timeout=20) as worker:
        if not worker.request({"op": "hello"})["ok"]:
            pytest.skip("%s has no %s unpickler" % (label, kind))
        for text, finds, calls, outcome in RECORDED:
            answer = worker.request({"op": "record", "data": assemble(text).hex()})
            assert answer["ok"], answer
            assert (answer["finds"], answer["calls"], answer["outcome"]) \
                == (finds, calls, outcome), text
        # the extension cache holds no stand-in afterwards: a real load of
        # EXT1 240 gives the real class
        real = worker.request({"op": "load", "data": assemble("PROTO 2\nEXT1 240\nSTOP\n").hex()})
        assert real["object"] == {"type": "global", "module": "picklespec.cases.fixtures",
                                  "name": "Extension1"}


def test_record_counts_arguments_of_every_call():
    with Adapter([sys.executable, WORKER, "c"], timeout=20) as worker:
        text = RECORDED[-1][0]
        answer = worker.request({"op": "record", "data": assemble(text).hex()})
    assert answer["events"] == [{"call": "importlib:import_module", "args": 1},
                                {"call": "builtins:getattr", "args": 2},
                                {"call": None, "args": 0}]


# A child interpreter imports the worker, audits everything a dangerous stream
# could touch, records the streams, and prints what it saw.
AUDITED = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import worker
hex_streams = json.loads(sys.argv[2])
for kind in ("c", "py"):  # NONE STOP: the worker's own imports happen first
    worker.record(kind, {"data": "4e2e"})
events = []
if hasattr(sys, "addaudithook"):
    def hook(event, args):
        if event in ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "subprocess.Popen",
                     "pickle.find_class", "compile"):
            events.append(event)
        elif event == "import" and args[0].split(".")[0] in ("subprocess", "runpy", "pty",
                                                              "importlib", "shutil", "socket"):
            events.append("import " + args[0])
    sys.addaudithook(hook)
answers = [worker.record(kind, {"data": h}) for kind in ("c", "py") for h in hex_streams]
print(json.dumps({"events": events, "answers": answers,
                  "modules": sorted(m for m in ("subprocess", "runpy", "pty", "shutil", "socket")
                                    if m in sys.modules)}))
"""


@pytest.mark.parametrize("label", ["this", "2.7", "3.8", "3.13"])
def test_recording_a_dangerous_stream_imports_and_runs_nothing(label):
    import os

    python = _pick(label)
    streams = [assemble(text).hex() for text, _, _, _ in RECORDED]
    proc = subprocess.run([python, "-c", AUDITED, os.path.dirname(WORKER), json.dumps(streams)],
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    seen = json.loads(proc.stdout.decode().splitlines()[-1])
    assert [a["finds"] for a in seen["answers"]] == [finds for _, finds, _, _ in RECORDED] * 2
    assert seen["events"] == []  # no import, no find_class of CPython's own, no call
    assert seen["modules"] == []


def test_a_real_load_refuses_a_dangerous_global():
    """The worker's second lock (CPython 3.8+): a load that is not a
    recording never resolves os.system, with or without allow_globals."""
    data = assemble("GLOBAL os system\nEMPTY_TUPLE\nREDUCE\nSTOP\n").hex()
    with Adapter([sys.executable, WORKER, "c"], timeout=20) as worker:
        answer = worker.request({"op": "load", "data": data})
        # RuntimeError: not among the worker's clean exceptions, never a pass.
        assert answer["ok"] is False and answer["exception"] == "RuntimeError"
        assert "refused to resolve the dangerous global os.system" in answer["message"]
        restricted = worker.request({"op": "load", "data": data,
                                     "options": {"allow_globals": ["builtins:len"]}})
        assert restricted["exception"] == "UnpicklingError" and "forbidden" in restricted["message"]


@pytest.mark.parametrize("label, kind", KINDS + [("pypy3", "py")])
@pytest.mark.parametrize("value", ["abcd" * 2, b"abcd" * 2], ids=["str", "bytes"])
def test_a_str_held_twice_reaches_the_pickler_as_one_object(label, kind, value):
    """Tagged JSON gives a str or bytes held twice an id: the worker's pickler
    writes it once and GETs it, and writes two equal ones twice."""
    from picklespec.reference.asm import disassemble

    def gets(doc):
        # protocol 3 writes bytes as BINBYTES (protocol 2 in Python 3: a REDUCE)
        answer = worker.request({"op": "dump", "protocol": 2 if label == "2.7" else 3,
                                 "object": doc})
        assert answer["ok"], answer
        text = disassemble(bytes.fromhex(answer["data"]))
        return sum(line.split()[0] in ("BINGET", "LONG_BINGET")
                   for line in text.splitlines() if line.strip())

    worker, _ = _worker(label, kind)
    with worker:
        assert gets(model.to_json([value, value])) == 1
        assert gets(model.to_json([value, value[:4] + value[4:]])) == 0
