"""The `picklespec` command.

Each subcommand is a ``main(argv) -> int`` function in the module that owns
the capability; this module only finds it, so ``picklespec --help`` stays
cheap and a subcommand's imports are paid only when it runs.  Exit status:
0 success, 1 a finding (non-conformance, a broken case), 2 a usage error.
"""

import importlib
import sys

from . import stopping

# name -> (module, function, one-line help)
COMMANDS = {
    "run": ("picklespec.runner.run", "main", "check targets against the case corpus"),
    "targets": ("picklespec.runner.targets", "main", "list the interpreters found on this machine"),
    "adapters": ("picklespec.runner.catalog", "main", "list or install the third-party library adapters"),
    "cases": ("picklespec.cases.cli", "main", "check the corpus, report coverage, regenerate expectations"),
    "dis": ("picklespec.runner.cli", "dis_main", "disassemble a pickle into assembly text"),
    "asm": ("picklespec.runner.cli", "asm_main", "assemble assembly text into a pickle"),
    "bench": ("picklespec.reference.bench", "main", "time the reference against the standard library"),
    "spec": ("picklespec.reference.spec.site", "main", "write the specification as a static web site"),
    "fuzz": ("picklespec.runner.fuzz", "main", "differential fuzzing of targets; disagreements as cases"),
}

USAGE = "usage: picklespec [--version] COMMAND [ARGS...]\n\ncommands:\n" + "".join(
    "  %-9s %s\n" % (name, spec[2]) for name, spec in COMMANDS.items()
)


def version():
    """The installed distribution's version, from its metadata."""
    from importlib import metadata

    try:
        return metadata.version("picklespec")
    except metadata.PackageNotFoundError:
        return "unknown (picklespec is not installed)"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if argv else 2
    if argv[0] == "--version":
        sys.stdout.write("picklespec %s\n" % version())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        sys.stderr.write("picklespec: unknown command %r\n\n%s" % (name, USAGE))
        return 2
    module, func, _ = COMMANDS[name]
    stopping.catch_sigterm()  # SIGTERM stops a command as Ctrl-C does
    try:
        return getattr(importlib.import_module(module), func)(rest) or 0
    except KeyboardInterrupt:
        sys.stderr.write("picklespec %s: interrupted\n" % name)
        return stopping.status()


def _read_input(path):
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as f:
        return f.read()


def _write_output(path, data):
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        with open(path, "wb") as f:
            f.write(data)


def dis_main(argv):
    import argparse

    from picklespec.reference.asm import disassemble

    parser = argparse.ArgumentParser(
        prog="picklespec dis",
        description="Disassemble a pickle into picklespec assembly text.  Exits 1, "
                    "naming the offset, when the pickle is truncated or malformed "
                    "(after printing what could be read).")
    parser.add_argument("file", help="the pickle ('-' for standard input)")
    parser.add_argument("--no-offsets", action="store_true", help="omit byte offsets")
    parser.add_argument("--no-indent", action="store_true", help="do not indent inside MARKs")
    args = parser.parse_args(argv)
    try:
        data = _read_input(args.file)
    except OSError as exc:
        sys.stderr.write("picklespec dis: %s: %s\n" % (args.file, exc.strerror))
        return 2
    sys.stdout.write(disassemble(data, offsets=not args.no_offsets, indent=not args.no_indent))
    fault = stream_fault(data)
    if fault is not None:
        sys.stdout.flush()
        sys.stderr.write("picklespec dis: %s: offset %d: %s\n" % (args.file, fault[0], fault[1]))
        return 1
    return 0


def stream_fault(data):
    """(offset, message) for the first thing that keeps `data` from being a
    whole pickle, or None.

    Only what reading the opcodes shows: an unknown opcode byte, an argument
    cut short or undecodable, a stream that ends before its STOP.  Bytes after
    the STOP are no fault (every CPython unpickler ignores them), and what
    only running the machine finds (a stack underflow, a memo miss) is not
    looked for.
    """
    from picklespec.reference.asm import read_instructions

    if not data:
        return 0, "empty input: no pickle (a pickle ends with STOP)"
    last = None
    for ins in read_instructions(data):
        if ins.op is None:
            if last is not None and last.op is not None and last.op.name == "STOP":
                break  # trailing bytes after a whole pickle
            return ins.offset, ins.error
        if ins.error is not None:
            return ins.offset, "%s: %s" % (ins.op.name, ins.error)
        last = ins
    if last is None or last.op.name != "STOP":
        return len(data), "truncated: the pickle ends without a STOP"
    return None


def asm_main(argv):
    import argparse

    from picklespec.reference.asm import AssemblyError, assemble

    parser = argparse.ArgumentParser(prog="picklespec asm",
                                     description="Assemble picklespec assembly text into a pickle.")
    parser.add_argument("file", help="the assembly text ('-' for standard input)")
    parser.add_argument("-o", "--output", default="-", help="where to write the pickle (default: stdout)")
    args = parser.parse_args(argv)
    try:
        text = _read_input(args.file).decode("utf-8")
    except OSError as exc:
        sys.stderr.write("picklespec asm: %s: %s\n" % (args.file, exc.strerror))
        return 2
    except UnicodeDecodeError as exc:
        sys.stderr.write("picklespec asm: %s: not UTF-8 text (byte %d)\n" % (args.file, exc.start))
        return 1
    try:
        data = assemble(text)
    except AssemblyError as exc:
        sys.stderr.write("picklespec asm: %s: %s\n" % (args.file, exc))
        return 1
    _write_output(args.output, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
