"""Regenerate the expected streams of dump cases from a real pickler.

Theory of operation
-------------------
Expected bytes are never written by hand and never taken from the
reference: they are what a real interpreter's pickler writes.  ``picklespec
cases regen --python PATH --kind c|py`` starts that interpreter's worker
(runner/worker.py, through `picklespec.process.Adapter`), asks its
`hello` for the producer name (``cpython-3.13-c``), and has it pickle every
dump case's object at every protocol the case covers and the interpreter
knows.  Each stream is disassembled and compared with the variant the file
holds for that producer; differences are shown as unified diffs, as
yaml-test-suite's maintainers review a trusted producer's output.

With ``--write`` the file is updated in place.  The producer moves to the
variant with the same bytes if there is one -- its range grows, say from
``cpython-3.8..3.12-c+py`` to ``cpython-3.8..3.13-c+py`` --, or gets a new
variant; a variant left naming no producer goes.  Variants are kept newest
producer first (C before pure Python), so the first is the newest C
pickler's output.  Only the ``streams:`` block of a case that changed is
rewritten; the rest of the file (comments, order, the other cases) is kept
byte for byte, and comments inside a rewritten ``streams:`` block are not
(a variant's `note` is).

A pickler that refuses an object gives a ``fails: true`` variant, with
``raises:`` the name of the exception class it raised (the worker's answer
names it); an object
that cannot exist in that interpreter (a class it lacks) gives no variant.
This is a maintainer's tool, never run in CI.

Load cases get their scanner ground truth the same way (`Recorder`): the
worker's ``record`` request loads the stream with a find_class that records
each request and hands back an inert stand-in (runner/worker.py; the named
module is never imported), and answers the globals requested (``finds``)
and the stand-ins called (``calls``).  The answer of `SCAN_AUTHORITY`
(`picklespec.cases.corpus`, the newest CPython 3's C unpickler) is the
case's own ``finds:``/``calls:``; another producer whose answer differs is
named in a ``scan-variants:`` entry with its own, and one that agrees is
taken out of any entry.  With ``--write`` these lines are rewritten at the
end of the case, the rest of the file kept byte for byte.
"""

import argparse
import difflib
import fnmatch
import json
import os
import re
import sys

from picklespec.reference import model
from picklespec.reference.asm import disassemble

from . import corpus, notation
from .producers import from_points, parse_producer

__all__ = ["main", "worker_command", "Regenerator", "Recorder", "scan_lines"]

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def worker_command(python, kind):
    """The argv that starts runner/worker.py under an interpreter."""
    from picklespec.process import worker_path

    return [python, worker_path(), kind]


class Slot:
    """A variant while it is being edited: the producers it names, and what they write."""

    def __init__(self, points, stream=None, text=None, fails=False, note=None, original=None,
                 raises=None):
        self.points = set(points)
        self.stream = stream
        self.text = text
        self.fails = fails
        self.note = note
        self.original = original  # the Variant read from the file, if any
        self.raises = raises  # the exception class name of a failing variant

    @classmethod
    def of(cls, variant):
        return cls(variant.producer.points(), variant.stream, variant.text, variant.fails,
                   variant.note, variant, variant.raises)

    def same_outcome(self, stream, fails, raises=None):
        if fails:
            return self.fails and self.raises == raises
        return not self.fails and self.stream == stream

    def producer_text(self):
        if self.original is not None and self.points == self.original.producer.points():
            return self.original.producer_text
        return str(from_points(self.points))

    def sort_key(self):
        return max((impl == "cpython", version, kind == "c") for impl, version, kind in self.points)


def _request_options(options):
    return {name: ("true" if value else "false") if isinstance(value, bool) else str(value)
            for name, value in options.items()}


def _show_outcome(slot):
    if slot is None:
        return []
    if slot.fails:
        return ["fails: true" + (" raises %s" % slot.raises if slot.raises else "")
                + (" (%s)" % slot.note if slot.note else "")]
    return slot.text.splitlines()


class Regenerator:
    """Runs one producer over the dump cases and edits the files it differs from."""

    def __init__(self, adapter, write=False, case_glob=None, out=None):
        self.adapter = adapter
        self.write = write
        self.case_glob = case_glob
        self.out = out or sys.stdout
        self.counts = dict.fromkeys(["cases", "same", "changed", "unavailable", "errors"], 0)

    def say(self, text):
        self.out.write(text + "\n")

    def hello(self):
        answer = self.adapter.request({"op": "hello"})
        if not answer.get("ok"):
            raise SystemExit("picklespec cases regen: the worker cannot pickle: %s"
                             % answer.get("kind_error", answer))
        self.producer = answer["producer"]
        self.point = parse_producer(self.producer)
        self.protocols = set(answer.get("dump_protocols", []))
        return answer

    def dump(self, case, protocol):
        """(stream, fails, note, raises) from the producer; None if the object cannot exist
        there."""
        request = {"op": "dump", "protocol": protocol, "object": model.to_json(case.object)}
        if case.options:
            request["options"] = _request_options(case.options)
        answer = self.adapter.request(request)
        if answer.get("ok"):
            data = bytes.fromhex(answer["data"])
            self.check_buffers(case, protocol, answer.get("buffers"))
            return data, False, None, None
        kind = answer.get("kind")
        message = _ADDRESS.sub("", answer.get("message", ""))
        if kind == "unpicklable":
            return None, True, "%s: %s" % (self.producer, message), answer.get("exception")
        if kind in ("unavailable", "unsupported"):  # reducer_override before 3.8
            return None
        raise RuntimeError("%s protocol %d: %s: %s" % (case.id, protocol, kind, message))

    def check_buffers(self, case, protocol, buffers):
        expected = [bytes(b) for b in case.load_options.get("buffers", [])]
        got = [bytes(model.from_json(b)) for b in buffers or []]
        if (buffers or expected) and got != expected:
            self.say("warning: %s protocol %d: %s gives out-of-band buffers %r, the case's "
                     "load-options say %r" % (case.id, protocol, self.producer, got, expected))

    def regenerate(self, case):
        """The case's streams with this producer's output merged in; None if unchanged."""
        streams = {p: [Slot.of(v) for v in vs] for p, vs in case.streams.items()}
        changed = False
        for protocol in case.protocols:
            if protocol not in self.protocols:
                continue
            try:
                outcome = self.dump(case, protocol)
            except (RuntimeError, model.ModelError) as exc:
                self.say("error: %s" % exc)
                self.counts["errors"] += 1
                continue
            slots = streams.setdefault(protocol, [])
            if self.merge(case, protocol, slots, outcome):
                changed = True
            if not slots:
                del streams[protocol]
        return streams if changed else None

    def merge(self, case, protocol, slots, outcome):
        current = next((s for s in slots if self.point in s.points), None)
        if outcome is None:
            self.counts["unavailable"] += 1
            if current is None:
                return False
            self.show(case, protocol, current, None)
            self.drop(slots, current)
            return True
        stream, fails, note, raises = outcome
        if current is not None and current.same_outcome(stream, fails, raises):
            self.counts["same"] += 1
            return False
        self.counts["changed"] += 1
        text = None if fails else disassemble(stream)
        new = Slot({self.point}, stream, text, fails, note, raises=raises)
        self.show(case, protocol, current, new)
        if current is not None:
            self.drop(slots, current)
        target = next((s for s in slots if s.same_outcome(stream, fails, raises)), None)
        if target is not None:
            target.points.add(self.point)
        else:
            slots.append(new)
        slots.sort(key=Slot.sort_key, reverse=True)
        return True

    def drop(self, slots, slot):
        slot.points.discard(self.point)
        if not slot.points:
            slots.remove(slot)

    def show(self, case, protocol, old, new):
        before = "%s %s protocol %d: %s" % (case.file, case.id, protocol,
                                            old.producer_text() if old else "(no variant)")
        after = "%s%s" % (self.producer, "" if new else " (cannot build the object)")
        for line in difflib.unified_diff(_show_outcome(old), _show_outcome(new), before, after,
                                         lineterm=""):
            self.say(line)

    def run_file(self, path):
        read = read_for_edit(self, path)
        if read is None:
            return
        edits = []
        for case, _broken in read.cases:
            if case.classification != "dump" or case.id is None:
                continue
            if self.case_glob and not fnmatch.fnmatchcase(case.id, self.case_glob):
                continue
            if "object" not in read_entry(read, case):
                continue
            self.counts["cases"] += 1
            streams = self.regenerate(case)
            if streams is not None:
                edits.append((case, streams))
        if edits and self.write:
            rewrite(read, edits)
            problems = [p for p in corpus.read_file(path).problems]
            for problem in problems:
                self.say("after writing: %s" % problem)


def read_entry(read, case):
    for entry in read.entries:
        if isinstance(entry, dict) and entry.get("id") == case.id:
            return entry
    return {}


# -- editing the file --------------------------------------------------------


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _block_end(lines, start, column):
    """The index after the last line of the block whose key is on lines[start]."""
    end = start + 1
    last = start + 1
    while end < len(lines):
        line = lines[end]
        if line.strip() and _indent(line) <= column:
            break
        end += 1
        if line.strip():
            last = end
    return last


def _key_column(line, key):
    m = re.match(r"\s*(?:-\s+)?", line)
    return m.end() if line[m.end():].startswith(key) else _indent(line)


def streams_lines(column, streams, lines=()):
    """The text lines of a `streams:` block at a column.

    A variant read from the file keeps its lines (its note, its result, its
    comments), moved to the new indentation, with only its producer changed;
    a new one is written from its stream.
    """
    pad = " " * column
    out = [pad + "streams:"]
    for protocol in sorted(streams):
        out.append("%s  %d:" % (pad, protocol))
        for slot in streams[protocol]:
            kept = _kept_variant(lines, slot, column + 4)
            if kept is not None:
                out.extend(kept)
                continue
            out.append("%s    - producer: %s" % (pad, slot.producer_text()))
            if slot.fails:
                out.append(pad + "      fails: true")
                if slot.raises:
                    out.append(pad + "      raises: " + slot.raises)
            else:
                text = slot.text
                out.append(pad + "      stream: |" + ("" if text.endswith("\n") else "-"))
                out.extend((pad + "        " + line) if line.strip() else ""
                           for line in text.splitlines())
            if slot.note:
                out.append(pad + "      note: " + notation.dump_object(slot.note).strip())
    return out


_PRODUCER = re.compile(r"(\s*(?:-\s+)?producer:\s*)([^#]*?)(\s*(?:#.*)?)\Z")


def _kept_variant(lines, slot, dash_column):
    """The file lines of a variant read from the file, at a new column; None if new."""
    original = slot.original
    if original is None or not original.line or original.line > len(lines):
        return None
    start = original.line - 1
    first = lines[start]
    if not first.lstrip().startswith("-"):
        return None
    column = _indent(first)
    block = lines[start:_block_end(lines, start, column)]
    shift = dash_column - column
    moved = []
    for line in block:
        if not line.strip():
            moved.append("")
        elif shift >= 0:
            moved.append(" " * shift + line)
        else:
            moved.append(line[-shift:])
    for index, line in enumerate(moved):
        m = _PRODUCER.match(line)
        if m and (index == 0 or not line.lstrip().startswith("-")):
            moved[index] = m.group(1) + slot.producer_text() + m.group(3)
            return moved
    return None


def rewrite(read, edits):
    """Replace (or add) the streams block of each edited case, bottom up."""
    lines = read.text.splitlines()
    source = read.document.source
    spans = []
    for case, streams in edits:
        entry = read_entry(read, case)
        first = lines[case.line - 1]
        column = _key_column(first, "id")
        if "streams" in entry:
            start = source.key_line(entry, "streams") - 1
            end = _block_end(lines, start, column)
        else:
            last_key = max(entry, key=lambda k: source.key_line(entry, k))
            start = end = _block_end(lines, source.key_line(entry, last_key) - 1, column)
        spans.append((start, end, streams_lines(column, streams, lines)))
    for start, end, new in sorted(spans, key=lambda s: s[0], reverse=True):
        lines[start:end] = new
    with open(read.path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


# -- the globals load cases resolve (scanner ground truth) --------------------


def read_for_edit(run, path):
    """The case file at path as corpus.read_file reads it, or None (its
    problems said and counted) when it is no YAML a run can edit."""
    read = corpus.read_file(path)
    if read.document is None:
        for problem in read.problems:
            run.say("error: %s" % problem)
        run.counts["errors"] += 1
        return None
    return read


def load_request_options(options):
    """A load case's options in the worker protocol's form (strings, buffers tagged)."""
    out = {}
    for name, value in (options or {}).items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif name == "buffers":
            value = [model.to_json(b) for b in value]
        out[name] = value
    return out


class ScanSlot:
    """A scan variant while it is being edited: the producers it names, and its record."""

    def __init__(self, points, record, note=None, original=None):
        self.points = set(points)
        self.record = record  # (finds, calls) as tuples
        self.note = note
        self.original = original

    def producer_text(self):
        if self.original is not None and self.points == self.original.producer.points():
            return self.original.producer_text
        return str(from_points(self.points))

    def sort_key(self):
        return max((impl == "cpython", version, kind == "c") for impl, version, kind in self.points)


def _record_of(finds, calls):
    return None if finds is None else (tuple(finds), tuple(calls))


_PLAIN_GLOBAL = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*\Z")


def _flow(items):
    """A YAML flow list of "module:name" strings, quoted where a plain scalar would not do."""
    return "[%s]" % ", ".join(item if _PLAIN_GLOBAL.match(item) else json.dumps(item)
                              for item in items)


def scan_lines(column, record, variants):
    """The text lines of a case's finds, calls and scan-variants at a column."""
    pad = " " * column
    finds, calls = record
    out = [pad + "finds: " + _flow(finds), pad + "calls: " + _flow(calls)]
    if variants:
        out.append(pad + "scan-variants:")
        for slot in variants:
            out.append(pad + "  - producer: " + slot.producer_text())
            out.append(pad + "    finds: " + _flow(slot.record[0]))
            out.append(pad + "    calls: " + _flow(slot.record[1]))
            if slot.note:
                out.append(pad + "    note: " + notation.dump_object(slot.note).strip())
    return out


class Recorder:
    """Records, with one unpickler, the globals each load case resolves, and
    edits the files where the record differs from what they hold."""

    def __init__(self, adapter, write=False, case_glob=None, out=None,
                 authority=corpus.SCAN_AUTHORITY):
        self.adapter = adapter
        self.write = write
        self.case_glob = case_glob
        self.out = out or sys.stdout
        self.authority_name = authority  # whose record is the case's own finds/calls
        self.counts = dict.fromkeys(["cases", "same", "changed", "errors"], 0)

    def say(self, text):
        self.out.write(text + "\n")

    def hello(self):
        answer = self.adapter.request({"op": "hello"})
        if not answer.get("ok"):
            raise SystemExit("picklespec cases regen: the worker cannot load: %s"
                             % answer.get("kind_error", answer))
        self.producer = answer["producer"]
        self.point = parse_producer(self.producer)
        self.authority = self.producer == self.authority_name
        return answer

    def record(self, case):
        """The worker's answer for the case: finds, calls, events, outcome."""
        request = {"op": "record", "data": bytes(case.data).hex()}
        if case.load_options:
            request["options"] = load_request_options(case.load_options)
        answer = self.adapter.request(request)
        if not answer.get("ok") or "finds" not in answer:
            raise RuntimeError("%s: the worker could not record: %s: %s"
                               % (case.id, answer.get("kind"), answer.get("message")))
        return answer

    def regenerate(self, case):
        """(record, scan slots) with this producer's answer merged in; None if unchanged."""
        answer = self.record(case)
        new = _record_of(answer["finds"], answer["calls"])
        own = _record_of(case.finds, case.calls)
        slots = [ScanSlot(v.producer.points(), _record_of(v.finds, v.calls), v.note, v)
                 for v in case.scan_variants]
        if self.authority:
            if new == own:
                self.counts["same"] += 1
                return None
            self.show(case, "finds/calls", own, new)
            self.counts["changed"] += 1
            return new, slots
        if own is None:
            raise RuntimeError("%s: not recorded by %s yet, which the others are compared "
                               "with: run regen with it first" % (case.id, self.authority_name))
        current = next((s for s in slots if self.point in s.points), None)
        if (current.record if current else own) == new:
            self.counts["same"] += 1
            return None
        self.counts["changed"] += 1
        self.show(case, current.producer_text() if current else "finds/calls",
                  current.record if current else own, new)
        if current is not None:
            current.points.discard(self.point)
            if not current.points:
                slots.remove(current)
        if new != own:
            target = next((s for s in slots if s.record == new), None)
            if target is not None:
                target.points.add(self.point)
            else:
                slots.append(ScanSlot({self.point}, new))
            slots.sort(key=ScanSlot.sort_key, reverse=True)
        return own, slots

    def show(self, case, label, old, new):
        def text(record):
            if record is None:
                return ["(not recorded)"]
            return ["finds: " + _flow(record[0]), "calls: " + _flow(record[1])]
        for line in difflib.unified_diff(text(old), text(new), "%s %s: %s" % (case.file, case.id,
                                         label), self.producer, lineterm=""):
            self.say(line)

    def run_file(self, path):
        read = read_for_edit(self, path)
        if read is None:
            return
        edits = []
        for case, _broken in read.cases:
            if case.classification == "dump" or case.id is None:
                continue
            if self.case_glob and not fnmatch.fnmatchcase(case.id, self.case_glob):
                continue
            if case.data is None:
                self.say("error: %s %s: the stream does not assemble" % (path, case.id))
                self.counts["errors"] += 1
                continue
            self.counts["cases"] += 1
            try:
                edit = self.regenerate(case)
            except RuntimeError as exc:
                self.say("error: %s" % exc)
                self.counts["errors"] += 1
                continue
            if edit is not None:
                edits.append((case, edit))
        if edits and self.write:
            rewrite_scan(read, edits)
            for problem in corpus.read_file(path).problems:
                self.say("after writing: %s" % problem)


_SCAN_KEYS = ("finds", "calls", "scan-variants")


def rewrite_scan(read, edits):
    """Replace each edited case's finds, calls and scan-variants by new lines
    at the end of the case, bottom up."""
    lines = read.text.splitlines()
    source = read.document.source
    spans = []
    for case, (record, slots) in edits:
        entry = read_entry(read, case)
        column = _key_column(lines[case.line - 1], "id")
        for key in _SCAN_KEYS:
            if key in entry:
                start = source.key_line(entry, key) - 1
                spans.append((start, _block_end(lines, start, column), []))
        others = [k for k in entry if k not in _SCAN_KEYS]
        last_key = max(others, key=lambda k: source.key_line(entry, k))
        end = _block_end(lines, source.key_line(entry, last_key) - 1, column)
        spans.append((end, end, scan_lines(column, record, slots)))
    # deletions before the insertion at the same place: sort by start, then deletions last
    for start, end, new in sorted(spans, key=lambda s: (s[0], s[1] > s[0]), reverse=True):
        lines[start:end] = new
    with open(read.path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


# -- command line ------------------------------------------------------------


def main(argv):
    from picklespec.process import Adapter, AdapterFailure

    parser = argparse.ArgumentParser(
        prog="picklespec cases regen",
        description="Compare the dump cases' expected streams with what a real pickler "
                    "writes, and the load cases' finds/calls with the globals a real "
                    "unpickler asks find_class for; with --write update them (a "
                    "maintainer's tool).")
    parser.add_argument("--python", action="append",
                        help="the interpreter to run (with --only exceptions: repeated, "
                             "default every CPython 3 found)")
    parser.add_argument("--kind", choices=["c", "py"],
                        help="its C accelerator or its pure-Python pickler (with --only "
                             "exceptions: both)")
    parser.add_argument("--case", metavar="GLOB", help="only the cases whose id matches")
    parser.add_argument("--write", action="store_true", help="update the case files")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--only", choices=["streams", "globals", "exceptions"],
                        help="only the dump cases' streams, or only the load cases' "
                             "finds/calls (default: both); or only the exception type "
                             "the reject cases raise in every CPython 3.6-3.13")
    parser.add_argument("paths", nargs="*", help="case files or folders (default: the corpus)")
    args = parser.parse_args(argv)
    files = corpus.case_files(args.paths or None)
    if args.only == "exceptions":
        from .regen_exceptions import main as exceptions_main

        return exceptions_main(args, files)
    if not args.python or len(args.python) > 1 or not args.kind:
        parser.error("name one interpreter (--python) and a kind (--kind)")
    args.python = args.python[0]
    adapter = Adapter(worker_command(args.python, args.kind), timeout=args.timeout)
    regen = Regenerator(adapter, write=args.write, case_glob=args.case)
    recorder = Recorder(adapter, write=args.write, case_glob=args.case)
    try:
        regen.hello()
        recorder.hello()
        for path in files:
            loads = corpus.classification_of(path) not in ("dump", None)
            if not loads and args.only != "globals":
                regen.run_file(path)
            elif loads and args.only != "streams":
                recorder.run_file(path)
    except AdapterFailure as exc:
        sys.stderr.write("picklespec cases regen: %s: %s\n%s" % (args.python, exc, exc.stderr))
        return 2
    finally:
        adapter.close()
    counts = regen.counts
    written = " (written)" if args.write else ""
    if args.only != "globals":
        sys.stderr.write("%s: %d dump cases; %d streams as recorded, %d differ%s, %d cannot be "
                         "built, %d errors\n" % (regen.producer, counts["cases"], counts["same"],
                                                 counts["changed"], written,
                                                 counts["unavailable"], counts["errors"]))
    scans = recorder.counts
    if args.only != "streams":
        sys.stderr.write("%s: %d load cases; %d finds/calls as recorded, %d differ%s, %d errors\n"
                         % (recorder.producer, scans["cases"], scans["same"], scans["changed"],
                            written, scans["errors"]))
    if counts["errors"] or scans["errors"]:
        return 2
    return 1 if (counts["changed"] or scans["changed"]) and not args.write else 0
