"""The pickleparser adapter, end to end through runner/adapter.Adapter.

Streams are what this CPython's pickler writes; the answers expected are
the tagged JSON of cases/README.md, under the mapping in
runner/adapters/pickleparser/README.md.
"""

import io
import os
import pickle
import shutil

import pytest

import picklespec.runner
from picklespec.cases import fixtures
from picklespec.process.adapter import Adapter

HERE = os.path.join(os.path.dirname(os.path.abspath(picklespec.runner.__file__)), "adapters", "pickleparser")
NODE = shutil.which("node")
INSTALLED = os.path.isdir(os.path.join(HERE, "node_modules", "pickleparser"))

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not on PATH: install Node.js to check the pickleparser adapter"),
    pytest.mark.skipif(not INSTALLED, reason="pickleparser is not installed: run npm ci --prefix %s" % HERE),
]


@pytest.fixture(scope="module")
def adapter():
    with Adapter([NODE, os.path.join(HERE, "adapter.js")], cwd=HERE, name="pickleparser") as a:
        yield a


def load(adapter, data, **options):
    request = {"op": "load", "data": data.hex()}
    if options:
        request["options"] = options
    answer = adapter.request(request)
    answer.pop("id")
    return answer


def i(n):
    return {"type": "int", "value": str(n)}


def s(text):
    return {"type": "str", "value": text}


def fixture_global(name):
    return {"type": "global", "module": "picklespec.cases.fixtures", "name": name}


def test_hello(adapter):
    hello = adapter.request({"op": "hello"})
    assert hello["ok"] is True
    assert hello["name"] == "pickleparser" and hello["version"] == "0.2.1"
    assert hello["producer"] is None and hello["dump_protocols"] == []
    assert hello["load_protocols"] == [0, 1, 2, 3, 4, 5]
    assert hello["load_options"] == ["buffers"]
    assert hello["pipeline"] is True
    assert hello["checks"] == ["load"] and hello["opcodes"] == "all"
    assert hello["model"] == ["no-tuple", "no-frozenset", "double-numbers", "no-bytearray",
                              "str-attributes", "unresolved-globals"]
    assert hello["clean_exceptions"] == ["Error"]


def test_pipelined_requests_are_answered_in_order():
    adapter = Adapter([NODE, os.path.join(HERE, "adapter.js")], cwd=HERE, pipeline=True)
    messages = [{"op": "load", "data": pickle.dumps(n, 2).hex()} for n in range(200)]
    messages[100] = {"op": "load", "data": "ff"}  # a rejection in the middle costs nothing else
    with adapter:
        answers = [answer for _, answer in adapter.pipeline(messages)]
    assert [a.get("object") for a in answers[:100]] == [i(n) for n in range(100)]
    assert answers[100]["kind"] == "rejected"
    assert [a.get("object") for a in answers[101:]] == [i(n) for n in range(101, 200)]


def test_dump_is_unsupported(adapter):
    answer = adapter.request({"op": "dump", "protocol": 2, "object": {"type": "none"}})
    assert (answer["ok"], answer["kind"]) == (False, "unsupported")


x = [1]
loop = []
loop.append(loop)

# (object pickled by this CPython, protocol, the tagged JSON expected)
LOADS = [
    (None, 2, {"type": "none"}),
    (True, 0, {"type": "bool", "value": "true"}),
    (255, 2, i(255)),
    (-1, 1, i(-1)),
    (2 ** 40, 2, i(2 ** 40)),
    (2 ** 40, 0, i(2 ** 40)),
    (1.5, 1, {"type": "float", "value": "1.5"}),
    (-0.0, 4, {"type": "float", "value": "-0.0"}),
    (float("inf"), 3, {"type": "float", "value": "inf"}),
    ("h\u00e9llo \u2603", 4, s("h\u00e9llo \u2603")),
    (b"\x00\xff", 3, {"type": "bytes", "value": "00ff"}),
    ([1, [2]], 2, {"type": "list", "items": [i(1), {"type": "list", "items": [i(2)]}]}),
    # a tuple as a dict key, a set: what a key or member must have been
    ({"a": [1], (1, 2): {3}}, 4, {"type": "dict", "items": [
        [s("a"), {"type": "list", "items": [i(1)]}],
        [{"type": "tuple", "items": [i(1), i(2)]}, {"type": "set", "items": [i(3)]}]]}),
    # sharing and cycles: the first occurrence carries the id
    ([x, x], 2, {"type": "list", "items": [{"type": "list", "id": "1", "items": [i(1)]},
                                           {"type": "ref", "id": "1"}]}),
    (loop, 1, {"type": "list", "id": "1", "items": [{"type": "ref", "id": "1"}]}),
    (len, 4, {"type": "global", "module": "builtins", "name": "len"}),
    (fixtures.Reduce2(1, 2), 2, {"type": "object", "via": "reduce", "callable": fixture_global("Reduce2"),
                                 "args": {"type": "tuple", "items": [i(1), i(2)]}}),
    (fixtures.Plain(a=1), 4, {"type": "object", "via": "newobj", "callable": fixture_global("Plain"),
                              "args": {"type": "tuple", "items": []},
                              "state": {"type": "dict", "items": [[s("a"), i(1)]]}}),
    (fixtures.NewArgsEx(1, b=2), 4, {"type": "object", "via": "newobj_ex", "callable": fixture_global("NewArgsEx"),
                                     "args": {"type": "tuple", "items": [i(1)]},
                                     "kwargs": {"type": "dict", "items": [[s("b"), i(2)]]},
                                     "state": {"type": "dict", "items": [[s("a"), i(1)], [s("b"), i(2)]]}}),
]


@pytest.mark.parametrize("obj, protocol, expected", LOADS)
def test_load(adapter, obj, protocol, expected):
    assert load(adapter, pickle.dumps(obj, protocol)) == {"ok": True, "object": expected}


# What pickleparser's JavaScript values cannot tell apart (README.md, "Limits"):
# the adapter reports what the library gave, and the runner judges it.
LIMITS = [
    (2.0, 4, i(2)),  # a float with an integral value is a JS number like any int
    ((1, 2), 2, {"type": "list", "items": [i(1), i(2)]}),  # tuples are JS arrays
    (frozenset([1]), 4, {"type": "set", "items": [i(1)]}),  # frozensets are JS Sets
    (bytearray(b"ab"), 5, {"type": "bytes", "value": "6162"}),  # BYTEARRAY8 gives a Uint8Array
]


@pytest.mark.parametrize("obj, protocol, expected", LIMITS)
def test_limits(adapter, obj, protocol, expected):
    assert load(adapter, pickle.dumps(obj, protocol)) == {"ok": True, "object": expected}


class _Persisting(pickle.Pickler):
    def persistent_id(self, obj):
        return "12" if obj == "stored" else None


def test_persistent_id(adapter):
    out = io.BytesIO()
    _Persisting(out, 0).dump(["stored"])
    assert load(adapter, out.getvalue()) == {"ok": True, "object": {"type": "list", "items": [
        {"type": "persistent", "pid": s("12")}]}}


def test_out_of_band_buffer(adapter):
    data = pickle.dumps(pickle.PickleBuffer(bytearray(b"ab")), 5, buffer_callback=lambda buffer: False)
    given = {"type": "bytearray", "value": "6162"}
    assert load(adapter, data, buffers=[given]) == {"ok": True, "object": given}
    readonly = {"type": "bytes", "value": "6162"}
    assert load(adapter, data, buffers=[readonly]) == {"ok": True, "object": readonly}
    malformed = load(adapter, data, buffers=["6162"])
    assert (malformed["ok"], malformed["kind"]) == (False, "protocol")
    answer = load(adapter, data)
    assert (answer["ok"], answer["kind"]) == (False, "rejected")


@pytest.mark.parametrize("data, options, kind", [
    (b"\xff", {}, "rejected"),  # unknown opcode
    (b"K", {}, "rejected"),  # truncated
    (b"N", {}, "rejected"),  # no STOP
    (b".", {}, "undescribable"),  # STOP on an empty stack gives undefined
    (b"h\x07.", {}, "undescribable"),  # BINGET of a missing memo entry gives undefined
    (b"N.", {"encoding": "latin1"}, "unsupported"),
])
def test_failures_are_answers(adapter, data, options, kind):
    answer = load(adapter, data, **options)
    assert (answer["ok"], answer["kind"]) == (False, kind)
    assert answer["message"]


def test_bad_requests(adapter):
    for request in ({"op": "load", "data": "zz"}, {"op": "nonsense"}):
        assert adapter.request(request)["kind"] == "protocol"
    assert adapter.request({"op": "load", "data": "4e2e"})["object"] == {"type": "none"}


@pytest.mark.parametrize("depth", [100, 20000])
def test_deep_nesting(adapter, depth):
    data = b"(" * depth + b"l" * depth + b"."  # lists nested depth deep
    answer = load(adapter, data)
    if depth == 100:  # 200 JSON levels: answered
        node = answer["object"]
        for _ in range(depth - 1):
            node = node["items"][0]
        assert node == {"type": "list", "items": []}
    else:  # deeper than V8's call stack allows a recursive walk, and than JSON readers take
        assert (answer["ok"], answer["kind"]) == (False, "undescribable")
        assert answer["message"] == ("the result nests 40000 JSON levels deep; answers stop at 500, "
                                     "which every JSON reader takes")
