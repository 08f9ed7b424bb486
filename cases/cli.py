"""``picklespec cases``: check the corpus, report its coverage, regenerate streams.

    picklespec cases check [PATHS...]       every problem, one per line; exit 1 if any
    picklespec cases coverage [--strict]    cases per opcode and per protocol
    picklespec cases regen --python PATH --kind c|py [--case GLOB] [--write]
    picklespec cases regen --only exceptions [--python PATH...] [--write]
    picklespec cases export DIR             the corpus as .pkl and tagged-JSON files
    picklespec cases list [-k EXPR] [--kind KIND] [--case GLOB]   the cases a selection chooses
    picklespec cases show ID                its source, streams, expected value, known outcomes

Problems print as ``FILE:LINE: FIELD: message``, so editors jump to them.
"""

import argparse
import os
import sys

__all__ = ["main"]


def check_main(argv):
    from .corpus import load_corpus

    parser = argparse.ArgumentParser(prog="picklespec cases check",
                                     description="Check case files against the case format.")
    parser.add_argument("paths", nargs="*", help="case files or folders (default: the corpus)")
    args = parser.parse_args(argv)
    corpus = load_corpus(args.paths or None)
    for problem in corpus.problems:
        sys.stdout.write("%s\n" % problem)
    if corpus.problems:
        sys.stdout.write("%d problems in %d files\n" % (
            len(corpus.problems), len({p.file for p in corpus.problems})))
        return 1
    counts = {}
    for case in corpus.cases:
        counts[case.classification] = counts.get(case.classification, 0) + 1
    sys.stdout.write("%d cases in %d files, no problems (%s)\n" % (
        len(corpus.cases), len(corpus.files),
        ", ".join("%d %s" % (n, kind) for kind, n in sorted(counts.items()))))
    return 0


def coverage_main(argv):
    from .corpus import load_corpus
    from .coverage import coverage, format_report

    parser = argparse.ArgumentParser(prog="picklespec cases coverage",
                                     description="Count the cases that touch each opcode "
                                                 "and each protocol.")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 if an opcode has too few accept or reject cases")
    parser.add_argument("paths", nargs="*", help="case files or folders (default: the corpus)")
    args = parser.parse_args(argv)
    corpus = load_corpus(args.paths or None)
    for problem in corpus.problems:
        sys.stderr.write("%s\n" % problem)
    result = coverage(corpus)
    sys.stdout.write(format_report(result))
    return 1 if args.strict and result.short() else 0


def regen_main(argv):
    from .regen import main as regen

    return regen(argv)


def export_main(argv):
    from .corpus import load_corpus
    from .export import export_files, write_export

    parser = argparse.ArgumentParser(prog="picklespec cases export",
                                     description="Write the corpus as plain files: a .pkl and a "
                                                 "tagged-JSON .json per stream, and a manifest "
                                                 "(cases/README.md, The export).")
    parser.add_argument("directory", help="where to write it (the published copy: cases/export)")
    args = parser.parse_args(argv)
    if os.path.exists(args.directory) and not os.path.isdir(args.directory):
        sys.stderr.write("picklespec cases export: cannot write %s: not a directory\n"
                         % args.directory)
        return 1
    corpus = load_corpus()
    if corpus.problems:
        for problem in corpus.problems:
            sys.stderr.write("%s\n" % problem)
        sys.stderr.write("picklespec cases export: the corpus has %d problems; nothing written "
                         "(picklespec cases check)\n" % len(corpus.problems))
        return 1
    files = export_files(corpus)
    try:
        write_export(args.directory, files)
    except OSError as exc:
        sys.stderr.write("picklespec cases export: cannot write %s: %s\n"
                         % (exc.filename or args.directory, exc.strerror))
        return 1
    streams = sum(1 for name in files if name.endswith(".json") and "/" in name
                  and not name.startswith("schema/"))
    sys.stdout.write("%d cases, %d streams, %d files written to %s\n" % (
        len(corpus.cases), streams, len(files), args.directory))
    return 0


def list_main(argv):
    from .show import list_main as list_cases

    return list_cases(argv)


def show_main(argv):
    from .show import show_main as show_case

    return show_case(argv)


COMMANDS = {"check": check_main, "coverage": coverage_main, "regen": regen_main,
            "export": export_main, "list": list_main, "show": show_main}


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write("usage:\n" + __doc__.split("\n\n", 1)[1])
        return 0 if argv else 2
    command = COMMANDS.get(argv[0])
    if command is None:
        sys.stderr.write("picklespec cases: unknown command %r (%s)\n"
                         % (argv[0], ", ".join(COMMANDS)))
        return 2
    return command(list(argv[1:]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
