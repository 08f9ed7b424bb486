"""matrix.html: the run as one self-contained page, readable with 40 targets.

Theory of operation
-------------------
One file, nothing fetched; it reads without JavaScript, and a little inline
script adds the filters.  It is streamed section by section:

1. **Targets**, one row each (targets as rows: forty fit down a screen,
   not across): conformance first, then a bar of outcomes, the counts of
   failing and not-judged cells and of root causes, linking to the
   target's failures;
2. **By check**, targets as rows again, cells conforming / judged per check;
3. **Where targets differ or fail**: case x protocol x check by target, as
   JSONTestSuite's table, in a scrolling box whose header row (the targets,
   written upwards) and case column stay in place (``position: sticky``);
   cells are narrow marks and the case column is cut at 200 px (its full
   id and title on hover), so forty targets fit in 1400 px.  Rows where all
   agree are folded by outcome; the rows of implementation-defined cases
   (**Implementation-defined choices**) and those where targets only refused
   with another exception type (**Exception differences**) have tables of
   their own, apart from failures;
4. **Cross-checks**: producer by consumer;
5. **Failures**, one collapsible section per target (``#t-TARGET``), in it
   one per root cause (``#g-TARGET-N``, runner/findings.py's grouping,
   numbered as in findings.md), in it each failing cell (``#f-KEY``): the
   case's title, notes, refs and YAML file:line (runner/caseinfo.py), the
   stream sent as hex and disassembly (``picklespec dis``), the first
   difference and expected against actual, side by side;
6. **Coverage**: per target, the cells not judged (unsupported, skip) and
   their most frequent reasons.

Filters (outcome, check, kind, opcode, tag) show and hide the matrix rows
and failures by their ``data-`` attributes; the form is ``hidden`` until
the script runs, so without it the page simply shows everything.  A link
to a failure inside a folded section opens the sections around it.
Everything from a target is escaped (`view.clean`, then `html.escape`).
"""

import collections
import html
import re

from .. import caseinfo, findings
from ..results import CHECKS, FAILING, OUTCOMES
from . import view

MAX_DETAILS = 3000  # failures shown with their diff and disassembly; run.json has them all
MAX_MEMBERS = 200  # failures listed per root cause
HEX_SHOWN = 512  # bytes of a stream shown as hex
TOP_REASONS = 3

COLOURS = {  # outcome -> (background, text)
    "pass": ("#c6efce", "#0b4d1d"),
    "fail": ("#f4a6a6", "#6b0f0f"),
    "unclean": ("#f7d0a0", "#6b3a0f"),
    "crash": ("#3b0a45", "#ffffff"),
    "timeout": ("#f9b56b", "#5c2a00"),
    "protocol-error": ("#e9a3f0", "#56105e"),
    "defined": ("#b9d4f7", "#12356b"),
    "difference": ("#e6e0f8", "#3a2a6b"),
    "unsupported": ("#e3e3e3", "#4a4a4a"),
    "skip": ("#f4f4f4", "#777777"),
}
SHORT = {"pass": "ok", "fail": "F", "unclean": "U", "crash": "C", "timeout": "T",
         "protocol-error": "P", "defined": "d", "difference": "x", "unsupported": "-", "skip": "s"}

CSS = """
[hidden] { display: none !important; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f;
       margin: 16px 20px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 26px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 14px; margin: 0 0 6px; }
code, pre, .mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.meta { color: #555; margin: 0 0 10px; }
nav a { margin-right: 12px; }
.banner { background: #b00020; color: #fff; padding: 10px 14px; font-weight: 600;
          border-radius: 4px; margin: 8px 0 16px; }
table { border-collapse: separate; border-spacing: 0; }
th, td { padding: 2px 6px; }
.scroll { overflow: auto; max-height: 82vh; max-width: 100%; border: 1px solid #e4e4e4; }
.scroll thead th { position: sticky; top: 0; background: #fff; z-index: 2;
                   border-bottom: 1px solid #ccc; }
.scroll .stick { position: sticky; left: 0; background: #fff; z-index: 1; }
.scroll thead th.stick { z-index: 3; }
.rows td { border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
.rows td.l, .rows th.l { text-align: left; }
.rows th { text-align: right; font-size: 12px; }
.bar { display: flex; width: 220px; height: 12px; border-radius: 3px; overflow: hidden;
       background: #f4f4f4; }
.bar span { display: block; height: 100%; }
.legend span { display: inline-block; padding: 0 6px; margin: 0 4px 4px 0; border-radius: 3px;
               font-size: 12px; }
#filters { position: sticky; top: 0; background: #fafafa; border: 1px solid #ddd; z-index: 5;
           padding: 6px 10px; margin: 8px 0; font-size: 13px; }
#filters label { margin-right: 10px; }
.matrix th.t { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left;
               font-weight: 600; padding: 4px 0; white-space: nowrap; font-size: 11px;
               max-height: 160px; overflow: hidden; }
.matrix td.c { text-align: center; font-size: 10px; width: 20px; min-width: 20px; max-width: 20px;
               padding: 1px 0; border: 1px solid #fff; overflow: hidden; }
.matrix td.c a { color: inherit; text-decoration: none; display: block; }
.matrix td.id { white-space: nowrap; padding: 1px 6px;
                font: 12px ui-monospace, Menlo, Consolas, monospace; }
.matrix td.id div { max-width: 200px; overflow: hidden; text-overflow: ellipsis; }
.matrix td.none { background: #fafafa; color: #bbb; }
.group { margin: 6px 0; }
details > summary { cursor: pointer; }
details.t { border: 1px solid #ddd; border-radius: 4px; margin: 8px 0; padding: 4px 10px; }
details.t > summary { font-weight: 600; font-size: 15px; }
details.g { margin: 6px 0 6px 12px; }
details.g > summary { font-size: 13px; }
.group ul { columns: 4 320px; margin: 6px 0 0; padding-left: 18px;
            font: 12px ui-monospace, Menlo, Consolas, monospace; }
.failure { border: 1px solid #ddd; border-left: 5px solid #c0392b; border-radius: 4px;
           padding: 8px 12px; margin: 8px 0; overflow-wrap: anywhere; }
.failure.error { border-left-color: #3b0a45; }
.failure p { margin: 3px 0; }
.case { color: #333; }
.where { font-family: ui-monospace, Menlo, Consolas, monospace; background: #fff4d6;
         padding: 2px 6px; border-radius: 3px; word-break: break-all; }
.hex { word-break: break-all; background: #f6f6f6; padding: 2px 4px; }
.matrix td.producer { white-space: normal; max-width: 420px; }
table.diff { width: 100%; table-layout: fixed; margin-top: 6px;
             font: 12px/1.35 ui-monospace, Menlo, Consolas, monospace; }
table.diff th { text-align: left; background: #f0f0f0; }
table.diff td { vertical-align: top; white-space: pre-wrap; word-break: break-all;
                border-left: 1px solid #e0e0e0; }
table.diff tr.replace td { background: #fff1c2; }
table.diff tr.delete td.e { background: #fbd3d3; }
table.diff tr.insert td.a { background: #d4f4dc; }
pre.output, pre.dis { background: #f6f6f6; padding: 6px; white-space: pre-wrap; max-height: 260px;
                      overflow: auto; margin: 4px 0; }
"""

SCRIPT = """
(function () {
  var form = document.getElementById("filters");
  if (form) {
    form.hidden = false;
    var selects = form.querySelectorAll("select");
    var apply = function () {
      var want = [];
      selects.forEach(function (s) { if (s.value) want.push([s.name, " " + s.value + " "]); });
      document.querySelectorAll("[data-check]").forEach(function (e) {
        e.hidden = !want.every(function (w) {
          return (" " + (e.getAttribute("data-" + w[0]) || "") + " ").indexOf(w[1]) >= 0;
        });
      });
      document.querySelectorAll("details.g, details.t").forEach(function (d) {
        d.hidden = want.length > 0 && !d.querySelector(".failure:not([hidden])");
      });
      var shown = document.querySelectorAll(".failure:not([hidden])").length;
      document.getElementById("shown").textContent = want.length ? shown + " failures shown" : "";
    };
    selects.forEach(function (s) { s.addEventListener("change", apply); });
    form.addEventListener("reset", function () { setTimeout(apply, 0); });
  }
  var reveal = function () {
    var e = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    var first = e;
    for (; e; e = e.parentElement) { if (e.tagName === "DETAILS") e.open = true; }
    if (first) first.scrollIntoView();
  };
  window.addEventListener("hashchange", reveal);
  reveal();
})();
"""


_PLAIN = re.compile("[&<>\"'\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def esc(text):
    """text made safe for HTML (most text needs nothing done: checked first)."""
    if text is None:
        return ""
    text = str(text)
    if not _PLAIN.search(text):
        return text
    return html.escape(view.clean(text), quote=True)


def style(outcome):
    background, colour = COLOURS[outcome]
    return "background:%s;color:%s" % (background, colour)


def badge(outcome, text=None):
    return '<span style="%s;padding:0 6px;border-radius:3px">%s</span>' % (
        style(outcome), esc(text if text is not None else outcome))


class Page:
    """What the sections share: the run, its targets, its cases, its groups."""

    def __init__(self, run):
        self.run = run
        self.targets = view.targets_of(run)
        self.cases = run.cases or {}
        self.ordered = run.sorted_results()
        self.grouped = findings.numbered(findings.members(run, ordered=self.ordered))
        self.group_of = {}  # cell key -> group anchor
        for anchor, _, results in self.grouped:
            for r in results:
                self.group_of[r.key] = anchor
        self.shown_in_full = 0

    def case(self, case_id):
        return self.cases.get(case_id) or {}

    def opcodes(self, case_id):
        from picklespec.reference.opcodes import by_name
        return [t for t in self.case(case_id).get("tags", ()) if t in by_name]

    def data(self, case_id, check, outcomes):
        """The data- attributes the filters read."""
        facts = self.case(case_id)
        tags = facts.get("tags", ())
        return ' data-check="%s" data-o="%s" data-kind="%s" data-opcode="%s" data-tag="%s"' % (
            esc(check), esc(" ".join(sorted(outcomes))), esc(facts.get("kind", "")),
            esc(" ".join(self.opcodes(case_id))), esc(" ".join(tags)))


def write(run, out):
    """Stream matrix.html into the text file object out."""
    page = Page(run)
    out.write('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
              '<meta name="viewport" content="width=device-width, initial-scale=1">\n')
    out.write("<title>picklespec conformance%s</title>\n" % ("" if run.complete else " (incomplete)"))
    out.write("<style>%s</style>\n</head>\n<body>\n<h1>picklespec conformance</h1>\n" % CSS)
    if not run.complete:
        out.write('<div class="banner">%s.</div>\n' % esc(view.status_line(run)))
    meta = "%d cells, %d targets" % (len(run.results), len(page.targets))
    if run.started:
        meta += " &middot; started %s" % esc(run.started)
    if run.finished:
        meta += " &middot; finished %s" % esc(run.finished)
    out.write('<p class="meta">%s</p>\n' % meta)
    if run.notes:
        out.write("<ul>%s</ul>\n" % "".join("<li>%s</li>" % esc(n) for n in run.notes))
    out.write('<nav><a href="#targets">targets</a><a href="#checks">by check</a>'
              '<a href="#matrix">matrix</a><a href="#defined">implementation-defined</a>'
              '<a href="#differences">exception differences</a><a href="#cross">cross-checks</a>'
              '<a href="#failures">failures</a><a href="#coverage">coverage</a></nav>\n')
    out.write(filters(page))
    for section in (totals_section, checks_section, legend, matrix_section, cross_section,
                    failures_section, coverage_section):
        section(page, out)
    out.write("<script>%s</script>\n</body>\n</html>\n" % SCRIPT)


def render(run):
    import io
    out = io.StringIO()
    write(run, out)
    return out.getvalue()


# -- filters --------------------------------------------------------------------

def filters(page):
    kinds, opcodes, tags = set(), set(), set()
    for facts in page.cases.values():
        kinds.add(facts.get("kind", ""))
        tags.update(facts.get("tags", ()))
    for case_id in page.cases:
        opcodes.update(page.opcodes(case_id))
    tags -= opcodes
    present = {r.check for r in page.run.results}
    checks = [c for c in CHECKS if c in present]

    def select(name, label, values):
        options = "".join('<option value="%s">%s</option>' % (esc(v), esc(v)) for v in values if v)
        return '<label>%s <select name="%s"><option value="">all</option>%s</select></label>' % (
            label, name, options)
    return ('<form id="filters" hidden>%s%s%s%s%s<button type="reset">clear</button> '
            '<span id="shown"></span></form>\n' % (
                select("o", "outcome", [o for o in OUTCOMES if o != "pass"]),
                select("check", "check", checks), select("kind", "kind", sorted(kinds)),
                select("opcode", "opcode", sorted(opcodes)), select("tag", "tag", sorted(tags))))


# -- targets as rows ----------------------------------------------------------------

def totals_section(page, out):
    run = page.run
    counts = view.totals([r for r in run.results if not view.is_cross(r)])
    groups = collections.Counter(key[0] for _, key, _ in page.grouped)
    failing = collections.Counter()
    for _, key, results in page.grouped:
        failing[key[0]] += len(results)
    out.write('<h2 id="targets">Targets</h2>\n<div class="scroll"><table class="rows">\n<thead><tr>'
              '<th class="l stick">target</th><th>conformance</th><th class="l">outcomes</th>'
              "<th>judged</th><th>failing</th><th>root causes</th><th>defined</th><th>not judged</th>"
              '<th class="l">implementation</th><th class="l">version</th></tr></thead>\n<tbody>\n')
    for t in page.targets:
        hello = run.targets.get(t, {})
        counter = counts[t]
        total = sum(counter.values()) or 1
        bar = "".join('<span style="width:%.2f%%;background:%s" title="%s: %d"></span>'
                      % (100.0 * counter[o] / total, COLOURS[o][0], o, counter[o])
                      for o in OUTCOMES if counter[o])
        _, judged = view.conformance(counter)
        name = esc(t)
        if failing[t]:
            name = '<a href="#%s">%s</a>' % (view.target_anchor(t), name)
        out.write('<tr><td class="l stick"><b>%s</b></td><td><b>%s</b></td><td class="l">'
                  '<div class="bar">%s</div></td><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>'
                  '<td class="l">%s</td><td class="l">%s</td></tr>\n' % (
                      name, view.percent(counter), bar, judged, failing[t] or "", groups[t] or "",
                      counter["defined"] or "", (counter["unsupported"] + counter["skip"]) or "",
                      esc(hello.get("implementation", "")), esc(hello.get("version", ""))))
    out.write("</tbody></table></div>\n<p class=\"meta\">Conformance is pass + defined (+ difference) "
              "over the cells judged (everything but unsupported and skip). Failing counts the "
              "cross-checks a target read too.</p>\n")


def checks_section(page, out):
    per_check = view.by_check(page.run, page.targets)
    if not per_check:
        return
    out.write('<h2 id="checks">By check</h2>\n<p class="meta">Cells conforming / judged.</p>\n'
              '<div class="scroll"><table class="rows">\n<thead><tr><th class="l stick">target</th>%s'
              "</tr></thead>\n<tbody>\n" % "".join("<th>%s</th>" % esc(c) for c in per_check))
    for t in page.targets:
        cells = []
        for per_target in per_check.values():
            counter = per_target.get(t)
            good, judged = view.conformance(counter) if counter else (0, 0)
            if not judged:
                cells.append('<td class="none">&middot;</td>')
                continue
            worst = next((o for o in OUTCOMES if o in FAILING and counter[o]), "pass")
            cells.append('<td style="%s">%d/%d</td>' % (style(worst), good, judged))
        out.write('<tr><td class="l stick">%s</td>%s</tr>\n' % (esc(t), "".join(cells)))
    out.write("</tbody></table></div>\n")


def legend(page, out):
    marks = "".join('<span style="%s">%s = %s</span>' % (style(o), esc(SHORT[o]), esc(o))
                    for o in OUTCOMES)
    out.write('<p class="legend">%s<br>In a defined cell, <b>res</b> is a result and <b>rej</b> a '
              "rejection the target chose, numbered when targets chose differently; hover a cell "
              "for its message, click a failing one for its details.</p>\n" % marks)


# -- the matrix ---------------------------------------------------------------------

_CELL = {o: '<td class="c" style="background:%s;color:%s" title="%%s">%%s</td>' % COLOURS[o] for o in OUTCOMES}


def cell(row, target, marks):
    result = row.cells.get(target)
    if result is None:
        return '<td class="c none">&middot;</td>'
    outcome = result.outcome
    text = SHORT[outcome]
    tip = esc(result.message) if result.message else outcome
    if outcome == "defined" and result.chosen:
        text = esc(marks[result.chosen])
        tip = esc("defined: " + result.chosen)
    elif outcome in FAILING:
        text = '<a href="#%s">%s</a>' % (view.anchor(result), text)
    return _CELL[outcome] % (tip, text)


def split(shown):
    """(failing or differing rows, implementation-defined rows, exception-difference rows)."""
    main, defined, differs = [], [], []
    for row in shown:
        if row.failing():
            main.append(row)
        elif row.check == "defined":
            defined.append(row)
        elif any(r.outcome == "difference" for r in row.cells.values()):
            differs.append(row)
        else:
            main.append(row)
    return main, defined, differs


def table(page, rows, out, anchor, heading, empty):
    out.write('<h2 id="%s">%s (%d rows)</h2>\n' % (anchor, heading, len(rows)))
    if not rows:
        out.write("<p>%s</p>\n" % empty)
        return
    out.write('<div class="scroll"><table class="matrix">\n<thead><tr><th class="stick">case</th>'
              '<th title="protocol">p</th><th>check</th>%s</tr></thead>\n<tbody>\n'
              % "".join('<th class="t" title="%s">%s</th>' % (esc(t), esc(t)) for t in page.targets))
    for row in rows:
        marks = view.choice_marks(row)
        title = page.case(row.case).get("title", "")
        out.write('<tr%s><td class="id stick" title="%s"><div>%s</div></td><td class="id">%s</td>'
                  '<td class="id">%s</td>%s</tr>\n' % (
                      page.data(row.case, row.check, {r.outcome for r in row.cells.values()}),
                      esc(row.case + (": " + title if title else "")), esc(row.case),
                      esc(view.protocol_text(row.protocol)), esc(row.check),
                      "".join(cell(row, t, marks) for t in page.targets)))
    out.write("</tbody></table></div>\n")


def matrix_section(page, out):
    shown, grouped = view.prune(view.rows(page.run, page.ordered), page.targets)
    main, defined, differs = split(shown)
    table(page, main, out, "matrix", "Where targets differ or fail",
          "None: every row has one outcome for all targets, and none fails.")
    if grouped:
        out.write("<h2>Where all targets agree (%d rows)</h2>\n" % sum(len(rs) for rs in grouped.values()))
        for outcome, rs in grouped.items():
            out.write('<details class="group"><summary>%s %d rows</summary>\n<ul>%s</ul></details>\n' % (
                badge(outcome), len(rs), "".join("<li>%s</li>" % esc(r.label) for r in rs)))
    table(page, defined, out, "defined", "Implementation-defined choices",
          "None: every target made the same choice on every implementation-defined case.")
    table(page, differs, out, "differences", "Exception differences",
          "None: where a stream was refused cleanly, every target raised the exception CPython raises.")


def cross_section(page, out):
    producers, consumers, counts = view.cross_matrix(page.run)
    if not counts:
        return
    out.write('<h2 id="cross">Cross-checks</h2>\n<p class="meta">Each producer\'s output (row) read by '
              "each consumer (column): cells conforming / judged.</p>\n"
              '<div class="scroll"><table class="matrix">\n<thead><tr><th class="stick">producer \\ '
              "consumer</th>%s</tr></thead>\n<tbody>\n"
              % "".join('<th class="t">%s</th>' % esc(c) for c in consumers))
    for p in producers:
        cells = []
        for c in consumers:
            counter = counts.get((p, c))
            if counter is None:
                cells.append('<td class="c none">&middot;</td>')
                continue
            good, judged = view.conformance(counter)
            worst = next((o for o in OUTCOMES if o in FAILING and counter[o]), None)
            outcome = worst or ("pass" if judged else "unsupported")
            cells.append('<td class="c" style="%s;width:auto;max-width:none;padding:1px 3px">%d/%d</td>'
                         % (style(outcome), good, judged))
        out.write('<tr><td class="id producer stick">%s</td>%s</tr>\n' % (esc(p), "".join(cells)))
    out.write("</tbody></table></div>\n")


# -- failures, by target and root cause ---------------------------------------------

def failures_section(page, out):
    total = sum(len(results) for _, _, results in page.grouped)
    out.write('<h2 id="failures">Failures (%d cells, %d root causes)</h2>\n' % (total, len(page.grouped)))
    if not total:
        out.write("<p>No failing cells.</p>\n")
        return
    out.write('<p class="meta">Per target, its failing cells grouped by root cause (check x opcode x '
              "outcome signature, as in findings.md), most cells first. The first %d cells are shown "
              "with their diff and disassembly; run.json has every cell.</p>\n" % MAX_DETAILS)
    by_target = collections.OrderedDict()
    for anchor, key, results in page.grouped:
        by_target.setdefault(key[0], []).append((anchor, key, results))
    for target in sorted(by_target, key=view.natural):
        items = by_target[target]
        cells = sum(len(results) for _, _, results in items)
        out.write('<details class="t" id="%s"%s><summary>%s: %d failing cells, %d root causes</summary>\n' % (
            view.target_anchor(target), " open" if total <= 50 else "", esc(target), cells, len(items)))
        for anchor, key, results in items:
            outcome = results[0].outcome
            out.write('<details class="g" id="%s"%s><summary>%s <b>%d</b> %s</summary>\n' % (
                anchor, " open" if total <= 50 else "", badge(outcome), len(results), esc(key[1])))
            for result in results[:MAX_MEMBERS]:
                out.write(failure(page, result))
            if len(results) > MAX_MEMBERS:
                out.write("<p>... and %d more cells of this root cause in run.json: %s</p>\n" % (
                    len(results) - MAX_MEMBERS, esc(", ".join(sorted({r.case for r in results[MAX_MEMBERS:]})))))
            out.write("</details>\n")
        out.write("</details>\n")


def case_facts(page, result):
    facts = page.case(result.case)
    if not facts:
        return ""
    parts = []
    head = '<b class="mono">%s</b>' % esc(result.case)
    if facts.get("title"):
        head += " &mdash; %s" % esc(facts["title"])
    where = "%s:%s" % (facts.get("file", ""), facts.get("line", ""))
    parts.append('<p class="case">%s <span class="meta mono">(%s, %s)</span></p>\n' % (
        head, esc(where), esc(facts.get("kind", ""))))
    if facts.get("note"):
        parts.append('<p class="case">%s</p>\n' % esc(facts["note"]))
    if facts.get("refs"):
        parts.append('<p class="case">refs: %s</p>\n' % esc(", ".join(facts["refs"])))
    if facts.get("tags"):
        parts.append('<p class="case meta">tags: %s</p>\n' % esc(" ".join(facts["tags"])))
    return "".join(parts)


def stream_block(page, result, full):
    stream = page.case(result.case).get("streams", {}).get(caseinfo.protocol_key(result.protocol))
    if not stream:
        return ""
    hex_text = stream["hex"]
    shown = hex_text[:2 * HEX_SHOWN]
    more = "" if len(shown) == 2 * stream["bytes"] else " &hellip; (%d bytes in all)" % stream["bytes"]
    role = "stream sent" if stream.get("role") == "sent" else "stream recorded for its producer"
    text = '<p>%s (%d byte%s): <code class="hex">%s</code>%s</p>\n' % (
        role, stream["bytes"], "" if stream["bytes"] == 1 else "s", esc(shown), more)
    if full:
        text += '<details open><summary>disassembly</summary><pre class="dis">%s</pre></details>\n' % esc(
            caseinfo.disassembly(hex_text, stream["bytes"]))
    return text


def failure(page, result):
    full = page.shown_in_full < MAX_DETAILS
    page.shown_in_full += 1
    out = ['<div class="failure%s" id="%s"%s>\n' % (
               "" if result.outcome in ("fail", "unclean") else " error", view.anchor(result),
               page.data(result.case, result.check, {result.outcome})),
           "<h3>%s %s</h3>\n" % (badge(result.outcome), esc("%s %s %s on %s" % (
               result.case, view.protocol_text(result.protocol), result.check, result.target)))]
    if result.message:
        out.append("<p>%s</p>\n" % esc(result.message))
    out.append(case_facts(page, result))
    where = view.first_difference(result)
    if where:
        out.append('<p>First difference: <span class="where">%s</span></p>\n' % esc(where))
    out.append(stream_block(page, result, full))
    if full and (result.expected is not None or result.actual is not None):
        out.append('<table class="diff"><tr><th>expected</th><th>actual</th></tr>\n')
        for tag, e, a in view.side_by_side(result.expected, result.actual):
            out.append('<tr class="%s"><td class="e">%s</td><td class="a">%s</td></tr>\n' % (
                tag, esc(e) if e is not None else "", esc(a) if a is not None else ""))
        out.append("</table>\n")
    if full and result.output:
        out.append('<p>Output:</p><pre class="output">%s</pre>\n' % esc(result.output))
    out.append("</div>\n")
    return "".join(out)


# -- coverage ---------------------------------------------------------------------

def coverage_section(page, out):
    reasons = collections.defaultdict(collections.Counter)
    for r in page.run.results:
        if r.outcome in view.NOT_JUDGED and not view.is_cross(r):
            reasons[r.target][(r.outcome, findings._general(r.message) or r.outcome)] += 1
    if not reasons:
        return
    out.write('<h2 id="coverage">Coverage: cells not judged</h2>\n<p class="meta">Cells a target '
              "declared it does not do (unsupported) or that were not run (skip): coverage, never "
              "failures.</p>\n<div class=\"scroll\"><table class=\"rows\">\n<thead><tr>"
              '<th class="l stick">target</th><th>unsupported</th><th>skip</th>'
              '<th class="l">most frequent reasons</th></tr></thead>\n<tbody>\n')
    for t in page.targets:
        if t not in reasons:
            continue
        counter = reasons[t]
        by_outcome = collections.Counter()
        for (outcome, _), n in counter.items():
            by_outcome[outcome] += n
        top = "; ".join("%s (%d)" % (esc(reason), n) for (_, reason), n in counter.most_common(TOP_REASONS))
        out.write('<tr><td class="l stick">%s</td><td>%s</td><td>%s</td><td class="l">%s</td></tr>\n' % (
            esc(t), by_outcome["unsupported"] or "", by_outcome["skip"] or "", top))
    out.write("</tbody></table></div>\n")
