"""One behaviour per case: no two load cases and no two dump cases are the
same test, and merged cases keep their ids as aliases.

Two load cases of one folder with the same stream, the same expectation and
the same load options test the same thing; so do two dump cases with the
same object, options, result and streams.  Such cases are merged (one id
kept, the others listed in its `aliases`, since a case id is never renamed
or dropped) or made to test something different.
"""

import json
import textwrap

from picklespec.cases import corpus
from picklespec.reference import model


def _expectation(case):
    if case.classification == "accept":
        return json.dumps(model.to_json(case.result), sort_keys=True)
    if case.classification == "reject":
        return case.failure
    return json.dumps([[model.to_json(o.result) if o.accepts else None, o.reject]
                       for o in case.outcomes], sort_keys=True)


def same_tests(cases):
    """Groups of load cases with the same kind, bytes, expectation and load options."""
    groups = {}
    for case in cases:
        if case.classification == "dump":
            continue
        options = json.dumps({k: model.to_json(v) for k, v in case.load_options.items()},
                             sort_keys=True)
        key = (case.classification, bytes(case.data), _expectation(case), options)
        groups.setdefault(key, []).append(case)
    return [group for group in groups.values() if len(group) > 1]


def test_no_two_load_cases_are_the_same_test():
    groups = same_tests(corpus.load_corpus().cases)
    assert not groups, (
        "load cases with the same stream, expectation and load options (merge them, keeping "
        "the other ids as aliases, or make each test something else):\n" + "\n".join(
            "  " + ", ".join("%s (%s:%d)" % (c.id, c.file.split("cases/", 1)[-1], c.line)
                             for c in group) for group in groups))


def _dump_key(case):
    """A dump case as a test: its object (as the workers get it), options,
    result, and every variant's producer, stream or failure."""
    variants = []
    for protocol in sorted(case.streams):
        for v in case.streams[protocol]:
            variants.append([protocol, v.producer_text,
                             None if v.fails else bytes(v.stream).hex(),
                             v.raises if v.fails else None, v.loads,
                             model.to_json(v.result) if v.has_result else None])
    return json.dumps([model.to_json(case.object), model.to_json(case.result),
                       {k: model.to_json(v) for k, v in case.options.items()},
                       {k: model.to_json(v) for k, v in case.load_options.items()},
                       variants], sort_keys=True)


def same_dump_tests(cases):
    """Groups of dump cases with the same object, options, result and streams."""
    groups = {}
    for case in cases:
        if case.classification == "dump":
            groups.setdefault(_dump_key(case), []).append(case)
    return [group for group in groups.values() if len(group) > 1]


def test_no_two_dump_cases_are_the_same_test():
    groups = same_dump_tests(corpus.load_corpus().cases)
    assert not groups, (
        "dump cases with the same object, options and streams (merge them, keeping the "
        "other ids as aliases, or make each test something else):\n" + "\n".join(
            "  " + ", ".join("%s (%s:%d)" % (c.id, c.file.split("cases/", 1)[-1], c.line)
                             for c in group) for group in groups))


def _write(tmp_path, folder, name, text):
    path = tmp_path / folder / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


ACCEPT = """\
    cases:
      - id: kept-case
        aliases: [merged-one, merged-two]
        title: a case others were merged into
        tags: [INT]
        protocol: 0
        stream: |
          INT 1
          STOP
        result: 1
      - id: other-case
        title: another
        tags: [INT]
        protocol: 0
        stream: |
          INT 2
          STOP
        result: 2
"""


def test_an_alias_finds_its_case(tmp_path):
    _write(tmp_path, "accept", "a.yaml", ACCEPT)
    loaded = corpus.load_corpus([str(tmp_path)])
    assert not loaded.problems
    assert loaded.by_id("merged-two").id == "kept-case"
    assert loaded.by_id("kept-case").aliases == ["merged-one", "merged-two"]


def test_the_same_test_twice_is_found(tmp_path):
    _write(tmp_path, "accept", "a.yaml", ACCEPT.replace("INT 2", "INT 1").replace(
        "result: 2", "result: 1"))
    groups = same_tests(corpus.load_corpus([str(tmp_path)]).cases)
    assert [[c.id for c in g] for g in groups] == [["kept-case", "other-case"]]


def test_load_options_make_a_different_test(tmp_path):
    text = ACCEPT.replace("INT 2", "INT 1").replace("result: 2", "result: 1")
    text = text.replace("        result: 1\n      - id: other-case",
                        "        result: 1\n        load-options: {encoding: latin1}\n"
                        "      - id: other-case", 1)
    _write(tmp_path, "accept", "a.yaml", text)
    loaded = corpus.load_corpus([str(tmp_path)])
    assert not loaded.problems
    assert same_tests(loaded.cases) == []


def problems(tmp_path, text, other=None):
    _write(tmp_path, "accept", "a.yaml", text)
    if other:
        _write(tmp_path, "reject", "b.yaml", other)
    return [(p.field, p.message) for p in corpus.load_corpus([str(tmp_path)]).problems]


def test_an_alias_that_is_an_id_is_a_problem(tmp_path):
    found = problems(tmp_path, ACCEPT.replace("merged-two", "other-case"))
    assert len(found) == 1 and found[0][0] == "aliases"
    assert "'other-case' is already an id" in found[0][1]


def test_an_alias_named_by_two_cases_is_a_problem(tmp_path):
    reject = """\
        cases:
          - id: reject-case
            aliases: [merged-one]
            title: a reject case
            tags: [INT, truncated]
            protocol: 0
            hex: "4931"
    """
    found = problems(tmp_path, ACCEPT, reject)
    assert len(found) == 1 and "'merged-one' is already an alias" in found[0][1]


def test_a_malformed_alias_is_a_problem(tmp_path):
    found = problems(tmp_path, ACCEPT.replace("merged-two", "Merged_Two"))
    assert found and found[0][0] == "aliases" and "list of case ids" in found[0][1]
    found = problems(tmp_path, ACCEPT.replace("merged-two", "kept-case"))
    assert found and "own id" in found[0][1]
    found = problems(tmp_path, ACCEPT.replace("[merged-one, merged-two]", "merged-one"))
    assert found and found[0][0] == "aliases"


def test_every_alias_of_the_corpus_is_no_case_id():
    loaded = corpus.load_corpus()
    ids = {case.id for case in loaded.cases}
    aliases = [a for case in loaded.cases for a in case.aliases]
    assert aliases and not ids & set(aliases) and len(set(aliases)) == len(aliases)


DUMP = """\
    cases:
      - id: one-list
        title: a list
        tags: [list]
        object: [&a1 [1], *a1]
        streams:
          2:
            - producer: cpython-3.13-c
              stream: |
                PROTO 2
                EMPTY_LIST
                BINPUT 0
                MARK
                  EMPTY_LIST
                  BINPUT 1
                  BININT1 1
                  APPEND
                  BINGET 1
                APPENDS
                STOP
      - id: two-list
        title: the same list
        tags: [list]
        object: [&a2 [1], *a2]
        streams:
          2:
            - producer: cpython-3.13-c
              stream: |
                PROTO 2
                EMPTY_LIST
                BINPUT 0
                MARK
                  EMPTY_LIST
                  BINPUT 1
                  BININT1 1
                  APPEND
                  BINGET 1
                APPENDS
                STOP
"""


def test_the_same_dump_test_twice_is_found_and_an_object_makes_another(tmp_path):
    _write(tmp_path, "dump", "d.yaml", DUMP)
    loaded = corpus.load_corpus([str(tmp_path)])
    assert not loaded.problems
    assert [[c.id for c in g] for g in same_dump_tests(loaded.cases)] == [["one-list", "two-list"]]
    # equal values that are not the same graph are another test, whatever the streams
    _write(tmp_path, "dump", "d.yaml", DUMP.replace("[&a2 [1], *a2]", "[[1], [1]]"))
    assert same_dump_tests(corpus.load_corpus([str(tmp_path)]).cases) == []
