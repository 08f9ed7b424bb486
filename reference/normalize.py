"""Stream normalisation: the opcode stream of a pickle with memo bookkeeping
and framing set aside, as text, for judging two streams equivalent.

Two picklers that build the same object graph may number their memo
entries differently, store entries nothing fetches, and cut frames in other
places; `normalize` writes what is left -- the opcodes and their arguments,
in order, one per line as `asm` writes them -- so two such streams give the
same text.  It reads streams with `asm.read_instructions` and writes
arguments with `asm.format_argument`, and never raises on malformed input.
"""

import functools

from . import asm

__all__ = ["normalize"]

_PUTS = {"PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"}
_GETS = {"GET", "BINGET", "LONG_BINGET"}


@functools.lru_cache(maxsize=8192)
def normalize(data):
    """The opcode stream of data as text, memo bookkeeping and framing aside.

    FRAMEs go (PEP 3154: framing changes how a stream is read, not what it
    builds).  Memo stores -- PUT, BINPUT, LONG_BINPUT, MEMOIZE -- become
    ``MEMOIZE n`` with n counting only the stores some later fetch uses, in
    stream order, and fetches -- GET, BINGET, LONG_BINGET -- become ``GET n``
    for the store they fetch; a store nothing fetches is dropped (Python 2's
    cPickle writes none for objects referred to once, pickle.py one for
    each).  Everything else is compared as written.
    """
    instructions = asm.read_instructions(bytes(data))
    used = {}  # position of a store -> its new number
    fetches = {}  # position of a fetch -> position of the store it fetches
    latest = {}  # memo index -> position of the store that set it
    memo = set()
    for pos, ins in enumerate(instructions):
        name = ins.op.name if ins.op is not None else None
        if name in _PUTS:
            index = len(memo) if name == "MEMOIZE" else _memo_index(ins)
            if index is not None:
                memo.add(index)
                latest[index] = pos
        elif name in _GETS:
            store = latest.get(_memo_index(ins))
            if store is not None:
                fetches[pos] = store
                used.setdefault(store, None)
    for number, store in enumerate(sorted(used)):
        used[store] = number
    lines = []
    for pos, ins in enumerate(instructions):
        name = ins.op.name if ins.op is not None else None
        if name == "FRAME":
            continue
        if name == "MEMOIZE" or name in _PUTS and _memo_index(ins) is not None:
            if pos in used:
                lines.append("memo-store %d" % used[pos])
        elif name in _GETS and pos in fetches:
            lines.append("memo-fetch %d" % used[fetches[pos]])
        else:
            lines.append(_instruction_text(ins))
    return "\n".join(lines) + ("\n" if lines else "")


def _memo_index(ins):
    if ins.error is not None or ins.value is None:
        return None
    if isinstance(ins.value, int):
        return ins.value
    try:
        return int(ins.value)  # PUT/GET: decimal text
    except ValueError:
        return None


def _instruction_text(ins):
    if ins.op is None:
        return "RAW %r" % ins.raw
    if ins.op.arg is None:
        return ins.op.name
    body = ins.raw[1:]
    shown = asm.format_argument(ins.op.arg, ins.value) if ins.error is None else None
    if shown is None or ins.op.arg.write(ins.value) != body:
        return "%s raw=%r" % (ins.op.name, body)
    return "%s %s" % (ins.op.name, shown)
