"""The corpus checker: each kind of broken case file gives exactly its Problem."""

import pytest

from picklespec.cases import cli, corpus

DUMP = """\
cases:
  - id: good-dump
    title: a dump case
    tags: [int, BININT1]
    object: 1
    streams:
      1:
        - producer: cpython-3.13-c+py
          stream: |
            BININT1 1
            STOP
"""

ACCEPT = """\
cases:
  - id: good-accept
    title: a load case
    tags: [INT]
    protocol: 0
    stream: |
      INT 1
      STOP
    result: 1
"""

REJECT = """\
cases:
  - id: good-reject
    title: a reject case
    tags: [INT, truncated]
    protocol: 0
    hex: "4931"
    failure: truncated
"""

IMPLEMENTATION_DEFINED = """\
cases:
  - id: good-choice
    title: a case with two allowed outcomes
    tags: [INT, differential]
    protocol: 0
    stream: |
      INT 010
      STOP
    outcomes:
      - result: 8
        seen: [cpython-3.13-c]
      - reject: bad-argument
        seen: [cpython-3.13-py]
"""

GOOD = {"dump": DUMP, "accept": ACCEPT, "reject": REJECT,
        "implementation-defined": IMPLEMENTATION_DEFINED}


def edit(text, old, new):
    assert old in text, old
    return text.replace(old, new, 1)


# (what is wrong, folder, file text, [(line, field)] of the problems expected)
BROKEN = [
    ("unknown field", "dump", edit(DUMP, "    object: 1\n", "    object: 1\n    colour: red\n"),
     [(6, "colour")]),
    ("duplicate id", "dump", DUMP + DUMP[len("cases:\n"):], [(12, "id")]),
    ("bad id", "dump", edit(DUMP, "id: good-dump", "id: Good_Dump"), [(2, "id")]),
    ("unknown tag", "dump", edit(DUMP, "[int, BININT1]", "[int, BININT9]"), [(4, "tags")]),
    ("stream does not assemble", "dump", edit(DUMP, "            STOP\n",
                                              "            BININT1 300\n            STOP\n"),
     [(11, "streams")]),
    ("bad producer", "dump", edit(DUMP, "cpython-3.13-c+py", "cpython-3.x-c"), [(8, "streams")]),
    ("producer range backwards", "dump", edit(DUMP, "cpython-3.13-c+py", "cpython-3.13..3.8-c"),
     [(8, "streams")]),
    ("bad object tag", "dump", edit(DUMP, "object: 1", "object: !tupel [1]"), [(5, "object")]),
    ("bad object value", "dump", edit(DUMP, "object: 1", "object: [!global nocolon]"),
     [(5, "object")]),
    ("protocol out of range", "dump", edit(DUMP, "      1:\n", "      6:\n"), [(7, "streams")]),
    ("protocol not covered", "dump", edit(DUMP, "    object: 1\n", "    object: 1\n    protocols: [0]\n"),
     [(8, "streams")]),
    ("stream and fails", "dump", edit(DUMP, "          stream: |", "          fails: true\n          stream: |"),
     [(8, "streams")]),
    ("fails false", "dump", edit(DUMP, "          stream: |\n            BININT1 1\n            STOP\n",
                                 "          fails: false\n"),
     [(8, "streams"), (9, "streams")]),
    ("unknown variant field", "dump", edit(DUMP, "          stream: |", "          colour: red\n          stream: |"),
     [(9, "streams")]),
    ("overlapping producers", "dump", DUMP + "        - producer: cpython-3.13-c\n          fails: true\n",
     [(12, "streams")]),
    ("missing streams", "dump", DUMP[:DUMP.index("    streams:")], [(2, "streams")]),
    ("bad dump option", "dump", edit(DUMP, "    object: 1\n", "    object: 1\n    options: {fix_imports: 0}\n"),
     [(6, "options")]),
    ("unknown dump option", "dump", edit(DUMP, "    object: 1\n", "    object: 1\n    options: {protocol: 2}\n"),
     [(6, "options")]),
    ("bad refs", "dump", edit(DUMP, "    object: 1\n", "    object: 1\n    refs: [issue 12]\n"),
     [(6, "refs")]),
    ("bad load-options buffers", "dump", edit(DUMP, "    object: 1\n", "    object: 1\n    load-options: {buffers: [1]}\n"),
     [(6, "load-options")]),
    ("sequence of no list", "dump", edit(DUMP, "    object: 1\n", "    object: 1\n    options: {sequence: true}\n"),
     [(6, "options")]),
    ("sequence not a bool", "dump", edit(DUMP, "    object: 1\n", "    object: [1]\n    options: {sequence: 'yes'}\n"),
     [(6, "options")]),
    ("clear_memo without sequence", "dump", edit(DUMP, "    object: 1\n", "    object: [1]\n    options: {clear_memo: true}\n"),
     [(6, "options")]),
    ("reducer_override not module:qualname", "dump",
     edit(DUMP, "    object: 1\n", "    object: 1\n    options: {reducer_override: reduce_plain}\n"),
     [(6, "options")]),
    ("dispatch_table not module:qualname", "dump",
     edit(DUMP, "    object: 1\n", "    object: 1\n    options: {dispatch_table: DISPATCH_PLAIN}\n"),
     [(6, "options")]),
    ("raises on a variant with a stream", "dump",
     edit(DUMP, "            STOP\n", "            STOP\n          raises: TypeError\n"), [(12, "streams")]),
    ("raises not a class name", "dump",
     edit(DUMP, "          stream: |\n            BININT1 1\n            STOP\n",
          "          fails: true\n          raises: 'Type Error'\n"), [(10, "streams")]),
    ("reducer_override not text", "dump",
     edit(DUMP, "    object: 1\n", "    object: 1\n    options: {reducer_override: [a]}\n"),
     [(6, "options")]),
    ("allow_globals not a list", "accept",
     edit(ACCEPT, "    result: 1\n", "    result: 1\n    load-options: {allow_globals: 'a:b'}\n"),
     [(10, "load-options")]),
    ("allow_globals item not module:name", "accept",
     edit(ACCEPT, "    result: 1\n", "    result: 1\n    load-options: {allow_globals: [builtins.len]}\n"),
     [(10, "load-options")]),
    ("load-options sequence not a bool", "accept",
     edit(ACCEPT, "    result: 1\n", "    result: 1\n    load-options: {sequence: 1}\n"),
     [(10, "load-options")]),
    ("duplicate key", "dump", edit(DUMP, "    title: a dump case\n", "    title: a dump case\n    title: again\n"),
     [(4, "title")]),
    ("duplicate key inside the object", "dump", edit(DUMP, "object: 1", "object: {a: 1, a: 2}"),
     [(5, "object")]),
    ("missing title", "dump", edit(DUMP, "    title: a dump case\n", ""), [(2, "title")]),
    ("empty title", "dump", edit(DUMP, "title: a dump case", "title: ''"), [(3, "title")]),
    ("a case that is no mapping", "dump", DUMP + "  - just text\n", [(12, "case")]),
    ("no cases key", "dump", "tests: []\n", [(1, "cases")]),
    ("dump field in accept/", "accept", edit(ACCEPT, "    result: 1\n", "    result: 1\n    object: 1\n"),
     [(10, "object")]),
    ("result in reject/", "reject", edit(REJECT, "    failure: truncated\n", "    result: 1\n"),
     [(7, "result")]),
    ("outcomes in accept/", "accept", edit(ACCEPT, "    result: 1\n", "    result: 1\n    outcomes: []\n"),
     [(10, "outcomes")]),
    ("load case stream does not assemble", "accept", edit(ACCEPT, "      INT 1\n", "      INT\n"),
     [(7, "stream")]),
    ("load case protocol out of range", "accept", edit(ACCEPT, "protocol: 0", "protocol: 7"),
     [(5, "protocol")]),
    ("stream and hex", "accept", edit(ACCEPT, "    result: 1\n", "    result: 1\n    hex: '2e'\n"),
     [(6, "stream")]),
    ("odd hex", "reject", edit(REJECT, '"4931"', '"493"'), [(6, "hex")]),
    ("unknown failure kind", "reject", edit(REJECT, "failure: truncated", "failure: exploded"),
     [(7, "failure")]),
    ("outcome with result and reject", "implementation-defined",
     edit(IMPLEMENTATION_DEFINED, "      - result: 8\n", "      - result: 8\n        reject: stack\n"),
     [(10, "outcomes")]),
    ("bad seen producer", "implementation-defined",
     edit(IMPLEMENTATION_DEFINED, "[cpython-3.13-py]", "[cpython]"), [(12, "outcomes")]),
    ("missing outcomes", "implementation-defined",
     IMPLEMENTATION_DEFINED[:IMPLEMENTATION_DEFINED.index("    outcomes:")], [(2, "outcomes")]),
    ("YAML syntax error", "dump", edit(DUMP, "tags: [int, BININT1]", "tags: [int, BININT1"),
     [(5, "yaml")]),
    ("file outside the classification folders", "elsewhere", DUMP, [(1, "file")]),
]


def write_case_file(tmp_path, folder, text, name="cases.yaml"):
    path = tmp_path / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("folder", sorted(GOOD))
def test_good_files_check_clean(tmp_path, folder):
    write_case_file(tmp_path, folder, GOOD[folder])
    loaded = corpus.load_corpus([tmp_path])
    assert loaded.problems == []
    assert len(loaded.cases) == 1 and loaded.cases[0].classification == folder


# The options of several dumps, reducer_override and find_class restrictions.
OPTIONED = [
    ("dump", edit(DUMP, "    object: 1\n", "    object: [1, 2]\n    options: {sequence: true, "
                  "clear_memo: true, reducer_override: 'picklespec.cases.fixtures:reduce_plain'}\n"),
     {"sequence": True, "clear_memo": True,
      "reducer_override": "picklespec.cases.fixtures:reduce_plain"}),
    ("dump", edit(DUMP, "    object: 1\n", "    object: 1\n    options: {dispatch_table: "
                  "'picklespec.cases.fixtures:DISPATCH_PLAIN'}\n"),
     {"dispatch_table": "picklespec.cases.fixtures:DISPATCH_PLAIN"}),
    ("accept", edit(ACCEPT, "    result: 1\n", "    result: 1\n    load-options: {sequence: true, "
                    "allow_globals: ['builtins:len', 'picklespec.cases.fixtures:Outer.Inner']}\n"),
     {"sequence": True, "allow_globals": ["builtins:len", "picklespec.cases.fixtures:Outer.Inner"]}),
]


@pytest.mark.parametrize("folder, text, options", OPTIONED)
def test_new_options_check_clean(tmp_path, folder, text, options):
    write_case_file(tmp_path, folder, text)
    loaded = corpus.load_corpus([tmp_path])
    assert loaded.problems == []
    case = loaded.cases[0]
    assert (case.options if folder == "dump" else case.load_options) == options


@pytest.mark.parametrize("what, folder, text, expected", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_file_gives_its_problem(tmp_path, what, folder, text, expected):
    path = write_case_file(tmp_path, folder, text)
    problems = corpus.check([tmp_path])
    assert [(p.file, p.line, p.field) for p in problems] == [(str(path), line, field)
                                                             for line, field in expected]
    assert all(p.message for p in problems)
    # A broken case is never handed to runners.
    assert "good-dump" not in [c.id for c in corpus.load_corpus([tmp_path]).cases[1:]]


def test_syntax_error_names_the_column(tmp_path):
    write_case_file(tmp_path, "dump", edit(DUMP, "tags: [int, BININT1]", "tags: [int, BININT1"))
    (problem,) = corpus.check([tmp_path])
    assert problem.line == 5 and "(column 11)" in problem.message


def test_assembly_error_names_the_line_and_why(tmp_path):
    text = edit(DUMP, "            STOP\n", "            BININT1 300\n            STOP\n")
    path = write_case_file(tmp_path, "dump", text)
    (problem,) = corpus.check([tmp_path])
    assert str(problem).startswith("%s:11: streams: does not assemble: " % path)
    assert "BININT1 300" in problem.message


def test_duplicate_id_across_files(tmp_path):
    write_case_file(tmp_path, "dump", DUMP, "a.yaml")
    second = write_case_file(tmp_path, "dump", DUMP, "b.yaml")
    (problem,) = corpus.check([tmp_path])
    assert (problem.file, problem.line, problem.field) == (str(second), 2, "id")
    assert "a.yaml:2" in problem.message


def test_every_problem_of_a_file_is_reported(tmp_path):
    text = edit(edit(DUMP, "id: good-dump", "id: BAD"), "[int, BININT1]", "[nope]")
    write_case_file(tmp_path, "dump", text)
    assert [(p.line, p.field) for p in corpus.check([tmp_path])] == [(2, "id"), (4, "tags")]


def test_loaded_cases_carry_their_data(tmp_path):
    for folder, text in GOOD.items():
        write_case_file(tmp_path, folder, text)
    loaded = corpus.load_corpus([tmp_path])
    dump = loaded.by_id("good-dump")
    assert (dump.object, dump.result, dump.protocols) == (1, 1, [0, 1, 2, 3, 4, 5])
    variant = dump.variant_for("cpython-3.13-py", 1)
    assert (variant.stream, variant.fails) == (b"K\x01.", False)
    assert dump.variant_for("cpython-3.12-c", 1) is None
    assert dump.variant_for("cpython-3.13-c", 2) is None
    assert loaded.by_id("good-accept").data == b"I1\n."
    reject = loaded.by_id("good-reject")
    assert (reject.data, reject.failure) == (b"I1", "truncated")
    choice = loaded.by_id("good-choice")
    assert [(o.accepts, o.result, o.reject) for o in choice.outcomes] == \
        [(True, 8, None), (False, None, "bad-argument")]
    assert choice.outcomes[0].seen[0].matches("cpython-3.13-c")


def test_cli_check_exit_status(tmp_path, capsys):
    good = write_case_file(tmp_path / "good", "dump", DUMP)
    assert cli.main(["check", str(good)]) == 0
    assert "1 cases in 1 files, no problems" in capsys.readouterr().out
    bad = write_case_file(tmp_path / "bad", "dump", edit(DUMP, "id: good-dump", "id: BAD"))
    assert cli.main(["check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("%s:2: id: " % bad)
    assert out.splitlines()[-1] == "1 problems in 1 files"


def test_coverage_counts_what_cases_touch(tmp_path, capsys):
    from picklespec.cases import coverage

    for folder, text in GOOD.items():
        write_case_file(tmp_path, folder, text)
    result = coverage.coverage(corpus.load_corpus([tmp_path]))
    assert result.cases == {"dump": 1, "accept": 1, "reject": 1, "implementation-defined": 1}
    assert result.opcodes["BININT1"]["dump"] == 1
    # The reject case's INT is cut short by the end of the input: it still counts.
    assert result.opcodes["INT"] == {"dump": 0, "accept": 1, "reject": 1,
                                     "implementation-defined": 1}
    assert result.opcodes["STOP"]["reject"] == 0
    assert result.protocols[1]["dump"] == 1 and result.protocols[0]["accept"] == 1
    assert len(result.short()) == 68
    assert cli.main(["coverage", str(tmp_path)]) == 0
    assert cli.main(["coverage", "--strict", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "cases: 4 (1 dump, 1 accept, 1 reject, 1 implementation-defined)" in out
    assert "opcodes under 3 accept + 3 reject cases: 68 of 68" in out
