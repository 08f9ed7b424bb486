"""Every third-party adapter of runner/adapters, started by name as the runner starts it.

Each is skipped, with the command that installs it, where its library is
not installed here (``picklespec adapters install NAME``; tox's adapters
env installs them all).  For each: its hello carries the profile the
protocol requires, one known-good answer, and what it answers for a
malformed stream.  Streams come from this interpreter's pickle; a dump is
judged by this plain CPython reading it back (or, for pickle5, by the bytes
a real CPython 3.8 writes); a scan by what CPython's find_class is asked
for, recorded with an inert stand-in.
"""

import io
import os
import pickle
import pickletools
import subprocess

import pytest

from picklespec.runner import catalog
try:
    from picklespec.runner.process import Adapter
except ImportError:  # before runner/process/
    from picklespec.process import Adapter
from picklespec.runner.targets import UsageError, find_interpreters

try:
    from picklespec.runner.profile import read_profile  # the runner's own check of a hello
except ImportError:  # a runner that does not read profiles yet
    read_profile = None

GOOD = [1, ("a", None)]
GOOD_JSON = {"type": "list", "items": [
    {"type": "int", "value": "1"},
    {"type": "tuple", "items": [{"type": "str", "value": "a"}, {"type": "none"}]}]}
TRUNCATED = pickle.dumps(GOOD, 2)[:2]  # PROTO 2, then nothing: no STOP


def start(name):
    try:
        spec = catalog.find_target(name)
    except UsageError as exc:
        pytest.skip(str(exc))
    assert spec is not None, "no adapter names the target %s" % name
    return Adapter(spec.argv, cwd=spec.cwd, name=name, timeout=60)


@pytest.fixture
def target(request):
    adapter = start(request.param)
    hello = adapter.request({"op": "hello"}, timeout=120)
    assert hello.get("ok") is True, hello
    yield adapter, hello
    adapter.close()


def ask(adapter, request):
    answer = adapter.request(request)
    answer.pop("id", None)
    return answer


def check_profile(hello, name, checks):
    """The fields the profile contract requires, with values from its vocabulary."""
    if read_profile is not None:
        read_profile(hello)  # raises ProfileError, naming what is wrong
    assert hello["name"] == name
    for field in ("implementation", "version", "kind"):
        assert isinstance(hello[field], str) and hello[field]
    assert hello["checks"] == checks
    if set(checks) - {"dump"}:
        assert hello["load_protocols"] and set(hello["load_protocols"]) <= set(range(6))
    if "dump" in checks:
        assert hello["dump_protocols"] and set(hello["dump_protocols"]) <= set(range(6))
    opcodes = {op.name for op in pickletools.opcodes}
    assert hello["opcodes"] == "all" or (hello["opcodes"] and set(hello["opcodes"]) <= opcodes)
    assert isinstance(hello["model"], list)
    if "load" in checks or "parse" in checks:
        assert hello["clean_exceptions"]
    if "scan" in checks:
        assert hello["scan_reports"] in ("all", "unsafe")


def assert_clean_rejection(answer, hello, exception=None):
    assert answer["ok"] is False and answer["kind"] == "rejected", answer
    # clean as runner/PROTOCOL.md defines it: the exception or one of its bases is declared
    names = [answer["exception"]] + answer.get("exception_bases", [])
    assert set(names) & set(hello["clean_exceptions"]) and "clean" not in answer, answer
    if exception:
        assert answer["exception"] == exception


# -- readers ---------------------------------------------------------------------------------


LOADERS = ["zodbpickle-c", "zodbpickle-py", "fickling-loads", "torch-weights-only",
           "pickle5-3.6-c", "pickle5-3.6-py", "pickle5-3.7-c", "pickle5-3.7-py"]


@pytest.mark.parametrize("target", LOADERS, indirect=True)
def test_load(target):
    adapter, hello = target
    checks = ["load"] if hello["implementation"] in ("fickling", "torch") else ["load", "dump"]
    check_profile(hello, adapter.name, checks)
    assert ask(adapter, {"op": "load", "data": pickle.dumps(GOOD, 2).hex()}) == {"ok": True, "object": GOOD_JSON}
    assert_clean_rejection(ask(adapter, {"op": "load", "data": TRUNCATED.hex()}), hello)


@pytest.mark.parametrize("target", ["zodbpickle-c", "zodbpickle-py"], indirect=True)
def test_zodbpickle_dump_is_read_by_cpython(target):
    adapter, hello = target
    assert hello["dump_protocols"] == [0, 1, 2, 3]
    for protocol in hello["dump_protocols"]:
        answer = ask(adapter, {"op": "dump", "protocol": protocol, "object": GOOD_JSON})
        assert pickle.loads(bytes.fromhex(answer["data"])) == [1, ("a", None)]
    assert ask(adapter, {"op": "dump", "protocol": 4, "object": GOOD_JSON})["kind"] == "unsupported"


@pytest.mark.parametrize("target", ["torch-weights-only"], indirect=True)
def test_torch_allowlist(target):
    adapter, hello = target
    assert "collections:OrderedDict" in hello["allowed_globals"]
    assert "builtins:print" not in hello["allowed_globals"]
    refused = ask(adapter, {"op": "load", "data": pickle.dumps(print, 2).hex()})
    assert_clean_rejection(refused, hello, "UnpicklingError")


def _cpython38():
    found = [i for i in find_interpreters() if i.supported and i.implementation == "cpython"
             and i.version[:2] == (3, 8)]
    return (found[0].executable or found[0].path) if found else None


@pytest.mark.parametrize("target", ["pickle5-3.6-c", "pickle5-3.6-py", "pickle5-3.7-c", "pickle5-3.7-py"],
                         indirect=True)
def test_pickle5_writes_what_cpython_38_writes(target):
    adapter, hello = target
    python = _cpython38()
    if python is None:
        pytest.skip("no CPython 3.8 found (PATH, pyenv) to compare pickle5's bytes with")
    pickler = "pickle.Pickler" if hello["kind"] == "c" else "pickle._Pickler"
    code = ("import io, pickle, sys\nout = io.BytesIO()\n%s(out, 5).dump([1, ('a', None), b'xy'])\n"
            "sys.stdout.write(out.getvalue().hex())" % pickler)
    expected = subprocess.run([python, "-I", "-c", code], capture_output=True, text=True, check=True).stdout
    value = {"type": "list", "items": GOOD_JSON["items"] + [{"type": "bytes", "value": "7879"}]}
    assert hello["producer"] == "cpython-3.8-" + hello["kind"]
    assert ask(adapter, {"op": "dump", "protocol": 5, "object": value}) == {"ok": True, "data": expected}


# -- parsers and transforms ---------------------------------------------------------------------


@pytest.mark.parametrize("target", ["zodbpickle-noload", "fickling-parse", "pickletools-dis",
                                    "pickletools-genops"], indirect=True)
def test_parse(target):
    adapter, hello = target
    check_profile(hello, adapter.name, ["parse"])
    assert ask(adapter, {"op": "parse", "data": pickle.dumps(GOOD, 2).hex()}) == {"ok": True}
    assert_clean_rejection(ask(adapter, {"op": "parse", "data": TRUNCATED.hex()}), hello)


@pytest.mark.parametrize("target", ["zodbpickle-noload"], indirect=True)
def test_noload_parses_a_python_2_str_whatever_its_bytes(target):
    # S'\xe4' as cPickle 2.7 writes it: CPython 3 loads it with encoding='latin1';
    # which encoding is a load option, not the stream's form
    data = b"S'\\xe4'\np0\n."
    assert pickle.loads(data, encoding="latin1") == "\xe4"
    adapter, _ = target
    assert ask(adapter, {"op": "parse", "data": data.hex()}) == {"ok": True}


@pytest.mark.parametrize("target", ["pickletools-dis", "pickletools-genops"], indirect=True)
def test_dis_checks_the_stack_and_genops_does_not(target):
    adapter, hello = target
    answer = ask(adapter, {"op": "parse", "data": "80026c2e"})  # LIST with no MARK before it
    if hello["kind"] == "dis":
        assert_clean_rejection(answer, hello, "ValueError")
    else:
        assert answer == {"ok": True}


@pytest.mark.parametrize("target", ["pickletools-optimize"], indirect=True)
def test_optimize(target):
    adapter, hello = target
    check_profile(hello, adapter.name, ["transform"])
    shared = [1]
    data = pickle.dumps([shared, shared, "a"], 2)
    answer = ask(adapter, {"op": "transform", "data": data.hex()})
    out = bytes.fromhex(answer["data"])
    assert len(out) < len(data)  # the unused PUTs are gone
    loaded = pickle.loads(out)
    assert loaded == [[1], [1], "a"] and loaded[0] is loaded[1]
    assert_clean_rejection(ask(adapter, {"op": "transform", "data": TRUNCATED.hex()}), hello, "ValueError")


# -- producers --------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["cloudpickle", "dill"], indirect=True)
def test_producer_dumps_are_read_by_plain_cpython(target):
    adapter, hello = target
    check_profile(hello, adapter.name, ["dump"])
    assert hello["readable_by"]
    value = {"type": "dict", "items": [[{"type": "str", "value": "k"}, GOOD_JSON]]}
    for protocol in hello["dump_protocols"]:
        answer = ask(adapter, {"op": "dump", "protocol": protocol, "object": value})
        assert pickle.loads(bytes.fromhex(answer["data"])) == {"k": [1, ("a", None)]}, protocol
    missing = {"type": "global", "module": "no_such_module_here", "name": "x"}
    assert ask(adapter, {"op": "dump", "protocol": 2, "object": missing})["kind"] == "unavailable"


# -- scanners ---------------------------------------------------------------------------------


class _Inert:
    def __init__(self, *args, **kwargs):
        pass


def cpython_finds(data):
    """The globals CPython's unpickler asks find_class for, in order; nothing is run."""
    asked = []

    class Recorder(pickle.Unpickler):
        def find_class(self, module, name):
            asked.append("%s:%s" % (module, name))
            return _Inert

    try:
        Recorder(io.BytesIO(data)).load()
    except Exception:
        pass
    return asked


@pytest.mark.parametrize("target", ["picklescan", "modelscan"], indirect=True)
def test_scan(target):
    adapter, hello = target
    check_profile(hello, adapter.name, ["scan"])
    dangerous = pickle.dumps(eval, 4)
    assert cpython_finds(dangerous) == ["builtins:eval"]
    assert ask(adapter, {"op": "scan", "data": dangerous.hex()}) == {
        "ok": True, "finds": ["builtins:eval"], "calls": None}
    harmless = pickle.dumps(print, 4)
    answer = ask(adapter, {"op": "scan", "data": harmless.hex()})
    # picklescan reports every global, modelscan only those it rates unsafe
    expected = cpython_finds(harmless) if hello["scan_reports"] == "all" else []
    assert answer == {"ok": True, "finds": expected, "calls": None}


@pytest.mark.parametrize("target", ["picklescan", "modelscan"], indirect=True)
def test_scan_of_a_stream_broken_after_its_global(target):
    adapter, hello = target
    broken = pickle.dumps(eval, 4)[:-1] + b"K"  # BININT1 with no argument where STOP was
    answer = ask(adapter, {"op": "scan", "data": broken.hex()})
    if hello["name"] == "picklescan":
        assert answer == {"ok": True, "finds": ["builtins:eval"], "calls": None}
    else:
        assert_clean_rejection(answer, hello, "PickleGenopsError")


# -- JavaScript libraries -----------------------------------------------------------------------


@pytest.mark.parametrize("target", ["jpickle"], indirect=True)
def test_jpickle(target):
    adapter, hello = target
    check_profile(hello, "jpickle", ["load"])
    assert hello["load_protocols"] == [0, 1, 2]
    data = pickle.dumps([1, "a", None, {"k": 1.5}], 2)
    assert ask(adapter, {"op": "load", "data": data.hex()}) == {"ok": True, "object": {"type": "list", "items": [
        {"type": "int", "value": "1"}, {"type": "str", "value": "a"}, {"type": "none"},
        {"type": "dict", "items": [[{"type": "str", "value": "k"}, {"type": "float", "value": "1.5"}]]}]}}
    assert_clean_rejection(ask(adapter, {"op": "load", "data": "ff"}), hello, "String")


@pytest.mark.parametrize("target", ["unpickle"], indirect=True)
def test_unpickle(target):
    adapter, hello = target
    check_profile(hello, "unpickle", ["load"])
    data = pickle.dumps({"a": (100000, 1.5)}, 4)
    used = {op.name for op, _, _ in pickletools.genops(data)}
    assert used <= set(hello["opcodes"])
    assert ask(adapter, {"op": "load", "data": data.hex()}) == {"ok": True, "object": {"type": "dict", "items": [
        [{"type": "str", "value": "a"},
         {"type": "list", "items": [{"type": "int", "value": "100000"}, {"type": "float", "value": "1.5"}]}]]}}
    assert_clean_rejection(ask(adapter, {"op": "load", "data": "ff"}), hello, "Error")
