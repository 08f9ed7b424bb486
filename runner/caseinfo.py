"""What a reader of a failure needs to know about its case, kept in the run.

Theory of operation
-------------------
A report shows a failing cell with its case: the title, the notes, the refs
and tags, the YAML file and line it is written at, and the stream the cell
is about -- for a load, reject, defined, parse, scan or transform cell the
stream the target was sent, for a dump or cross cell the stream its
producer is recorded to write.  `collect` puts these facts into the run
(``Run.cases``, written in run.json) for every case with a cell that did
not pass, so each report (and a run read back from run.json, where the
corpus may be another) shows them without the corpus.

A stream is kept as hex, its head only (`MAX_BYTES`) with its full length;
`disassembly` renders the head as ``picklespec dis`` does (reference/asm.py,
with offsets), cut at `MAX_LINES` lines: the whole of a stream of a
million MARKs would indent each of its million lines one step deeper than
the last.
"""

import os

from picklespec.cases.corpus import CORPUS_DIR
from picklespec.reference import asm

__all__ = ["collect", "facts", "stream", "stream_of", "disassembly", "protocol_key"]

MAX_BYTES = 2048  # of a stream kept as hex
MAX_LINES = 59  # of a disassembly shown
_ROOT = os.path.dirname(CORPUS_DIR)


def protocol_key(protocol):
    """How a protocol names a stream in ``cases[ID]["streams"]``: "p2", or "-"."""
    return "-" if protocol is None else "p%d" % protocol


def stream_of(case, protocol):
    """The bytes a cell of case at protocol is about, or None.

    A load-side case has one stream; a dump case the first recorded stream
    of the protocol (what its producer, or the first of them, writes).
    """
    if case is None:
        return None
    if case.classification != "dump":
        return case.data
    for variant in case.streams.get(protocol, ()) if protocol is not None else ():
        if variant.stream is not None:
            return variant.stream
    return None


def _where(case):
    path = os.path.abspath(case.file)
    if path.startswith(_ROOT + os.sep):
        path = os.path.relpath(path, _ROOT)
    return path.replace(os.sep, "/")


def facts(case):
    """The case's own facts: title, note, refs, tags, kind, file, line."""
    return {"title": case.title or "", "note": case.note or "", "refs": list(case.refs or ()),
            "tags": list(case.tags or ()), "kind": case.classification,
            "file": _where(case), "line": case.line, "streams": {}}


def stream(data, role):
    """A stream as the run keeps it: its head as hex, its length, its role."""
    return {"hex": data[:MAX_BYTES].hex(), "bytes": len(data), "role": role}


def collect(run, cases):
    """{case id: facts} for the cases of run's cells that did not pass; cases by id."""
    out = {}
    for result in run.results:
        if result.outcome == "pass":
            continue
        case = cases.get(result.case)
        if case is None:
            continue
        entry = out.get(result.case)
        if entry is None:
            entry = out[result.case] = facts(case)
        key = protocol_key(result.protocol)
        if key not in entry["streams"]:
            data = stream_of(case, result.protocol)
            if data is not None:
                entry["streams"][key] = stream(data, "sent" if case.classification != "dump"
                                               else "recorded")
    return out


def disassembly(hex_text, length=None):
    """The ``picklespec dis`` text of a kept stream's head, cut to MAX_LINES lines."""
    head = bytes.fromhex(hex_text or "")
    length = len(head) if length is None else length
    lines = asm.disassemble(head, offsets=True).splitlines()
    if len(lines) > MAX_LINES or len(head) < length:
        lines = lines[:MAX_LINES]
        lines.append("... (%d bytes in all: the first %d instructions shown)" % (length, len(lines)))
    return "\n".join(lines) + "\n"
