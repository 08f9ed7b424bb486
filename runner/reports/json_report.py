"""run.json: the whole run, machine-readable and diff-friendly.

Theory of operation
-------------------
The document is `Run.to_dict()` (format ``picklespec-run/1``: the targets as
they introduced themselves, every Result in the run's stable order, each
with its ``protocol``, null when the case's stream fixes it) plus a
``summary`` of outcome counts per target, so two runs diff line by line and
`Run.from_dict(json.load(f))` reads it back (baselines are made from it).
Keys are sorted and every level indented by one space; nothing in it
depends on dict order or on the time of writing except ``started`` and
``finished``.

Strings are written as UTF-8; a lone surrogate (a str a target loaded from
an ill-formed UTF-8 or UTF-16 stream) is written as its JSON escape
``\\udc80``, which reads back as the same string.
"""

import json

from . import view


def document(run):
    data = run.to_dict()
    # Result.to_dict leaves out empty fields, but a load case whose stream
    # fixes the protocol has protocol None, and Result needs the field back.
    for result in data["results"]:
        result.setdefault("protocol", None)
    data["summary"] = {target: dict(sorted(counter.items()))
                       for target, counter in sorted(view.totals(run.results).items())}
    return data


def render(run):
    text = json.dumps(document(run), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    # A lone surrogate cannot be encoded as UTF-8; its JSON escape is
    # what backslashreplace writes, and it can only occur inside a string.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
