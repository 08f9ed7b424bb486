"""The spec site: its texts match the opcode table, it is current, it escapes,
it shows the published conformance, and it renders in a real browser.

The site is generated once per module (`picklespec spec DIR`, the command a
maintainer runs) and compared byte for byte with the published copy in
reports/spec/.
"""

import filecmp
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import zlib

import pytest

from picklespec.cases.corpus import load_corpus
from picklespec.reference import opcodes
from picklespec.reference.spec import handlers, markup, site, texts
from picklespec.reference.spec.conformance import read_published

REPO = pathlib.Path(__file__).resolve().parents[2]
PUBLISHED = REPO / "reports" / "spec"
REGENERATE = "picklespec spec reports/spec"


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory):
    # As a maintainer makes the published copy: from the repository root, with
    # the published run (named explicitly: an installed package has no
    # repository next to it).
    out = tmp_path_factory.mktemp("site")
    here = os.getcwd()
    os.chdir(REPO)
    try:
        assert site.main([str(out), "--known", "reports/known"]) == 0
    finally:
        os.chdir(here)
    return out


# -- the texts ---------------------------------------------------------------


def test_every_opcode_has_exactly_one_narrative_and_every_topic_its_text():
    assert texts.problems() == []
    names = sorted(p.stem for p in (pathlib.Path(texts.TEXTS_DIR) / "opcodes").glob("*.md"))
    assert names == sorted(op.name for op in opcodes.opcodes)
    assert len(names) == 68


def test_a_missing_or_unknown_narrative_is_named(tmp_path, monkeypatch):
    copy = tmp_path / "spec"
    shutil.copytree(texts.TEXTS_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (copy / "opcodes" / "DUP.md").unlink()
    (copy / "opcodes" / "DUPE.md").write_text("# a typo\n\ntext\n", encoding="utf-8")
    (copy / "topics" / "memo.md").write_text("no title\n", encoding="utf-8")
    monkeypatch.setattr(texts, "TEXTS_DIR", str(copy))
    found = texts.problems()
    assert "opcodes/DUP.md: missing (every opcode of the table has a narrative)" in found
    assert "opcodes/DUPE.md: names no opcode of the table" in found
    assert any(p.startswith("reference/spec/topics/memo.md: the first line") for p in found)
    with pytest.raises(ValueError, match="DUPE"):
        texts.read_texts()


def test_every_narrative_renders_and_links_only_known_pages():
    ops, topics = texts.read_texts()
    links = markup.Links(opcodes.by_name, texts.TOPICS, lambda n: n, lambda n: n)
    for text in list(ops.values()) + list(topics.values()):
        markup.to_html(text.body, links, text.file)  # raises MarkupError on a bad link


# -- the handlers ------------------------------------------------------------------


def test_each_opcode_has_its_handler_source_and_the_registry_is_not_needed(monkeypatch):
    from picklespec.reference import unpickler

    found = {op.name: handlers.handler_of(op.name) for op in opcodes.opcodes}
    for name, function in found.items():
        assert '@handles("%s")' % name in handlers.handler_sources(name)[0][1]
    monkeypatch.delattr(unpickler, "_HANDLERS")
    for name, function in found.items():
        assert handlers.handler_of(name) is function
    titles = [title for title, _ in handlers.handler_sources("BUILD")]
    assert titles[0] == "Unpickler.load_BUILD" and "Unpickler.build" in titles


# -- the markup ----------------------------------------------------------------


def links():
    return markup.Links(["FRAME"], ["memo"], lambda n: "../opcodes/%s.html" % n,
                        lambda n: "../topics/%s.html" % n)


def test_markup_escapes_everything_and_links_names():
    out = markup.to_html("<script>x</script> & `FRAME` `<b>` gh-154848 PEP 574 [m](topic:memo)\n",
                         links())
    assert "<script>" not in out and "<b>" not in out
    assert "&lt;script&gt;x&lt;/script&gt; &amp;" in out
    assert '<a class="op" href="../opcodes/FRAME.html"><code>FRAME</code></a>' in out
    assert "<code>&lt;b&gt;</code>" in out
    assert 'href="https://github.com/python/cpython/issues/154848"' in out
    assert 'href="https://peps.python.org/pep-0574/"' in out
    assert '<a href="../topics/memo.html">m</a>' in out


def test_markup_reads_powers_as_text_and_stars_around_words_as_emphasis():
    out = markup.inline("from -2**31 to 2**31-1, a*b*c, **bold** and *em*", links())
    assert out == "from -2**31 to 2**31-1, a*b*c, <strong>bold</strong> and <em>em</em>"


@pytest.mark.parametrize("text, line, words", [
    ("ok\n\n[x](opcode:FRAMES)\n", 3, "unknown opcode 'FRAMES'"),
    ("[x](topic:nope)\n", 1, "unknown topic 'nope'"),
    ("[x](javascript:alert)\n", 1, "neither opcode:, topic: nor a URL"),
    ("a\n```\ncode\n", 2, "closing ```"),
    ("| a | b |\n|---|---|\n| 1 |\n", 3, "1 cells, the header 2"),
])
def test_markup_errors_name_the_file_and_line(text, line, words):
    with pytest.raises(markup.MarkupError) as info:
        markup.to_html(text, links(), "t.md")
    assert str(info.value).startswith("t.md:%d: " % line)
    assert words in str(info.value)


# -- pages from a corpus of our own --------------------------------------------

CASE = """\
cases:
  - id: escape-me
    title: "<script>alert(1)</script> & co"
    tags: [INT]
    protocol: 0
    note: "a < b && c > d"
    refs: [gh-126992]
    stream: |
      INT 010
      STOP
    result: 10
"""


@pytest.fixture()
def small(tmp_path):
    (tmp_path / "accept").mkdir()
    path = tmp_path / "accept" / "t.yaml"
    path.write_text(CASE, encoding="utf-8")
    corpus = load_corpus([str(path)])
    assert corpus.problems == [] and len(corpus.cases) == 1
    known = tmp_path / "known"
    known.mkdir()
    (known / "baseline.json").write_text(
        '{"expected": {"escape-me||load|impl-<x>": "fail",'
        ' "escape-me||cross|a-1 -> impl-<x>": "crash"},'
        ' "format": "picklespec-baseline/1", "targets": ["impl-<x>"]}', encoding="utf-8")
    (known / "summary.md").write_text(
        "# picklespec conformance\n\n10 results, 2 targets; started 2026-01-02T03:04:05+00:00, "
        "finished 2026-01-02T03:04:06+00:00.\n\n## Targets\n\n"
        "| target | implementation | version | pass | conformance |\n|---|---|---|---|---|\n"
        "| impl-<x> | imp | 1.0 | 3 | 50.0% |\n| other-2 | oth | 2.0 | 5 | 100.0% |\n",
        encoding="utf-8")
    return corpus, known


def test_case_text_is_escaped_and_shown_with_its_stream(small):
    corpus, known = small
    page = site.build(corpus, str(known))["opcodes/INT.html"]
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page
    assert "a &lt; b &amp;&amp; c &gt; d" in page
    assert "0000  49 30 31 30 0a 2e" in page          # the stream as hex
    assert "0: INT 010" in page and "5: STOP" in page  # and as picklespec dis writes it
    assert 'href="https://github.com/python/cpython/issues/126992"' in page


def test_conformance_comes_from_the_published_run(small):
    corpus, known = small
    page = site.build(corpus, str(known))["opcodes/INT.html"]
    assert "started 2026-01-02T03:04:05+00:00, finished 2026-01-02T03:04:06+00:00" in page
    assert "<code>impl-&lt;x&gt;</code>" in page
    assert "2 failing cells on 1 of 1 cases" in page
    assert "from a-1" in page and ">crash<" in page
    assert "1 of 2 targets</strong> have no known failure on these cases: <code>other-2</code>" in page
    other = site.build(corpus, None)["opcodes/INT.html"]
    assert "No published run was given" in other


def test_the_same_inputs_give_the_same_site(small):
    corpus, known = small
    assert site.build(corpus, str(known)) == site.build(corpus, str(known))


def test_a_broken_baseline_is_named(tmp_path):
    (tmp_path / "baseline.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="baseline.json: not a JSON baseline"):
        read_published(str(tmp_path))


def test_the_published_run_names_every_target():
    published = read_published(str(REPO / "reports" / "known"))
    names = published.target_names()
    assert "reference" in names and "pickleparser" in names
    assert names.index("cpython-3.9-c") < names.index("cpython-3.10-c")
    summary = (REPO / "reports" / "known" / "summary.md").read_text(encoding="utf-8")
    assert published.run and published.run.split(" results")[0] in summary.replace(",", "")


# -- the whole site --------------------------------------------------------------


def test_the_site_has_an_index_a_page_per_opcode_and_per_topic(site_dir):
    pages = sorted(str(p.relative_to(site_dir)).replace(os.sep, "/")
                   for p in site_dir.rglob("*.html"))
    assert len(pages) == 1 + 68 + len(texts.TOPICS)
    index = (site_dir / "index.html").read_text(encoding="utf-8")
    for op in opcodes.opcodes:
        assert 'href="opcodes/%s.html"' % op.name in index
        page = (site_dir / "opcodes" / ("%s.html" % op.name)).read_text(encoding="utf-8")
        assert "@handles(&quot;%s&quot;)" % op.name in page   # the handler, read from the source
    frame = (site_dir / "opcodes" / "FRAME.html").read_text(encoding="utf-8")
    assert "Unpickler._enter_frame" in frame
    assert "http" not in (site_dir / "style.css").read_text(encoding="utf-8")
    assert "<script" not in index


def test_topic_pages_show_their_case_files(site_dir):
    corpus = load_corpus()
    files = {site._case_file(c) for c in corpus.cases}
    for topic, names in site.TOPIC_CASES.items():
        assert topic in texts.TOPICS
        for name in names:
            assert name in files, "TOPIC_CASES names %s, which holds no case" % name
    security = (site_dir / "topics" / "security.html").read_text(encoding="utf-8")
    bypass = [c for c in corpus.cases if c.file.endswith("scanner-bypass.yaml")]
    assert len(bypass) > 10
    for case in bypass:
        assert 'id="case-%s"' % case.id in security


def test_the_published_copy_is_current(site_dir):
    assert PUBLISHED.is_dir(), "reports/spec/ is missing: %s" % REGENERATE
    ours = sorted(p.relative_to(site_dir) for p in site_dir.rglob("*") if p.is_file())
    theirs = sorted(p.relative_to(PUBLISHED) for p in PUBLISHED.rglob("*") if p.is_file())
    assert ours == theirs, "reports/spec/ has other files than the site: %s" % REGENERATE
    _, mismatch, errors = filecmp.cmpfiles(site_dir, PUBLISHED, [str(p) for p in ours],
                                           shallow=False)
    assert not mismatch and not errors, "reports/spec/ is stale (%s): %s" % (
        ", ".join(mismatch[:5] + errors[:5]), REGENERATE)


# -- in a browser -------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def png_rows(path):
    """(width, height, raw scanlines) of an 8-bit non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, [], None
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big")
            depth, colour = body[8], body[9]
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    assert depth == 8
    return width, height, {2: 3, 6: 4}[colour], zlib.decompress(b"".join(idat))


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_an_opcode_page_renders_in_headless_chromium(site_dir, tmp_path):
    page = "opcodes/FRAME.html"
    shot = tmp_path / "shot.png"
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--user-data-dir=" + profile, "--screenshot=" + str(shot), "--window-size=1400,900",
             (site_dir / page).as_uri()],
            capture_output=True, timeout=120)
    assert shot.exists(), done.stderr.decode(errors="replace")[-2000:]
    width, height, channels, raw = png_rows(shot)
    assert (width, height) == (1400, 900)
    assert len(raw) == height * (1 + width * channels)
    # A blank page is one colour: its filtered scanlines are nearly all one byte.
    # A page of text, tables and code has many values, and no byte dominates.
    most = max(raw.count(b) for b in set(raw[::97]))
    assert len(set(raw)) > 100
    assert most < 0.97 * len(raw)


def test_without_a_summary_the_targets_come_from_the_baseline(tmp_path):
    (tmp_path / "baseline.json").write_text(json.dumps({"format": "picklespec-baseline/1", "expected": {
        "int-1|p0|load|zeta-9": {"outcome": "fail", "reason": "r"},
        "int-1|p0|cross|cpython-3.11-c -> alpha-10": {"outcome": "fail", "reason": "r"},
    }}), encoding="utf-8")
    published = read_published(str(tmp_path))
    assert published.run is None
    assert published.target_names() == ["alpha-10", "zeta-9"]
