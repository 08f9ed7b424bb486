"""run.json: the whole run, machine-readable, streamed one result per line.

Theory of operation
-------------------
Format ``picklespec-run/2``: one JSON document whose top-level fields come
one to a line, in sorted order, with ``results`` last; ``cases``,
``findings`` and ``results`` hold one entry per line.  Within a line keys
are sorted, so two runs diff line by line (a changed cell is a changed
line), and the document is written as it is rendered, never held whole.
`Run.from_dict(json.load(f))` reads it back, and reads format 1 too.

Fields: ``format``, ``started``, ``finished``, ``complete``, ``notes``,
``targets`` (as they introduced themselves), ``cases`` (runner/caseinfo.py:
each case with a cell that did not pass), ``findings``
(runner/findings.py), ``summary`` (outcome counts per target), and
``results``: every Result in the run's stable order, each with its
``protocol`` (null when the case's stream fixes it) and ``seconds``.

A result's long texts (``message``, ``expected``, ``actual``, ``output``,
``first_difference``) are cut at `MAX_TEXT` characters, ending in
``... [cut: N characters in all]``: a target that prints a megabyte makes
a line of two kilobytes.  Strings are UTF-8; a lone surrogate (a str a
target loaded from an ill-formed stream) is written as its JSON escape
``\\udc80``, which reads back as the same string.
"""

import dataclasses
import json
import operator

from ..results import FORMAT, Result, Run
from . import view

MAX_TEXT = 2000
LONG = ("message", "expected", "actual", "output", "first_difference")
_LINE = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


def cut(text):
    """text, or its first MAX_TEXT characters and a mark saying how long it was."""
    if len(text) <= MAX_TEXT:
        return text
    return text[:MAX_TEXT] + "... [cut: %d characters in all]" % len(text)


_FIELDS = tuple(sorted(f.name for f in dataclasses.fields(Result)))
_VALUES = operator.attrgetter(*_FIELDS)  # a Result's fields, in _FIELDS order
_KEYS = tuple('"%s": ' % name for name in _FIELDS)
_CUT = frozenset(LONG)
_STRING = json.encoder.encode_basestring  # ensure_ascii=False, as _LINE


# The fields but case, check, outcome, protocol, seconds and target: those a
# passing cell leaves empty.
_NUMBER_OR_NONE = (int, float, type(None))
_DETAILS = operator.attrgetter(*(name for name in _FIELDS if name not in (
    "case", "check", "outcome", "protocol", "seconds", "target")))


def result_line(result):
    """One result as one line: Result.to_dict's fields, keys sorted, long texts cut.

    Written field by field rather than through a dict: the largest report
    has a line per cell.  A Result's fields are strings, ints, floats, lists
    of strings or None.  Most cells pass and say nothing more than their
    place, outcome and time: those take one format.
    """
    details = _DETAILS(result)
    case, target, protocol, seconds = result.case, result.target, result.protocol, result.seconds
    if (details.count(None) + details.count("") == len(details) and type(case) is str and case
            and type(target) is str and target and type(protocol) in _NUMBER_OR_NONE
            and type(seconds) in _NUMBER_OR_NONE):
        return '{"case": %s, "check": %s, "outcome": %s, "protocol": %s, %s"target": %s}' % (
            _STRING(case), _STRING(result.check), _STRING(result.outcome),
            "null" if protocol is None else repr(protocol),
            "" if seconds is None else '"seconds": %r, ' % seconds, _STRING(target))
    parts = []
    for name, key, value in zip(_FIELDS, _KEYS, _VALUES(result)):
        if value is None or value == "":
            if name == "protocol":  # always written, so it reads back
                parts.append('"protocol": null')
            continue
        kind = type(value)
        if kind is str:
            if len(value) > MAX_TEXT and name in _CUT:
                value = cut(value)
            parts.append(key + _STRING(value))
        elif kind is int or kind is float:
            parts.append(key + repr(value))  # what json writes
        else:
            parts.append(key + _LINE.encode(value))
    return "{" + ", ".join(parts) + "}"


def header(run):
    """The top-level fields but results, in sorted order."""
    data = dict(Run(targets=run.targets, results=[], started=run.started, finished=run.finished,
                    complete=run.complete, notes=run.notes, findings=run.findings,
                    cases=run.cases).to_dict())
    del data["results"]
    data["format"] = FORMAT
    data["summary"] = {target: dict(sorted(counter.items()))
                       for target, counter in sorted(view.totals(run.results).items())}
    return data


def _field(out, name, value, last=False):
    out.write(" %s: " % json.dumps(name))
    if isinstance(value, list) and value:
        out.write("[\n")
        out.write(",\n".join("  " + _LINE.encode(item) for item in value))
        out.write("\n ]")
    elif isinstance(value, dict) and value and name != "summary":
        out.write("{\n")
        out.write(",\n".join("  %s: %s" % (json.dumps(k, ensure_ascii=False), _LINE.encode(value[k]))
                             for k in sorted(value)))
        out.write("\n }")
    else:
        out.write(_LINE.encode(value))
    out.write("\n" if last else ",\n")


def write(run, out):
    """Stream run.json into the text file object out."""
    out.write("{\n")
    for name, value in sorted(header(run).items()):
        _field(out, name, value)
    out.write(' "results": [\n')
    first = True
    for result in run.sorted_results():
        if not first:
            out.write(",\n")
        out.write("  " + result_line(result))
        first = False
    out.write("\n ]\n}\n" if not first else " ]\n}\n")
