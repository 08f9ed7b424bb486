"""What expected streams depend on besides the object's value, and how the
notation says it: whether equal strs are one object, and the persistent_id
hook under which CPython 2.7's cPickle streams were written.

The streams compared here come from real picklers: this CPython's pickle
module, and CPython 2.7's cPickle when this machine has it.
"""

import json
import pickle
import subprocess
import sys

import pytest

from picklespec.cases.corpus import load_corpus
from picklespec.cases.notation import dump_object, load_yaml, shared_strs
from picklespec.reference import model
from picklespec.reference.asm import disassemble
from picklespec.runner.targets import find_interpreters


def ops(data):
    return [line.split()[0] for line in disassemble(data).splitlines() if line.strip()]


# -- one str object, or two equal strs ----------------------------------------


def test_an_anchored_str_is_one_object_and_two_scalars_are_two():
    one = load_yaml("[&s abcd, *s]")
    two = load_yaml("[abcd, abcd]")
    assert one[0] is one[1]
    assert two[0] == two[1] and two[0] is not two[1]


@pytest.mark.parametrize("protocol", range(0, 6))
def test_the_streams_differ_as_the_notation_says(protocol):
    one = pickle.dumps(model.materialize(load_yaml("[&s abcd, *s]")), protocol)
    two = pickle.dumps(model.materialize(load_yaml("[abcd, abcd]")), protocol)
    assert one != two
    get = {"GET", "BINGET", "LONG_BINGET"}
    assert sum(op in get for op in ops(one)) == 1
    assert sum(op in get for op in ops(two)) == 0


def test_a_long_str_anchors_like_a_short_one():
    value = load_yaml("[&t !str {repeat: ab, times: 40}, *t, !str {repeat: ab, times: 40}]")
    assert value[0] is value[1] and value[2] is not value[0] and value[2] == value[0]


def test_dump_object_writes_an_anchor_for_one_str_held_twice():
    text = dump_object(load_yaml("[&s abcd, *s]"))
    assert "&" in text and "*" in text
    again = load_yaml(text)
    assert again[0] is again[1]
    assert dump_object(load_yaml("[abcd, abcd]")).strip() == "[abcd, abcd]"


def test_one_character_strs_and_state_names_need_no_anchor():
    # CPython caches one-character strs: equal ones are one object anyway
    value = load_yaml("[a, a]")
    assert value[0] is value[1] and not shared_strs(value)
    state = load_yaml("[!object {callable: !global m:C, state: {name: 1}}, "
                      "!object {callable: !global m:C, state: {name: 2}}]")
    assert not shared_strs(state)


def test_a_str_loaded_through_a_get_dumps_as_one_object():
    loaded = pickle.loads(pickle.dumps(["abcd" * 2] * 2, 2))
    described = model.describe(loaded)
    assert described[0] is described[1]
    assert "*" in dump_object(described)


def test_recursion_object_pair_gets_its_attribute_name_from_the_memo():
    """The case writes `other` twice; BUILD interns attribute names, so the
    materialized object holds one str, which the stream writes once."""
    case = load_corpus().by_id("recursion-object-pair")
    first = model.materialize(case.object)
    second = first.other
    (name_1,) = first.__dict__
    (name_2,) = second.__dict__
    assert name_1 is name_2
    text = case.streams[2][0].text
    assert text.count("BINUNICODE") == 1 and "other" in text
    variant = case.variant_for("cpython-%d.%d-c" % sys.version_info[:2], 2)
    if variant is not None:  # this interpreter's C pickler wrote the recorded stream
        assert pickle.dumps(first, 2) == variant.stream


# -- CPython 2.7's cPickle under a persistent_id hook -------------------------

PYTHON27 = next((i.path for i in find_interpreters()
                 if i.supported and i.implementation == "cpython" and i.version[:2] == (2, 7)), None)

CPICKLE = """
import cPickle, cStringIO, sys
out = cStringIO.StringIO()
pickler = cPickle.Pickler(out, 0)
if sys.argv[1] == 'hook':
    pickler.persistent_id = lambda obj: None
pickler.dump(set())
sys.stdout.write(out.getvalue().encode('hex'))
"""


@pytest.mark.skipif(PYTHON27 is None, reason="no CPython 2.7 on this machine (PATH and pyenv)")
def test_cpickle_streams_of_the_corpus_are_written_with_a_hook():
    def run(how):
        done = subprocess.run([PYTHON27, "-c", CPICKLE, how], capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return bytes.fromhex(done.stdout)

    hooked, bare = run("hook"), run("none")
    assert b"((lp2\ntRp3\n." in hooked and b"((ltRp2\n." in bare
    empty_sets = [c for c in load_corpus().select("dump")
                  if isinstance(c.object, set) and not c.object and not c.options]
    assert empty_sets
    variant = empty_sets[0].variant_for("cpython-2.7-c", 0)
    assert variant.stream == hooked != bare


def test_tagged_json_carries_the_identity_of_every_shared_str_of_the_corpus():
    """regen and the runner hand objects to workers as tagged JSON: each str
    or bytes a dump case holds twice is one object again after the trip,
    and two equal ones stay two."""
    checked = 0
    for case in load_corpus().select("dump"):
        strs = shared_strs(case.object)
        if not strs:
            continue
        checked += 1
        again = model.from_json(json.loads(json.dumps(model.to_json(case.object))))
        assert len(shared_strs(again)) == len(strs), case.id
    assert checked >= 2  # str-identity and bytes-identity at least


@pytest.mark.parametrize("text, gets", [
    ("[&s abcd, *s]", 1), ("[abcd, abcd]", 0),
    ("[&b !bytes 'abcd', *b]", 1), ("[!bytes 'abcd', !bytes 'abcd']", 0),
    ("[&t xy, !tuple [*t], {*t : *t}]", 3), ("[xy, !tuple [xy], {xy: xy}]", 0),
])
def test_identity_reaches_the_pickler_through_tagged_json(text, gets):
    """What a worker pickles: the notation's value, through tagged JSON as
    text, materialized; this interpreter's pickler says what it saw."""
    value = model.from_json(json.loads(json.dumps(model.to_json(load_yaml(text)))))
    data = pickle.dumps(model.materialize(value), 3)
    assert sum(op in ("BINGET", "LONG_BINGET") for op in ops(data)) == gets
    assert data == pickle.dumps(model.materialize(load_yaml(text)), 3)


def test_equal_scalars_carry_no_id_and_shared_ones_one_each():
    shared = "abcd" * 2
    assert "id" not in str(model.to_json(["".join(["ab", "cd"]), "".join(["ab", "cd"]),
                                          "a", "a", b"", b""]))
    doc = model.to_json([shared, shared, shared])
    assert doc["items"][0]["id"] == "1"
    assert doc["items"][1] == doc["items"][2] == {"type": "ref", "id": "1"}
