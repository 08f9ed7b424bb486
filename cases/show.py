"""``picklespec cases list`` and ``picklespec cases show``: the corpus read
one case at a time, in a terminal.

Theory of operation
-------------------
`list_main` prints one line per case chosen as ``picklespec run`` chooses
them (cases/selection.py: ``--case GLOB``, ``-k EXPR``, ``--kind``): id,
kind, file and line, title.

`show_main` prints everything known about one case (by id or alias):

- where it is and what it is about (title, tags, note, refs);
- its YAML source, cut from its file between its own ``- id:`` line and the
  next case's;
- each stream as hex and as disassembly (reference/asm.py), per protocol
  and producer for a dump case;
- what is expected: the object (dump cases, accept cases), a clean
  rejection (reject cases), the allowed outcomes (implementation-defined);
- its known outcome per target: the cells of the published run
  (reports/known, shipped as ``picklespec.known``) that did not conform,
  and how many targets that run had.  The published run records failures
  only, so every other target conformed or was not judged there.

The published run is read by reference/spec/conformance.py, the same
reader the spec site uses, so the two never disagree.
"""

import argparse
import os
import sys

from .selection import KINDS, SelectionError, case_file, select

__all__ = ["list_main", "show_main", "source_lines", "hex_lines", "show"]

HEX_WIDTH = 16
MAX_DIS_LINES = 200


def _corpus(paths, command):
    from .corpus import load_corpus

    corpus = load_corpus(paths or None)
    for problem in corpus.problems:
        sys.stderr.write("%s\n" % problem)
    if corpus.problems:
        sys.stderr.write("picklespec cases %s: the corpus has %d problems (above)\n"
                         % (command, len(corpus.problems)))
        return None
    return corpus


def list_main(argv):
    parser = argparse.ArgumentParser(prog="picklespec cases list",
                                     description="List the cases, or those a selection chooses "
                                                 "(as picklespec run chooses them).")
    parser.add_argument("-k", dest="keyword", metavar="EXPR",
                        help="words matched against the id, title, tags, opcode names and file, "
                             "with and/or/not, as pytest's -k")
    parser.add_argument("--case", action="append", metavar="GLOB", help="ids matching GLOB (repeatable)")
    parser.add_argument("--kind", action="append", choices=KINDS, metavar="KIND",
                        help="cases of this kind: %s (repeatable)" % ", ".join(KINDS))
    parser.add_argument("--corpus", action="append", metavar="PATH",
                        help="case files or folders instead of the installed corpus")
    args = parser.parse_args(argv)
    corpus = _corpus(args.corpus, "list")
    if corpus is None:
        return 1
    try:
        cases = select(corpus.cases, args.case or (), args.keyword, args.kind or ())
    except SelectionError as exc:
        sys.stderr.write("picklespec cases list: %s\n" % exc)
        return 2
    width = max([len(c.id) for c in cases] + [2])
    for case in cases:
        sys.stdout.write("%-*s  %-22s  %s:%s  %s\n" % (width, case.id, case.classification,
                                                      case_file(case), case.line, case.title or ""))
    sys.stdout.write("%d of %d cases\n" % (len(cases), len(corpus.cases)))
    return 0 if cases else 1


def show_main(argv):
    parser = argparse.ArgumentParser(prog="picklespec cases show",
                                     description="Everything about one case: its source, streams "
                                                 "(hex and disassembly), what is expected, and its "
                                                 "outcome per target in the published run.")
    parser.add_argument("id", help="the case id (or an alias)")
    parser.add_argument("--corpus", action="append", metavar="PATH",
                        help="case files or folders instead of the installed corpus")
    args = parser.parse_args(argv)
    corpus = _corpus(args.corpus, "show")
    if corpus is None:
        return 1
    try:
        case = corpus.by_id(args.id)
    except KeyError:
        near = [c.id for c in corpus.cases if args.id.lower() in c.id.lower()][:10]
        sys.stderr.write("picklespec cases show: no case %r%s\n" % (
            args.id, "; ids containing it: " + ", ".join(near) if near else
            " (picklespec cases list -k WORD finds one)"))
        return 2
    sys.stdout.write(show(case, corpus, _published()))
    return 0


def _published():
    """The published run (reports/known, shipped as picklespec.known), or None."""
    from picklespec import known
    from picklespec.reference.spec.conformance import KnownError, read_published

    if not os.path.exists(known.path("baseline.json")):
        return None
    try:
        return read_published(known.FOLDER, shown_as=known.path("baseline.json"))
    except KnownError:
        return None


def source_lines(case, corpus):
    """The case's YAML text: its lines from its own start to the next case's."""
    with open(case.file, encoding="utf-8") as f:
        lines = f.read().splitlines()
    later = [c.line for c in corpus.cases if c.file == case.file and c.line > case.line]
    end = min(later) - 1 if later else len(lines)
    chunk = lines[case.line - 1:end]
    while chunk and not chunk[-1].strip():
        chunk.pop()
    return chunk


def hex_lines(data):
    """The bytes, HEX_WIDTH a line, each line with its offset."""
    width = len("%x" % max(len(data) - 1, 0))
    return ["%0*x: %s" % (width, i, data[i:i + HEX_WIDTH].hex(" "))
            for i in range(0, len(data), HEX_WIDTH)] or ["(empty)"]


def _stream(data, label):
    from picklespec.reference.asm import disassemble

    out = ["", label + ":", "  hex:"]
    out += ["    " + line for line in hex_lines(data)]
    dis = disassemble(data, offsets=True).splitlines()
    out.append("  disassembly:")
    out += ["    " + line for line in dis[:MAX_DIS_LINES]]
    if len(dis) > MAX_DIS_LINES:
        out.append("    ... %d more instructions" % (len(dis) - MAX_DIS_LINES))
    return out


def _object(value):
    from .notation import dump_object

    return ["    " + line for line in dump_object(value).rstrip("\n").splitlines()]


def _expected(case):
    out = [""]
    if case.classification == "dump":
        out.append("expected: the object, which each stream above loads back to:")
        out += _object(case.object)
    elif case.classification == "accept":
        out.append("expected: the stream loads to")
        out += _object(case.result)
    elif case.classification == "reject":
        out.append("expected: a clean rejection%s%s" % (
            " (%s)" % case.failure if case.failure else "",
            "; every CPython 3 raises %s" % case.exception if case.exception else ""))
    else:
        out.append("expected: one of the allowed outcomes:")
        for outcome in case.outcomes:
            seen = " (seen: %s)" % ", ".join(str(s) for s in outcome.seen) if outcome.seen else ""
            if outcome.accepts:
                out.append("  loads to%s:" % seen)
                out += _object(outcome.result)
            else:
                out.append("  rejected (%s)%s" % (outcome.reject or "", seen))
    return out


def _known(case, published):
    out = [""]
    if published is None:
        return out + ["known outcome per target: no published run is installed"]
    cells = published.failures.get(case.id, [])
    names = published.target_names()
    out.append("known outcome per target, in the published run (%s; %d targets):" % (
        published.folder, len(names)))
    for cell in cells:
        out.append("  %-22s %-4s %-15s %s%s" % (
            cell.target, "p%d" % cell.protocol if cell.protocol is not None else "-", cell.check,
            cell.outcome, " (from %s)" % cell.producers if cell.producers else ""))
    failing = {c.target for c in cells}
    rest = [n for n in names if n not in failing]
    if cells:
        out.append("  the other %d targets: conformed or were not judged" % len(rest))
    else:
        out.append("  no failing cell: every target conformed or was not judged "
                   "(or the case is newer than the run)")
    return out


def show(case, corpus, published=None):
    """The text `picklespec cases show` prints for a case."""
    out = ["%s (%s)" % (case.id, case.classification),
           "file: %s:%s" % (case.file, case.line)]
    if case.title:
        out.append("title: %s" % case.title)
    if case.aliases:
        out.append("aliases: %s" % ", ".join(case.aliases))
    out.append("tags: %s" % ", ".join(case.tags))
    if case.refs:
        out.append("refs: %s" % ", ".join(case.refs))
    if case.note:
        out.append("note: %s" % " ".join(case.note.split()))
    out += ["", "source:"] + ["  " + line for line in source_lines(case, corpus)]
    if case.classification == "dump":
        for protocol in sorted(case.streams):
            for variant in case.streams[protocol]:
                label = "protocol %d, written by %s" % (protocol, variant.producer_text)
                if variant.fails or variant.stream is None:
                    out += ["", label + ": cannot pickle it"]
                    continue
                out += _stream(variant.stream, label + ("" if variant.loads else " (does not load back)"))
    elif case.data is not None:
        out += _stream(case.data, "stream (protocol %s)" % case.protocol)
    out += _expected(case)
    out += _known(case, published)
    return "\n".join(out) + "\n"
