"""Choosing cases as pytest's -k does, by glob and by kind; and `picklespec
cases list` / `picklespec cases show` on a small corpus written here."""

import os
import subprocess
import sys
import textwrap

import pytest

from picklespec.cases import selection
from picklespec.cases.corpus import load_corpus

FILES = {
    "accept/small.yaml": """\
        - id: frame-small
          title: A FRAME around one BININT1
          tags: [FRAME, framing]
          protocol: 4
          stream: |
            PROTO 4
            FRAME 3
            BININT1 7
            STOP
          result: 7
        - id: load-dict-memo
          title: an empty dict, memoized
          tags: [EMPTY_DICT]
          protocol: 4
          stream: |
            PROTO 4
            EMPTY_DICT
            MEMOIZE
            STOP
          result: {}
        """,
    "reject/small.yaml": """\
        - id: frame-too-long
          title: a frame longer than the stream
          tags: [FRAME]
          protocol: 4
          hex: "800495ff00000000000000"
          failure: truncated
        - id: bin1-cut
          title: BININT1 without its byte
          tags: [BININT1]
          protocol: 1
          hex: "4b"
          failure: truncated
        """,
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(exist_ok=True)
        path.write_text("cases:\n" + textwrap.indent(textwrap.dedent(text), "  "), encoding="utf-8")
    loaded = load_corpus([str(root)])
    assert not loaded.problems, loaded.problems
    return str(root), loaded


def ids(corpus, expression=None, **kwargs):
    return [c.id for c in selection.select(corpus[1].cases, expression=expression, **kwargs)]


@pytest.mark.parametrize("expression, chosen", [
    ("frame", ["frame-small", "frame-too-long"]),          # id, tags, title: a substring, any case
    ("frame and not reject", ["frame-small"]),             # reject: the kind and the file's folder
    ("FRAME and not too", ["frame-small"]),
    ("memoize", ["load-dict-memo"]),                       # an opcode only its stream uses
    ("memoized", ["load-dict-memo"]),                      # a word of its title
    ("reject/small.yaml", ["frame-too-long", "bin1-cut"]),  # the file
    ("without or (dict and not frame)", ["load-dict-memo", "bin1-cut"]),
    ("not (frame or binint1)", ["load-dict-memo"]),
    ("not not binint1", ["frame-small", "bin1-cut"]),      # the opcode of frame-small's stream
    ("nothing-like-this", []),
])
def test_expressions_select_as_pytest_k(corpus, expression, chosen):
    assert ids(corpus, expression) == chosen


def test_globs_and_kinds_combine_with_an_expression(corpus):
    assert ids(corpus, globs=["frame-*"]) == ["frame-small", "frame-too-long"]
    assert ids(corpus, kinds=["reject"]) == ["frame-too-long", "bin1-cut"]
    assert ids(corpus, "frame", kinds=["accept"]) == ["frame-small"]
    assert ids(corpus, "frame", globs=["*-long"], kinds=["reject"]) == ["frame-too-long"]


@pytest.mark.parametrize("expression, message", [
    ("frame and", "-k 'frame and': column 10: expected a word, \"not\" or \"(\", found the end"),
    ("(frame", "-k '(frame': column 7: expected \")\", found the end"),
    ("and frame", "column 1: expected a word, \"not\" or \"(\", found 'and'"),
    ("frame reject", "column 7: expected \"and\", \"or\" or the end, found 'reject'"),
    ("frame)", "column 6: expected \"and\", \"or\" or the end, found ')'"),
    ("  ", "an empty expression"),
])
def test_a_bad_expression_names_the_column(expression, message):
    with pytest.raises(selection.SelectionError) as info:
        selection.parse(expression)
    assert message in str(info.value)


def test_a_bad_kind_is_refused(corpus):
    with pytest.raises(selection.SelectionError, match="'dumps': not a kind of case"):
        selection.select(corpus[1].cases, kinds=["dumps"])


def test_keywords(corpus):
    case = corpus[1].by_id("frame-small")
    assert selection.keywords(case) == {"frame-small", "accept", "accept/small.yaml", "frame",
                                        "framing", "a frame around one binint1", "proto",
                                        "binint1", "stop"}


def cli(*args):
    return subprocess.run([sys.executable, "-m", "picklespec.cases.cli", *args],
                          capture_output=True, text=True, timeout=120)


def test_cases_list(corpus):
    done = cli("list", "--corpus", corpus[0], "-k", "frame and not reject")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["frame-small", "accept", "accept/small.yaml:2"]
    assert lines[0].endswith("A FRAME around one BININT1")
    assert lines[-1] == "1 of 4 cases"
    bad = cli("list", "--corpus", corpus[0], "-k", "frame and")
    assert bad.returncode == 2 and "column 10" in bad.stderr and "Traceback" not in bad.stderr
    assert cli("list", "--corpus", corpus[0], "-k", "nothing-like-this").returncode == 1


def test_cases_show(corpus):
    done = cli("show", "--corpus", corpus[0], "frame-small")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("frame-small (accept)\nfile: %s:2\n" % os.path.join(corpus[0], "accept", "small.yaml"))
    # the source: its own lines, not the next case's
    assert "  - id: frame-small\n" in out and "FRAME 3" in out and "load-dict-memo" not in out
    # the stream as hex (80 04 95 ...: PROTO 4, FRAME, 8 bytes of length) and disassembly
    assert "    0: 80 04 95 03 00 00 00 00 00 00 00 4b 07 2e\n" in out
    assert "     2: FRAME 3\n" in out
    assert "expected: the stream loads to\n    7\n" in out
    assert "known outcome per target, in the published run" in out
    missing = cli("show", "--corpus", corpus[0], "frame")
    assert missing.returncode == 2
    assert "no case 'frame'; ids containing it: frame-small, frame-too-long" in missing.stderr


def test_cases_show_gives_the_published_outcome_per_target():
    """The published run (shipped as picklespec.known) lists this case as
    failing on the C unpicklers of 3.6-3.13 (OverflowError: unclean)."""
    from picklespec.runner import baseline

    case = "memo-get-text-index-above-ssize-t"
    known = sorted(key.split("|")[3] for key in baseline.shipped().expected if key.startswith(case + "|"))
    assert "cpython-3.13-c" in known
    done = cli("show", case)
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines() if line.startswith("  ") and
            line.split()[:1] and line.split()[0] in known]
    assert sorted(r[0] for r in rows) == known
    assert ["cpython-3.13-c", "-", "reject", "unclean"] in rows
