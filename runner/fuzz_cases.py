"""Writing a fuzz finding as a case for review, in the corpus format.

Theory of operation
-------------------
A finding is a minimized stream and what each target did with it.  It
becomes one case file (cases/README.md), in the folder that is its
classification, so ``picklespec cases check DIR`` reads the folder written
by ``picklespec fuzz`` as it reads the corpus:

- some targets give a result and others reject it, or two results differ:
  ``implementation-defined/``, one outcome per distinct behaviour, each with
  the producers (``seen``) that chose it;
- every target rejects, but not alike (clean against unclean, or a crash):
  ``reject/``, a candidate must-reject case;
- every target that answered gives the same result, another crashed or hung:
  ``accept/``, a candidate must-accept case.

Every target's own answer -- its outcome, exception and message -- is in the
case's ``note``, so a reviewer sees what was observed before deciding what
the case should require.  The id is the signature's hash (``fuzz-`` and ten
hex digits): the same disagreement found again writes the same file.
"""

import hashlib
import json
import os
import re

from picklespec.reference import asm, model

from .fuzz_grammar import highest_protocol_of

__all__ = ["case_id", "case_text", "write_case"]

_PRODUCER = re.compile(r"(?:cpython|pypy)-\d+\.\d+-(?:c|py)\Z")


def case_id(signature):
    return "fuzz-" + hashlib.sha1(json.dumps(signature).encode("utf-8")).hexdigest()[:10]


def _quoted(text, limit=300):
    text = "".join(c if " " <= c <= "~" else "?" for c in str(text))
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return json.dumps(text)


def _block(text, indent):
    pad = " " * indent
    return "".join(pad + line + "\n" if line else "\n" for line in text.rstrip("\n").split("\n"))


def _object_yaml(tagged):
    from picklespec.cases.notation import dump_object

    return dump_object(model.from_json(tagged))


def classify(finding):
    """(folder, outcomes) for a finding; outcomes: (kind, value, [targets])."""
    groups = []  # (key, kind, value, [target names])
    for t in finding.targets:
        o = t.outcome
        if o.cls == "value":
            key, kind, value = ("value", o.detail), "result", t.answer.get("object")
        elif o.cls in ("rejected", "unclean"):
            key, kind, value = ("reject",), "reject", None
        else:
            key, kind, value = (o.cls,), "other", None
        for g in groups:
            if g[0] == key:
                g[3].append(t)
                break
        else:
            groups.append((key, kind, value, [t]))
    kinds = {g[1] for g in groups}
    results = [g for g in groups if g[1] == "result"]
    if len(results) >= 2 or (results and "reject" in kinds):
        folder = "implementation-defined"
    elif results:
        folder = "accept"
    else:
        folder = "reject"
    return folder, groups


def _outcome_text(t):
    o = t.outcome
    if o.cls == "value":
        try:
            from picklespec.cases.notation import dump_object

            shown = " ".join(dump_object(model.from_json(t.answer.get("object"))).split())
        except Exception:
            shown = "(a value)"
        return "result %s" % (shown if len(shown) < 120 else shown[:117] + "...")
    message = t.message
    return "%s%s" % (o.cls, (" (%s)" % message) if message else "")


def _short(t, values):
    o = t.outcome
    if o.cls == "value":
        return "loads it" if len(values) < 2 else "loads it (result %d)" % values[o.detail]
    if o.cls == "rejected":
        return "rejects it"
    if o.cls == "unclean":
        return "rejects it uncleanly (%s)" % o.detail
    return o.cls


def _seen(targets):
    return [t.producer for t in targets if t.producer and _PRODUCER.match(t.producer)
            and not t.is_reference]


def dump_case_text(finding):
    """(folder, case id, YAML text) of a dump disagreement: the object, and each
    producer's bytes as a variant."""
    from picklespec.cases.notation import dump_object

    cid = case_id(finding.signature)
    protocol = finding.data.protocol
    variants = []  # [bytes hex or None for a failure, [producers]]
    for t in finding.targets:
        if t.is_reference or not (t.producer and _PRODUCER.match(t.producer)):
            continue
        o = t.outcome
        if o.cls not in ("bytes", "unpicklable"):
            continue
        key = o.detail if o.cls == "bytes" else None
        for v in variants:
            if v[0] == key:
                v[1].append(t.producer)
                break
        else:
            variants.append([key, [t.producer]])
    if not variants:
        return None
    who = "; ".join("%s: %s" % (t.name, _dump_text(t)) for t in finding.targets)
    note = ("Found by picklespec fuzz (seed %s, input %d), the object shrunk; where the "
            "streams first differ: %s. Observed: %s" % (finding.seed, finding.index,
                                                        finding.opcode, who))
    lines = ["# Written by picklespec fuzz: a candidate for review, not a settled case.",
             "cases:",
             "  - id: %s" % cid,
             "    title: %s" % _quoted("dump at protocol %d: %s" % (protocol, ", ".join(
                 "%s %s" % (t.name, _dump_text(t, short=True)) for t in finding.targets)), 200),
             "    tags: [differential%s]" % (", " + finding.opcode if finding.opcode in _OPCODE_NAMES
                                             else ""),
             "    object:",
             _block(dump_object(model.from_json(finding.data.tagged)), 6).rstrip("\n"),
             "    protocols: [%d]" % protocol,
             "    note: %s" % _quoted(note, 2000),
             "    streams:",
             "      %d:" % protocol]
    for key, producers in variants:
        lines.append("        - producer: %s" % ", ".join(producers))
        if key is None:
            lines.append("          fails: true")
        else:
            lines.append("          stream: |")
            lines.append(_block(asm.disassemble(bytes.fromhex(key)), 12).rstrip("\n"))
    return "dump", cid, "\n".join(lines) + "\n"


def _dump_text(t, short=False):
    o = t.outcome
    if o.cls == "bytes":
        return "writes %s" % (o.detail[:16] + "..." if short and len(o.detail) > 16 else o.detail)
    return "%s%s" % (o.cls, (" (%s)" % t.message) if t.message and not short else "")


def case_text(finding):
    """(folder, case id, YAML text) of a finding (None when no case can say it)."""
    if finding.how == "dump":
        return dump_case_text(finding)
    folder, groups = classify(finding)
    cid = case_id(finding.signature)
    data = finding.data
    text = asm.disassemble(data)
    try:
        same = asm.assemble(text) == data
    except asm.AssemblyError:
        same = False
    who = "; ".join("%s: %s" % (t.name, _outcome_text(t)) for t in finding.targets)
    note = ("Found by picklespec fuzz (seed %s, input %d, %s), minimized to %d bytes; "
            "the opcode that decided: %s. Observed: %s"
            % (finding.seed, finding.index, finding.how, len(data), finding.opcode, who))
    values = {}
    for t in finding.targets:
        if t.outcome.cls == "value":
            values.setdefault(t.outcome.detail, len(values) + 1)
    split = ", ".join("%s %s" % (t.name, _short(t, values)) for t in finding.targets)
    lines = ["# Written by picklespec fuzz: a candidate for review, not a settled case.",
             "cases:",
             "  - id: %s" % cid,
             "    title: %s" % _quoted("%s: %s" % (finding.opcode, split), 200),
             "    tags: [differential%s]" % (", " + finding.opcode if finding.opcode in _OPCODE_NAMES
                                             else ""),
             "    protocol: %d" % highest_protocol_of(data),
             "    note: %s" % _quoted(note, 2000)]
    if same:
        lines.append("    stream: |")
        lines.append(_block(text, 6).rstrip("\n"))
    else:
        lines.append('    hex: "%s"' % data.hex())
    if folder == "implementation-defined":
        lines.append("    outcomes:")
        for key, kind, value, targets in groups:
            seen = _seen(targets)
            if kind == "result":
                lines.append("      - result:")
                lines.append(_block(_object_yaml(value), 10).rstrip("\n"))
            elif kind == "reject":
                lines.append("      - reject: malformed")
            else:
                continue  # a crash or a hang is never an allowed outcome
            if seen:
                lines.append("        seen: [%s]" % ", ".join(seen))
    elif folder == "accept":
        value = next(g[2] for g in groups if g[1] == "result")
        lines.append("    result:")
        lines.append(_block(_object_yaml(value), 6).rstrip("\n"))
    else:
        lines.append("    failure: malformed")
    return folder, cid, "\n".join(lines) + "\n"


def write_case(finding, out_dir):
    """Write the finding's case file under out_dir/FOLDER/; its path (None when
    no case can say it: a dump difference with no producer named)."""
    made = case_text(finding)
    if made is None:
        return None
    folder, cid, text = made
    directory = os.path.join(out_dir, folder)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, cid + ".yaml")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return path


def _opcode_names():
    from picklespec.reference.opcodes import by_name

    return frozenset(by_name)


_OPCODE_NAMES = _opcode_names()
