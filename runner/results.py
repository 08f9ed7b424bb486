"""What a run produces: one `Result` per case x protocol x target x check.

Theory of operation
-------------------
Checks (runner/checks.py) turn a case and a target's answers into Results;
reports (runner/reports/) and baselines read nothing else.  A Result is plain
data with a stable key, so a run serialises to JSON in a stable order and two
runs diff line by line.

Outcomes are kept apart as JSONTestSuite keeps them apart: a clean rejection
(`pass` for a reject case) is never confused with an `unclean` one (the stream
was refused, but with an error that is not the implementation's documented
unpickling error -- CPython's pickle.py raising IndexError on a stack
underflow, gh-141749), nor with a `crash`, a `timeout` or a `protocol-error`
of the target; `fail` on a reject case means the malformed stream was
accepted; `defined` records the choice a target made on
an implementation-defined case and is never a failure; `unsupported` is a
cell the target declared it does not do (a protocol it cannot write), and
`skip` is a cell that was not run, with the reason -- neither counts as a
pass.  A cell the target's profile does not cover (a protocol it does not
read, an opcode it did not declare) is `unsupported` too: coverage, never a
failure.  A pass that needed the target's projections says which
(`projection`); a failing cell carries its root-cause signature
(`finding`, runner/findings.py).  Each cell has the `seconds` it cost (the
time of the target's answers it needed and of judging them, runner/timing.py),
and the run carries, for every case with a cell that did not pass, what a
reader of a failure needs to see (`cases`, runner/caseinfo.py).

A run is written as ``picklespec-run/2`` (runner/reports/json_report.py: one
result per line, long texts cut); `Run.from_dict` reads that and the older
``picklespec-run/1`` (every field on a line of its own, no `cases`).
"""

import dataclasses
from typing import Optional

# The checks, in report order.
CHECKS = ("load", "reject", "defined", "parse", "scan", "transform", "dump", "dump-bytes",
          "dump-equivalent", "dump-readable", "cross")

OUTCOMES = ("pass", "fail", "unclean", "crash", "timeout", "protocol-error", "defined",
            "difference", "unsupported", "skip")
# "difference": a reject case's stream refused cleanly, with another exception
# type than the one every CPython raises for it (the case's `exception`) --
# a distinct outcome, not a conformance failure.
# Outcomes that make a run non-conforming (exit status 1) unless a baseline expects them.
FAILING = frozenset({"fail", "unclean", "crash", "timeout", "protocol-error"})

FORMAT = "picklespec-run/2"  # what run.json is written as
READABLE = ("picklespec-run/1", FORMAT)  # what Run.from_dict reads


@dataclasses.dataclass(slots=True)  # a run holds hundreds of thousands
class Result:
    case: str  # the case id
    check: str  # one of CHECKS
    target: str  # the target's name; for "cross", "PRODUCER -> CONSUMER"
    protocol: Optional[int]  # None for load cases whose stream fixes it
    outcome: str  # one of OUTCOMES
    message: str = ""  # one line for people
    chosen: Optional[str] = None  # for "defined": which allowed outcome was chosen
    expected: Optional[str] = None  # disassembly or object text, for failures
    actual: Optional[str] = None
    first_difference: Optional[str] = None  # where expected and actual part
    output: Optional[str] = None  # what a crashing target printed
    projection: Optional[str] = None  # the projections a pass needed ("no-tuple, double-numbers")
    missed: Optional[list] = None  # scan: the globals (and "call M:N") the scanner missed
    false_alarms: Optional[list] = None  # scan: those it reported that CPython never resolves
    finding: Optional[str] = None  # a failing cell's root-cause signature (runner/findings.py)
    seconds: Optional[float] = None  # what the cell cost: its answers and its judging (runner/timing.py)

    def __post_init__(self):
        if self.check not in CHECKS:
            raise ValueError("unknown check %r" % self.check)
        if self.outcome not in OUTCOMES:
            raise ValueError("unknown outcome %r" % self.outcome)

    @property
    def key(self):
        """The stable identity of this cell: what baselines and diffs match on."""
        proto = "" if self.protocol is None else "p%d" % self.protocol
        return "%s|%s|%s|%s" % (self.case, proto, self.check, self.target)

    @property
    def failing(self):
        return self.outcome in FAILING

    def to_dict(self):
        # protocol is always written (null for load cases), so it reads back.
        # (Fields are strings, ints and lists of strings: no deep copy needed.)
        data = {}
        for name in _FIELDS:
            value = getattr(self, name)
            if value is not None and value != "":
                data[name] = list(value) if isinstance(value, list) else value
        data["protocol"] = self.protocol
        return data

    @classmethod
    def from_dict(cls, data):
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**dict({"protocol": None}, **{k: v for k, v in data.items() if k in fields}))


_FIELDS = tuple(f.name for f in dataclasses.fields(Result))
_CHECK_ORDER = {check: n for n, check in enumerate(CHECKS)}


@dataclasses.dataclass
class Run:
    """A whole run: the targets as they introduced themselves, and the results."""

    targets: dict  # target name -> its hello answer (plus "spec": how it was named)
    results: list  # Results
    started: str = ""  # ISO 8601 UTC
    finished: str = ""
    complete: bool = True  # False when interrupted (Ctrl-C) or a target could not start
    notes: list = dataclasses.field(default_factory=list)  # run-level messages
    findings: list = dataclasses.field(default_factory=list)  # runner/findings.py's groups
    cases: dict = dataclasses.field(default_factory=dict)  # case id -> runner/caseinfo.py's facts
    # (the results list, its length, them sorted): sorted_results' last answer
    _sorted: tuple = dataclasses.field(default=None, init=False, repr=False, compare=False)

    def sorted_results(self):
        """The results in the stable order of the reports: case, protocol, check, target.

        Every report and the summary walk them in this order, and a run of
        every interpreter holds 300,000: the order is worked out once, and
        again only when the results list is replaced or grows or shrinks
        (a cell's place, its case, protocol, check and target, never changes
        once it is made).  A new list is returned each time.
        """
        results = self.results
        if (self._sorted is None or self._sorted[0] is not results
                or self._sorted[1] != len(results)):
            order = _CHECK_ORDER
            self._sorted = (results, len(results), sorted(results, key=lambda r: (
                r.case, -1 if r.protocol is None else r.protocol, order[r.check], r.target)))
        return list(self._sorted[2])

    def to_dict(self):
        return {
            "format": FORMAT,
            "started": self.started,
            "finished": self.finished,
            "complete": self.complete,
            "notes": list(self.notes),
            "targets": {name: self.targets[name] for name in sorted(self.targets)},
            "results": [r.to_dict() for r in self.sorted_results()],
            "findings": list(self.findings),
            "cases": {name: self.cases[name] for name in sorted(self.cases)},
        }

    @classmethod
    def from_dict(cls, data):
        """The Run of a run.json document, format 1 or 2."""
        if data.get("format", READABLE[0]) not in READABLE:
            raise ValueError("not a picklespec run (format %r; this version reads %s)"
                             % (data.get("format"), ", ".join(READABLE)))
        return cls(targets=data.get("targets", {}), cases=data.get("cases", {}),
                   results=[Result.from_dict(r) for r in data.get("results", [])],
                   started=data.get("started", ""), finished=data.get("finished", ""),
                   complete=data.get("complete", True), notes=data.get("notes", []),
                   findings=data.get("findings", []))
