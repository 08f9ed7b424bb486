"""picklespec.reference.spec: the specification, as documents.

- `opcodes_md`: reference/OPCODES.md, one table of the opcodes, written from
  the opcode table (``python -m picklespec.reference.spec``);
- `texts`: the prose, one narrative per opcode (opcodes/NAME.md) and per
  topic (topics/NAME.md), kept as data keyed by the opcode's name;
- `markup`: the Markdown subset those texts are written in, to HTML;
- `conformance`: the published run of reports/known, per case;
- `handlers`: the reference unpickler's handler of each opcode, as source;
- `site`: the static web site (``picklespec spec DIR``) made of all of these,
  with the reference unpickler's handlers and the case corpus.
"""

from .opcodes_md import render

__all__ = ["render"]
