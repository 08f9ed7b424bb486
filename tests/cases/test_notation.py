"""The object notation: YAML 1.2 core schema, every tag, anchors, round trips, errors."""

import math

import pytest

from picklespec.cases.notation import NotationError, dump_object, load_document, load_yaml
from picklespec.reference import model
from picklespec.reference.model import Buffer, Global, Object, PersistentId

F = "picklespec.cases.fixtures"

# (plain scalar text, the value YAML 1.2's core schema gives it)
CORE_SCHEMA = [
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"),
    ("true", True), ("True", True), ("TRUE", True), ("tRUE", "tRUE"), ("false", False),
    ("null", None), ("Null", None), ("NULL", None), ("~", None), ("nULL", "nULL"),
    ("12", 12), ("-7", -7), ("+12", 12), ("010", 10), ("0o10", 8), ("0x10", 16), ("0x1F", 31),
    ("0b11", "0b11"), ("1_000", "1_000"), ("1:20", "1:20"), ("2001-01-01", "2001-01-01"),
    ("123456789012345678901234567890", 123456789012345678901234567890),
    ("1.5", 1.5), ("-0.0", -0.0), ("1e3", 1000.0), ("1.", 1.0), (".5", 0.5), ("1.0e+16", 1e16),
    (".inf", math.inf), ("-.Inf", -math.inf), ("+.INF", math.inf), (".nan", math.nan),
    (".NaN", math.nan), ("nan", "nan"), ("inf", "inf"),
]


@pytest.mark.parametrize("text, expected", CORE_SCHEMA)
def test_core_schema(text, expected):
    value = load_yaml("value: %s\n" % text)["value"]
    assert type(value) is type(expected)
    assert model.equal(value, expected)


def test_empty_value_and_merge_key():
    assert load_yaml("a:\n<<: 1\n") == {"a": None, "<<": 1}


def test_quoted_scalars_are_str():
    assert load_yaml("['12', \"true\", 'null']") == ["12", "true", "null"]


def _pb(data, readonly=False, index=None):
    return Buffer(index, data, readonly)


# (notation text, the model value it means)
TAGS = [
    ("!tuple [1, [2]]", (1, [2])),
    ("!tuple []", ()),
    ("!set [1, 2]", {1, 2}),
    ("!frozenset [1, !tuple [2]]", frozenset({1, (2,)})),
    ("!dict [[!tuple [1], a], [2, b]]", {(1,): "a", 2: "b"}),
    ("!dict {a: 1}", {"a": 1}),
    ("{? !tuple [1, 2] : x}", {(1, 2): "x"}),
    ("!bytes 'ab\\x00\\xff\\n\\\\'", b"ab\x00\xff\n\\"),
    ("!bytes ''", b""),
    ("!bytes {repeat: 'ab', times: 3}", b"ababab"),
    ("!bytearray 'a\\x01'", bytearray(b"a\x01")),
    ("!bytearray {repeat: 'z', times: 2}", bytearray(b"zz")),
    ("!str {repeat: 'ab', times: 2}", "abab"),
    ("!str {escaped: 'a\\udc80\\n'}", "a\udc80\n"),
    ("!str 12", "12"),
    ("!complex [1.0, -2]", complex(1.0, -2.0)),
    ("!float 0x1.8p+0", 1.5),
    ("!float -0x1p-1074", -5e-324),
    ("!float 1e400", math.inf),
    ("!float 1_0", 10.0),
    ("!global builtins:len", Global("builtins", "len")),
    ("!global %s:Outer.Inner" % F, Global(F, "Outer.Inner")),
    ("!persistent 'abc'", PersistentId("abc")),
    ("!persistent '12'", PersistentId("12")),
    ("!persistent 12", PersistentId(12)),
    ("!persistent {pid: !tuple [a, 1]}", PersistentId(("a", 1))),
    ("!persistent [1]", PersistentId([1])),
    ("!buffer {data: !bytes 'abc', readonly: true, index: 0}", _pb(b"abc", True, 0)),
    ("!buffer {}", _pb(None)),
    ("!list {repeat: 1, times: 3}", [1, 1, 1]),
    ("!range 4", [0, 1, 2, 3]),
    ("!range 0", []),
]


@pytest.mark.parametrize("text, expected", TAGS)
def test_tag(text, expected):
    assert model.equal(load_yaml(text), expected)


def test_object_fields():
    value = load_yaml("""
        !object
          callable: !global m:C
          args: !tuple [1]
          kwargs: {k: 2}
          via: newobj_ex
          state: {s: 3}
          listitems: [4]
          dictitems: {d: 5}
          setitems: [6]
    """)
    assert (value.callable, value.args, value.kwargs, value.via) == \
        (Global("m", "C"), (1,), {"k": 2}, "newobj_ex")
    assert (value.state, value.has_state) == ({"s": 3}, True)
    assert (value.listitems, value.dictitems, value.setitems) == ([4], [("d", 5)], [6])


def test_object_defaults_and_null_state():
    bare = load_yaml("!object {callable: !global m:f}")
    assert (bare.args, bare.via, bare.has_state, bare.kwargs) == ((), "reduce", False, None)
    assert load_yaml("!object {callable: !global m:f, state: null}").has_state is True


def test_anchors_share_and_cycle():
    data = load_yaml("""
        shared: [&s [1], *s]
        cycle: &l [1, *l]
        dict: &d {self: *d}
        tuple: &t !tuple [[*t]]
        object: &o !object {callable: !global m:C, via: newobj, state: {me: *o}, dictitems: {again: *o}}
        set: &st !set [!object {callable: !global m:C, state: {owner: *st}}]
    """)
    assert data["shared"][0] is data["shared"][1]
    assert data["cycle"][1] is data["cycle"]
    assert data["dict"]["self"] is data["dict"]
    assert data["tuple"][0][0] is data["tuple"]
    obj = data["object"]
    assert obj.state["me"] is obj and obj.dictitems == [("again", obj)]
    (member,) = data["set"]
    assert member.state["owner"] is data["set"]


def _self_list():
    x = [1]
    x.append(x)
    return x


def _recursive_tuple():
    inner = []
    t = (inner, 2)
    inner.append(t)
    return t


def _object_cycle():
    o = Object(Global(F, "Plain"), via="newobj")
    o.state, o.has_state = {"me": o, "pid": PersistentId(("a", 1))}, True
    o.listitems = [1]
    o.dictitems = [("k", o), ("k", 2)]
    return o


def _shared():
    s = [1]
    b = bytearray(b"x")
    return {"a": s, "b": [s, b, b], "t": (s, s)}


ROUND_TRIP = [
    None, True, False, 0, -1, 2**2039, -(2**100), 1.5, -0.0, math.nan, math.inf, -math.inf,
    5e-324, 1e16, complex(1.0, -0.0), "", "yes", "12", "null", "a: b", "#x", "line\nbreak",
    "\x00\x85\u2028\ufeff", "caf\xe9 \U0001d11e", "a\udc80", "a" * 70000, "ab" * 40,
    b"", b"\x00\xff'\"\\", b"b" * 65536, bytearray(b"x\x00"), bytearray(b"yz" * 50),
    (), (1, (2,)), [], {}, {"a": 1, "b": [2]}, {(1, 2): "t", frozenset({3}): "f", b"k": 1},
    {1: "one", None: "none", 1.5: "f"}, set(), {1, 2, 3}, frozenset(), frozenset({(1,), 2}),
    list(range(20)), [None] * 1000, Global("builtins", "len"),
    PersistentId("abc"), PersistentId("12"), PersistentId(12), PersistentId(None),
    PersistentId(("a", [1])), Buffer(None, b"abc", True), Buffer(0, None, False),
    Object(Global("m", "f")), Object(Global("m", "C"), (1,), {"b": 2}, "newobj_ex", None, True),
    _self_list(), _recursive_tuple(), _object_cycle(), _shared(),
]


@pytest.mark.parametrize("value", ROUND_TRIP, ids=range(len(ROUND_TRIP)))
def test_round_trip(value):
    text = dump_object(value)
    again = load_yaml(text)
    assert model.equal(value, again), text
    assert dump_object(again) == text


def test_round_trip_keeps_sharing():
    value = _shared()
    again = load_yaml(dump_object(value))
    assert again["a"] is again["b"][0] is again["t"][0]
    assert again["b"][1] is again["b"][2]


def test_dump_is_readable():
    assert dump_object(Global("builtins", "len")).strip() == "!global builtins:len"
    assert dump_object("a" * 100).strip() == "!str {repeat: a, times: 100}"
    assert dump_object(b"\x00'").strip() == "!bytes '\\x00'''"
    assert dump_object(PersistentId(12)).strip() == "!persistent {pid: 12}"


# (text, the line and a part of the message of the first error)
ERRORS = [
    ("a: !tupel [1]\n", 1, "unknown tag !tupel"),
    ("a: 1\nb: !global nocolon\n", 2, "!global takes module:qualname"),
    ("a: 1\na: 2\n", 2, "duplicate key 'a' (first at line 1)"),
    ("a:\n  b: {x: 1, x: 2}\n", 2, "duplicate key 'x'"),
    ("!dict [[1, a], [1, b]]\n", 1, "!dict: duplicate key 1"),
    ("{1: a, true: b}\n", 1, "duplicate key True"),
    ("!set [1, 1]\n", 1, "!set: duplicate member 1"),
    ("!set [[1]]\n", 1, "!set members must be hashable"),
    ("!bytes '\\x4'\n", 1, "!bytes: invalid \\x escape"),
    ("!bytes 'caf\xe9'\n", 1, "a bytes literal is ASCII"),
    ("!bytes {repeat: 'a'}\n", 1, "!bytes needs the field 'times'"),
    ("!range x\n", 1, "!range takes a count"),
    ("!object {callable: !global m:f, colour: red}\n", 1, "!object has no field 'colour'"),
    ("!object {callable: !global m:f, via: magic}\n", 1, "via must be one of"),
    ("!object {callable: !global m:f, args: [1]}\n", 1, "args must be a !tuple"),
    ("!object {args: !tuple []}\n", 1, "!object needs the field 'callable'"),
    ("!complex [1.0]\n", 1, "!complex takes [real, imag]"),
    ("!float pi\n", 1, "!float: not a float"),
    ("!tuple {a: 1}\n", 1, "!tuple takes a sequence, not a mapping"),
    ("!buffer {data: 12}\n", 1, "!buffer: data must be !bytes"),
    ("!str {escaped: 'a', times: 2}\n", 1, "'escaped' stands alone"),
    ("!!int 1.5\n", 1, "!!int takes a YAML 1.2 int"),
]


@pytest.mark.parametrize("text, line, message", ERRORS)
def test_notation_errors(text, line, message):
    document = load_document(text, "t.yaml")
    assert document.errors, "no error recorded"
    first = document.errors[0]
    assert (first.filename, first.line) == ("t.yaml", line)
    assert message in first.message
    with pytest.raises(NotationError) as info:
        load_yaml(text, "t.yaml")
    assert str(info.value).startswith("t.yaml:%d:" % line)


def test_every_error_of_a_document_is_recorded():
    document = load_document("a: !nope 1\nb: !global x\nc: !range y\n")
    assert [e.line for e in document.errors] == [1, 2, 3]


@pytest.mark.parametrize("text, line, column", [
    ("a: [1, 2\n", 2, 1),
    ("a: 1\n b: 2\n", 2, 3),
    ("a: 'unterminated\n", 2, 1),
    ("- a\nb: 1\n", 2, 1),
])
def test_syntax_errors_name_line_and_column(text, line, column):
    with pytest.raises(NotationError) as info:
        load_document(text, "s.yaml")
    assert (info.value.line, info.value.column) == (line, column)
    assert str(info.value).startswith("s.yaml:%d:%d:" % (line, column))


def test_duplicate_anchor_is_a_syntax_error():
    with pytest.raises(NotationError) as info:
        load_yaml("a: &x 1\nb: &x 2\n")
    assert info.value.line == 2


def test_source_map_lines():
    document = load_document("cases:\n  - id: a\n    stream: |\n      PROTO 2\n      STOP\n"
                             "    note: 'x'\n")
    case = document.data["cases"][0]
    source = document.source
    assert source.item_line(document.data["cases"], 0) == 2
    assert source.key_line(case, "id") == 2
    assert source.key_line(case, "note") == 6
    assert [source.text_line(case, "stream", n) for n in (1, 2)] == [4, 5]
    assert source.text_line(case, "note", 1) == 6
