"""How much of the pickle machine the corpus exercises.

Theory of operation
-------------------
A case *touches* an opcode when the opcode starts an instruction of one of
its streams, as `picklespec.reference.asm.read_instructions` reads them: a
load case's one stream, every variant of a dump case.  An opcode whose
argument is cut short by the end of the input still counts (a truncated
stream is about that opcode); bytes after STOP that are not a pickle of
their own do not.  Counts are per opcode of the table (all 68, from
`picklespec.reference.opcodes`) and per protocol, by classification.

The bar a conformance suite needs is that every opcode has cases that must
load and cases that must fail: `MIN_ACCEPT` and `MIN_REJECT` each.
"""

from picklespec.reference import opcodes
from picklespec.reference.asm import read_instructions

from .corpus import CLASSIFICATIONS, PROTOCOLS

__all__ = ["Coverage", "coverage", "touched", "MIN_ACCEPT", "MIN_REJECT", "format_report"]

MIN_ACCEPT = 3
MIN_REJECT = 3
_SHORT = {"accept": "accept", "reject": "reject", "implementation-defined": "impl-def",
          "dump": "dump"}


def touched(data):
    """The names of the opcodes a stream touches."""
    names = set()
    for ins in read_instructions(data):
        if ins.op is not None:
            names.add(ins.op.name)
        elif ins.raw and not ins.error.startswith("trailing"):
            op = opcodes.by_code.get(ins.raw[0])
            if op is not None:  # an opcode cut short by the end of the input
                names.add(op.name)
    return names


def case_streams(case):
    if case.classification == "dump":
        return [v.stream for variants in case.streams.values() for v in variants
                if v.stream is not None]
    return [case.data] if case.data is not None else []


def case_protocols(case):
    if case.classification == "dump":
        return sorted(case.streams)
    return [case.protocol] if case.protocol is not None else []


class Coverage:
    """Counts of cases by opcode and by protocol, per classification."""

    def __init__(self):
        self.opcodes = {op.name: dict.fromkeys(CLASSIFICATIONS, 0) for op in opcodes.opcodes}
        self.protocols = {p: dict.fromkeys(CLASSIFICATIONS, 0) for p in PROTOCOLS}
        self.cases = dict.fromkeys(CLASSIFICATIONS, 0)

    def add(self, case):
        kind = case.classification
        self.cases[kind] += 1
        names = set()
        for data in case_streams(case):
            names |= touched(data)
        for name in names:
            self.opcodes[name][kind] += 1
        for protocol in case_protocols(case):
            self.protocols[protocol][kind] += 1

    def short(self):
        """(opcode, accept count, reject count) for opcodes under the bar."""
        return [(name, counts["accept"], counts["reject"])
                for name, counts in self.opcodes.items()
                if counts["accept"] < MIN_ACCEPT or counts["reject"] < MIN_REJECT]

    @property
    def total(self):
        return sum(self.cases.values())


def coverage(corpus):
    """The Coverage of a Corpus."""
    result = Coverage()
    for case in corpus.cases:
        result.add(case)
    return result


def format_report(result):
    """The coverage tables as text."""
    heads = [_SHORT[c] for c in CLASSIFICATIONS]
    lines = ["%-18s %5s  %s" % ("opcode", "proto", " ".join("%8s" % h for h in heads))]
    for op in opcodes.opcodes:
        counts = result.opcodes[op.name]
        flag = ""
        if counts["accept"] < MIN_ACCEPT or counts["reject"] < MIN_REJECT:
            flag = "  < %d accept + %d reject" % (MIN_ACCEPT, MIN_REJECT)
        lines.append("%-18s %5d  %s%s" % (op.name, op.proto, " ".join(
            "%8d" % counts[c] for c in CLASSIFICATIONS), flag))
    lines.append("")
    lines.append("%-24s %s" % ("protocol", " ".join("%8s" % h for h in heads)))
    for protocol in PROTOCOLS:
        lines.append("%-24d %s" % (protocol, " ".join(
            "%8d" % result.protocols[protocol][c] for c in CLASSIFICATIONS)))
    lines.append("")
    lines.append("cases: %d (%s)" % (result.total, ", ".join(
        "%d %s" % (result.cases[c], c) for c in CLASSIFICATIONS)))
    short = result.short()
    lines.append("opcodes under %d accept + %d reject cases: %d of %d%s" % (
        MIN_ACCEPT, MIN_REJECT, len(short), len(result.opcodes),
        (": " + ", ".join(name for name, _, _ in short)) if short else ""))
    return "\n".join(lines) + "\n"
