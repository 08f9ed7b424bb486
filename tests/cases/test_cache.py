"""The corpus cache (cases/cache.py): hits, misses, and entries it must not trust."""

import os
import stat

import pytest

from picklespec.cases import cache as corpus_cache
from picklespec.cases.corpus import load_corpus

CASE = """\
cases:
  - id: cache-small-int
    title: a small int
    tags: [BININT1]
    protocol: 2
    stream: |
      PROTO 2
      BININT1 7
      STOP
    result: 7
"""


def _write(folder, text=CASE):
    path = folder / "accept" / "cached.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def _summary(corpus):
    return ([(c.id, c.data, c.result, c.file, c.line) for c in corpus.cases],
            [str(p) for p in corpus.problems])


@pytest.fixture
def files(tmp_path):
    (tmp_path / "cases").mkdir()
    return tmp_path / "cases"


@pytest.fixture
def store(tmp_path):
    return corpus_cache.CorpusCache(str(tmp_path / "cache"))


def test_a_second_read_is_a_hit_with_the_same_cases(files, store):
    path = _write(files)
    first = load_corpus([str(files)], cache=store)
    assert (store.hits, store.misses, store.writes) == (0, 1, 1)
    second = load_corpus([str(files)], cache=store)
    assert (store.hits, store.misses) == (1, 1)
    assert _summary(second) == _summary(first) == (
        [("cache-small-int", b"\x80\x02K\x07.", 7, str(path), 2)], [])
    assert second.cases[0].lines == first.cases[0].lines


def test_a_changed_file_is_a_miss_and_reads_the_new_content(files, store):
    _write(files)
    load_corpus([str(files)], cache=store)
    _write(files, CASE.replace("BININT1 7", "BININT1 8").replace("result: 7", "result: 8"))
    corpus = load_corpus([str(files)], cache=store)
    assert (store.hits, store.misses) == (0, 2)
    assert [(c.data, c.result) for c in corpus.cases] == [(b"\x80\x02K\x08.", 8)]


def test_problems_are_cached_with_their_lines(files, store):
    _write(files, CASE.replace("BININT1 7", "BININT1 700"))
    first = load_corpus([str(files)], cache=store)
    second = load_corpus([str(files)], cache=store)
    assert store.hits == 1
    assert first.problems and [str(p) for p in second.problems] == [str(p) for p in first.problems]
    assert ":8: stream:" in str(second.problems[0])


def _entries(store):
    return [os.path.join(root, name) for root, _, names in os.walk(store.folder)
            for name in names if name.endswith(".pickle")]


@pytest.mark.parametrize("damage", ["truncate", "flip", "header", "empty"])
def test_a_corrupt_entry_is_ignored_and_rewritten(files, store, damage):
    _write(files)
    expected = _summary(load_corpus([str(files)], cache=store))
    [entry] = _entries(store)
    raw = open(entry, "rb").read()
    damaged = {"truncate": raw[:len(raw) // 2], "flip": raw[:-3] + bytes([raw[-3] ^ 1]) + raw[-2:],
               "header": b"something else\n" + raw.partition(b"\n")[2], "empty": b""}[damage]
    with open(entry, "wb") as f:
        f.write(damaged)
    assert _summary(load_corpus([str(files)], cache=store)) == expected
    assert (store.hits, store.misses, store.writes) == (0, 2, 2)
    assert store.rejected and store.rejected[0][0] == entry
    assert open(entry, "rb").read() == raw  # rewritten
    load_corpus([str(files)], cache=store)
    assert store.hits == 1


def test_a_forged_entry_naming_other_code_is_refused(files, store):
    _write(files)
    load_corpus([str(files)], cache=store)
    [entry] = _entries(store)
    header = open(entry, "rb").read().partition(b"\n")[0].split(b" ")
    payload = b"cos\nsystem\n(S'echo forged'\ntR."  # os.system("echo forged"), protocol 0
    import hashlib

    with open(entry, "wb") as f:
        f.write(b" ".join(header[:3] + [hashlib.sha256(payload).hexdigest().encode()]) + b"\n"
                + payload)
    corpus = load_corpus([str(files)], cache=store)
    assert [c.id for c in corpus.cases] == ["cache-small-int"]
    assert "os.system is not allowed" in store.rejected[0][1]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_folder_others_may_write_is_not_trusted(files, store):
    _write(files)
    load_corpus([str(files)], cache=store)
    os.chmod(store.folder, 0o777)
    try:
        load_corpus([str(files)], cache=store)
        assert (store.hits, store.misses) == (0, 2)
    finally:
        os.chmod(store.folder, 0o700)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_an_entry_others_may_write_is_not_trusted(files, store):
    _write(files)
    load_corpus([str(files)], cache=store)
    [entry] = _entries(store)
    os.chmod(entry, 0o666)
    load_corpus([str(files)], cache=store)
    assert (store.hits, store.misses) == (0, 2)
    assert "not a private regular file" in store.rejected[0][1]


def test_new_entries_are_private(files, store):
    _write(files)
    load_corpus([str(files)], cache=store)
    [entry] = _entries(store)
    assert stat.S_IMODE(os.stat(store.folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(entry).st_mode) & 0o077 == 0


@pytest.mark.skipif(os.name != "posix" or os.getuid() == 0, reason="root writes anywhere")
def test_an_unwritable_folder_costs_the_cache_not_the_run(files, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    store = corpus_cache.CorpusCache(str(locked / "cache"))
    _write(files)
    assert [c.id for c in load_corpus([str(files)], cache=store).cases] == ["cache-small-int"]
    assert store.writes == 0


def test_a_folder_that_is_a_file_costs_the_cache_not_the_run(files, tmp_path):
    # Unwritable as a folder whoever runs the test (root included).
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    store = corpus_cache.CorpusCache(str(blocker / "cache"))
    _write(files)
    for _ in range(2):
        assert [c.id for c in load_corpus([str(files)], cache=store).cases] == ["cache-small-int"]
    assert (store.hits, store.writes) == (0, 0)


def test_the_environment_chooses_the_folder_or_turns_it_off(monkeypatch, tmp_path):
    monkeypatch.delenv("PICKLESPEC_NO_CACHE", raising=False)
    monkeypatch.setenv("PICKLESPEC_CACHE_DIR", str(tmp_path / "here"))
    assert corpus_cache.cache_dir() == str(tmp_path / "here")
    monkeypatch.setenv("PICKLESPEC_CACHE_DIR", "off")
    assert corpus_cache.default_cache() is None
    monkeypatch.delenv("PICKLESPEC_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert corpus_cache.cache_dir() == str(tmp_path / "xdg" / "picklespec" / "corpus")
    monkeypatch.setenv("PICKLESPEC_NO_CACHE", "1")
    assert corpus_cache.cache_dir() is None


def test_the_cache_off_reads_every_file(files, monkeypatch, tmp_path):
    monkeypatch.setenv("PICKLESPEC_CACHE_DIR", str(tmp_path / "env-cache"))
    _write(files)
    load_corpus([str(files)], cache=False)
    assert not (tmp_path / "env-cache").exists()
    load_corpus([str(files)])
    assert (tmp_path / "env-cache").is_dir()


def test_the_key_depends_on_path_content_and_code(store, monkeypatch):
    base = store.key("/a/accept/x.yaml", b"content")
    assert store.key("/b/accept/x.yaml", b"content") != base
    assert store.key("/a/accept/x.yaml", b"content2") != base
    monkeypatch.setattr(corpus_cache, "_SALT", b"other code")
    assert store.key("/a/accept/x.yaml", b"content") != base


def test_a_dump_case_without_a_result_still_loads_back_to_its_own_object(files, store):
    path = files / "dump" / "cached.yaml"
    path.parent.mkdir()
    path.write_text("""\
cases:
  - id: cache-big-int
    title: an int the interpreter does not share
    tags: [BININT]
    object: 65536
    protocols: [2]
    streams:
      2:
        - producer: cpython-3.6..3.13-c+py
          stream: |
            PROTO 2
            BININT 65536
            STOP
""")
    first = load_corpus([str(files)], cache=store)
    second = load_corpus([str(files)], cache=store)
    assert store.hits == 1 and not first.problems
    [case] = second.cases
    assert case.object == 65536 and case.result is case.object
