"""Assembly text for opcode streams: disassemble bytes, assemble text.

Theory of operation
-------------------
One opcode per line: its name from the table, then its argument, if it has one::

    PROTO 4
    FRAME 17
    SHORT_BINUNICODE 'caf\u00e9'
    MEMOIZE
    INT 010            # text arguments are shown as the text of the line
    GLOBAL builtins list
    BINUNICODE raw=b'\\x02\\x00\\x00\\x00\\xff\\xfe'
    RAW b'\\xff'         # bytes copied verbatim
    STOP

How an argument is written depends on its encoding (`arguments`):

- integers (uint1 ... uint8, int4, long1, long4): decimal, ``-12``;
- floats (float8): repr(), or ``nan``, ``inf``, ``-inf``;
- byte strings (string1/4, bytes1/4/8, bytearray8): a Python bytes literal;
- UTF-8 strings (unicodestring1/4/8): a Python str literal;
- text lines (the ``nl`` encodings): the text of the line itself, unquoted,
  without its newline (``GLOBAL`` and ``INST`` put their two lines on one,
  separated by a space).

Any argument may instead be written ``raw=b'...'``: the exact bytes that follow
the opcode byte (newlines included).  The disassembler uses that form whenever
the ordinary one would not write back the same bytes -- a non-minimal LONG1,
invalid UTF-8, a NaN with a payload, text with a '#', a non-printable byte or
edge spaces -- so ``assemble(disassemble(b)) == b`` for every byte string, well
formed or not.  ``RAW b'...'`` lines hold bytes that are no opcode at all (an
unknown opcode byte, an argument cut short by the end of input, trailing
garbage); with them, malformed streams are written in the same notation.

Comments run from ``#`` to the end of a line; a leading ``N:`` (an offset, as
the disassembler prints with ``offsets=True``) and indentation are ignored.
"""

import ast
import io
import re
import tokenize

from . import arguments as A
from .errors import UnpicklingError
from .opcodes import by_code, by_name, markobject

__all__ = ["Instruction", "read_instructions", "disassemble", "annotations", "assemble", "AssemblyError"]


class AssemblyError(ValueError):
    """Assembly text that cannot be assembled; says which line and why."""

    def __init__(self, message, line=None, text=None):
        self.message = message
        self.line = line
        self.text = text
        where = "line %d: " % line if line is not None else ""
        super().__init__(where + message + ("\n    %s" % text.strip() if text else ""))


class Instruction:
    """One opcode as found in a stream: where, which, its argument, its bytes.

    `op` is None for a RAW run of bytes that is no opcode; `value` is the
    decoded argument, or None when it has none or could not be decoded (then
    `error` says why).
    """

    __slots__ = ("offset", "op", "value", "raw", "error")

    def __init__(self, offset, op, value, raw, error=None):
        self.offset = offset
        self.op = op
        self.value = value
        self.raw = raw
        self.error = error

    def __repr__(self):
        name = self.op.name if self.op else "RAW"
        return "<Instruction %d %s %r>" % (self.offset, name, self.value)


def read_instructions(data, pos=0):
    """Every instruction in data, in order, without executing anything.

    Never raises on malformed input: an unknown opcode byte, or an argument cut
    short by the end of the input, turns the rest into one RAW instruction
    whose `error` says what was wrong.  Bytes after a STOP continue as opcodes
    if they make a well-formed stream up to a STOP of their own (several
    pickles written one after another), and are one RAW instruction otherwise.
    """
    data = bytes(data)
    out = []
    while pos < len(data):
        segment, pos, complete = _read_segment(data, pos)
        if not complete and out:
            # Trailing bytes after a STOP that are not a pickle of their own.
            start = segment[0].offset
            out.append(Instruction(start, None, None, data[start:], "trailing bytes after STOP"))
            break
        out.extend(segment)
    return out


def _read_segment(data, pos):
    """Instructions up to and including a STOP; (list, end, ended_cleanly)."""
    out = []
    while pos < len(data):
        op = by_code.get(data[pos])
        if op is None:
            out.append(Instruction(pos, None, None, data[pos:],
                                   "unknown opcode byte 0x%02x" % data[pos]))
            return out, len(data), False
        start = pos
        value = error = None
        if op.arg is not None:
            try:
                end = op.arg.span(data, pos + 1)
            except UnpicklingError as exc:
                out.append(Instruction(start, None, None, data[start:],
                                       "%s argument: %s" % (op.name, exc.message)))
                return out, len(data), False
            try:
                value, _ = op.arg.read(data, pos + 1)
            except UnpicklingError as exc:
                error = exc.message
            pos = end
        else:
            pos += 1
        out.append(Instruction(start, op, value, data[start:pos], error))
        if op.name == "STOP":
            return out, pos, True
    return out, pos, False


# -- how each argument encoding is written in text ---------------------------

_INTS = {A.uint1, A.uint2, A.int4, A.uint4, A.uint8, A.long1, A.long4}
_BYTES = {A.string1, A.string4, A.bytes1, A.bytes4, A.bytes8, A.bytearray8}
_STRS = {A.unicodestring1, A.unicodestring4, A.unicodestring8}
_TEXTS = {A.decimalnl_short, A.decimalnl_long, A.floatnl, A.stringnl,
          A.stringnl_noescape, A.stringnl_noescape_pair, A.unicodestringnl}
_SAFE_TEXT = re.compile(r"[!-\"$-~](?:[ -\"$-~]*[!-\"$-~])?\Z")  # printable, no '#', no edge space


def format_argument(arg, value):
    """The text for a decoded argument value, or None if it has no ordinary form."""
    if arg in _INTS:
        return str(value)
    if arg is A.float8:
        if value != value:
            # Only the NaN that float("nan") packs to; others keep their bits.
            return "nan" if arg.write(value) == arg.write(float("nan")) else None
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if arg in _BYTES:
        return repr(bytes(value))
    if arg in _STRS:
        return repr(value)
    if _SAFE_TEXT.match(value) and not value.startswith("raw="):
        return value
    return None


def parse_argument(arg, text):
    """The argument bytes for the text of one argument (the inverse of format)."""
    if text.startswith("raw="):
        raw = _literal(text[4:], bytes, "raw= needs a bytes literal")
        return raw
    if arg in _TEXTS:
        value = text  # GLOBAL's two words, or a line outside latin-1, can fail
    elif arg is A.float8 and text in ("nan", "inf", "-inf"):
        value = float(text)
    else:
        kind = int if arg in _INTS else float if arg is A.float8 else bytes if arg in _BYTES else str
        value = _literal(text, kind, "%s needs %s" % (arg.name, _KIND_WORDS[kind]))
        if kind is bytes and arg is A.bytearray8:
            value = bytearray(value)
    try:
        return arg.write(value)
    except (ValueError, OverflowError) as exc:
        raise AssemblyError(str(exc)) from None


_KIND_WORDS = {int: "an integer", float: "a float", bytes: "a bytes literal", str: "a str literal"}


def _literal(text, kind, message):
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise AssemblyError("%s, got %s" % (message, text)) from None
    if kind is float and type(value) is int:
        value = float(value)
    if type(value) is not kind:
        raise AssemblyError("%s, got %s" % (message, text))
    return value


# -- disassembly -------------------------------------------------------------


def disassemble(data, offsets=False, indent=True, annotate=False):
    """The assembly text for a byte string (any byte string: see the module doc).

    `offsets` prefixes each line with its byte offset; `indent` indents the
    opcodes inside a MARK, as pickletools.dis does, by what the table says
    each opcode does to the mark stack.  `annotate` adds pickletools.dis's
    annotations as comments, so the text still assembles (`annotations`).
    """
    lines = []
    depth = 0
    width = len(str(len(data)))
    instructions = read_instructions(data)
    notes = annotations(instructions) if annotate else {}
    for ins in instructions:
        op = ins.op
        if op is not None and markobject in op.before:
            depth = max(depth - 1, 0)
        text = _instruction_text(ins)
        if ins.offset in notes:
            text += "  # " + notes[ins.offset]
        if indent:
            text = "  " * depth + text
        if offsets:
            text = "%*d: %s" % (width, ins.offset, text)
        lines.append(text)
        if op is not None and markobject in op.after:
            depth += 1
    if annotate and any(ins.op is not None for ins in instructions):
        lines.append("# highest protocol among opcodes = %d"
                     % max(ins.op.proto for ins in instructions if ins.op is not None))
    return "\n".join(lines) + ("\n" if lines else "")


_PUTS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})


def annotations(instructions):
    """Offset -> the note pickletools.dis prints for that instruction.

    - MEMOIZE: ``(as N)``, the memo index it stores under: the number of
      memo entries written before it, PUTs included, as the unpickler counts;
    - an opcode that pops a mark: ``(MARK at N)``, the offset of its MARK,
      or ``(no MARK to pop)`` when none is open.
    """
    notes = {}
    memo = set()
    marks = []
    for ins in instructions:
        op = ins.op
        if op is None:
            continue
        if op.name in _PUTS and ins.error is None:
            memo.add(ins.value)
        elif op.name == "MEMOIZE":
            notes[ins.offset] = "(as %d)" % len(memo)
            memo.add(len(memo))
        if markobject in op.before:
            notes[ins.offset] = "(MARK at %d)" % marks.pop() if marks else "(no MARK to pop)"
        if markobject in op.after:
            marks.append(ins.offset)
    return notes


def _instruction_text(ins):
    if ins.op is None:
        return "RAW %r  # %s" % (ins.raw, ins.error)
    if ins.op.arg is None:
        return ins.op.name
    body = ins.raw[1:]
    shown = None
    if ins.error is None:
        shown = format_argument(ins.op.arg, ins.value)
        if shown is not None and ins.op.arg.write(ins.value) != body:
            shown = None  # not the canonical form: show the bytes
    if shown is None:
        note = "  # %s" % ins.error if ins.error else ""
        return "%s raw=%r%s" % (ins.op.name, body, note)
    return "%s %s" % (ins.op.name, shown)


# -- assembly ----------------------------------------------------------------

_OFFSET = re.compile(r"\s*\d+:")


def assemble(text):
    """The bytes for assembly text; raises AssemblyError naming the line."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            out.append(_assemble_line(line))
        except AssemblyError as exc:
            raise AssemblyError(exc.message, number, line) from None
    return b"".join(out)


def _assemble_line(line):
    m = _OFFSET.match(line)
    body = line[m.end():] if m else line
    body = body.strip()
    if not body or body.startswith("#"):
        return b""
    name, _, rest = body.partition(" ")
    name = name.strip()
    rest = rest.strip()
    if name == "RAW":
        return _literal(_strip_comment_literal(rest), bytes, "RAW needs a bytes literal")
    op = by_name.get(name)
    if op is None:
        raise AssemblyError("unknown opcode %r" % name)
    if op.arg is None:
        if rest and not rest.startswith("#"):
            raise AssemblyError("%s takes no argument" % name)
        return op.code.encode("latin-1")
    if op.arg in _TEXTS and not rest.startswith("raw="):
        arg_text = rest.split("#", 1)[0].strip()
    else:
        arg_text = _strip_comment_literal(rest)
    if not arg_text:
        raise AssemblyError("%s needs an argument (%s)" % (name, op.arg.name))
    return op.code.encode("latin-1") + parse_argument(op.arg, arg_text)


def _strip_comment_literal(text):
    """Text up to a comment, where '#' may sit inside a quoted literal."""
    if "#" not in text:
        return text.strip()
    try:
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        for tok in tokens:
            if tok.type == tokenize.COMMENT:
                return text[: tok.start[1]].strip()
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return text.strip()
