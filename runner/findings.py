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

`key` is the one grouping -- (target, signature) -- and `members` the
cells of each group in findings order; findings.md, run.json's
``findings`` and matrix.html's failures (its ``#g-`` anchors, `anchor`)
all read them, so a group is the same group everywhere.

The signature is also each failing cell's ``finding`` in run.json and the
``reason`` of its entry in a baseline (runner/baseline.py), so an expected
failure always says why it is expected.  ``picklespec run`` writes the
findings as findings.md next to the other reports, and into run.json.
"""

import collections
import re

from picklespec.reference.opcodes import by_name

from . import caseinfo

__all__ = ["annotate", "anchor", "group", "key", "members", "signature", "slug", "render", "write"]

_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b|\b(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b")
_NUMBER = re.compile(r"(?<![A-Za-z_])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")
_MAX = 160


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


_stream = caseinfo.stream_of


def _disassembly(stream):
    """The example's disassembly (caseinfo: its head, cut)."""
    return caseinfo.disassembly(stream[:caseinfo.MAX_BYTES].hex(), len(stream))


def key(result, case=None):
    """The group of a failing cell: (the target that failed, its signature)."""
    return _reader(result), result.finding or signature(result, case)


def members(run, cases=None, ordered=None):
    """[(key, [failing Results])] in findings order: by target, most cells first.

    `cases` by id give a cell's opcode when its ``finding`` is not set (a
    run read back from an old run.json); `ordered` is run.sorted_results(),
    when the caller has it already.
    """
    cases = cases or {}
    groups = collections.OrderedDict()
    for result in ordered if ordered is not None else run.sorted_results():
        if result.failing:
            groups.setdefault(key(result, cases.get(result.case)), []).append(result)
    return sorted(groups.items(), key=lambda item: (item[0][0], -len(item[1]), item[0][1]))


def slug(name):
    """A name as it can appear in an HTML id."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def anchor(group_key, number):
    """The HTML id of a group: ``g-TARGET-N``, N its number under its target (1, 2, ...)."""
    return "g-%s-%d" % (slug(group_key[0]), number)


def numbered(grouped):
    """[(anchor, key, results)] for members' groups: numbered 1, 2, ... per target."""
    out, seen = [], collections.Counter()
    for group_key, results in grouped:
        seen[group_key[0]] += 1
        out.append((anchor(group_key, seen[group_key[0]]), group_key, results))
    return out


def group(run, cases):
    """The findings of a run: a list of dicts, by target, most cells first."""
    out = []
    for (target, sign), results in members(run, cases):
        def size(result):
            stream = _stream(cases.get(result.case), result.protocol)
            return (len(stream) if stream is not None else 1 << 30, result.case)
        example = min(results, key=size)
        case = cases.get(example.case)
        stream = _stream(case, example.protocol)
        finding = {
            "target": target,
            "signature": sign,
            "check": example.check,
            "opcode": opcode_of(case),
            "outcome": example.outcome,
            "count": len(results),
            "cases": sorted({r.case for r in results}),
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
            missed = collections.Counter(g for r in results for g in (r.missed or ()))
            alarms = collections.Counter(g for r in results for g in (r.false_alarms or ()))
            finding["missed"] = dict(missed.most_common())
            finding["false_alarms"] = dict(alarms.most_common())
        out.append(finding)
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


def write(run, out):
    """Stream findings.md into the text file object out."""
    out.write(render(run))
