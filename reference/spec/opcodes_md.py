"""The opcode reference document, written from the opcode table.

`render()` returns reference/OPCODES.md: every opcode with its code byte,
argument encoding, stack effect, protocol and meaning, then the argument
encodings and the stack entries they name.  Nothing in it is written by hand,
so it cannot drift from the table; a test checks the committed file is what
`render()` gives (`python -m picklespec.reference.spec > reference/OPCODES.md`
rewrites it).
"""

from .. import arguments, opcodes

_INTRO = """\
# The pickle opcodes

Generated from `reference/opcodes.py` by `python -m picklespec.reference.spec`;
do not edit by hand. Each opcode's full page -- its narrative, edge cases,
handler, cases and published conformance -- is in the spec site,
[reports/spec/](../reports/spec/index.html) (`picklespec spec DIR`).

A pickle is a program for a small stack machine: a *stack*, a *metastack* of
saved stacks (MARK pushes one; the opcodes that take a `stackslice` pop it), and
a *memo* from integer keys to objects. Each instruction is one opcode byte and
its argument, if it has one. Stack effects are written topmost last.
"""

_PROTOCOLS = {
    0: "Protocol 0: the original text format",
    1: "Protocol 1: binary forms",
    2: "Protocol 2 (Python 2.3, PEP 307): new-style classes, PROTO, extension codes",
    3: "Protocol 3 (Python 3.0): bytes",
    4: "Protocol 4 (Python 3.4, PEP 3154): framing, 8-byte sizes, sets, MEMOIZE",
    5: "Protocol 5 (Python 3.8, PEP 574): out-of-band buffers",
}


def _stack(entries):
    return ", ".join(e.name for e in entries) or "-"


def _code(op):
    printable = 32 < op.byte < 127 and op.code not in "|`"
    return "`0x%02x`%s" % (op.byte, " `%s`" % op.code if printable else "")


def render():
    out = [_INTRO]
    for proto, title in _PROTOCOLS.items():
        ops = [op for op in opcodes.opcodes if op.proto == proto]
        out.append("\n## %s\n\n%d opcodes.\n" % (title, len(ops)))
        out.append("| opcode | code | argument | stack before | stack after | meaning |")
        out.append("|---|---|---|---|---|---|")
        for op in ops:
            arg = "[`%s`](#%s)" % (op.arg.name, op.arg.name) if op.arg else "-"
            out.append("| [`%s`](../reports/spec/opcodes/%s.html) | %s | %s | %s | %s | %s |" % (
                op.name, op.name, _code(op), arg, _stack(op.before), _stack(op.after), op.doc))
    out.append("\n## Argument encodings\n")
    out.append("| encoding | size | layout |")
    out.append("|---|---|---|")
    sizes = {arguments.UP_TO_NEWLINE: "to a newline",
             arguments.TAKEN_FROM_ARGUMENT1: "1 + n",
             arguments.TAKEN_FROM_ARGUMENT4: "4 + n",
             arguments.TAKEN_FROM_ARGUMENT4U: "4 + n",
             arguments.TAKEN_FROM_ARGUMENT8U: "8 + n"}
    for arg in arguments.ALL:
        size = sizes.get(arg.n, str(arg.n))
        out.append('| <a id="%s"></a>`%s` | %s | %s |' % (arg.name, arg.name, size, arg.doc))
    out.append("\n## Stack entries\n")
    out.append("| entry | what it is |")
    out.append("|---|---|")
    seen = []
    for op in opcodes.opcodes:
        for entry in op.before + op.after:
            if entry not in seen:
                seen.append(entry)
    for entry in seen:
        out.append("| `%s` | %s |" % (entry.name, entry.doc))
    return "\n".join(out) + "\n"


