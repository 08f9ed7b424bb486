"""The specification's prose: one narrative per opcode, one per topic.

Theory of operation
-------------------
The opcode table (`picklespec.reference.opcodes`) says what each opcode is in
one row; what a reader also needs -- when CPython writes it, its argument
with byte examples, its edge cases and what each CPython does with them, the
tracker history -- is prose, kept as data next to this module and keyed by
the opcode's name, as the table's rows are:

    opcodes/NAME.md    one per opcode of the table, NAME as the table spells it
    topics/NAME.md     one per topic in `TOPICS`, in that order

A text's first line is its title (``# ...``), the rest the body in the
Markdown subset `markup` reads.  `read_texts` reads them all and returns the
problems it found -- a table opcode without its narrative, a narrative whose
file names no opcode of the table, a topic file not in `TOPICS` or missing,
an empty text -- so a test can hold the texts to the table.
"""

import os

from .. import opcodes

__all__ = ["TEXTS_DIR", "TOPICS", "Text", "read_texts", "problems"]

TEXTS_DIR = os.path.dirname(os.path.abspath(__file__))

# The topic pages, in reading order: file name -> short title for the index.
TOPICS = {
    "framing": "Framing",
    "memo": "The memo",
    "reduce": "The reduce protocol",
    "persistent-ids": "Persistent ids",
    "buffers": "Out-of-band buffers",
    "python2": "Python 2 compatibility",
    "security": "Security differentials",
}


class Text:
    """One narrative: its name, title, Markdown body and file."""

    __slots__ = ("name", "title", "body", "file")

    def __init__(self, name, title, body, file):
        self.name = name
        self.title = title
        self.body = body
        self.file = file


def _read(folder, name):
    path = os.path.join(TEXTS_DIR, folder, name + ".md")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    first, _, body = text.partition("\n")
    title = first[2:].strip() if first.startswith("# ") else None
    return Text(name, title, body.strip() + "\n", "reference/spec/%s/%s.md" % (folder, name))


def _names(folder):
    path = os.path.join(TEXTS_DIR, folder)
    if not os.path.isdir(path):
        return []
    return sorted(f[:-3] for f in os.listdir(path) if f.endswith(".md"))


def problems():
    """What is wrong with the texts, one line each (empty when all is well)."""
    found = []
    have = set(_names("opcodes"))
    for op in opcodes.opcodes:
        if op.name not in have:
            found.append("opcodes/%s.md: missing (every opcode of the table has a narrative)"
                         % op.name)
    for name in sorted(have - set(opcodes.by_name)):
        found.append("opcodes/%s.md: names no opcode of the table" % name)
    topics = set(_names("topics"))
    for name in TOPICS:
        if name not in topics:
            found.append("topics/%s.md: missing" % name)
    for name in sorted(topics - set(TOPICS)):
        found.append("topics/%s.md: not a topic (TOPICS lists them)" % name)
    for folder, names in (("opcodes", sorted(have & set(opcodes.by_name))),
                          ("topics", sorted(topics & set(TOPICS)))):
        for name in names:
            text = _read(folder, name)
            if text.title is None:
                found.append("%s: the first line must be its '# title'" % text.file)
            elif not text.body.strip():
                found.append("%s: empty" % text.file)
    return found


def read_texts():
    """(opcode texts by name, topic texts by name); raises ValueError listing
    every problem when the texts do not match the table."""
    found = problems()
    if found:
        raise ValueError("the specification's texts do not match the opcode table:\n  "
                         + "\n  ".join(found))
    ops = {op.name: _read("opcodes", op.name) for op in opcodes.opcodes}
    topics = {name: _read("topics", name) for name in TOPICS}
    return ops, topics
