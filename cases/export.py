"""The corpus as plain files: raw pickles and tagged JSON, for any language.

Theory of operation
-------------------
The case files are YAML in the object notation, and their streams assembly
text: reading them takes an assembler and a YAML 1.2 reader with the
notation's tags.  ``picklespec cases export DIR`` writes the same corpus as
toml-test and JSONTestSuite ship theirs, as files a program in any language
reads with a JSON parser and nothing of picklespec (cases/README.md,
"The export"):

- one folder per classification (``dump/``, ``accept/``, ``reject/``,
  ``implementation-defined/``);
- for every stream a ``.pkl`` (its bytes) and a ``.json`` (what it must do,
  in tagged JSON): a load case's stream is ``ID.pkl``; a dump case has one
  per protocol and variant, ``ID.pN.PRODUCER.pkl``, PRODUCER being the first
  producer (in the order implementation, version, kind) that variant names,
  so a name survives a range growing to newer versions;
- ``manifest.json`` (and ``manifest.tsv``, one row per stream) listing every
  case: id, kind, title, tags, refs, the opcodes its streams use, the
  protocol, the producers, the files, the YAML file and line it comes from;
- ``schema/``: the JSON Schemas (draft 2020-12) of tagged JSON, of a
  ``.json`` file and of the manifest.

A dump variant that fails (``fails: true``: the producer cannot pickle the
object) has a ``.json`` and no ``.pkl``; one whose stream does not load back
(``loads: false``) keeps its bytes as hex in its ``.json``, never as a
``.pkl``, so every ``.pkl`` is a stream that must load or must be judged.

`export_files` builds the whole export in memory, as {relative path:
bytes}, from a `Corpus`; it does no I/O, so a test compares it with the
published copy without writing anything.  `write_export` puts it in a
folder, removing what an earlier export left there and nothing else.
Output is deterministic: the same corpus gives the same bytes.
"""

import json
import os

from picklespec.reference import model, opcodes

from .corpus import CLASSIFICATIONS, CORPUS_DIR
from .coverage import touched

__all__ = ["FORMAT", "SCHEMAS", "export_files", "write_export", "stream_name", "producer_label",
           "python2_only"]

FORMAT = "picklespec-export/1"
# The schemas in the repository (cases/), and their names inside an export.
SCHEMAS = {
    "tagged-json.schema.json": "schema/tagged-json.schema.json",
    "export-case.schema.json": "schema/case.schema.json",
    "export-manifest.schema.json": "schema/manifest.schema.json",
}
_ORDER = {op.name: index for index, op in enumerate(opcodes.opcodes)}
_ROOT = os.path.dirname(CORPUS_DIR)
_TSV_COLUMNS = ("id", "kind", "protocol", "producer", "pkl", "json", "outcome", "opcodes",
                "tags", "source")


def producer_label(pattern):
    """The file-name part of a variant: the first producer its pattern names."""
    impl, (major, minor), kind = sorted(pattern.points())[0]
    return "%s-%d.%d-%s" % (impl, major, minor, kind)


def stream_name(case, protocol=None, variant=None):
    """The file name (without extension) of a case's stream."""
    if case.classification != "dump":
        return case.id
    return "%s.p%d.%s" % (case.id, protocol, producer_label(variant.producer))


def python2_only(pattern):
    """Whether every producer a pattern names is a Python 2 one."""
    return all(version[0] == 2 for _, version, _ in pattern.points())


def _producers(pattern):
    return ["%s-%d.%d-%s" % (impl, v[0], v[1], kind) for impl, v, kind in sorted(pattern.points())]


def _opcodes(streams):
    names = set()
    for data in streams:
        names |= touched(data)
    return sorted(names, key=_ORDER.__getitem__)


def _source(case):
    path = os.path.relpath(os.path.abspath(case.file), _ROOT).replace(os.sep, "/")
    return {"file": path, "line": case.line}


def _options(options):
    """Options as tagged JSON, one value per name."""
    return {name: model.to_json(value) for name, value in sorted(options.items())}


def _load_options(case):
    options = dict(case.load_options)
    if case.options.get("sequence") is True:
        options["sequence"] = True  # back-to-back pickles load back one load() at a time
    return options


def _expect(case, variant=None):
    """What a stream must do, as the case says it."""
    kind = case.classification
    if kind in ("dump", "accept"):
        if variant is not None and variant.fails:
            return {"outcome": "unpicklable"}
        if variant is not None and not variant.loads:
            return {"outcome": "no-load"}
        result = case.result_for(variant) if variant is not None else case.result
        return {"outcome": "result", "result": model.to_json(result)}
    if kind == "reject":
        expect = {"outcome": "reject"}
        if case.failure is not None:
            expect["failure"] = case.failure
        if case.exception is not None:
            expect["exception"] = case.exception
        return expect
    outcomes = []
    for outcome in case.outcomes:
        entry = ({"result": model.to_json(outcome.result)} if outcome.accepts
                 else {"reject": outcome.reject})
        if outcome.seen:
            entry["seen"] = [str(p) for p in outcome.seen]
        if outcome.note:
            entry["note"] = outcome.note
        outcomes.append(entry)
    return {"outcome": "one-of", "outcomes": outcomes}


def _globals(case):
    """The scanner ground truth: what CPython's find_class is asked for and
    which of the found objects are called (cases/README.md), with the
    unpicklers that ask otherwise."""
    out = {"finds": list(case.finds), "calls": list(case.calls)}
    if case.scan_variants:
        out["variants"] = [{"producer": v.producer_text, "finds": list(v.finds),
                            "calls": list(v.calls)} for v in case.scan_variants]
    return out


def _dump_json(document):
    """Compact JSON on one line, ASCII (a lone surrogate is a \\u escape)."""
    return (json.dumps(document, separators=(",", ":"), ensure_ascii=True) + "\n").encode("ascii")


def _manifest_json(manifest):
    """The manifest with one case a line, so a change to a case is a change to a line."""
    head = dict(manifest)
    cases = head.pop("cases")
    text = json.dumps(head, separators=(",", ":"), ensure_ascii=True)[:-1]
    lines = [json.dumps(entry, separators=(",", ":"), ensure_ascii=True) for entry in cases]
    return (text + ',"cases":[\n' + ",\n".join(lines) + "\n]}\n").encode("ascii")


def _common(case):
    out = {"id": case.id, "kind": case.classification, "title": case.title,
           "tags": list(case.tags)}
    if case.refs:
        out["refs"] = list(case.refs)
    if case.note:
        out["note"] = case.note
    if case.aliases:
        out["aliases"] = list(case.aliases)
    return out


def _stream_files(case, files):
    """Put one case's streams into files; return its manifest entry."""
    entry = _common(case)
    entry["source"] = _source(case)
    load_options = _options(_load_options(case))
    if case.classification == "dump":
        if case.options:
            entry["dump_options"] = _options(case.options)
        entry["protocols"] = sorted(case.streams)
        entry["opcodes"] = _opcodes([v.stream for vs in case.streams.values() for v in vs
                                     if v.stream is not None])
        streams = [_variant_files(case, protocol, index, variant, entry, load_options, files)
                   for protocol in sorted(case.streams)
                   for index, variant in enumerate(case.streams[protocol])]
    else:
        entry["protocol"] = case.protocol
        entry["opcodes"] = _opcodes([case.data])
        streams = [_load_files(case, entry, load_options, files)]
    if load_options:
        entry["load_options"] = load_options
    entry["streams"] = streams
    return entry


def _load_files(case, entry, load_options, files):
    """The .pkl and .json of a load case; its manifest stream."""
    name = stream_name(case)
    document = {"format": FORMAT}
    document.update(_common(case))
    document["protocol"] = case.protocol
    if load_options:
        document["load_options"] = load_options
    document["expect"] = _expect(case)
    if case.finds is not None:
        document["globals"] = _globals(case)
    document["pkl"] = name + ".pkl"
    document["source"] = entry["source"]
    files["%s/%s.pkl" % (case.classification, name)] = bytes(case.data)
    files["%s/%s.json" % (case.classification, name)] = _dump_json(document)
    return {"protocol": case.protocol, "pkl": name + ".pkl", "json": name + ".json",
            "outcome": document["expect"]["outcome"], "opcodes": entry["opcodes"]}


def _variant_files(case, protocol, index, variant, entry, load_options, files):
    """The .json (and .pkl, when it loads) of one dump variant; its manifest stream."""
    name = stream_name(case, protocol, variant)
    document = {"format": FORMAT}
    document.update(_common(case))
    document.update({"protocol": protocol, "producer": variant.producer_text,
                     "producers": _producers(variant.producer), "canonical": index == 0})
    if python2_only(variant.producer):
        document["python2"] = True
    if variant.note:
        document["variant_note"] = variant.note
    if case.options:
        document["dump_options"] = entry["dump_options"]
    if load_options:
        document["load_options"] = load_options
    document["expect"] = _expect(case, variant)
    pkl = None
    if variant.stream is not None and variant.loads:
        pkl = name + ".pkl"
        files["dump/%s" % pkl] = bytes(variant.stream)
    elif variant.stream is not None:
        document["data"] = bytes(variant.stream).hex()  # loads: false, never a .pkl
    document["pkl"] = pkl
    document["source"] = {"file": entry["source"]["file"], "line": variant.line}
    files["dump/%s.json" % name] = _dump_json(document)
    stream = {"protocol": protocol, "producer": variant.producer_text,
              "producers": document["producers"], "canonical": index == 0,
              "pkl": pkl, "json": name + ".json", "outcome": document["expect"]["outcome"],
              "opcodes": _opcodes([variant.stream] if variant.stream is not None else [])}
    if document.get("python2"):
        stream["python2"] = True
    return stream


def _tsv(entries):
    rows = ["\t".join(_TSV_COLUMNS)]
    for entry in entries:
        for stream in entry["streams"]:
            row = [entry["id"], entry["kind"], str(stream["protocol"]),
                   stream.get("producer", ""), stream["pkl"] or "", stream["json"],
                   stream["outcome"], " ".join(stream["opcodes"]), " ".join(entry["tags"]),
                   "%s:%d" % (entry["source"]["file"], entry["source"]["line"])]
            rows.append("\t".join(field.replace("\t", " ").replace("\n", " ") for field in row))
    return ("\n".join(rows) + "\n").encode("utf-8")


def schema_sources():
    """{name inside an export: path of the schema in the corpus folder}."""
    return {inside: os.path.join(CORPUS_DIR, name) for name, inside in SCHEMAS.items()}


def export_files(corpus):
    """The whole export of a Corpus: {relative path (with /): bytes}."""
    files = {}
    entries = []
    order = {kind: index for index, kind in enumerate(CLASSIFICATIONS)}
    for case in sorted(corpus.cases, key=lambda c: (order[c.classification], c.id)):
        entries.append(_stream_files(case, files))
    counts = {kind: sum(1 for e in entries if e["kind"] == kind) for kind in CLASSIFICATIONS}
    manifest = {
        "format": FORMAT,
        "producers_note": "Every dump stream is what a real pickler wrote, with a persistent_id "
                          "hook installed that names only !persistent values (cases/README.md, "
                          "Producers): CPython 2.7's cPickle memoizes differently without one.",
        "counts": {"cases": len(entries), "streams": sum(len(e["streams"]) for e in entries),
                   "by_kind": counts},
        "cases": entries,
    }
    files["manifest.json"] = _manifest_json(manifest)
    files["manifest.tsv"] = _tsv(entries)
    for inside, path in schema_sources().items():
        with open(path, "rb") as f:
            files[inside] = f.read()
    return files


def write_export(directory, files):
    """Write an export into directory; remove the files an earlier export left
    there (in its folders, and its manifests) that this one does not have."""
    folders = set(CLASSIFICATIONS) | {"schema"}
    for folder in folders:
        path = os.path.join(directory, folder)
        if os.path.isdir(path):
            for name in os.listdir(path):
                if "%s/%s" % (folder, name) not in files and os.path.isfile(os.path.join(path, name)):
                    os.remove(os.path.join(path, name))
    for relative, data in sorted(files.items()):
        path = os.path.join(directory, *relative.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            with open(path, "rb") as f:
                if f.read() == data:
                    continue
        except OSError:
            pass
        with open(path, "wb") as f:
            f.write(data)


def read_export(directory):
    """The files of an export folder, as export_files gives them (for comparing)."""
    out = {}
    for folder in list(CLASSIFICATIONS) + ["schema"]:
        path = os.path.join(directory, folder)
        if os.path.isdir(path):
            for name in os.listdir(path):
                if os.path.isfile(os.path.join(path, name)):
                    with open(os.path.join(path, name), "rb") as f:
                        out["%s/%s" % (folder, name)] = f.read()
    for name in ("manifest.json", "manifest.tsv"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                out[name] = f.read()
    return out
