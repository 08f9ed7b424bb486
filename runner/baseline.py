"""Baselines: the known results of targets, committed, so a run fails only on change.

Theory of operation
-------------------
A target that does not conform (yet) would fail every run.  A baseline
records, per cell (`Result.key`), the failing outcome a reviewed run had; a
later run is then judged against it, as WPT judges against its expectation
files and toml-test against its skip lists:

- a cell that fails now and did not (or failed differently: ``fail`` became
  ``crash``) is a *new failure*;
- a cell the baseline expects to fail that now passes (``pass`` or
  ``defined``) is an *unexpected pass*.  Against a baseline of one's own
  (``--baseline FILE``) it fails the run, so the baseline never goes stale
  silently -- update it and commit the change.  Against the *shipped
  expectations* it is reported as fixed and does not fail the run: they
  were recorded on one patch release of each interpreter (reports/known),
  and a later one may fix a known deviation (``--strict`` fails on any
  cell that does not conform, whatever any baseline says);
- a cell that is ``unsupported`` or ``skip`` now proves nothing either way;
- a baseline entry of a target of the run that the run did not reach (a
  run narrowed with ``--case``, an interrupted run) is *not run*, and is
  no failure; the entries of targets the run did not have are left aside.

The shipped expectations are the published run's baseline.json, installed
as package data (``picklespec.known``, reports/known/); `shipped()` loads
them, so a run judged against them works from any folder.

Only failing cells are recorded, each with its outcome and its *reason*:
the root-cause signature of its finding (runner/findings.py), such as
``load LONG1: fail: loaded a different object; ...``, so every expected
failure says why it is expected.  A cell that is absent is expected to
conform.  Target names carry no version (``pickleparser``, not
``pickleparser-0.2.1``), so a baseline's keys last across a library's
releases.  A cross-check cell is named by the producers that wrote the same
bytes in its run, so its entries match runs of the same targets.  `write(run, path)` updates the file from a run, cell by cell: the
cells the run reached are set from it (a failing one recorded, a
conforming one removed), the rest are kept, so a narrowed run updates only
what it ran.  The file is JSON with sorted keys and one entry per line,
written atomically, so a review of an update is a plain diff.
"""

import dataclasses
import json
import os

from .findings import signature
from .results import FAILING

__all__ = ["FORMAT", "BaselineError", "Baseline", "Comparison", "load", "shipped", "shipped_path",
           "compare", "write"]

FORMAT = "picklespec-baseline/1"
CONFORMING = frozenset({"pass", "defined"})


class BaselineError(ValueError):
    """A baseline file that cannot be read; the message names the file and why."""


@dataclasses.dataclass
class Baseline:
    expected: dict = dataclasses.field(default_factory=dict)  # Result.key -> failing outcome
    path: str = ""
    reasons: dict = dataclasses.field(default_factory=dict)  # Result.key -> finding signature
    shipped: bool = False  # the published run's expectations, installed with the package

    @property
    def targets(self):
        """The targets with entries (a cross-check's consumer for its cells)."""
        return sorted({key.rsplit("|", 1)[-1].rpartition(" -> ")[2] for key in self.expected})

    def to_dict(self):
        return {"format": FORMAT, "targets": self.targets,
                "expected": {key: {"outcome": outcome, "reason": self.reasons.get(key) or outcome}
                             for key, outcome in sorted(self.expected.items())}}


@dataclasses.dataclass
class Comparison:
    new_failures: list = dataclasses.field(default_factory=list)  # Results
    unexpected_passes: list = dataclasses.field(default_factory=list)  # Results
    expected_failures: list = dataclasses.field(default_factory=list)  # Results the baseline foresaw
    not_run: list = dataclasses.field(default_factory=list)  # baseline keys the run did not reach
    baseline: Baseline = None

    @property
    def ok(self):
        """Whether the run matches: no new failure, and no unexpected pass
        unless the baseline is the shipped expectations (see the module's
        docstring: a later patch release may fix a known deviation)."""
        tolerated = self.baseline is not None and self.baseline.shipped
        return not self.new_failures and (tolerated or not self.unexpected_passes)

    def by_target(self):
        """Target (a cross-check's consumer) -> (known, new, fixed) cell counts."""
        out = {}
        for index, results in enumerate((self.expected_failures, self.new_failures,
                                         self.unexpected_passes)):
            for r in results:
                out.setdefault(consumer(r.target), [0, 0, 0])[index] += 1
        return {name: tuple(counts) for name, counts in out.items()}

    def verdict(self, targets=(), limit=20):
        """Lines for people after a run judged against the shipped expectations:
        per target its known deviations and new failures, then the new
        failures and the fixed cells (`limit` of each), then the sentence
        that sums it up: "N known deviations of T (listed in FILE), 0 new"."""
        counts = self.by_target()
        names = sorted(set(counts) | {consumer(t) for t in targets})
        lines = []
        for name in names:
            known, new, fixed = counts.get(name, (0, 0, 0))
            lines.append("%s: %d known deviation%s, %d new%s" % (
                name, known, "" if known == 1 else "s", new, ", %d fixed" % fixed if fixed else ""))
        for title, results in (("new failure", self.new_failures),
                               ("fixed since the published run (not a failure)", self.unexpected_passes)):
            for r in results[:limit]:
                was = self.baseline.expected.get(r.key) if self.baseline is not None else None
                lines.append("%s: %s: %s%s%s" % (title, r.key, r.outcome, " (known: %s)" % was if was else "",
                                                 ": " + r.message if r.message and r.failing else ""))
            if len(results) > limit:
                lines.append("... and %d more (see the reports)" % (len(results) - limit))
        deviating = [name for name in names if counts.get(name, (0,))[0]]
        where = self.baseline.path if self.baseline is not None else "?"
        lines.append("%d known deviation%s%s (listed in %s), %d new%s" % (
            len(self.expected_failures), "" if len(self.expected_failures) == 1 else "s",
            " of " + ", ".join(deviating) if deviating else "", where, len(self.new_failures),
            ", %d fixed" % len(self.unexpected_passes) if self.unexpected_passes else ""))
        return lines

    def summary(self):
        """Lines for people: what differs from the baseline, and what to do."""
        lines = []
        where = " (%s)" % self.baseline.path if self.baseline is not None and self.baseline.path else ""
        for r in self.new_failures:
            was = self.baseline.expected.get(r.key) if self.baseline is not None else None
            lines.append("new failure: %s: %s%s" % (r.key, r.outcome, " (was %s)" % was if was else ""))
        for r in self.unexpected_passes:
            lines.append("unexpected pass: %s: %s (baseline: %s)" % (
                r.key, r.outcome, self.baseline.expected.get(r.key) if self.baseline else "?"))
        lines.append("baseline%s: %d expected failures seen, %d new failures, %d unexpected passes, "
                     "%d entries not run" % (where, len(self.expected_failures), len(self.new_failures),
                                             len(self.unexpected_passes), len(self.not_run)))
        if not self.ok or self.unexpected_passes:
            lines.append("after review, update it with: picklespec run ... --baseline FILE --update-baseline")
        return lines


def load(path):
    """The Baseline in the file at path; BaselineError if it is not one."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as exc:
        raise BaselineError("%s: cannot read the baseline: %s" % (path, exc.strerror)) from None
    except ValueError as exc:
        raise BaselineError("%s: not a JSON baseline: %s" % (path, exc)) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BaselineError("%s: not a picklespec baseline (expected \"format\": %r)" % (path, FORMAT))
    expected = data.get("expected")
    if not isinstance(expected, dict):
        raise BaselineError("%s: \"expected\" must map cell keys to outcomes" % path)
    reasons = {}
    for key, entry in list(expected.items()):
        outcome = entry
        if isinstance(entry, dict):
            outcome = entry.get("outcome")
            if not isinstance(entry.get("reason"), str) or not entry["reason"]:
                raise BaselineError("%s: %s: an expected failure needs a \"reason\"" % (path, key))
            reasons[key] = entry["reason"]
            expected[key] = outcome
        if outcome not in FAILING:
            raise BaselineError("%s: %s: %r is not a failing outcome (%s)" % (
                path, key, outcome, ", ".join(sorted(FAILING))))
        if key.count("|") != 3:
            raise BaselineError("%s: %r is not a cell key (CASE|pN|CHECK|TARGET)" % (path, key))
    return Baseline(dict(expected), path, reasons)


def shipped_path():
    """The shipped expectations' file: picklespec/known/baseline.json."""
    from picklespec import known

    return known.path("baseline.json")


def shipped():
    """The shipped expectations (the published run's baseline) as a Baseline."""
    expectations = load(shipped_path())
    expectations.shipped = True
    return expectations


def consumer(target):
    """The target a cell judges: a cross-check's consumer, else the target itself."""
    return target.rpartition(" -> ")[2]


def compare(run, baseline):
    """How run differs from baseline (a Baseline, or None for an empty one).

    Only the baseline's entries for the run's targets can be *not run*."""
    baseline = baseline if baseline is not None else Baseline()
    comparison = Comparison(baseline=baseline)
    seen = set()
    for r in run.sorted_results():
        key = r.key
        seen.add(key)
        known = baseline.expected.get(key)
        if r.failing:
            if known == r.outcome:
                comparison.expected_failures.append(r)
            else:
                comparison.new_failures.append(r)
        elif known is not None and r.outcome in CONFORMING:
            comparison.unexpected_passes.append(r)
    present = {consumer(name) for name in run.targets} | {consumer(key.rsplit("|", 1)[-1]) for key in seen}
    comparison.not_run = sorted(key for key in set(baseline.expected) - seen
                                if consumer(key.rsplit("|", 1)[-1]) in present)
    return comparison


def updated(run, baseline):
    """The Baseline that write() would store: baseline updated by the cells run reached."""
    expected = dict(baseline.expected) if baseline is not None else {}
    reasons = dict(baseline.reasons) if baseline is not None else {}
    for r in run.results:
        if r.failing:
            expected[r.key] = r.outcome
            reasons[r.key] = r.finding or signature(r)
        elif r.outcome in CONFORMING:
            expected.pop(r.key, None)
            reasons.pop(r.key, None)
    return Baseline(expected, baseline.path if baseline is not None else "", reasons)


def write(run, path):
    """Update (or create) the baseline at path from run; return the Baseline."""
    previous = load(path) if os.path.exists(path) else None
    baseline = updated(run, previous)
    baseline.path = path
    from .reports import write_atomic

    write_atomic(path, render(baseline))
    return baseline


def render(baseline):
    """The file's text: sorted keys, one cell (with its outcome and reason) per line."""
    data = baseline.to_dict()
    lines = ['{', ' "expected": {']
    entries = sorted(data["expected"].items())
    for number, (key, entry) in enumerate(entries, 1):
        lines.append("  %s: %s%s" % (json.dumps(key), json.dumps(entry, sort_keys=True),
                                     "," if number < len(entries) else ""))
    lines.append(" },")
    lines.append(' "format": %s,' % json.dumps(data["format"]))
    lines.append(' "targets": %s' % json.dumps(data["targets"]))
    lines.append("}")
    return "\n".join(lines) + "\n"
