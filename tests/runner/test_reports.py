"""The reports: every format from one Run, written atomically, readable."""

import html
import html.parser
import json
import os
import random
import re
import xml.etree.ElementTree as ET

import pytest

from picklespec.runner import reports
from picklespec.runner.reports import view
from picklespec.runner.results import Result, Run

C, PY, PP = "cpython-3.13-c", "cpython-3.13-py", "pickleparser-0.2.1"
EXPECTED = "PROTO 2\nBININT1 255\nSTOP"
ACTUAL = "PROTO 2\nBININT2 255\nSTOP"

# (case, check, protocol, {target: outcome or (outcome, extra fields)})
CELLS = [
    ("int-bin1-max", "dump-bytes", 2, {C: "pass", PY: ("fail", {
        "message": "bytes differ from cpython-3.13-py", "expected": EXPECTED, "actual": ACTUAL,
        "first_difference": "offset 2: expected BININT1 255, got BININT2 255"}), PP: "unsupported"}),
    ("int-bin1-max", "load", 2, {C: "pass", PY: "pass", PP: "pass"}),
    ("int-text-hex", "load", 0, {C: "pass", PY: "pass", PP: ("fail", {
        "message": "loaded 0, expected 16", "expected": "16", "actual": "0"})}),
    ("frame-overrun", "defined", 4, {C: ("defined", {"chosen": "result"}),
                                     PY: ("defined", {"chosen": "reject:frame"}),
                                     PP: ("crash", {"message": "the process exited (status -11)",
                                                    "output": "boom\x00\x1b[31m\udc80"})}),
    ("frame-fine", "defined", 4, {C: ("defined", {"chosen": "result"}), PY: ("defined", {"chosen": "result"}),
                                  PP: ("defined", {"chosen": "result"})}),
    ("deep-list", "load", 2, {C: "pass", PY: "pass", PP: ("timeout", {"message": "no answer within 10.0 s"})}),
    ("garbage", "reject", 2, {C: "pass", PY: "pass", PP: ("protocol-error", {"message": "not a JSON answer"})}),
    ("buffer-oob", "dump-equivalent", 5, {C: "pass", PY: "pass", PP: "unsupported"}),
    ("tuple-p0", "load", None, {C: "skip", PY: "skip", PP: "skip"}),
]
TARGETS = {C: {"implementation": "cpython", "version": "3.13.0", "kind": "c"},
           PY: {"implementation": "cpython", "version": "3.13.0", "kind": "py"},
           PP: {"implementation": "pickleparser", "version": "0.2.1", "kind": "js"}}
CROSS = [(C, PP, "pass"), (PY, PP, "fail"), (C, PY, "pass")]


def results():
    out = []
    for case, check, protocol, cells in CELLS:
        for target, cell in cells.items():
            outcome, extra = (cell, {}) if isinstance(cell, str) else cell
            out.append(Result(case, check, target, protocol, outcome, **extra))
    for producer, consumer, outcome in CROSS:
        out.append(Result("int-bin1-max", "cross", "%s -> %s" % (producer, consumer), 2, outcome,
                          message="" if outcome == "pass" else "read back as 255.0"))
    return out


def make_run(complete=True, shuffle=None):
    rs = results()
    if shuffle is not None:
        random.Random(shuffle).shuffle(rs)
    return Run(targets=dict(TARGETS), results=rs, started="2025-01-01T00:00:00Z",
               finished="2025-01-01T00:00:09Z", complete=complete,
               notes=[] if complete else ["interrupted (SIGINT)"])


def render_all(run):
    return {name: reports.render(name, run) for name in reports.FORMATS}


def test_write_all_writes_every_format(tmp_path):
    paths = reports.write_all(make_run(), str(tmp_path / "out"))
    assert sorted(os.path.basename(p) for p in paths) == ["findings.md", "junit.xml", "matrix.html", "run.json", "summary.md"]
    assert sorted(os.listdir(tmp_path / "out")) == sorted(os.path.basename(p) for p in paths)
    for path in paths:
        assert oct(os.stat(path).st_mode & 0o777) == oct(0o644)


# The test process runs threads of its own (pytest-xdist's): the child made
# here only writes files and exits, so Python 3.12's warning does not apply.
FORK_WARNING = "ignore:This process .* is multi-threaded:DeprecationWarning"


@pytest.mark.filterwarnings(FORK_WARNING)
@pytest.mark.parametrize("fork", [True, False])
def test_write_all_with_and_without_a_child_process(tmp_path, monkeypatch, fork):
    """A child process renders run.json and matrix.html where the process can
    fork: the files are the same as rendered here, and nothing else is left.
    What the caller does meanwhile is done once, here."""
    monkeypatch.setattr(reports, "_can_fork", lambda: fork)
    where = tmp_path / "rendered-by"
    json_write = reports.FORMATS["run.json"]

    def json_noting_the_process(run, out):
        with open(where, "a") as f:
            f.write("%d\n" % os.getpid())
        json_write(run, out)
    monkeypatch.setitem(reports.FORMATS, "run.json", json_noting_the_process)
    run = make_run()
    meanwhile = []
    paths = reports.write_all(run, str(tmp_path / "out"), meanwhile=lambda: meanwhile.append(os.getpid()))
    pids = where.read_text().split()
    assert len(pids) == 1 and (pids[0] != str(os.getpid())) == fork
    assert meanwhile == [os.getpid()]
    monkeypatch.setitem(reports.FORMATS, "run.json", json_write)
    assert sorted(os.listdir(tmp_path / "out")) == sorted(reports.FORMATS)
    for path in paths:
        with open(path, encoding="utf-8") as f:
            assert f.read() == reports.render(os.path.basename(path), run)


@pytest.mark.filterwarnings(FORK_WARNING)
def test_a_child_that_fails_leaves_the_error_to_the_parent(tmp_path, monkeypatch):
    """The child's formats are rendered again here: the error is raised
    here, no report is replaced, and no temporary file is left."""
    monkeypatch.setattr(reports, "_can_fork", lambda: True)
    assert "matrix.html" in reports._IN_CHILD
    (tmp_path / "matrix.html").write_text("the previous report")

    def broken(run, out):
        out.write("half")
        raise ValueError("cannot render")
    monkeypatch.setitem(reports.FORMATS, "matrix.html", broken)
    with pytest.raises(ValueError, match="cannot render"):
        reports.write_all(make_run(), str(tmp_path))
    assert os.listdir(tmp_path) == ["matrix.html"]
    assert (tmp_path / "matrix.html").read_text() == "the previous report"


@pytest.mark.parametrize("name", sorted(reports.FORMATS))
def test_order_of_results_does_not_matter(name):
    texts = {reports.render(name, make_run(shuffle=seed)) for seed in (1, 2, 3)}
    assert len(texts) == 1


def test_json_reads_back_and_is_diff_friendly():
    run = make_run()
    text = reports.render("run.json", run)
    data = json.loads(text)
    assert data["format"] == "picklespec-run/2" and data["complete"] is True
    again = Run.from_dict(data)
    assert [r.to_dict() for r in again.sorted_results()] == [r.to_dict() for r in run.sorted_results()]
    assert data["summary"][PP] == {"crash": 1, "defined": 1, "fail": 1, "pass": 1,
                                   "protocol-error": 1, "skip": 1, "timeout": 1, "unsupported": 2}
    # one result per line, keys sorted, so a changed cell is a changed line
    lines = text.splitlines()
    start = lines.index(' "results": [')
    body = lines[start + 1:lines.index(" ]", start)]
    assert len(body) == len(results())
    assert [json.loads(line.rstrip(",")) for line in body] == data["results"]
    assert body[0].startswith('  {"case": "buffer-oob", "check": "dump-equivalent", ')
    assert text.endswith("}\n")


def test_json_keeps_a_lone_surrogate():
    run = Run(targets={}, results=[Result("s", "load", "t", 0, "fail", actual="'\udc80'")])
    text = reports.render("run.json", run)
    text.encode("utf-8")
    assert json.loads(text)["results"][0]["actual"] == "'\udc80'"


def test_junit_maps_outcomes():
    root = ET.fromstring(reports.render("junit.xml", make_run()).encode("utf-8"))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(results())
    failures = sorted(case.get("name") for case in cases if case.find("failure") is not None)
    assert failures == ["int-bin1-max[p2-cpython-3.13-py -> pickleparser-0.2.1]",
                        "int-bin1-max[p2-cpython-3.13-py]", "int-text-hex[p0-pickleparser-0.2.1]"]
    errors = {case.get("name"): case.find("error").get("type") for case in cases if case.find("error") is not None}
    assert errors == {"frame-overrun[p4-pickleparser-0.2.1]": "crash",
                      "deep-list[p2-pickleparser-0.2.1]": "timeout",
                      "garbage[p2-pickleparser-0.2.1]": "protocol-error"}
    skipped = [case.get("name") for case in cases if case.find("skipped") is not None]
    assert len(skipped) == 5  # 2 unsupported + 3 skip
    assert root.get("tests") == str(len(cases))
    assert root.get("failures") == "3" and root.get("errors") == "3" and root.get("skipped") == "5"


def test_junit_failure_shows_the_diff_and_where_they_part():
    root = ET.fromstring(reports.render("junit.xml", make_run()).encode("utf-8"))
    case = root.find(".//testcase[@classname='picklespec.dump-bytes'][@name='int-bin1-max[p2-cpython-3.13-py]']")
    text = case.find("failure").text
    assert "first difference: offset 2: expected BININT1 255, got BININT2 255" in text
    assert "\n-BININT1 255\n+BININT2 255\n" in text


def test_junit_keeps_control_characters_out_of_xml():
    text = reports.render("junit.xml", make_run())
    root = ET.fromstring(text.encode("utf-8"))
    error = root.find(".//testcase[@name='frame-overrun[p4-pickleparser-0.2.1]']/error")
    assert "boom\\x00\\x1b[31m\\udc80" in error.text


@pytest.mark.parametrize("name", sorted(reports.FORMATS))
def test_incomplete_run_is_marked_in_every_format(name):
    complete = reports.render(name, make_run())
    incomplete = reports.render(name, make_run(complete=False))
    marker = {"run.json": '"complete": false', "summary.md": "INCOMPLETE RUN",
              "matrix.html": "INCOMPLETE RUN", "junit.xml": 'name="complete" value="false"',
              "findings.md": "INCOMPLETE RUN"}[name]
    assert marker in incomplete and marker not in complete


def test_junit_incomplete_run_is_an_error():
    root = ET.fromstring(reports.render("junit.xml", make_run(complete=False)).encode("utf-8"))
    error = root.find("./testsuite[@name='picklespec.run']/testcase/error")
    assert error.get("type") == "incomplete" and error.text == "interrupted (SIGINT)"
    assert root.get("errors") == "4"


class _Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links, self.external, self.stack = set(), [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a":
            self.links.append(attrs.get("href"))
        for name in ("src", "href"):
            if attrs.get(name) and not attrs[name].startswith("#"):
                self.external.append(attrs[name])
        if tag not in ("meta", "br"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, "</%s> closes <%s>" % (tag, self.stack[-1:])
        self.stack.pop()


def page(run):
    text = reports.render("matrix.html", run)
    parser = _Page()
    parser.feed(text)
    parser.close()
    assert parser.stack == []
    return text, parser


def test_html_is_self_contained_and_links_every_failure():
    text, parsed = page(make_run())
    assert parsed.external == []
    failing = [r for r in results() if r.failing]
    assert {view.anchor(r) for r in failing} <= parsed.ids
    for link in parsed.links:
        assert link[1:] in parsed.ids
    assert text.count('class="failure') == len(failing)


def test_html_prunes_rows_where_all_targets_agree():
    text, _ = page(make_run())
    matrix, agree = text.split("Where all targets agree")
    # differing or failing rows stay in the table
    for case in ("int-bin1-max", "int-text-hex", "frame-overrun", "deep-list", "garbage"):
        assert '<div>%s</div></td>' % case in matrix
    # pass-where-judged rows, equal choices and never-judged rows fold away
    for label in ("buffer-oob p5 dump-equivalent", "frame-fine p4 defined", "tuple-p0 - load",
                  "int-bin1-max p2 load"):
        assert "<li>%s</li>" % label in agree
    for case in ("buffer-oob", "frame-fine", "tuple-p0"):
        assert '<div>%s</div></td>' % case not in matrix


def test_html_shows_the_diff_side_by_side():
    text, _ = page(make_run())
    assert ('<tr class="replace"><td class="e">BININT1 255</td><td class="a">BININT2 255</td></tr>') in text
    assert '<span class="where">offset 2: expected BININT1 255, got BININT2 255</span>' in text


def test_markdown_summary_is_short_and_links_into_the_html():
    run = make_run()
    text = reports.render("summary.md", run)
    _, parsed = page(run)
    # targets: conformance, judged, failing (its cross cells included), root causes, defined, not judged
    assert ("| pickleparser-0.2.1 | pickleparser | 0.2.1 | 6 | 5 | 1 | 3 | "
            "[5 root causes](matrix.html#t-pickleparser-0.2.1) | 33.3% |") in text
    links = re.findall(r"\]\(matrix\.html#([^)]+)\)", text)
    assert "t-cpython-3.13-py" in links and "g-pickleparser-0.2.1-1" in links
    assert set(links) <= parsed.ids
    assert "| cpython-3.13-c | cpython | 3.13.0 | 8 | 0 | 2 | 1 |  | 100.0% |" in text  # nothing to link to
    assert "Open [matrix.html](matrix.html)" in text
    assert "```" not in text and len(text.splitlines()) < 60
    # what the spec site reads of it: the run line and the targets table
    from picklespec.reference.spec import conformance

    assert conformance._RUN.search(text).group(1).startswith("%d results, 3 targets" % len(run.results))
    assert conformance._targets_table(text)[-1] == ("pickleparser-0.2.1", "pickleparser", "0.2.1", "33.3%")


@pytest.mark.parametrize("counts, expected", [
    ({"pass": 3, "fail": 1, "unsupported": 5}, "75.0%"),
    ({"defined": 2, "crash": 2}, "50.0%"),
    ({"skip": 4}, "-"),
])
def test_conformance_counts_only_judged_cells(counts, expected):
    import collections

    assert view.percent(collections.Counter(counts)) == expected


@pytest.mark.parametrize("expected, actual, where", [
    ("a\nb\nc", "a\nx\nc", "line 2: expected 'b', got 'x'"),
    ("a\nb", "a", "line 2: expected 'b', got the end"),
    ("a", "a\nb", "line 2: expected the end, got 'b'"),
    ("a", "a", ""),
])
def test_first_difference_when_the_check_gave_none(expected, actual, where):
    assert view.first_difference(Result("c", "load", "t", 0, "fail", expected=expected, actual=actual)) == where


@pytest.mark.parametrize("text, cleaned", [
    ("plain\ttab\nline", "plain\ttab\nline"),
    ("nul\x00esc\x1b", "nul\\x00esc\\x1b"),
    ("lone \udc80", "lone \\udc80"),
    ("caf\u00e9 \u2603", "caf\u00e9 \u2603"),
])
def test_clean(text, cleaned):
    assert view.clean(text) == cleaned


def test_a_failed_render_leaves_the_old_reports(tmp_path, monkeypatch):
    out = str(tmp_path)
    reports.write_all(make_run(), out)
    before = {name: open(os.path.join(out, name), encoding="utf-8").read() for name in os.listdir(out)}

    def broken(run, out):
        out.write("<?xml half a report")
        raise RuntimeError("render failed")
    monkeypatch.setitem(reports.FORMATS, "junit.xml", broken)
    with pytest.raises(RuntimeError):
        reports.write_all(make_run(complete=False), out)
    after = {name: open(os.path.join(out, name), encoding="utf-8").read() for name in os.listdir(out)}
    assert after == before


def test_an_interrupted_write_leaves_whole_files_and_no_temporaries(tmp_path, monkeypatch):
    out = str(tmp_path)
    reports.write_all(make_run(), out)
    before = {name: open(os.path.join(out, name), encoding="utf-8").read() for name in os.listdir(out)}
    calls = []
    real_fsync = os.fsync

    def interrupted(fd):
        calls.append(fd)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real_fsync(fd)
    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        reports.write_all(make_run(complete=False), out)
    assert sorted(os.listdir(out)) == sorted(before)
    after = {name: open(os.path.join(out, name), encoding="utf-8").read() for name in os.listdir(out)}
    assert after == before


def test_targets_in_natural_order():
    names = ["reference", "cpython-3.10-c", "cpython-3.9-py", "cpython-3.9-c", "cpython-2.7-c", "pypy-3.9-py"]
    assert sorted(names, key=view.natural) == ["cpython-2.7-c", "cpython-3.9-c", "cpython-3.9-py",
                                               "cpython-3.10-c", "pypy-3.9-py", "reference"]


@pytest.mark.parametrize("chosen, marks", [
    (["result: 1", "result: 1"], {"result: 1": "res"}),
    (["result: 1", "result: 2", "reject: malformed"], {"result: 1": "res1", "result: 2": "res2",
                                                       "reject: malformed": "rej"}),
    (["reject: memo", "reject: stack"], {"reject: memo": "rej1", "reject: stack": "rej2"}),
])
def test_defined_cells_are_marked_by_choice(chosen, marks):
    row = view.Row("c", None, "defined", {"t%d" % n: Result("c", "defined", "t%d" % n, None, "defined", chosen=c)
                                          for n, c in enumerate(chosen)})
    assert view.choice_marks(row) == marks


def test_an_unclean_rejection_is_reported_apart_from_a_failure():
    unclean = Result(case="pop-empty", check="reject", target="cpython-3.13-py", protocol=None,
                     outcome="unclean", message="unclean rejection: IndexError: pop from empty list")
    accepted = Result(case="pop-empty", check="reject", target="lax", protocol=None,
                      outcome="fail", message="accepted the stream")
    run = Run(targets={"cpython-3.13-py": {}, "lax": {}}, results=[unclean, accepted])
    junit = ET.fromstring(reports.render("junit.xml", run))
    kinds = sorted(f.get("type") for f in junit.iter("failure"))
    assert kinds == ["fail", "unclean"]
    summary = reports.render("summary.md", run)
    assert "[reject -: unclean: unclean rejection: IndexError: pop from empty list]" \
           "(matrix.html#g-cpython-3.13-py-1)" in summary
    assert Result.from_dict(json.loads(json.dumps(unclean.to_dict()))) == unclean


# -- run.json: versions, long texts -------------------------------------------------

V1 = """{
 "complete": true,
 "findings": [],
 "finished": "2025-01-01T00:00:09Z",
 "format": "picklespec-run/1",
 "notes": [],
 "results": [
  {
   "case": "int-text-hex",
   "check": "load",
   "expected": "16",
   "actual": "0",
   "message": "loaded 0, expected 16",
   "outcome": "fail",
   "protocol": 0,
   "target": "pickleparser-0.2.1"
  },
  {
   "case": "tuple-p0",
   "check": "load",
   "outcome": "skip",
   "protocol": null,
   "target": "pickleparser-0.2.1"
  }
 ],
 "started": "2025-01-01T00:00:00Z",
 "summary": {"pickleparser-0.2.1": {"fail": 1, "skip": 1}},
 "targets": {"pickleparser-0.2.1": {"implementation": "pickleparser", "version": "0.2.1"}}
}
"""


def test_a_version_1_run_reads_back_and_renders():
    run = Run.from_dict(json.loads(V1))
    assert [(r.key, r.outcome, r.seconds) for r in run.sorted_results()] == [
        ("int-text-hex|p0|load|pickleparser-0.2.1", "fail", None),
        ("tuple-p0||load|pickleparser-0.2.1", "skip", None)]
    assert run.cases == {} and run.targets["pickleparser-0.2.1"]["version"] == "0.2.1"
    texts = render_all(run)  # no case facts, no times: every format still renders
    assert '"format": "picklespec-run/2"' in texts["run.json"]
    assert 'id="f-int-text-hex_p0_load_pickleparser-0.2.1"' in texts["matrix.html"]
    assert 'time="0.000000"' in texts["junit.xml"]


def test_an_unknown_run_format_is_refused():
    with pytest.raises(ValueError, match="picklespec-run/9"):
        Run.from_dict({"format": "picklespec-run/9", "results": []})


def test_long_texts_are_cut_with_a_mark():
    output = "x" * 5000
    run = Run(targets={}, results=[Result("c", "load", "t", 0, "crash", message="m" * 10, output=output)])
    data = json.loads(reports.render("run.json", run))
    [result] = data["results"]
    assert result["message"] == "m" * 10
    assert result["output"] == "x" * 2000 + "... [cut: 5000 characters in all]"


def test_run_json_keeps_the_cases_and_the_times():
    run = make_run()
    run.results[0].seconds = 0.25
    run.cases = {"int-text-hex": {"title": "INT reads 0x as hexadecimal", "streams": {}}}
    data = json.loads(reports.render("run.json", run))
    assert data["cases"] == run.cases
    again = Run.from_dict(data)
    assert again.cases == run.cases
    assert {r.key: r.seconds for r in again.results}[run.results[0].key] == 0.25


# -- the one grouping ---------------------------------------------------------------

def grouped_run():
    """Two root causes on one target: three cells share one signature, one has its own."""
    rs = [Result("c%d" % n, "reject", "lib", None, "unclean",
                 message="unclean rejection: TypeError: %d is not a function" % n) for n in range(3)]
    rs.append(Result("d", "load", "lib", 2, "fail", message="loaded a different object",
                     expected="1", actual="2"))
    rs.append(Result("e", "load", "other", 2, "pass"))
    run = Run(targets={"lib": {}, "other": {}}, results=rs)
    from picklespec.runner import findings
    findings.annotate(run, {})
    run.findings = findings.group(run, {})
    return run


def test_findings_html_and_summary_share_one_grouping():
    from picklespec.runner import findings

    run = grouped_run()
    grouped = findings.members(run)
    assert [(key, [r.case for r in rs]) for key, rs in grouped] == [
        (("lib", "reject -: unclean: unclean rejection: TypeError: N is not a function"), ["c0", "c1", "c2"]),
        (("lib", "load -: fail: loaded a different object; expected N, got N"), ["d"])]
    assert [(f["target"], f["signature"], f["count"]) for f in run.findings] == [
        (key[0], key[1], len(rs)) for key, rs in grouped]
    text, parsed = page(run)
    # each group's section holds exactly its cells, in findings order
    first = text[text.index('id="g-lib-1"'):text.index('id="g-lib-2"')]
    assert sorted(re.findall(r'class="failure[^"]*" id="(f-[^"]+)"', first)) == [
        "f-c0_reject_lib", "f-c1_reject_lib", "f-c2_reject_lib"]
    assert "f-d_p2_load_lib" in text[text.index('id="g-lib-2"'):]
    summary = reports.render("summary.md", run)
    assert "| 3 | lib | [reject -: unclean: unclean rejection: TypeError: N is not a function]" \
           "(matrix.html#g-lib-1) |" in summary
    findings_md = reports.render("findings.md", run)
    assert findings_md.index("### lib 1. reject -:") < findings_md.index("### lib 2. load -:")


# -- junit: suites and times --------------------------------------------------------

def test_junit_has_one_suite_per_target_with_real_times():
    run = make_run()
    for n, r in enumerate(run.results):
        r.seconds = 0.5 * (n + 1)
    root = ET.fromstring(reports.render("junit.xml", run).encode("utf-8"))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert sorted(suites) == sorted([C, PY, PP])  # the cross cells sit in their consumer's suite
    expected = {}
    for r in run.results:
        expected.setdefault(r.target.split(" -> ")[-1], []).append(r)
    for name, suite in suites.items():
        cells = expected[name]
        assert int(suite.get("tests")) == len(cells) == len(suite.findall("testcase"))
        assert float(suite.get("time")) == pytest.approx(sum(r.seconds for r in cells))
    from picklespec.runner.reports import junit

    times = {(c.get("classname"), c.get("name")): float(c.get("time")) for c in root.iter("testcase")}
    for r in run.results:
        assert times["picklespec." + r.check, junit.testcase_name(r)] == pytest.approx(r.seconds)
    assert float(root.get("time")) == pytest.approx(sum(r.seconds for r in run.results))


# -- matrix.html: what each failure shows, what sits apart -----------------------------

def test_a_failure_shows_its_case_its_stream_and_where_it_parts():
    from picklespec.cases.corpus import load_corpus
    from picklespec.runner import caseinfo

    corpus = load_corpus(None)
    case = corpus.by_id("defined-additems-empty-on-list")
    result = Result(case.id, "defined", "lib", None, "crash", message="the process exited (status -11)")
    ok = Result(case.id, "defined", "other", None, "defined", chosen="reject: malformed")
    run = Run(targets={"lib": {}, "other": {}}, results=[result, ok])
    run.cases = caseinfo.collect(run, {case.id: case})
    facts = run.cases[case.id]
    # file:line is where the case's id is written
    with open(os.path.join(os.path.dirname(caseinfo.CORPUS_DIR), facts["file"]), encoding="utf-8") as f:
        assert f.read().splitlines()[facts["line"] - 1].strip() == "- id: " + case.id
    assert facts["streams"]["-"] == {"hex": "80045d28902e", "bytes": 6, "role": "sent"}
    text, _ = page(run)
    block = text[text.index('id="%s"' % view.anchor(result)):]
    block = block[:block.index("</div>")]
    for piece in ("ADDITEMS with no items on a list", "cases/implementation-defined/containers.yaml:%d"
                  % facts["line"], "gh-135573", "Settled in gh-135573", "80045d28902e",
                  "stream sent (6 bytes)"):
        assert html.escape(piece) in block, piece
    # the disassembly is picklespec dis's text, with offsets
    assert "0: PROTO 4" in block and "4: ADDITEMS" in block and "5: STOP" in block
    assert 'data-kind="implementation-defined"' in block and 'data-opcode="ADDITEMS EMPTY_LIST"' in block


def test_defined_rows_and_exception_differences_sit_apart_from_failures():
    rs = [Result("choice", "defined", "a", None, "defined", chosen="result: 1"),
          Result("choice", "defined", "b", None, "defined", chosen="reject: memo"),
          Result("exc", "reject", "a", None, "pass"),
          Result("exc", "reject", "b", None, "difference", message="raised ValueError, CPython raises EOFError"),
          Result("bad", "load", "a", 0, "pass"), Result("bad", "load", "b", 0, "fail", message="wrong")]
    text, _ = page(Run(targets={"a": {}, "b": {}}, results=rs))
    matrix = text[text.index('id="matrix"'):text.index('id="defined"')]
    defined = text[text.index('id="defined"'):text.index('id="differences"')]
    differences = text[text.index('id="differences"'):text.index('id="failures"')]
    assert '<div>bad</div></td>' in matrix and '<div>choice</div></td>' not in matrix and '<div>exc</div></td>' not in matrix
    assert '<div>choice</div></td>' in defined and '<div>exc</div></td>' in differences
    assert "Failures (1 cells, 1 root causes)" in text


def test_filters_are_hidden_until_the_script_runs_and_list_what_the_run_has():
    run = make_run()
    run.cases = {"int-text-hex": {"kind": "accept", "tags": ["INT", "int"], "streams": {}}}
    text, _ = page(run)
    form = text[text.index('<form id="filters" hidden>'):text.index("</form>")]
    assert '<option value="accept">' in form and '<option value="INT">' in form
    assert '<option value="int">' in form  # a tag that is not an opcode
    assert "form.hidden = false" in text
    row = re.search(r'<tr data-check="load" data-o="([^"]*)" data-kind="accept" data-opcode="INT" '
                    r'data-tag="INT int">', text)
    assert row and set(row.group(1).split()) == {"fail", "pass"}


def test_a_report_that_fails_midway_leaves_no_half_file(tmp_path, monkeypatch):
    from picklespec.runner.reports import html as html_report

    out = str(tmp_path)
    reports.write_all(make_run(), out)
    before = {name: (tmp_path / name).read_bytes() for name in os.listdir(out)}

    def failing(page, out):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(html_report, "cross_section", failing)
    with pytest.raises(OSError):
        reports.write_all(make_run(complete=False), out)
    assert {name: (tmp_path / name).read_bytes() for name in os.listdir(out)} == before


# -- per-cell times, as the runner measures them --------------------------------------

FAULTY = os.path.join(os.path.dirname(__file__), "fake_targets", "faulty.py")


def test_each_cell_has_the_seconds_its_answer_took(tmp_path):
    import sys
    import textwrap

    from picklespec.cases.corpus import load_corpus
    from picklespec.runner import targets
    from picklespec.runner.run import execute

    folder = tmp_path / "accept"
    folder.mkdir()
    (folder / "t.yaml").write_text("cases:\n" + textwrap.indent("".join(textwrap.dedent("""\
        - id: time-{word}
          title: the fake target does what {word} says
          tags: [int]
          protocol: 0
          stream: |
            SHORT_BINUNICODE '{word}'
            POP
            INT 1
            STOP
          result: 1
        """).format(word=word) for word in ("fast", "slow", "quick")), "  "))
    corpus = load_corpus([str(tmp_path)])
    assert not corpus.problems
    opened = targets.open_targets(targets.parse_targets(["cmd:%s %s" % (sys.executable, FAULTY)]))
    try:
        run = execute(corpus.cases, opened, oracle_problem="not needed")
    finally:
        for target in opened:
            target.close()
    seconds = {r.case: r.seconds for r in run.results}
    assert set(seconds) == {"time-fast", "time-slow", "time-quick"}
    # The target sleeps 0.2 s before answering; a pipelined answer is timed from the
    # arrival of the one before it, so the figure may fall short by the reader's latency.
    assert seconds["time-slow"] >= 0.15
    assert seconds["time-fast"] < seconds["time-slow"] and seconds["time-quick"] < seconds["time-slow"]


@pytest.mark.parametrize("result", [
    Result("c", "load", "t", 0, "pass", seconds=0.25),
    Result("c", "load", "t", None, "pass"),
    Result("c\u00e9\"", "cross", "a -> b\n", 5, "pass", seconds=3),
    Result("c", "load", "t", 0, "pass", missed=[]),  # an empty list is written
    Result("c", "load", "t", 0, "pass", projection="no-tuple", seconds=1e-06),
    Result("c", "load", "t", 2, "fail", message="m", expected="e", actual="a"),
    Result("c", "scan", "t", 2, "fail", missed=["os.system"], false_alarms=[]),
], ids=repr)
def test_a_result_line_is_its_dict_as_json_with_sorted_keys(result):
    from picklespec.runner.reports.json_report import result_line

    line = result_line(result)
    assert line == json.dumps(result.to_dict(), sort_keys=True, ensure_ascii=False)


def test_sorted_results_follow_the_results_list():
    run = make_run()
    first = run.sorted_results()
    assert first == run.sorted_results() and first is not run.sorted_results()
    first.clear()  # the caller's list: the run's order is untouched
    assert len(run.sorted_results()) == len(run.results)
    late = Result("aaa-first", "load", "t", 0, "pass")
    run.results.append(late)
    assert run.sorted_results()[0] is late
    run.results = [late]
    assert run.sorted_results() == [late]


@pytest.mark.parametrize("case, target, protocol", [
    ("c", "t", 0), ("c", "a -> b", 3), ("c&<", "t\x01\n", None), ('say "hi"', "t", 1),
    ("c", "it's \"x\"", 2), ("c\ud800", "a -> b", 5),
])
def test_junit_names_are_escaped_as_one_attribute(case, target, protocol):
    from picklespec.runner.reports import junit

    result = Result(case, "cross", target, protocol, "pass")
    name = junit.testcase_name(result)
    assert junit._name_attr(result) == junit._attr(name)
    element = ET.fromstring("<testcase name=%s />" % junit._name_attr(result))
    assert element.get("name") == view.clean(name)
