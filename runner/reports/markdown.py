"""summary.md: the run in a short page of Markdown, for people and CI summaries.

Theory of operation
-------------------
Short by design: whether the run is complete; per target its conformance,
how many cells were judged, failed, and in how many root causes, with a
link to its section of matrix.html (``matrix.html#t-TARGET``); the largest
root causes of the run (runner/findings.py's groups), each linked to its
group (``matrix.html#g-TARGET-N``); the implementation-defined choices
and exception-type differences counted apart from failures; and the next
step: where the HTML report and the findings are.  Everything else --
rows, diffs, streams -- is in matrix.html, findings.md and run.json.
Text that comes from targets is cleaned (`view.clean`) and kept out of
Markdown syntax (table cells escape ``|``).
"""

import collections

from .. import findings
from . import view

MAX_GROUPS = 20  # root causes listed
HTML = "matrix.html"


def cell(text):
    return view.clean(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def table(header, body):
    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(c if isinstance(c, Link) else cell(c) for c in row) + " |"
                 for row in body)
    return lines


class Link(str):
    """A table cell that is already Markdown (a link): not escaped again."""


def link(text, anchor):
    return Link("[%s](%s#%s)" % (cell(text).replace("[", "\\[").replace("]", "\\]"), HTML, anchor))


def render(run):
    targets = view.targets_of(run)
    counts = view.totals([r for r in run.results if not view.is_cross(r)])
    grouped = findings.numbered(findings.members(run))
    groups_of = collections.Counter(key[0] for _, key, _ in grouped)
    failing_of = collections.Counter()
    for _, key, results in grouped:
        failing_of[key[0]] += len(results)
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
        counter = counts[t]
        good, judged = view.conformance(counter)
        body.append([t, hello.get("implementation", ""), hello.get("version", ""), str(judged),
                     str(failing_of[t]), str(counter["defined"]),
                     str(counter["unsupported"] + counter["skip"]),
                     link("%d root cause%s" % (groups_of[t], "" if groups_of[t] == 1 else "s"),
                          view.target_anchor(t)) if failing_of[t] else "",
                     view.percent(counter)])
    # The spec site (reference/spec/conformance.py) reads this table's first
    # three columns and its last, and the line above it: keep them so.
    out += table(["target", "implementation", "version", "judged", "failing", "defined",
                  "not judged", "failures", "conformance"], body)
    out += ["", "Conformance is pass + defined (+ difference) over the cells judged "
            "(everything but unsupported and skip). Failing cells include the cross-checks "
            "each target read.", ""]

    out += ["## Largest root causes", ""]
    if grouped:
        top = sorted(grouped, key=lambda g: (-len(g[2]), view.natural(g[1][0]), g[1][1]))[:MAX_GROUPS]
        out += table(["cells", "target", "root cause"],
                     [[str(len(results)), key[0], link(key[1], anchor)] for anchor, key, results in top])
        if len(grouped) > MAX_GROUPS:
            out += ["", "... and %d more in [%s](%s#failures) and findings.md." % (
                len(grouped) - MAX_GROUPS, HTML, HTML)]
    else:
        out.append("No failing cells.")
    out.append("")

    defined = sum(1 for r in run.results if r.outcome == "defined")
    differs = sum(1 for r in run.results if r.outcome == "difference")
    if defined or differs:
        out += ["Apart from failures: %d implementation-defined choices ([%s](%s#defined)) and "
                "%d cells refused with another exception type ([%s](%s#differences))." % (
                    defined, HTML, HTML, differs, HTML, HTML), ""]
    out += ["## Next", "",
            "Open [%s](%s) in a browser: every failure by target and root cause, with its case, "
            "the stream sent (hex and disassembly), expected against actual and the first "
            "difference. findings.md has the root causes with one example each, for bug "
            "reports; run.json has every cell." % (HTML, HTML)]
    return "\n".join(out).rstrip("\n") + "\n"


def write(run, out):
    """Stream summary.md into the text file object out."""
    out.write(render(run))
