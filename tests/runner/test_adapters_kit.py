"""The adapter kits (runner/adapters/kit.py, jskit.js) and the JavaScript template.

The Python kit is driven through small adapters written here, the way a
library's adapter uses it, under this interpreter and under the oldest ones
it promises to run on (2.7, 3.6) when they are found.  The expected answers
are those runner/PROTOCOL.md and cases/README.md define; the streams are
what this interpreter's pickle writes.
"""

import json
import os
import pickle
import shutil
import subprocess
import sys

import pytest

import picklespec.runner
try:
    from picklespec.runner.process import Adapter
except ImportError:  # before runner/process/
    from picklespec.process import Adapter
from picklespec.runner.targets import find_interpreters

ADAPTERS = os.path.join(os.path.dirname(os.path.abspath(picklespec.runner.__file__)), "adapters")
NODE = shutil.which("node")

# A library adapter as the kit's documentation shows it, with the stdlib's
# pure-Python pickle standing in for the library.  Each function misbehaves
# on request, to check what the kit answers.
ADAPTER = r'''
import os, sys
sys.path.insert(0, %(adapters)r)
import kit

def make(mode="good"):
    if mode == "missing":
        import no_such_library_here
    import pickle
    hello = {"name": "stdlib-py", "implementation": "cpython", "version": "1", "kind": "py",
             "load_protocols": [0, 1, 2], "dump_protocols": [2], "opcodes": kit.opcodes_up_to(2),
             "clean_exceptions": ["UnpicklingError", "EOFError"], "scan_reports": "all"}
    if mode == "bad-profile":
        del hello["clean_exceptions"]
        hello["model"] = ["no-such-projection"]
    load = kit.unpickler_load(pickle._Unpickler if sys.version_info[0] > 2 else pickle.Unpickler,
                              options=["sequence", "allow_globals"])

    def loud_load(data, options):
        print("the library talks on stdout")
        if data == b"undescribable.":
            class Opaque(object):
                def __reduce_ex__(self, protocol):
                    raise TypeError("no reduce")
            return Opaque()
        return load(data, options)

    def parse(data):
        if not data.endswith(b"."):
            raise kit.Rejected("NoStop", "the stream does not end with STOP")

    def scan(data):
        if data == b"broken":
            return "not a pair"  # a bug in the adapter: answered internal, and it goes on
        return ["builtins:print"], None

    hello["load_options"] = ["sequence", "allow_globals"]
    return kit.Adapter(hello, load=loud_load, dump=kit.pickler_dump(pickle._Pickler if sys.version_info[0] > 2 else pickle.Pickler),
                       parse=parse, scan=scan, transform=lambda data: data + b"")

kit.main(make)
'''


def _pythons():
    out = [pytest.param(sys.executable, id="host")]
    found = {"%d.%d" % i.version[:2]: i.executable or i.path for i in find_interpreters()
             if i.supported and i.implementation == "cpython"}
    for version in ("2.7", "3.6"):
        out.append(pytest.param(found.get(version), id=version, marks=pytest.mark.skipif(
            version not in found, reason="no CPython %s found on PATH or in pyenv" % version)))
    return out


@pytest.fixture(params=_pythons())
def start(request, tmp_path):
    script = tmp_path / "demo" / "adapter.py"
    script.parent.mkdir()
    script.write_text(ADAPTER % {"adapters": ADAPTERS})
    started = []

    def start(mode="good"):
        adapter = Adapter([request.param, "-E", "-s", "-B", str(script), mode], name="demo", timeout=30)
        started.append(adapter)
        return adapter

    yield start
    for adapter in started:
        adapter.close()


def ask(adapter, request):
    answer = adapter.request(request)
    answer.pop("id", None)
    return answer


def test_hello_is_the_profile_completed(start):
    hello = ask(start(), {"op": "hello"})
    assert hello["ok"] is True
    assert hello["checks"] == ["load", "dump", "parse", "scan", "transform"]
    assert hello["load_protocols"] == [0, 1, 2] and hello["dump_protocols"] == [2]
    assert "PROTO" in hello["opcodes"] and "FRAME" not in hello["opcodes"]
    assert hello["model"] == [] and hello["producer"] is None and hello["pipeline"] is True


def test_load_answers_tagged_json(start):
    answer = ask(start(), {"op": "load", "data": pickle.dumps([1, ("a", None)], 2).hex()})
    assert answer == {"ok": True, "object": {"type": "list", "items": [
        {"type": "int", "value": "1"},
        {"type": "tuple", "items": [{"type": "str", "value": "a"}, {"type": "none"}]}]}}


def test_exceptions_are_rejections_named_by_type(start):
    adapter = start()
    truncated = ask(adapter, {"op": "load", "data": "8002"})  # no STOP: EOFError, declared clean
    bases = truncated.pop("exception_bases")
    assert truncated == {"ok": False, "kind": "rejected", "exception": "EOFError", "message": "EOFError: "}
    assert bases[-3:] == ["Exception", "BaseException", "object"]
    underflow = ask(adapter, {"op": "load", "data": "80026c2e"})  # LIST without a MARK
    assert underflow["kind"] == "rejected" and underflow["clean"] is False
    assert underflow["exception"] not in ("EOFError", "UnpicklingError")
    assert underflow["message"].startswith(underflow["exception"] + ":")


def test_undescribable_result_and_staying_alive(start):
    adapter = start()
    answer = ask(adapter, {"op": "load", "data": b"undescribable.".hex()})
    assert answer["ok"] is False and answer["kind"] == "undescribable"
    broken = ask(adapter, {"op": "scan", "data": b"broken".hex()})
    assert broken["ok"] is False and broken["kind"] == "internal"
    assert ask(adapter, {"op": "load", "data": "80024b072e"}) == {
        "ok": True, "object": {"type": "int", "value": "7"}}


def test_dump_parse_scan_transform(start):
    adapter = start()
    dump = ask(adapter, {"op": "dump", "protocol": 2, "object": {"type": "int", "value": "1"}})
    assert dump == {"ok": True, "data": pickle.dumps(1, 2).hex()}
    assert ask(adapter, {"op": "dump", "protocol": 4, "object": {"type": "none"}})["kind"] == "unsupported"
    assert ask(adapter, {"op": "parse", "data": "4e2e"}) == {"ok": True}
    rejected = ask(adapter, {"op": "parse", "data": "4e"})
    assert rejected.pop("exception_bases", None) is None  # kit.Rejected names no class
    assert rejected == {
        "ok": False, "kind": "rejected", "exception": "NoStop", "clean": False,
        "message": "NoStop: the stream does not end with STOP"}
    assert ask(adapter, {"op": "scan", "data": "4e2e"}) == {"ok": True, "finds": ["builtins:print"], "calls": None}
    assert ask(adapter, {"op": "transform", "data": "4e2e"}) == {"ok": True, "data": "4e2e"}


def test_undeclared_option_is_unsupported_and_declared_one_works(start):
    adapter = start()
    assert ask(adapter, {"op": "load", "data": "4e2e", "options": {"encoding": "bytes"}})["kind"] == "unsupported"
    assert ask(adapter, {"op": "load", "data": "4b012e4b022e", "options": {"sequence": "true"}}) == {
        "ok": True, "object": {"type": "list", "items": [{"type": "int", "value": "1"}, {"type": "int", "value": "2"}]}}


def test_allow_globals_restricts_find_class(start):
    import collections

    adapter = start()
    data = pickle.dumps(collections.OrderedDict, 2).hex()  # GLOBAL collections OrderedDict
    allowed = {"allow_globals": ["collections:OrderedDict"]}
    assert ask(adapter, {"op": "load", "data": data, "options": allowed}) == {"ok": True, "object": {
        "type": "global", "module": "collections", "name": "OrderedDict"}}
    refused = ask(adapter, {"op": "load", "data": data, "options": {"allow_globals": []}})
    assert (refused["ok"], refused["exception"]) == (False, "UnpicklingError")
    assert "forbidden" in refused["message"]


def test_framing_ids_pipelining_and_bad_requests(start):
    # raw exchange: several requests written at once, answered in order, ids echoed
    script = start().argv
    lines = [json.dumps({"op": "load", "id": n, "data": pickle.dumps(n, 2).hex()}) for n in range(5)]
    lines += ["not json", json.dumps({"op": "frobnicate", "id": "x"}), json.dumps({"op": "load", "id": "h", "data": "zz"})]
    out = subprocess.run(script, input=("\n".join(lines) + "\n").encode(), capture_output=True, timeout=60)
    answers = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert [a.get("id") for a in answers] == [0, 1, 2, 3, 4, None, "x", "h"]
    assert [a["object"]["value"] for a in answers[:5]] == ["0", "1", "2", "3", "4"]
    assert [a["kind"] for a in answers[5:]] == ["protocol", "protocol", "protocol"]
    assert b"the library talks on stdout" in out.stderr


def test_missing_library_says_how_to_install(start):
    hello = ask(start("missing"), {"op": "hello"})
    assert hello["ok"] is False and hello["kind"] == "unavailable"
    assert "no_such_library_here" in hello["message"]
    assert "run: picklespec adapters install demo" in hello["message"]


def test_bad_profile_is_refused_at_hello(start):
    hello = ask(start("bad-profile"), {"op": "hello"})
    assert hello["ok"] is False
    assert "clean_exceptions is required" in hello["message"]
    assert "unknown model projection 'no-such-projection'" in hello["message"]


# -- JavaScript ---------------------------------------------------------------------------

needs_node = pytest.mark.skipif(NODE is None, reason="node is not on PATH: install Node.js to check the JavaScript kit")


@needs_node
def test_js_template_runs_and_answers():
    with Adapter([NODE, os.path.join(ADAPTERS, "template-js", "adapter.js")], name="template-js") as adapter:
        hello = ask(adapter, {"op": "hello"})
        assert hello["ok"] is True and hello["checks"] == ["load"]
        assert hello["opcodes"] == ["PROTO", "BININT1", "STOP"] and hello["load_protocols"] == [2]
        assert ask(adapter, {"op": "load", "data": pickle.dumps(7, 2).hex()}) == {
            "ok": True, "object": {"type": "int", "value": "7"}}
        bad = ask(adapter, {"op": "load", "data": pickle.dumps(7, 2)[:-1].hex()})
        assert bad["ok"] is False and bad["kind"] == "rejected" and bad["exception"] == "Error"
        assert ask(adapter, {"op": "scan", "data": "2e"})["kind"] == "unsupported"
        assert ask(adapter, {"op": "load", "data": "zz"})["kind"] == "protocol"


@needs_node
def test_jskit_tagged_json_mapping():
    script = r"""
    const kit = require(%r);
    const shared = [1];
    const cyclic = []; cyclic.push(cyclic);
    const out = [true, 2, 1.5, -0, NaN, 10n ** 30n, 's', Buffer.from('hi'), [shared, shared], new Set([1]),
                 new Map([[1, 'a']]), {k: null}, cyclic].map((v) => kit.toTagged(v));
    let deep = []; for (let i = 0; i < 1000; i++) deep = [deep];
    for (const bad of [undefined, () => 1, new Date(0), deep]) {
        try { kit.toTagged(bad); out.push('described'); } catch (e) { out.push(e instanceof kit.Undescribable ? 'undescribable' : String(e)); }
    }
    process.stdout.write(JSON.stringify(out));
    """ % os.path.join(ADAPTERS, "jskit.js")
    out = json.loads(subprocess.run([NODE, "-e", script], capture_output=True, check=True, timeout=60).stdout)
    assert out[:8] == [
        {"type": "bool", "value": "true"}, {"type": "int", "value": "2"}, {"type": "float", "value": "1.5"},
        {"type": "float", "value": "-0.0"}, {"type": "float", "value": "nan"},
        {"type": "int", "value": str(10 ** 30)}, {"type": "str", "value": "s"}, {"type": "bytes", "value": "6869"}]
    assert out[8] == {"type": "list", "items": [{"type": "list", "id": "1", "items": [{"type": "int", "value": "1"}]},
                                                {"type": "ref", "id": "1"}]}
    assert out[9] == {"type": "set", "items": [{"type": "int", "value": "1"}]}
    assert out[10] == {"type": "dict", "items": [[{"type": "int", "value": "1"}, {"type": "str", "value": "a"}]]}
    assert out[11] == {"type": "dict", "items": [[{"type": "str", "value": "k"}, {"type": "none"}]]}
    assert out[12] == {"type": "list", "id": "1", "items": [{"type": "ref", "id": "1"}]}
    assert out[13:] == ["undescribable"] * 4


def test_a_pickler_without_an_option_answers_unsupported_for_it():
    """cloudpickle's Pickler takes no fix_imports, Python 3.3's (zodbpickle's)
    has no reducer_override: asked for either, the kit's dump says so."""
    adapters = os.path.join(os.path.dirname(picklespec.runner.__file__), "adapters")
    saved = list(sys.path)
    sys.path.insert(0, adapters)
    try:
        import kit
    finally:
        sys.path[:] = saved
    dump = kit.pickler_dump(pickle._Pickler, fix_imports=False, reducer_override=False)
    with pytest.raises(kit.Unsupported, match="takes no fix_imports"):
        dump(1, 2, {"fix_imports": "false"})
    with pytest.raises(kit.Unsupported, match="has no reducer_override"):
        dump(1, 2, {"reducer_override": "picklespec.cases.fixtures:reduce_plain"})
    data, buffers = dump([1], 2, {"fix_imports": "true"})  # its own behaviour: asked, and done
    assert pickle.loads(data) == [1] and buffers == []


def test_the_kit_honours_a_dispatch_table_as_the_worker_does():
    """A fixture dispatch_table reaches the library's Pickler: the bytes are
    those of CPython's own Pickler given the same table; a Pickler with a
    table of its own (cloudpickle's) consults the fixture's first."""
    import collections
    import io

    from picklespec.cases import fixtures

    adapters = os.path.join(os.path.dirname(picklespec.runner.__file__), "adapters")
    saved = list(sys.path)
    sys.path.insert(0, adapters)
    try:
        import kit
    finally:
        sys.path[:] = saved
    obj = complex(1, 2)
    out = io.BytesIO()
    cpython = pickle.Pickler(out, 4)
    cpython.dispatch_table = fixtures.DISPATCH_COMPLEX
    cpython.dump(obj)
    options = {"dispatch_table": "picklespec.cases.fixtures:DISPATCH_COMPLEX"}
    data, _ = kit.pickler_dump(pickle._Pickler)(obj, 4, options)
    assert data == out.getvalue() != pickle.dumps(obj, 4)

    class OwnTable(pickle._Pickler):
        dispatch_table = collections.ChainMap({}, {fixtures.Plain: lambda x: (dict, ())})

    data, _ = kit.pickler_dump(OwnTable)([obj, fixtures.Plain()], 4, options)
    assert pickle.loads(data) == [pickle.loads(out.getvalue()), {}]  # both tables consulted
