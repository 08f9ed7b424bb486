"""The published conformance, as the spec site shows it per case.

Theory of operation
-------------------
reports/known/ holds one published run (reports/README.md): baseline.json,
every cell of that run that did not conform, keyed ``CASE|pN|CHECK|TARGET``
(a cross-check's target is ``PRODUCERS -> CONSUMER``); and summary.md, whose
first lines say when the run started and finished and whose Targets table
names every target with its implementation, version and totals.

`read_published(folder)` reads both into a `Published`: the run it came
from, the targets, and the failing cells by case.  A cell the baseline does
not list *conformed or was not judged* (unsupported, skip): the baseline
records only failures, so that is all the site claims about it.  Nothing
is read from the clock; the same files give the same pages.
"""

import os
import re

__all__ = ["Published", "Cell", "read_published", "KnownError"]


class KnownError(ValueError):
    """A published-results folder that cannot be read; names the file and why."""


class Cell:
    """One failing cell of the published run."""

    __slots__ = ("case", "protocol", "check", "target", "producers", "outcome")

    def __init__(self, case, protocol, check, target, producers, outcome):
        self.case = case
        self.protocol = protocol  # int or None
        self.check = check
        self.target = target  # the consumer, for a cross-check
        self.producers = producers  # for a cross-check, the producers' names; else None
        self.outcome = outcome

    def sort_key(self):
        return (self.case, -1 if self.protocol is None else self.protocol, self.check,
                self.producers or "", self.target)


class Published:
    """One published run: where from, its targets, its failing cells by case."""

    def __init__(self, folder, run, targets, failures):
        self.folder = folder  # as the pages name it (reports/known)
        self.run = run  # "213738 results, 21 targets; started ..., finished ..."
        self.targets = targets  # [(name, implementation, version, conformance)], by name
        self.failures = failures  # case id -> [Cell], sorted

    def target_names(self):
        return [t[0] for t in self.targets]


_RUN = re.compile(r"^(\d+ results, \d+ targets; started \S+, finished \S+?)\.?$", re.M)


def read_published(folder, shown_as="reports/known"):
    """The published run in `folder` (baseline.json and summary.md)."""
    path = os.path.join(folder, "baseline.json")
    from picklespec.runner import baseline as baseline_file  # the one reader of baselines

    try:
        published = baseline_file.load(path)
    except baseline_file.BaselineError as exc:
        raise KnownError(str(exc)) from None
    failures = {}
    for key, outcome in published.expected.items():
        case, proto, check, target = key.split("|")
        producers = None
        if " -> " in target:
            producers, _, target = target.rpartition(" -> ")
        protocol = int(proto[1:]) if proto.startswith("p") and proto[1:].isdigit() else None
        failures.setdefault(case, []).append(Cell(case, protocol, check, target, producers, outcome))
    for cells in failures.values():
        cells.sort(key=Cell.sort_key)

    run = None
    targets = []
    summary = os.path.join(folder, "summary.md")
    if os.path.exists(summary):
        with open(summary, encoding="utf-8") as f:
            text = f.read()
        m = _RUN.search(text)
        run = m.group(1) if m else None
        targets = _targets_table(text)
    if not targets:
        names = set(published.targets)
        names |= {c.target for cells in failures.values() for c in cells}
        targets = [(name, "", "", "") for name in sorted(names)]
    return Published(shown_as, run, sorted(targets, key=lambda t: natural(t[0])), failures)


def natural(name):
    """A sort key that puts cpython-3.9 before cpython-3.10."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part)
            for part in re.split(r"(\d+)", name)]


def _targets_table(text):
    """The rows of summary.md's Targets table: (name, implementation, version, conformance)."""
    out = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("| target | implementation | version |"):
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                cells = [c.strip() for c in row.strip().strip("|").split("|")]
                out.append((cells[0], cells[1], cells[2], cells[-1]))
            break
    return out
