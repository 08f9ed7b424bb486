"""matrix.html: the run as one self-contained page.

Theory of operation
-------------------
The page has no external assets and no script: styles are inline, groups
fold with ``<details>``.  In order: a banner when the run is incomplete, the
targets with a bar of their outcomes and their conformance, the legend, the
matrix of rows where targets differ or fail (case x protocol x check by
target, as JSONTestSuite's table), the rows where all targets agree folded
by outcome (its pruned view), the cross-check matrix (producer by consumer),
and the failures: each failing cell links to its message, the first point
where expected and actual part, and the two side by side with the differing
lines marked.  Everything from a target is escaped (`view.clean`, then
`html.escape`).
"""

import html

from ..results import FAILING, OUTCOMES
from . import view

MAX_DETAILS = 2000  # failures shown in full; run.json has them all

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

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f;
       margin: 24px 32px; max-width: 1800px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 6px; }
.meta { color: #555; margin: 0 0 12px; }
.banner { background: #b00020; color: #fff; padding: 10px 14px; font-weight: 600;
          border-radius: 4px; margin: 8px 0 16px; }
table { border-collapse: collapse; }
th, td { padding: 3px 8px; }
.totals th, .totals td { border-bottom: 1px solid #e4e4e4; text-align: right; }
.totals th:first-child, .totals td:first-child, .totals td.l { text-align: left; white-space: nowrap; }
.bar { display: flex; width: 260px; height: 14px; border-radius: 3px; overflow: hidden;
       background: #f4f4f4; }
.bar span { display: block; height: 100%; }
.legend span { display: inline-block; padding: 1px 8px; margin: 0 4px 4px 0; border-radius: 3px;
               font-size: 12px; }
.matrix td, .matrix th { border: 1px solid #fff; }
.matrix th.t { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left;
               font-weight: 600; padding: 6px 2px; white-space: nowrap; font-size: 12px; }
.matrix td.c { text-align: center; font-size: 11px; min-width: 34px; padding: 2px 3px;
                white-space: nowrap; }
.matrix td.c a { color: inherit; text-decoration: none; display: block; }
.matrix td.id { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px;
                white-space: nowrap; padding: 2px 6px; }
.matrix tr.first td { border-top: 2px solid #d0d0d0; }
.matrix td.none { background: #fafafa; color: #bbb; }
.group { margin: 6px 0; }
.group summary { cursor: pointer; font-weight: 600; }
.group ul { columns: 4 320px; margin: 6px 0 0; padding-left: 18px;
            font: 12px ui-monospace, Menlo, Consolas, monospace; }
.failure { border: 1px solid #ddd; border-left: 5px solid #c0392b; border-radius: 4px;
           padding: 10px 14px; margin: 12px 0; overflow-wrap: anywhere; }
.failure.error { border-left-color: #3b0a45; }
.failure p { margin: 4px 0; }
.where { font-family: ui-monospace, Menlo, Consolas, monospace; background: #fff4d6;
         padding: 2px 6px; border-radius: 3px; word-break: break-all; }
.matrix td.producer { white-space: normal; max-width: 420px; }
table.diff { width: 100%; table-layout: fixed; margin-top: 8px;
             font: 12px/1.35 ui-monospace, Menlo, Consolas, monospace; }
table.diff th { text-align: left; background: #f0f0f0; }
table.diff td { vertical-align: top; white-space: pre-wrap; word-break: break-all;
                border-left: 1px solid #e0e0e0; }
table.diff tr.replace td { background: #fff1c2; }
table.diff tr.delete td.e { background: #fbd3d3; }
table.diff tr.insert td.a { background: #d4f4dc; }
pre.output { background: #f6f6f6; padding: 8px; white-space: pre-wrap; max-height: 240px;
             overflow: auto; font-size: 12px; }
"""


def esc(text):
    return html.escape(view.clean(text), quote=True)


def style(outcome):
    background, colour = COLOURS[outcome]
    return "background:%s;color:%s" % (background, colour)


def render(run):
    targets = view.targets_of(run)
    parts = ['<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
             "<title>picklespec conformance%s</title>\n" % ("" if run.complete else " (incomplete)"),
             "<style>%s</style>\n</head>\n<body>\n" % CSS,
             "<h1>picklespec conformance</h1>\n"]
    if not run.complete:
        parts.append('<div class="banner">%s.</div>\n' % esc(view.status_line(run)))
    meta = "%d results, %d targets" % (len(run.results), len(targets))
    if run.started:
        meta += " &middot; started %s" % esc(run.started)
    if run.finished:
        meta += " &middot; finished %s" % esc(run.finished)
    parts.append('<p class="meta">%s</p>\n' % meta)
    if run.notes:
        parts.append("<ul>%s</ul>\n" % "".join("<li>%s</li>" % esc(n) for n in run.notes))
    parts.append(totals_section(run, targets))
    parts.append(legend())
    parts.append(matrix_section(run, targets))
    parts.append(cross_section(run))
    parts.append(failures_section(run))
    parts.append("</body>\n</html>\n")
    return "".join(parts)


def totals_section(run, targets):
    counts = view.totals([r for r in run.results if not view.is_cross(r)])
    out = ['<h2>Targets</h2>\n<table class="totals">\n<tr><th>target</th><th>implementation</th>'
           "<th>version</th><th>outcomes</th>"]
    out += ['<th style="%s">%s</th>' % (style(o), esc(o)) for o in OUTCOMES]
    out.append("<th>conformance</th></tr>\n")
    for t in targets:
        hello = run.targets.get(t, {})
        counter = counts[t]
        total = sum(counter.values()) or 1
        bar = "".join('<span style="width:%.2f%%;background:%s" title="%s: %d"></span>'
                      % (100.0 * counter[o] / total, COLOURS[o][0], o, counter[o])
                      for o in OUTCOMES if counter[o])
        out.append('<tr><td class="l"><b>%s</b></td><td class="l">%s</td><td class="l">%s</td>'
                   '<td><div class="bar">%s</div></td>'
                   % (esc(t), esc(hello.get("implementation", "")), esc(hello.get("version", "")), bar))
        out += ["<td>%s</td>" % (counter[o] or "") for o in OUTCOMES]
        out.append("<td><b>%s</b></td></tr>\n" % view.percent(counter))
    out.append("</table>\n<p class=\"meta\">Conformance is pass + defined over the cells judged "
               "(everything but unsupported and skip).</p>\n")
    return "".join(out)


def legend():
    marks = "".join('<span style="%s">%s %s</span>' % (
        style(o), esc(view.MARKS[o]), "= " + esc(o) if view.MARKS[o] != o else "") for o in OUTCOMES)
    return ('<p class="legend">%s<br>In a defined cell, <b>res</b> is a result and <b>rej</b> a '
            "rejection the target chose, numbered when targets chose differently; hover for "
            "the choice.</p>\n" % marks)


def cell(row, target, marks):
    result = row.cells.get(target)
    if result is None:
        return '<td class="c none">&middot;</td>'
    text = esc(view.MARKS[result.outcome])
    tip = esc(result.message or result.outcome)
    if result.outcome == "defined" and result.chosen:
        text = esc(marks[result.chosen])
        tip = esc("defined: " + result.chosen)
    if result.failing:
        text = '<a href="#%s">%s</a>' % (view.anchor(result), text)
    return '<td class="c" style="%s" title="%s">%s</td>' % (style(result.outcome), tip, text)


def matrix_section(run, targets):
    shown, grouped = view.prune(view.rows(run), targets)
    out = ["<h2>Where targets differ or fail (%d rows)</h2>\n" % len(shown)]
    if shown:
        out.append('<table class="matrix">\n<tr><th>case</th><th title="protocol">p</th><th>check</th>')
        out += ['<th class="t">%s</th>' % esc(t) for t in targets]
        out.append("</tr>\n")
        previous = None
        for row in shown:
            marks = view.choice_marks(row)
            first = row.case != previous
            previous = row.case
            out.append('<tr%s><td class="id">%s</td><td class="id">%s</td><td class="id">%s</td>%s</tr>\n' % (
                ' class="first"' if first else "", esc(row.case) if first else "",
                esc(view.protocol_text(row.protocol)), esc(row.check),
                "".join(cell(row, t, marks) for t in targets)))
        out.append("</table>\n")
    else:
        out.append("<p>None: every row has one outcome for all targets, and none fails.</p>\n")
    if grouped:
        out.append("<h2>Where all targets agree (%d rows)</h2>\n" % sum(len(rs) for rs in grouped.values()))
        for outcome, rs in grouped.items():
            out.append('<details class="group"><summary><span style="%s;padding:0 6px;border-radius:3px">'
                       "%s</span> %d rows</summary>\n<ul>%s</ul></details>\n" % (
                           style(outcome), esc(outcome), len(rs),
                           "".join("<li>%s</li>" % esc(r.label) for r in rs)))
    return "".join(out)


def cross_section(run):
    producers, consumers, counts = view.cross_matrix(run)
    if not counts:
        return ""
    out = ['<h2>Cross-checks</h2>\n<p class="meta">Each producer\'s output (row) read by each consumer '
           "(column): cells conforming / judged.</p>\n"
           '<table class="matrix">\n<tr><th>producer \\ consumer</th>']
    out += ['<th class="t">%s</th>' % esc(c) for c in consumers]
    out.append("</tr>\n")
    for p in producers:
        out.append('<tr><td class="id producer">%s</td>' % esc(p))
        for c in consumers:
            counter = counts.get((p, c))
            if counter is None:
                out.append('<td class="c none">&middot;</td>')
                continue
            good, judged = view.conformance(counter)
            worst = next((o for o in OUTCOMES if o in FAILING and counter[o]), None)
            outcome = worst or ("pass" if judged else "unsupported")
            out.append('<td class="c" style="%s">%d/%d</td>' % (style(outcome), good, judged))
        out.append("</tr>\n")
    out.append("</table>\n")
    return "".join(out)


def failures_section(run):
    failing = view.failures(run)
    out = ["<h2>Failures (%d)</h2>\n" % len(failing)]
    for r in failing[:MAX_DETAILS]:
        out.append(failure(r))
    if len(failing) > MAX_DETAILS:
        out.append("<p>... and %d more in run.json.</p>\n" % (len(failing) - MAX_DETAILS))
    return "".join(out)


def failure(result):
    out = ['<div class="failure%s" id="%s">\n' % ("" if result.outcome in ("fail", "unclean") else " error",
                                                  view.anchor(result)),
           '<h3><span style="%s;padding:0 6px;border-radius:3px">%s</span> %s</h3>\n' % (
               style(result.outcome), esc(result.outcome),
               esc("%s %s %s on %s" % (result.case, view.protocol_text(result.protocol),
                                      result.check, result.target)))]
    if result.message:
        out.append("<p>%s</p>\n" % esc(result.message))
    where = view.first_difference(result)
    if where:
        out.append('<p>First difference: <span class="where">%s</span></p>\n' % esc(where))
    if result.expected is not None or result.actual is not None:
        out.append('<table class="diff"><tr><th>expected</th><th>actual</th></tr>\n')
        for tag, e, a in view.side_by_side(result.expected, result.actual):
            out.append('<tr class="%s"><td class="e">%s</td><td class="a">%s</td></tr>\n' % (
                tag, esc(e) if e is not None else "", esc(a) if a is not None else ""))
        out.append("</table>\n")
    if result.output:
        out.append('<p>Output:</p><pre class="output">%s</pre>\n' % esc(result.output))
    out.append("</div>\n")
    return "".join(out)
