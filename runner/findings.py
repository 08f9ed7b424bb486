"""Findings: each target's failing cells grouped by root cause.

Theory of operation
-------------------
A library that lacks one behaviour fails every case that exercises it; an
implementer wants the behaviour, not the thousand cells.  `annotate` gives
every failing Result a *signature* -- check x opcode x outcome signature --
and `group` folds the cells of one target that share it into a finding:

- the **opcode** is the case's first tag that names an opcode (the opcode
  the case is about; cases/tags.yaml), else ``-``;
- the **outcome signature** is the outcome with the Result's message made
  general: quoted text, numbers and hex become ``'...'``, ``N`` and ``H``, so
  "unclean rejection: TypeError: Cannot read properties of undefined
  (reading '0')" is one signature across cases, and a wrong object is
  told by its first difference with the values masked
  (``load LONG1: fail: loaded a different object; expected N, got N``);
- for a cross cell, the consumer is the target.

Each finding has its count, its cases (ids, in order), one minimized example
-- the case with the smallest stream -- with the stream as hex and its
disassembly, expected against actual, and the case's refs.  A scanner's
findings add up the globals it missed and its false alarms.

The signature is also each failing cell's ``finding`` in run.json and the
``reason`` of its entry in a baseline (runner/baseline.py), so an expected
failure always says why it is expected.  ``picklespec run`` writes the
findings as findings.md next to the other reports, and into run.json.
"""

import collections
import re

from picklespec.reference import asm
from picklespec.reference.opcodes import by_name

__all__ = ["annotate", "group", "signature", "render"]

_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b|\b(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b")
_NUMBER = re.compile(r"(?<![A-Za-z_])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")
_MAX = 160
# An example's disassembly is read from the head of its stream only.
_SHOWN_BYTES = 2048
_SHOWN_LINES = 59


def _general(text):
    text = _QUOTED.sub("'...'", text or "")
    text = _HEX.sub("H", text)
    text = _NUMBER.sub("N", text)
    text = " ".join(text.split())
    return text if len(text) <= _MAX else text[:_MAX - 3] + "..."


def opcode_of(case):
    """The opcode a case is about: its first tag naming one, else "-"."""
    for tag in getattr(case, "tags", None) or ():
        if tag in by_name:
            return tag
    return "-"


_PRODUCERS = re.compile(r"^the stream of [^:]*: ")


def _first_lines(result):
    """The first differing lines of expected and actual, masked; "" if none."""
    expected = (result.expected or "").splitlines()
    actual = (result.actual or "").splitlines()
    for want, got in zip(expected, actual):
        if want != got:
            return "expected %s, got %s" % (_general(want)[:60], _general(got)[:60])
    if len(expected) != len(actual):
        longer, word = (expected, "expected") if len(expected) > len(actual) else (actual, "got")
        return "%s more: %s" % (word, _general(longer[min(len(expected), len(actual))])[:60])
    return ""


def signature(result, case=None):
    """check x opcode x outcome signature, as one line."""
    message = _PRODUCERS.sub("", result.message or "")
    if result.check == "scan":
        message = re.sub(r"missed .*?(;|$)", "missed globals\\1", message)
        message = re.sub(r"false alarms? .*", "false alarms", message)
    shape = _general(message)
    if result.outcome == "fail" and result.check in ("load", "defined", "cross", "transform", "dump"):
        lines = _first_lines(result)
        if lines:
            shape += "; " + lines
    return "%s %s: %s%s" % (result.check, opcode_of(case), result.outcome, ": " + shape if shape else "")


def _reader(result):
    return result.target.split(" -> ")[-1] if result.check == "cross" else result.target


def annotate(run, cases):
    """Set `finding` on every failing Result of run; cases by id give their tags."""
    for result in run.results:
        if result.failing:
            result.finding = signature(result, cases.get(result.case))


def _stream(case, protocol):
    if case is None:
        return None
    if case.classification != "dump":
        return case.data
    variants = case.streams.get(protocol, ()) if protocol is not None else ()
    for variant in variants:
        if variant.stream is not None:
            return variant.stream
    return None


def _disassembly(stream):
    """The example's disassembly, cut to its first `_SHOWN_LINES` lines.

    Only the head of a long stream is read: the whole of a stream of a
    million MARKs would indent each of its million lines one step deeper
    than the last, gigabytes of text.
    """
    head = stream[:_SHOWN_BYTES]
    lines = asm.disassemble(head, offsets=True).splitlines()
    if len(lines) > _SHOWN_LINES or len(head) < len(stream):
        lines = lines[:_SHOWN_LINES]
        lines.append("... (%d bytes in all: the first %d instructions shown)" % (len(stream), len(lines)))
    return "\n".join(lines) + "\n"


def group(run, cases):
    """The findings of a run: a list of dicts, by target, most cells first."""
    groups = collections.OrderedDict()
    for result in run.sorted_results():
        if not result.failing:
            continue
        case = cases.get(result.case)
        key = (_reader(result), result.finding or signature(result, case))
        groups.setdefault(key, []).append((result, case))
    out = []
    for (target, sign), members in groups.items():
        def size(member):
            stream = _stream(member[1], member[0].protocol)
            return (len(stream) if stream is not None else 1 << 30, member[0].case)
        example, case = min(members, key=size)
        stream = _stream(case, example.protocol)
        finding = {
            "target": target,
            "signature": sign,
            "check": example.check,
            "opcode": opcode_of(case),
            "outcome": example.outcome,
            "count": len(members),
            "cases": sorted({r.case for r, _ in members}),
            "example": {
                "key": example.key,
                "case": example.case,
                "protocol": example.protocol,
                "title": getattr(case, "title", None),
                "hex": stream.hex() if stream is not None else None,
                "disassembly": _disassembly(stream) if stream is not None else None,
                "message": example.message,
                "expected": example.expected,
                "actual": example.actual,
                "first_difference": example.first_difference,
            },
            "refs": list(getattr(case, "refs", None) or ()),
        }
        if example.check == "scan":
            missed = collections.Counter(g for r, _ in members for g in (r.missed or ()))
            alarms = collections.Counter(g for r, _ in members for g in (r.false_alarms or ()))
            finding["missed"] = dict(missed.most_common())
            finding["false_alarms"] = dict(alarms.most_common())
        out.append(finding)
    out.sort(key=lambda f: (f["target"], -f["count"], f["signature"]))
    return out


def scanners(run):
    """{scanner: (Counter of missed globals, Counter of false alarms)} over every scan cell."""
    out = {}
    for result in run.results:
        if result.check != "scan":
            continue
        missed, alarms = out.setdefault(result.target, (collections.Counter(), collections.Counter()))
        missed.update(result.missed or ())
        alarms.update(result.false_alarms or ())
    return out


def _fence(text):
    text = (text or "").rstrip("\n")
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return "%s\n%s\n%s\n" % (ticks, text, ticks)


def render(run):
    """findings.md: the findings of the run, per target."""
    from .reports.view import clean, status_line

    findings = run.findings or group(run, {})  # a run read back without them
    lines = ["# Findings", "", status_line(run) + (": started %s" % run.started if run.started else ""),
             "", "Each target's failing cells grouped by root cause: check x opcode x outcome "
             "signature (reports/README.md, \"Findings\"). Each group shows its count, its "
             "smallest example with the stream as hex and disassembled, expected against "
             "actual, and its refs.", ""]
    by_target = collections.OrderedDict()
    for finding in findings:
        by_target.setdefault(finding["target"], []).append(finding)
    if not by_target:
        lines += ["No failing cells.", ""]
    for target, items in by_target.items():
        total = sum(f["count"] for f in items)
        lines += ["## %s" % clean(target), "",
                  "%d failing cells in %d groups." % (total, len(items)), "",
                  "| cells | check | opcode | signature |", "|---:|---|---|---|"]
        for f in items:
            lines.append("| %d | %s | %s | %s |" % (f["count"], f["check"], f["opcode"],
                                                    clean(f["signature"]).replace("|", "\\|")))
        lines.append("")
        for number, f in enumerate(items, 1):
            ex = f["example"]
            lines += ["### %s %d. %s" % (clean(target), number, clean(f["signature"])), "",
                      "- cells: %d; cases: %s%s" % (f["count"], ", ".join(f["cases"][:20]),
                                                    " ... (%d more)" % (len(f["cases"]) - 20)
                                                    if len(f["cases"]) > 20 else ""),
                      "- example: `%s`%s" % (clean(ex["key"]), " -- %s" % clean(ex["title"])
                                              if ex["title"] else ""),
                      "- message: %s" % clean(ex["message"] or f["outcome"])]
            if f["refs"]:
                lines.append("- refs: %s" % ", ".join(clean(r) for r in f["refs"]))
            if f.get("missed"):
                lines.append("- missed: %s" % ", ".join("%s (%d)" % (g, n) for g, n in f["missed"].items()))
            if f.get("false_alarms"):
                lines.append("- false alarms: %s" % ", ".join(
                    "%s (%d)" % (g, n) for g, n in f["false_alarms"].items()))
            lines.append("")
            if ex["hex"] is not None:
                lines += ["stream (hex): `%s`" % (ex["hex"] if len(ex["hex"]) <= 400 else
                                                  ex["hex"][:400] + "..."), "",
                          _fence(clean("\n".join(ex["disassembly"].splitlines()[:60])))]
            if ex["expected"] is not None or ex["actual"] is not None:
                lines += ["expected:", "", _fence(clean("\n".join((ex["expected"] or "").splitlines()[:40]))),
                          "actual:", "", _fence(clean("\n".join((ex["actual"] or "").splitlines()[:40])))]
            if ex["first_difference"]:
                lines += ["first difference: %s" % clean(ex["first_difference"]), ""]
    projected = collections.Counter((r.target, r.projection) for r in run.results if r.projection)
    if projected:
        lines += ["## Passes under a projection", "",
                  "Cells equal only once the target's representation model was applied "
                  "(its hello's `model`; runner/PROTOCOL.md): not failures, but not the "
                  "object Python builds either.", "",
                  "| target | projections | cells |", "|---|---|---:|"]
        for (target, names), count in sorted(projected.items()):
            lines.append("| %s | %s | %d |" % (clean(target), clean(names), count))
        lines.append("")
    per_scanner = scanners(run)
    if per_scanner:
        lines += ["## Scanners", "", "| scanner | missed globals | false alarms |", "|---|---|---|"]
        for name, (missed, alarms) in sorted(per_scanner.items()):
            lines.append("| %s | %s | %s |" % (
                clean(name), ", ".join("%s (%d)" % g for g in missed.most_common()) or "-",
                ", ".join("%s (%d)" % g for g in alarms.most_common()) or "-"))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
