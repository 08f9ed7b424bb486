"""The worker answers the adapter protocol under every interpreter found.

Each interpreter on the machine (CPython 2.7, 3.6+, PyPy) runs the same worker
file; an interpreter that is not installed is skipped with the reason shown.
"""

import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

from picklespec.reference import model
from picklespec.runner.adapter import Adapter

WORKER = os.path.join(os.path.dirname(model.__file__), os.pardir, "runner", "worker.py")
if not os.path.exists(WORKER):  # installed layout: picklespec/runner/worker.py
    import picklespec.runner

    WORKER = os.path.join(os.path.dirname(picklespec.runner.__file__), "worker.py")


def _interpreters():
    found = {"this": sys.executable}
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    for path in sorted(glob.glob(os.path.join(root, "versions", "*", "bin", "python"))):
        found[os.path.basename(os.path.dirname(os.path.dirname(path)))] = path
    for name in ("pypy3", "pypy"):
        if shutil.which(name):
            found[name] = shutil.which(name)
    return found


INTERPRETERS = _interpreters()
WANTED = ["this", "2.7", "3.6", "3.8", "3.13", "pypy3"]


def _pick(label):
    for name, path in INTERPRETERS.items():
        if name == label or name.startswith(label + "."):
            return path
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
    from picklespec.runner import adapter

    # deeper than any interpreter's JSON reader goes (3.13's reaches past 5000)
    too_deep = b'{"ok": true, "object": ' + b"[" * 500000 + b"]" * 500000 + b"}"
    assert "deeper than the protocol allows" in adapter._decode(too_deep)
