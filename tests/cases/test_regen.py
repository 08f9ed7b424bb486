"""picklespec cases regen, run with the running interpreter's C pickler.

The expected streams come from `pickle.dumps` itself; the tests check how
regen merges them into a file: new variants, ranges that grow, wrong
streams replaced, everything else of the file kept byte for byte.
"""

import pickle
import sys

import pytest

from picklespec.cases import corpus, regen

MAJOR, MINOR = sys.version_info[:2]
PRODUCER = "cpython-%d.%d-c" % (MAJOR, MINOR)
EARLIER = "cpython-3.8..%d.%d-c" % (MAJOR, MINOR - 1)


def stream_text(obj, protocol):
    from picklespec.reference.asm import disassemble

    return disassemble(pickle.dumps(obj, protocol))


def indented(text, pad="            "):
    return "".join(pad + line + "\n" for line in text.splitlines())


def case_file():
    return """\
# a comment that stays
cases:
  - id: regen-new
    title: a case with no streams yet
    tags: [int]
    object: 256
    protocols: [1, 2]

  # a comment between cases
  - id: regen-extend
    title: a case whose bytes an earlier range already has
    tags: [list]
    object: [1]
    protocols: [2]
    streams:
      2:
        - producer: %(earlier)s
          stream: |
%(list2)s          note: kept
        - producer: cpython-2.7-c
          stream: |
            PROTO 2
            STOP

  - id: regen-wrong
    title: a case whose recorded stream is wrong
    tags: [int]
    object: 7
    protocols: [2]
    streams:
      2:
        - producer: %(producer)s
          stream: |
            PROTO 2
            BININT1 8
            STOP
""" % {"earlier": EARLIER, "producer": PRODUCER, "list2": indented(stream_text([1], 2))}


@pytest.fixture
def dump_file(tmp_path):
    path = tmp_path / "dump" / "regen.yaml"
    path.parent.mkdir()
    path.write_text(case_file(), encoding="utf-8")
    return path


def run(path, capsys, write=True):
    argv = ["--python", sys.executable, "--kind", "c", str(path)]
    status = regen.main(argv + (["--write"] if write else []))
    return status, capsys.readouterr()


def test_regen_writes_merges_and_replaces(dump_file, capsys):
    status, out = run(dump_file, capsys)
    assert status == 0, out.err
    read = corpus.load_corpus([dump_file.parent])
    assert read.problems == []
    new = read.by_id("regen-new")
    for protocol in (1, 2):
        (variant,) = new.streams[protocol]
        assert variant.producer_text == PRODUCER
        assert variant.stream == pickle.dumps(256, protocol)
    extended = read.by_id("regen-extend")
    first, second = extended.streams[2]
    assert first.producer_text == "cpython-3.8..%d.%d-c" % (MAJOR, MINOR)
    assert first.note == "kept"
    assert second.producer_text == "cpython-2.7-c"
    (fixed,) = read.by_id("regen-wrong").streams[2]
    assert fixed.stream == pickle.dumps(7, 2)
    assert "-BININT1 8" in out.out and "+BININT1 7" in out.out
    text = dump_file.read_text()
    assert text.startswith("# a comment that stays\ncases:\n")
    assert "\n  # a comment between cases\n" in text


def test_regen_twice_changes_nothing(dump_file, capsys):
    run(dump_file, capsys)
    before = dump_file.read_text()
    status, out = run(dump_file, capsys, write=False)
    assert status == 0
    assert out.out == ""
    assert "0 differ" in out.err
    assert dump_file.read_text() == before


def test_regen_without_write_reports_and_keeps_the_file(dump_file, capsys):
    before = dump_file.read_text()
    status, out = run(dump_file, capsys, write=False)
    assert status == 1
    assert "+++ %s" % PRODUCER in out.out
    assert dump_file.read_text() == before


def test_regen_records_the_exception_class(tmp_path, capsys):
    path = tmp_path / "dump" / "fails.yaml"
    path.parent.mkdir()
    path.write_text("""\
cases:
  - id: regen-generator
    title: a generator cannot be pickled
    tags: [unpicklable]
    object: !global picklespec.cases.fixtures:GENERATOR
    protocols: [2]
    streams:
      2:
        - producer: %s
          fails: true
          raises: PicklingError
""" % PRODUCER, encoding="utf-8")
    status, out = run(path, capsys)
    assert status == 0
    [(case, _)] = corpus.read_file(str(path)).cases
    [variant] = case.streams[2]
    assert variant.fails and variant.raises == "TypeError"  # what _pickle raises, not the file's
    assert "-fails: true raises PicklingError" in out.out
    status, out = run(path, capsys)
    assert "1 streams as recorded, 0 differ" in out.err
