"""What every report shows, computed once: totals, the matrix, the failures.

Theory of operation
-------------------
A run is a flat list of Results.  The reports look at it three ways:

- *totals*: per target, how many cells had each outcome, and a conformance
  figure -- pass + defined over every cell that was judged (cells that are
  ``unsupported`` or ``skip`` were not judged and count for nothing);
- *the matrix*: one row per case x protocol x check, one column per target,
  as JSONTestSuite's results table.  Rows where every target has the same
  outcome and none fails are grouped by that outcome, as JSONTestSuite's
  pruned view does, so what is left in view is where targets differ or fail;
- *the failures*: each failing cell with its expected and actual text (a
  disassembly or an object in the case notation), the first point where
  they part, and what a crashing target printed.

Cross-checks (check ``cross``, target ``"PRODUCER -> CONSUMER"``) are a
matrix of their own, producer by consumer.

Every string from a target is untrusted: `clean` makes it printable as
UTF-8 in any format (lone surrogates and control characters become
backslash escapes).
"""

import collections
import dataclasses
import difflib
import operator
import re
from typing import Optional

from .. import difference, findings
from ..results import CHECKS, FAILING, OUTCOMES

# How each outcome looks: a word for text formats, a short mark for the matrix.
MARKS = {
    "pass": "pass",
    "fail": "FAIL",
    "unclean": "UNCLEAN",
    "crash": "CRASH",
    "timeout": "TIMEOUT",
    "protocol-error": "PROTO",
    "defined": "defined",
    "difference": "differs",
    "unsupported": "n/s",
    "skip": "skip",
}
NOT_JUDGED = frozenset({"unsupported", "skip"})
CROSS = "cross"
MAX_DIFF_LINES = 300  # per side, in the human formats; run.json keeps everything


# -- text hygiene -------------------------------------------------------------

_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean(text):
    """text with what XML, HTML and UTF-8 cannot hold written as escapes."""
    if text is None:
        return ""
    text = str(text)
    return _UNPRINTABLE.sub(lambda m: "\\x%02x" % ord(m.group()) if ord(m.group()) < 0x100
                            else "\\u%04x" % ord(m.group()), text)


# -- totals -------------------------------------------------------------------

def is_cross(result):
    return result.check == CROSS


def natural(name):
    """A sort key that puts cpython-3.9 before cpython-3.10."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name)]


def targets_of(run):
    """The targets of the matrix columns: those the run introduced, and any
    other target a (non-cross) result names, in natural name order."""
    names = set(run.targets)
    names.update({r.target for r in run.results if r.check != CROSS})
    return sorted(names, key=natural)


_TARGET_OUTCOME = operator.attrgetter("target", "outcome")


def totals(results):
    """{target: Counter(outcome -> cells)} over results."""
    out = collections.defaultdict(collections.Counter)
    for (target, outcome), n in collections.Counter(map(_TARGET_OUTCOME, results)).items():
        out[target][outcome] = n
    return out


def conformance(counter):
    """(conforming, judged) cells: pass + defined + difference over everything judged."""
    judged = sum(n for outcome, n in counter.items() if outcome not in NOT_JUDGED)
    return counter["pass"] + counter["defined"] + counter.get("difference", 0), judged


def percent(counter):
    good, judged = conformance(counter)
    if not judged:
        return "-"
    return "%.1f%%" % (100.0 * good / judged)


def failures(run):
    return [r for r in run.sorted_results() if r.failing]


# -- the matrix ---------------------------------------------------------------

@dataclasses.dataclass
class Row:
    case: str
    protocol: Optional[int]
    check: str
    cells: dict  # target -> Result

    @property
    def label(self):
        return "%s %s %s" % (self.case, protocol_text(self.protocol), self.check)

    def agreed(self, targets):
        """The outcome all targets that were judged on this row share, or None.

        Cells that were not judged (unsupported, skip, or absent) differ from
        nothing; ``defined`` cells agree only when they chose the same
        outcome.  A row no target was judged on agrees on its first
        not-judged outcome.
        """
        judged = {(r.outcome, r.chosen if r.outcome == "defined" else None)
                  for r in self.cells.values() if r.outcome not in NOT_JUDGED}
        if len(judged) > 1:
            return None
        if judged:
            return judged.pop()[0]
        present = [self.cells[t].outcome for t in targets if t in self.cells]
        return present[0] if present else "skip"

    def failing(self):
        return any(r.failing for r in self.cells.values())


def choice_marks(row):
    """{chosen: short mark} for the defined cells of a row: ``res`` or
    ``rej`` by the kind of outcome, numbered when the row has several
    different choices of one kind, so the matrix cell stays narrow."""
    chosen = sorted({r.chosen for r in row.cells.values() if r.outcome == "defined" and r.chosen})
    marks = {}
    for kind in ("res", "rej"):
        same = [c for c in chosen if c.startswith("reject" if kind == "rej" else "result")]
        for number, choice in enumerate(same, 1):
            marks[choice] = kind + (str(number) if len(same) > 1 else "")
    for choice in chosen:
        marks.setdefault(choice, "def")
    return marks


def protocol_text(protocol):
    return "-" if protocol is None else "p%d" % protocol


def rows(run, ordered=None):
    """The matrix rows (not cross-checks), in the run's stable order (`ordered`,
    run.sorted_results(), when the caller has it already)."""
    by_key = collections.OrderedDict()
    for r in ordered if ordered is not None else run.sorted_results():
        if r.check == CROSS:
            continue
        key = (r.case, r.protocol, r.check)
        if key not in by_key:
            by_key[key] = Row(r.case, r.protocol, r.check, {})
        by_key[key].cells[r.target] = r
    return list(by_key.values())


def prune(all_rows, targets):
    """(rows shown one by one, {outcome: rows grouped}).

    A row is grouped when every target judged on it has the same outcome
    and it is not a failing one; the rest -- disagreements and failures --
    stay in view.
    """
    shown = []
    grouped = collections.OrderedDict((o, []) for o in OUTCOMES)
    for row in all_rows:
        outcome = row.agreed(targets)
        if outcome is None or outcome in FAILING:
            shown.append(row)
        else:
            grouped[outcome].append(row)
    return shown, collections.OrderedDict((o, rs) for o, rs in grouped.items() if rs)


def by_check(run, targets):
    """{check: {target: Counter}} for the checks the run has, in CHECKS order."""
    cells = collections.defaultdict(list)
    for r in run.results:
        cells[r.check].append(r)
    return collections.OrderedDict((check, totals(cells[check])) for check in CHECKS
                                   if check != CROSS and cells.get(check))


def cross_matrix(run):
    """(producers, consumers, {(producer, consumer): Counter}) of the cross-checks."""
    counts = collections.defaultdict(collections.Counter)
    for r in run.results:
        if is_cross(r):
            producer, _, consumer = r.target.partition(" -> ")
            counts[(producer, consumer)][r.outcome] += 1
    producers = sorted({p for p, _ in counts}, key=natural)
    consumers = sorted({c for _, c in counts}, key=natural)
    return producers, consumers, counts


# -- one failure --------------------------------------------------------------

def target_anchor(name):
    """The HTML id of a target's section in matrix.html: ``t-TARGET``."""
    return "t-" + findings.slug(name)


def title(result):
    return "%s %s %s on %s: %s" % (result.case, protocol_text(result.protocol), result.check,
                                   result.target, result.outcome)


def anchor(result):
    """An HTML id for a cell's failure details."""
    return "f-" + findings.slug(result.key)


def first_difference(result):
    """Where expected and actual part: the check's own words when it gave
    them, else the first line that differs."""
    if result.first_difference:
        return result.first_difference
    if result.expected is None or result.actual is None:
        return ""
    return difference.first_difference(result.expected, result.actual)


def side_by_side(expected, actual):
    """Aligned (tag, expected line, actual line) rows; tag is 'equal',
    'replace', 'delete' or 'insert' (difflib's opcodes, line by line)."""
    left = (expected or "").splitlines()[:MAX_DIFF_LINES]
    right = (actual or "").splitlines()[:MAX_DIFF_LINES]
    out = []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        span = max(i2 - i1, j2 - j1)
        for k in range(span):
            e = left[i1 + k] if i1 + k < i2 else None
            a = right[j1 + k] if j1 + k < j2 else None
            out.append((tag, e, a))
    return out


def unified(expected, actual):
    """A unified diff of expected (-) and actual (+), for text formats."""
    left = (expected or "").splitlines()[:MAX_DIFF_LINES]
    right = (actual or "").splitlines()[:MAX_DIFF_LINES]
    return "\n".join(difflib.unified_diff(left, right, "expected", "actual", lineterm="", n=3))


def detail_text(result):
    """Everything about one failing cell, as plain text (JUnit, Markdown)."""
    parts = [result.message or result.outcome]
    where = first_difference(result)
    if where:
        parts.append("first difference: " + where)
    if result.expected is not None or result.actual is not None:
        parts.append(unified(result.expected, result.actual) or
                     "expected:\n%s\nactual:\n%s" % (result.expected, result.actual))
    if result.output:
        parts.append("output:\n" + result.output)
    return clean("\n".join(parts))


def status_line(run):
    """One line saying whether the run is complete, for every format."""
    if run.complete:
        return "complete run"
    return ("INCOMPLETE RUN: interrupted or cut short; the results below are only "
            "the cells that ran")
