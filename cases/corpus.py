"""The case corpus: reading case files into `Case` objects, and checking them.

Theory of operation
-------------------
A case file is YAML in the object notation (`notation`), one topic per file,
in the folder that is its classification: ``dump/``, ``accept/``,
``reject/`` or ``implementation-defined/`` (cases/README.md is the format).
`load_corpus` reads files into `Case` objects and, in the same pass, checks
them, as test262's linter does: every field must be one of the closed list
for the case's folder, ids are well formed and unique, tags come from
tags.yaml or the opcode table, every stream assembles, every producer
pattern parses, protocols are 0 to 5.  Each thing found wrong is a `Problem`
naming the file, the line and the field, and the case it belongs to is left
out of `Corpus.cases`, so runners only ever see well-formed cases.
`check` is the same pass, returning only the problems.

Streams are written in assembly text (`picklespec.reference.asm`) and kept
both as text and assembled bytes; an assembly error's line inside the text
is mapped back to the file line.
"""

import fnmatch
import os
import re

from picklespec.reference import asm, opcodes

from . import notation
from .producers import parse_pattern

__all__ = ["CORPUS_DIR", "CLASSIFICATIONS", "FIELDS", "FAILURES", "Case", "Variant",
           "Outcome", "Problem", "Corpus", "CaseFile", "load_corpus", "check", "read_file",
           "case_files", "known_tags"]

CORPUS_DIR = os.path.dirname(os.path.abspath(__file__))
CLASSIFICATIONS = ("dump", "accept", "reject", "implementation-defined")
PROTOCOLS = range(0, 6)

_COMMON = ("id", "title", "tags", "note", "refs")
_LOAD = ("protocol", "stream", "hex", "load-options")
# The closed list of fields of each classification, in the order files write them.
FIELDS = {
    "dump": _COMMON[:3] + ("object", "protocols", "options", "result", "load-options",
                           "note", "refs", "streams"),
    "accept": _COMMON + _LOAD + ("result",),
    "reject": _COMMON + _LOAD + ("failure",),
    "implementation-defined": _COMMON + _LOAD + ("outcomes",),
}
REQUIRED = {
    "dump": ("id", "title", "tags", "object", "streams"),
    "accept": ("id", "title", "tags", "protocol", "result"),
    "reject": ("id", "title", "tags", "protocol"),
    "implementation-defined": ("id", "title", "tags", "protocol", "outcomes"),
}
VARIANT_FIELDS = ("producer", "stream", "fails", "raises", "result", "loads", "note")
OUTCOME_FIELDS = ("result", "reject", "seen", "note")
FAILURES = ("truncated", "unknown-opcode", "bad-argument", "stack", "memo", "frame",
            "limit", "forbidden", "malformed")
DUMP_OPTIONS = {"fix_imports": (bool,), "buffer_callback": ("oob",), "sequence": (bool,),
                "clear_memo": (bool,), "reducer_override": (str,), "dispatch_table": (str,)}
LOAD_OPTIONS = {"encoding": (str,), "errors": (str,), "fix_imports": (bool,), "buffers": (list,),
                "sequence": (bool,), "allow_globals": (list,)}

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_REF = re.compile(r"(?:(?:gh|bpo|pep)-[0-9]+|https?://\S+)\Z")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*\Z")
_GLOBAL = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*\Z")  # module:qualname
_EXCEPTION = re.compile(r"[A-Za-z_]\w*\Z")  # an exception class's __name__


class Problem:
    """One thing wrong with the corpus: file, line, field, message."""

    __slots__ = ("file", "line", "field", "message")

    def __init__(self, file, line, field, message):
        self.file = str(file)
        self.line = line
        self.field = field
        self.message = message

    def __str__(self):
        return "%s:%s: %s: %s" % (self.file, self.line if self.line is not None else "-",
                                  self.field, self.message)

    def __repr__(self):
        return "Problem(%r, %r, %r, %r)" % (self.file, self.line, self.field, self.message)

    def __eq__(self, other):
        return isinstance(other, Problem) and (self.file, self.line, self.field, self.message) \
            == (other.file, other.line, other.field, other.message)

    def __hash__(self):
        return hash((self.file, self.line, self.field, self.message))


class Variant:
    """What one producer (pattern) writes for a dump case at one protocol.

    `result` is what this variant's stream loads to when that is not the
    case's result (`has_result` says whether the variant gives one): a
    pickler that writes one object twice where others memoize it, say.
    `loads` is False for a stream that does not load back at all (a corrupt
    stream a pickler wrote, a Python 2 stream Python 3 cannot read).
    `raises` is, for a variant that fails, the name of the exception class
    those producers raise (``TypeError``, ``PicklingError``), or None.
    """

    __slots__ = ("producer", "producer_text", "stream", "text", "fails", "note", "line",
                 "result", "has_result", "loads", "raises")

    def __init__(self, producer, producer_text, stream=None, text=None, fails=False,
                 note=None, line=None, result=None, has_result=False, loads=True, raises=None):
        self.producer = producer
        self.producer_text = producer_text
        self.stream = stream
        self.text = text
        self.fails = fails
        self.note = note
        self.line = line
        self.result = result
        self.has_result = has_result
        self.loads = loads
        self.raises = raises

    def __repr__(self):
        what = "fails" if self.fails else "%d bytes" % len(self.stream)
        return "<Variant %s: %s>" % (self.producer_text, what)


class Outcome:
    """One allowed outcome of an implementation-defined case.

    Either a result (`accepts` is True and `result` the model value, which
    may be None) or a rejection (`reject` the failure kind).
    """

    __slots__ = ("result", "reject", "seen", "accepts", "note")

    def __init__(self, result=None, reject=None, seen=(), accepts=None, note=None):
        self.result = result
        self.reject = reject
        self.seen = list(seen)
        self.accepts = reject is None if accepts is None else accepts
        self.note = note

    def __repr__(self):
        return "<Outcome %s>" % ("result %r" % (self.result,) if self.accepts
                                 else "reject %s" % self.reject)


class Case:
    """One case of the corpus; the fields its classification does not use are None."""

    def result_for(self, variant):
        """What a dump variant's stream loads to."""
        return variant.result if variant.has_result else self.result

    def __init__(self, classification, file, line):
        self.classification = classification
        self.file = file
        self.line = line
        self.lines = {}  # field -> line
        self.id = None
        self.title = None
        self.tags = []
        self.note = None
        self.refs = []
        # dump cases
        self.object = None
        self.protocols = list(PROTOCOLS)
        self.streams = {}
        self.options = {}
        # load cases
        self.protocol = None
        self.data = None
        self.text = None  # the assembly text of a load case's stream, if written so
        self.failure = None
        self.outcomes = []
        # both
        self.load_options = {}
        self.result = None

    def variant_for(self, producer_name, protocol):
        """The variant this producer is held to at this protocol, or None."""
        for variant in self.streams.get(protocol, ()):
            if variant.producer.matches(producer_name):
                return variant
        return None

    def field_line(self, field):
        return self.lines.get(field, self.line)

    def __repr__(self):
        return "<Case %s %s>" % (self.classification, self.id)


class Corpus:
    """The cases read, and the problems found reading them."""

    def __init__(self, cases, problems, files):
        self.cases = cases
        self.problems = problems
        self.files = files

    def by_id(self, case_id):
        for case in self.cases:
            if case.id == case_id:
                return case
        raise KeyError(case_id)

    def select(self, classification=None, pattern=None):
        return [c for c in self.cases
                if (classification is None or c.classification == classification)
                and (pattern is None or fnmatch.fnmatchcase(c.id, pattern))]


_TAGS = None


def known_tags():
    """The closed list of tags: tags.yaml's, and the opcode names."""
    global _TAGS
    if _TAGS is None:
        with open(os.path.join(CORPUS_DIR, "tags.yaml"), encoding="utf-8") as f:
            data = notation.load_yaml(f.read(), "tags.yaml")
        _TAGS = frozenset(data["tags"]) | frozenset(opcodes.by_name)
    return _TAGS


def case_files(paths=None):
    """The case files under paths (files or folders); the whole corpus by default."""
    if paths is None:
        paths = [os.path.join(CORPUS_DIR, c) for c in CLASSIFICATIONS
                 if os.path.isdir(os.path.join(CORPUS_DIR, c))]
    out = []
    for path in paths:
        path = str(path)
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                out.extend(os.path.join(root, name) for name in sorted(files)
                           if name.endswith(".yaml") and name != "tags.yaml")
        else:
            out.append(path)
    return out


def classification_of(path):
    folder = os.path.basename(os.path.dirname(os.path.abspath(path)))
    return folder if folder in CLASSIFICATIONS else None


def load_corpus(paths=None):
    """Read and check the case files under paths (default: the installed corpus)."""
    problems = []
    cases = []
    files = case_files(paths)
    for path in files:
        read = read_file(path)
        cases.extend(read.cases)
        problems.extend(read.problems)
    seen = {}
    good = []
    for case, broken in cases:
        first = seen.get(case.id)
        if first is not None and case.id is not None:
            problems.append(Problem(case.file, case.field_line("id"), "id",
                                    "duplicate id %r (first at %s:%d)"
                                    % (case.id, first.file, first.field_line("id"))))
            continue
        seen[case.id] = case
        if not broken:
            good.append(case)
    problems.sort(key=lambda p: (p.file, p.line or 0))
    return Corpus(good, problems, files)


def check(paths=None):
    """Every problem of the case files under paths (default: the whole corpus)."""
    return load_corpus(paths).problems


class CaseFile:
    """One case file as read: its text, document, and cases with their problems.

    `cases` holds (Case, broken) pairs in file order, broken cases included,
    so a maintainer tool (regen) can work on a case that is not complete yet.
    """

    def __init__(self, path):
        self.path = path
        self.text = None
        self.document = None
        self.entries = []
        self.cases = []
        self.problems = []


def read_file(path):
    """Read and check one case file: a CaseFile."""
    result = CaseFile(path)

    def problem(line, field, message):
        result.problems.append(Problem(path, line, field, message))

    try:
        with open(path, "rb") as f:
            result.text = f.read().decode("utf-8")
    except OSError as exc:
        problem(1, "file", "cannot read: %s" % exc.strerror)
        return result
    except UnicodeDecodeError as exc:
        problem(1, "file", "not UTF-8 (byte %d)" % exc.start)
        return result
    classification = classification_of(path)
    if classification is None:
        problem(1, "file", "a case file belongs in one of the folders %s"
                % ", ".join(c + "/" for c in CLASSIFICATIONS))
        return result
    try:
        document = result.document = notation.load_document(result.text, path)
    except notation.NotationError as exc:
        column = " (column %d)" % exc.column if exc.column is not None else ""
        problem(exc.line, "yaml", "%s%s" % (exc.message, column))
        return result
    data, source = document.data, document.source
    if not isinstance(data, dict) or list(data) != ["cases"] or not isinstance(data["cases"], list):
        problem(1, "cases", "a case file is a mapping with one key, cases, holding a list")
        for error in document.errors:
            problem(error.line, "yaml", error.message)
        return result
    entries = result.entries = data["cases"]
    bad = _place_errors(document, entries, path, result.problems)
    for index, entry in enumerate(entries):
        line = source.item_line(entries, index)
        if not isinstance(entry, dict):
            problem(line, "case", "a case is a mapping of fields, not %s" % type(entry).__name__)
            continue
        reader = _CaseReader(path, classification, entry, source, result.problems, line)
        case = reader.read()
        result.cases.append((case, reader.broken or index in bad))
    return result


def _place_errors(document, entries, path, problems):
    """Report notation errors under the case and field they are in; their indexes."""
    source = document.source
    starts = [(source.item_line(entries, i), i) for i in range(len(entries))]
    bad = set()
    for error in document.errors:
        if error.mapping is document.data:  # a duplicate key at the top
            problems.append(Problem(path, error.line, str(error.key), error.message))
            continue
        index = None
        for start, i in starts:
            if start is not None and start <= error.line:
                index = i
        field = "yaml"
        if index is not None and isinstance(entries[index], dict):
            bad.add(index)
            entry = entries[index]
            best = None
            for key in entry:
                line = source.key_line(entry, key)
                if line is not None and line <= error.line and (best is None or line >= best[0]):
                    best = (line, key)
            if best is not None:
                field = str(best[1])
            if error.mapping is entry:  # a duplicate field of the case itself
                field = str(error.key)
        problems.append(Problem(path, error.line, field, error.message))
    return bad


class _CaseReader:
    """Check one case mapping and build its Case (`broken` if a problem was found)."""

    def __init__(self, path, classification, entry, source, problems, line):
        self.path = path
        self.entry = entry
        self.source = source
        self.problems = problems
        self.broken = False
        self.case = Case(classification, path, line)
        for key in entry:
            self.case.lines[key] = source.key_line(entry, key, line)

    def problem(self, field, message, line=None):
        self.broken = True
        if line is None:
            line = self.case.lines.get(field, self.case.line)
        self.problems.append(Problem(self.path, line, field, message))

    def read(self):
        case = self.case
        kind = case.classification
        allowed = FIELDS[kind]
        for key in self.entry:
            if key not in allowed:
                elsewhere = [c for c in CLASSIFICATIONS if key in FIELDS[c]]
                hint = (" (a field of %s cases)" % " and ".join(elsewhere)) if elsewhere else ""
                self.problem(str(key), "unknown field for a %s case%s; fields: %s"
                             % (kind, hint, ", ".join(allowed)))
        for key in REQUIRED[kind]:
            if key not in self.entry:
                self.problem(key, "missing (a %s case needs %s)"
                             % (kind, ", ".join(REQUIRED[kind])), case.line)
        self.read_common()
        if kind == "dump":
            self.read_dump()
        else:
            self.read_load()
        return case

    # -- fields of every case --

    def read_common(self):
        case, entry = self.case, self.entry
        if "id" in entry:
            value = entry["id"]
            if not isinstance(value, str) or not _ID.match(value):
                self.problem("id", "an id is lowercase words joined by '-' "
                             "([a-z0-9]+(-[a-z0-9]+)*), not %r" % (value,))
            case.id = value if isinstance(value, str) else repr(value)
        if "title" in entry:
            if not isinstance(entry["title"], str) or not entry["title"].strip():
                self.problem("title", "a title is a non-empty line of text")
            case.title = entry["title"]
        if "tags" in entry:
            tags = entry["tags"]
            if not isinstance(tags, list) or not tags:
                self.problem("tags", "tags is a non-empty list")
            else:
                known = known_tags()
                for index, tag in enumerate(tags):
                    if not isinstance(tag, str) or tag not in known:
                        self.problem("tags", "unknown tag %r (tags.yaml lists the tags; "
                                     "opcode names are tags too)" % (tag,),
                                     self.source.item_line(tags, index))
                case.tags = list(tags)
        if "note" in entry:
            if not isinstance(entry["note"], str):
                self.problem("note", "a note is text")
            case.note = entry["note"]
        if "refs" in entry:
            refs = entry["refs"]
            if not isinstance(refs, list) or not all(isinstance(r, str) and _REF.match(r)
                                                     for r in refs):
                self.problem("refs", "refs is a list of gh-N, bpo-N, pep-N or URLs")
            else:
                case.refs = list(refs)
        if "load-options" in entry:
            case.load_options = self.options("load-options", LOAD_OPTIONS)
            buffers = case.load_options.get("buffers", [])
            if not all(isinstance(b, (bytes, bytearray)) for b in buffers):
                self.problem("load-options", "buffers is a list of !bytes (read-only) "
                             "or !bytearray (writable)")
            allowed = case.load_options.get("allow_globals", [])
            if isinstance(allowed, list) and not all(isinstance(g, str) and _GLOBAL.match(g)
                                                     for g in allowed):
                self.problem("load-options", "allow_globals is a list of module:name")

    def options(self, field, known):
        value = self.entry[field]
        if not isinstance(value, dict):
            self.problem(field, "%s is a mapping" % field)
            return {}
        for name, option in value.items():
            kinds = known.get(name)
            if kinds is None:
                self.problem(field, "unknown option %r (options: %s)" % (name, ", ".join(known)))
            elif not any(option == k if not isinstance(k, type) else type(option) is k
                         for k in kinds):
                self.problem(field, "option %s: %r is not %s" % (
                    name, option, " or ".join(k.__name__ if isinstance(k, type) else repr(k)
                                              for k in kinds)))
        return dict(value)

    def check_dump_options(self, case):
        """sequence dumps the items of a list; clear_memo is between them."""
        options = case.options
        if options.get("sequence") is True and not isinstance(case.object, list):
            self.problem("options", "sequence: true dumps the items of a list; the object "
                         "is not a list")
        if options.get("clear_memo") is True and options.get("sequence") is not True:
            self.problem("options", "clear_memo: true is between the dumps of sequence: true")
        for name, what in (("reducer_override", "a function"), ("dispatch_table", "a dict")):
            value = options.get(name)
            if isinstance(value, str) and not _GLOBAL.match(value):
                self.problem("options", "%s names %s as module:qualname, not %r"
                             % (name, what, value))

    def protocol_number(self, field, value, line=None):
        if type(value) is not int or value not in PROTOCOLS:
            self.problem(field, "a protocol is an int from 0 to 5, not %r" % (value,), line)
            return None
        return value

    def assemble(self, mapping, key, field):
        """The bytes of an assembly text field; a problem at the failing line."""
        text = mapping[key]
        if not isinstance(text, str):
            self.problem(field, "%s is assembly text" % key,
                         self.source.key_line(mapping, key))
            return None
        try:
            return asm.assemble(text)
        except asm.AssemblyError as exc:
            line = self.source.text_line(mapping, key, exc.line or 1)
            self.problem(field, "does not assemble: %s%s" % (
                exc.message, (": " + exc.text.strip()) if exc.text else ""), line)
            return None

    # -- dump cases --

    def read_dump(self):
        case, entry = self.case, self.entry
        case.object = entry.get("object")
        case.result = entry.get("result", case.object)
        if "options" in entry:
            case.options = self.options("options", DUMP_OPTIONS)
            self.check_dump_options(case)
        if "protocols" in entry:
            protocols = entry["protocols"]
            if not isinstance(protocols, list) or not protocols:
                self.problem("protocols", "protocols is a non-empty list of protocols")
            else:
                case.protocols = [p for p in protocols
                                  if self.protocol_number("protocols", p) is not None]
        if "streams" not in entry:
            return
        streams = entry["streams"]
        if not isinstance(streams, dict) or not streams:
            self.problem("streams", "streams maps protocols to lists of variants")
            return
        for protocol, variants in streams.items():
            line = self.source.key_line(streams, protocol)
            if self.protocol_number("streams", protocol, line) is None:
                continue
            if protocol not in case.protocols:
                self.problem("streams", "protocol %d is not among the case's protocols"
                             % protocol, line)
            if not isinstance(variants, list) or not variants:
                self.problem("streams", "protocol %d: a non-empty list of variants" % protocol,
                             line)
                continue
            case.streams[protocol] = [v for v in (self.variant(variants, i, protocol)
                                                  for i in range(len(variants))) if v]
            self.overlaps(protocol, case.streams[protocol])

    def variant(self, variants, index, protocol):
        entry = variants[index]
        line = self.source.item_line(variants, index)
        if not isinstance(entry, dict):
            self.problem("streams", "a variant is a mapping (producer, stream or fails)", line)
            return None
        for key in entry:
            if key not in VARIANT_FIELDS:
                self.problem("streams", "unknown variant field %r (fields: %s)"
                             % (key, ", ".join(VARIANT_FIELDS)), self.source.key_line(entry, key))
        if "producer" not in entry:
            self.problem("streams", "a variant needs a producer", line)
            return None
        text = entry["producer"]
        try:
            producer = parse_pattern(text)
        except ValueError as exc:
            self.problem("streams", str(exc), self.source.key_line(entry, "producer"))
            return None
        fails = entry.get("fails", False)
        if "fails" in entry and fails is not True:
            self.problem("streams", "fails is only ever true", self.source.key_line(entry, "fails"))
        if ("stream" in entry) == bool(fails):
            self.problem("streams", "a variant has a stream or fails: true, one of them", line)
            return None
        if "loads" in entry and (entry["loads"] is not False or fails or "result" in entry):
            self.problem("streams", "loads is only ever false, for a stream that does not load "
                         "back (so without a result)", self.source.key_line(entry, "loads"))
        raises = entry.get("raises")
        if "raises" in entry and (not fails or not isinstance(raises, str)
                                  or not _EXCEPTION.match(raises)):
            self.problem("streams", "raises names the exception class (TypeError, "
                         "PicklingError) of a variant that fails: true, not %r" % (raises,),
                         self.source.key_line(entry, "raises"))
            raises = None
        variant = Variant(producer, text, fails=bool(fails), note=entry.get("note"), line=line,
                          result=entry.get("result"), has_result="result" in entry,
                          loads=entry.get("loads", True) is not False, raises=raises)
        if "stream" in entry:
            variant.text = entry["stream"]
            variant.stream = self.assemble(entry, "stream", "streams")
            if variant.stream is None:
                return None
        return variant

    def overlaps(self, protocol, variants):
        for i, later in enumerate(variants):
            for earlier in variants[:i]:
                common = later.producer.points() & earlier.producer.points()
                if common:
                    impl, version, kind = sorted(common)[0]
                    self.problem("streams", "protocol %d: %s-%d.%d-%s is named by the variants "
                                 "at lines %s and %s" % (protocol, impl, version[0], version[1],
                                                         kind, earlier.line, later.line),
                                 later.line)

    # -- load cases --

    def read_load(self):
        case, entry = self.case, self.entry
        if "protocol" in entry:
            case.protocol = self.protocol_number("protocol", entry["protocol"])
        if ("stream" in entry) == ("hex" in entry):
            self.problem("stream", "a load case has a stream or a hex, one of them")
        elif "stream" in entry:
            case.text = entry["stream"]
            case.data = self.assemble(entry, "stream", "stream")
        else:
            value = entry["hex"]
            if not isinstance(value, str) or not _HEX.match(value.replace(" ", "")):
                self.problem("hex", "hex is an even number of hex digits")
            else:
                case.data = bytes.fromhex(value.replace(" ", ""))
        allowed = FIELDS[case.classification]
        if "result" in entry and "result" in allowed:
            case.result = entry["result"]
        if "failure" in entry and "failure" in allowed:
            if entry["failure"] not in FAILURES:
                self.problem("failure", "failure is one of %s, not %r"
                             % (", ".join(FAILURES), entry["failure"]))
            case.failure = entry["failure"]
        if "outcomes" in entry and "outcomes" in allowed:
            self.read_outcomes(entry["outcomes"])

    def read_outcomes(self, outcomes):
        if not isinstance(outcomes, list) or not outcomes:
            self.problem("outcomes", "outcomes is a non-empty list of {result: ...} or "
                         "{reject: KIND}")
            return
        for index, entry in enumerate(outcomes):
            line = self.source.item_line(outcomes, index)
            if not isinstance(entry, dict) or ("result" in entry) == ("reject" in entry):
                self.problem("outcomes", "an outcome has a result or a reject, one of them", line)
                continue
            unknown = [k for k in entry if k not in OUTCOME_FIELDS]
            if unknown:
                self.problem("outcomes", "unknown outcome field %r (fields: %s)"
                             % (unknown[0], ", ".join(OUTCOME_FIELDS)), line)
            if "reject" in entry and entry["reject"] not in FAILURES:
                self.problem("outcomes", "reject is one of %s, not %r"
                             % (", ".join(FAILURES), entry["reject"]), line)
            seen = []
            raw_seen = entry.get("seen", [])
            if not isinstance(raw_seen, list):
                self.problem("outcomes", "seen is a list of producers", line)
                raw_seen = []
            for text in raw_seen:
                try:
                    seen.append(parse_pattern(text))
                except ValueError as exc:
                    self.problem("outcomes", str(exc), line)
            self.case.outcomes.append(Outcome(
                result=entry.get("result"), reject=entry.get("reject"), seen=seen,
                accepts="result" in entry, note=entry.get("note")))
