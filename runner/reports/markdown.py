"""summary.md: the run in a page of Markdown, for people and for CI summaries.

Theory of operation
-------------------
In order: whether the run is complete, the targets with their outcome
counts and conformance, the same per check, the rows where targets differ or
fail (the pruned matrix), the cross-check matrix, then the failures, each
with its message, the first point where expected and actual part and a
unified diff of the two.  Long sections are cut at a stated limit; run.json
and matrix.html have everything.  Text that comes from targets is cleaned
(`view.clean`) and kept out of Markdown syntax (table cells escape ``|``,
diffs sit in fenced blocks).
"""

from ..results import OUTCOMES
from . import view

MAX_ROWS = 300
MAX_FAILURES = 100


def cell(text):
    return view.clean(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def table(header, body):
    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(cell(c) for c in row) + " |" for row in body)
    return lines


def fence(text, language=""):
    """A fenced block that the text cannot close early."""
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return [ticks + language, text, ticks]


def mark(row, target):
    result = row.cells.get(target)
    if result is None:
        return ""
    if result.outcome == "defined" and result.chosen:
        return view.choice_marks(row)[result.chosen]
    return view.MARKS[result.outcome]


def render(run):
    targets = view.targets_of(run)
    counts = view.totals([r for r in run.results if not view.is_cross(r)])
    out = ["# picklespec conformance", ""]
    if not run.complete:
        out += ["> **%s.**" % view.status_line(run), ""]
    meta = "%d results, %d targets" % (len(run.results), len(targets))
    if run.started:
        meta += "; started %s" % run.started
    if run.finished:
        meta += ", finished %s" % run.finished
    out += [meta + ".", ""]
    out += ["- " + view.clean(note) for note in run.notes]
    if run.notes:
        out.append("")

    out += ["## Targets", ""]
    body = []
    for t in targets:
        hello = run.targets.get(t, {})
        body.append([t, hello.get("implementation", ""), hello.get("version", "")]
                    + [str(counts[t][o]) for o in OUTCOMES] + [view.percent(counts[t])])
    out += table(["target", "implementation", "version"] + list(OUTCOMES) + ["conformance"], body)
    out += ["", "Conformance is pass + defined over the cells judged "
            "(everything but unsupported and skip).", ""]

    checks = view.by_check(run, targets)
    if checks:
        out += ["## By check", "", "Cells conforming / judged.", ""]
        body = []
        for check, per_target in checks.items():
            body.append([check] + ["%d/%d" % view.conformance(per_target[t]) for t in targets])
        out += table(["check"] + targets, body)
        out.append("")

    shown, grouped = view.prune(view.rows(run), targets)
    out += ["## Where targets differ or fail (%d rows)" % len(shown), ""]
    if grouped:
        out += ["Rows where every target agrees and none fails: " + ", ".join(
            "%d %s" % (len(rs), o) for o, rs in grouped.items()) + ".", ""]
    if shown:
        body = [[row.case, view.protocol_text(row.protocol), row.check]
                + [mark(row, t) for t in targets] for row in shown[:MAX_ROWS]]
        out += table(["case", "protocol", "check"] + targets, body)
        out += ["", "In a defined cell, res is a result and rej a rejection the target chose, "
                "numbered when targets chose differently."]
        if len(shown) > MAX_ROWS:
            out += ["", "... and %d more rows in matrix.html." % (len(shown) - MAX_ROWS)]
        out.append("")

    producers, consumers, cross = view.cross_matrix(run)
    if cross:
        out += ["## Cross-checks", "", "Producer (row) read by consumer (column): "
                "cells conforming / judged.", ""]
        body = [[p] + ["%d/%d" % view.conformance(cross[(p, c)]) if (p, c) in cross else ""
                       for c in consumers] for p in producers]
        out += table(["producer \\ consumer"] + consumers, body)
        out.append("")

    failing = view.failures(run)
    out += ["## Failures (%d)" % len(failing), ""]
    for r in failing[:MAX_FAILURES]:
        out += ["### " + cell(view.title(r)), ""]
        if r.message:
            out += [view.clean(r.message), ""]
        where = view.first_difference(r)
        if where:
            out += ["First difference: " + view.clean(where), ""]
        if r.expected is not None or r.actual is not None:
            out += fence(view.clean(view.unified(r.expected, r.actual)), "diff") + [""]
        if r.output:
            out += ["Output:", ""] + fence(view.clean(r.output)) + [""]
    if len(failing) > MAX_FAILURES:
        out += ["... and %d more failures in matrix.html and run.json." % (len(failing) - MAX_FAILURES), ""]
    return "\n".join(out).rstrip("\n") + "\n"
