"""matrix.html in headless Chromium: 40 targets at 1400 px, and the filters.

Without scripts the page is whole (the filter form is ``hidden`` and every
failure is in it: tests/runner/test_reports.py).  A copy of the page gets a probe script that measures where things are
(getBoundingClientRect) and uses the filters as a reader would; Chromium's
``--dump-dom`` hands back what it found.  A screenshot checks the page is
drawn at all.
"""

import json
import shutil
import subprocess
import tempfile
import zlib

import pytest

from picklespec.runner import reports
from picklespec.runner.reports import view
from picklespec.runner.results import Result, Run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="Chromium is not installed (Debian: apt-get install chromium)")

TARGETS = ["cpython-%s-%s" % (version, kind) for version in
           ("2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13") for kind in ("c", "py")]
TARGETS += ["pypy-3.9-py", "reference", "pickleparser", "zodbpickle-c", "zodbpickle-py",
            "zodbpickle-noload", "fickling-loads", "fickling-parse", "torch-weights-only",
            "pickle5-3.6-c", "pickle5-3.6-py", "pickle5-3.7-c", "pickle5-3.7-py", "pickletools-dis",
            "pickletools-genops", "pickletools-optimize", "cloudpickle", "dill", "picklescan",
            "modelscan", "jpickle", "unpickle"]
assert len(TARGETS) == 40


def forty_targets():
    results, cases = [], {}
    for n in range(120):
        case = "case-%03d-with-an-identifier-as-long-as-the-longest-of-the-corpus-has-it" % n
        check = ("dump-equivalent", "reject", "defined")[n % 3]  # the widest check name
        cases[case] = {"title": "case number %d" % n, "kind": "reject" if check == "reject" else "accept",
                       "tags": ["BININT1" if n % 2 else "FRAME", "framing"], "note": "", "refs": [],
                       "file": "cases/accept/x.yaml", "line": n + 1,
                       "streams": {"-": {"hex": "80044b012e", "bytes": 5, "role": "sent"}}}
        for t, target in enumerate(TARGETS):
            if check == "defined":
                results.append(Result(case, check, target, None, "defined",
                                      chosen="result: 1" if t % 2 else "reject: malformed"))
            elif (n + t) % 7 == 0:
                results.append(Result(case, check, target, None, "fail", message="wrong %d" % n,
                                      expected="1", actual="2"))
            else:
                results.append(Result(case, check, target, None, "pass" if t % 5 else "unsupported"))
    return Run(targets={t: {"implementation": t.split("-")[0], "version": "1.0"} for t in TARGETS},
               results=results, cases=cases)


def png_rows(path):
    """(width, height, channels, raw scanlines) of an 8-bit non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, []
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = (int.from_bytes(body[:4], "big"),
                                            int.from_bytes(body[4:8], "big"), body[8], body[9])
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    assert depth == 8
    return width, height, {2: 3, 6: 4}[colour], zlib.decompress(b"".join(idat))


PROBE = """
<script>
(function () {
  var out = {width: window.innerWidth};
  var right = function (e) { return e.getBoundingClientRect().right; };
  var heads = document.querySelectorAll("#targets + .scroll th");
  out.targetsHeader = Array.prototype.map.call(heads, function (h) { return [h.textContent, right(h)]; });
  var matrix = document.querySelector("#matrix + .scroll");
  var th = matrix.querySelectorAll("thead th");
  out.lastTarget = [th[th.length - 1].textContent, right(th[th.length - 1])];
  out.matrixRight = matrix.getBoundingClientRect().left + matrix.clientWidth;
  var before = th[th.length - 1].getBoundingClientRect().top - matrix.getBoundingClientRect().top;
  var firstCell = matrix.querySelector("tbody td.stick");
  var cellBefore = firstCell.getBoundingClientRect().top;
  matrix.scrollTop = 400;
  matrix.scrollLeft = 200;
  out.headerMoved = (th[th.length - 1].getBoundingClientRect().top - matrix.getBoundingClientRect().top) - before;
  out.rowsMoved = cellBefore - firstCell.getBoundingClientRect().top;
  out.caseColumnLeft = firstCell.getBoundingClientRect().left - matrix.getBoundingClientRect().left;
  var count = function () { return document.querySelectorAll(".failure:not([hidden])").length; };
  out.formHidden = document.getElementById("filters").hidden;
  out.failures = count();
  var select = document.querySelector("#filters select[name=opcode]");
  select.value = "FRAME";
  select.dispatchEvent(new Event("change"));
  out.frameFailures = count();
  out.frameRows = matrix.querySelectorAll("tbody tr:not([hidden])").length;
  document.documentElement.setAttribute("data-probe", JSON.stringify(out));
})();
</script>
"""


def chromium(args, page, profile):
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", "--user-data-dir=" + profile, "--window-size=1400,900",
                           *args, page.as_uri()], capture_output=True, timeout=120)


def test_forty_targets_fit_1400_px_and_the_filters_work(tmp_path):
    run = forty_targets()
    text = reports.render("matrix.html", run)
    page = tmp_path / "probe.html"
    page.write_text(text.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    for attempt in range(3):  # on a loaded machine Chromium now and then exits with no output
        with tempfile.TemporaryDirectory() as profile:
            done = chromium(["--dump-dom"], page, profile)
        dom = done.stdout.decode("utf-8", "replace")
        if dom:
            break
    assert 'data-probe="' in dom, done.stderr.decode(errors="replace")[-2000:]
    import html

    probe = json.loads(html.unescape(dom.split('data-probe="', 1)[1].split('"', 1)[0]))
    width = probe["width"]
    assert width == 1400
    headers = dict(probe["targetsHeader"])
    assert headers["conformance"] <= width  # the conformance column is on screen
    assert max(headers.values()) <= width  # and so is the whole targets table
    name, right = probe["lastTarget"]
    # all forty matrix columns fit in the box, its scroll bar aside
    assert name == view.targets_of(run)[-1] and right <= probe["matrixRight"] <= width
    assert probe["rowsMoved"] >= 300  # the matrix scrolled ...
    assert abs(probe["headerMoved"]) < 1  # ... under a header row that stayed
    assert abs(probe["caseColumnLeft"]) < 2  # and the case column stayed at the left
    expected = sum(1 for r in run.results if r.failing)
    assert probe["formHidden"] is False and probe["failures"] == expected
    frame = sum(1 for r in run.results if r.failing and "FRAME" in run.cases[r.case]["tags"])
    assert 0 < probe["frameFailures"] == frame < expected
    assert probe["frameRows"] == sum(1 for n in range(120) if n % 2 == 0 and n % 3 != 2)


def test_the_page_is_drawn(tmp_path):
    page = tmp_path / "matrix.html"
    page.write_text(reports.render("matrix.html", forty_targets()), encoding="utf-8")
    shot = tmp_path / "shot.png"
    for attempt in range(3):  # on a loaded machine Chromium now and then exits with no output
        with tempfile.TemporaryDirectory() as profile:
            done = chromium(["--screenshot=" + str(shot)], page, profile)
        if shot.exists():
            break
    assert shot.exists(), done.stderr.decode(errors="replace")[-2000:]
    width, height, channels, raw = png_rows(shot)
    assert (width, height) == (1400, 900)
    assert len(raw) == height * (1 + width * channels)
    # A blank page is one colour: its filtered scanlines are nearly all one byte.
    most = max(raw.count(b) for b in set(raw[::97]))
    assert len(set(raw)) > 100 and most < 0.97 * len(raw)
