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
import json
import os
import re

from picklespec.reference import asm, errors, model, opcodes

from . import dangerous, notation
from .producers import parse_pattern

__all__ = ["CORPUS_DIR", "CLASSIFICATIONS", "FIELDS", "FAILURES", "Case", "Variant",
           "Outcome", "ScanVariant", "Problem", "Corpus", "CaseFile", "load_corpus", "check", "read_file",
           "case_files", "known_tags"]

CORPUS_DIR = os.path.dirname(os.path.abspath(__file__))
CLASSIFICATIONS = ("dump", "accept", "reject", "implementation-defined")
PROTOCOLS = range(0, 6)

_COMMON = ("id", "title", "tags", "note", "refs")
_LOAD = ("protocol", "stream", "hex", "load-options")
# The globals a load case's stream resolves (cases/README.md, "Scanner ground truth").
_SCAN = ("finds", "calls", "scan-variants")
# The closed list of fields of each classification, in the order files write them.
FIELDS = {
    "dump": _COMMON[:3] + ("object", "protocols", "options", "result", "load-options",
                           "note", "refs", "streams"),
    "accept": _COMMON + _LOAD + ("result",) + _SCAN,
    "reject": _COMMON + _LOAD + ("failure", "exception") + _SCAN,
    "implementation-defined": _COMMON + _LOAD + ("outcomes",) + _SCAN,
}
# `aliases`: the ids of cases merged into this one, which it answers to
# (a case id is never renamed or dropped; cases/README.md, "Aliases").
FIELDS = {kind: fields + ("aliases",) for kind, fields in FIELDS.items()}
REQUIRED = {
    "dump": ("id", "title", "tags", "object", "streams"),
    "accept": ("id", "title", "tags", "protocol", "result"),
    "reject": ("id", "title", "tags", "protocol"),
    "implementation-defined": ("id", "title", "tags", "protocol", "outcomes"),
}
VARIANT_FIELDS = ("producer", "stream", "fails", "raises", "result", "loads", "note")
OUTCOME_FIELDS = ("result", "reject", "seen", "note")
SCAN_VARIANT_FIELDS = ("producer", "finds", "calls", "note")
# The unpickler whose requests the top-level finds/calls record: the newest
# CPython 3's C unpickler; others that differ are scan-variants.
SCAN_AUTHORITY = "cpython-3.13-c"
DANGEROUS_TAG = "dangerous"
# The failure kinds are the reference's error model's: each UnpicklingError
# subclass's `kind`, and the word for a failure of code the stream called.
FAILURES = errors.KINDS
DUMP_OPTIONS = {"fix_imports": (bool,), "buffer_callback": ("oob",), "sequence": (bool,),
                "clear_memo": (bool,), "reducer_override": (str,), "dispatch_table": (str,)}
LOAD_OPTIONS = {"encoding": (str,), "errors": (str,), "fix_imports": (bool,), "buffers": (list,),
                "sequence": (bool,), "allow_globals": (list,)}

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_REF = re.compile(r"(?:(?:gh|bpo|pep)-[0-9]+|https?://\S+)\Z")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*\Z")
_GLOBAL = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*\Z")  # module:qualname
_EXCEPTION = re.compile(r"[A-Za-z_]\w*\Z")  # an exception class's __name__


def is_exception_name(name):
    """Whether a case's `exception` names an exception type CPython's
    unpicklers raise: a built-in one, or pickle's own."""
    import builtins
    import pickle

    if not isinstance(name, str) or not name.isidentifier():
        return False
    value = getattr(builtins, name, None)
    if value is None and name in ("PickleError", "UnpicklingError"):
        value = getattr(pickle, name)
    return isinstance(value, type) and issubclass(value, BaseException)


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


class ScanVariant:
    """The globals a stream resolves in the unpicklers of one producer pattern,
    where they differ from the case's own `finds`/`calls`."""

    __slots__ = ("producer", "producer_text", "finds", "calls", "note", "line")

    def __init__(self, producer, producer_text, finds, calls, note=None, line=None):
        self.producer = producer
        self.producer_text = producer_text
        self.finds = finds
        self.calls = calls
        self.note = note
        self.line = line

    def __repr__(self):
        return "<ScanVariant %s: finds %r calls %r>" % (self.producer_text, self.finds, self.calls)


class Case:
    """One case of the corpus; the fields its classification does not use are None."""

    def scan_for(self, producer_name):
        """(finds, calls) as recorded for a producer (``cpython-2.7-c``): its
        scan-variant's if one names it, else the case's own; (None, None)
        where the case is not recorded."""
        for variant in self.scan_variants:
            if variant.producer.matches(producer_name):
                return variant.finds, variant.calls
        return self.finds, self.calls

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
        self.aliases = []
        # What the runner sends and compares, made once as the case is read
        # (and kept in the corpus cache): the object's tagged JSON as a dump
        # request holds it, and the result's tagged JSON; None if unmade.
        self.object_text = None
        self.result_json = None
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
        self.exception = None  # the exception type every CPython 3 raises, by name
        self.outcomes = []
        # the globals the stream resolves: lists of "module:name", None if not recorded
        self.finds = None
        self.calls = None
        self.scan_variants = []
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
        """The case with this id, or the one this id is an alias of."""
        for case in self.cases:
            if case.id == case_id or case_id in case.aliases:
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


def load_corpus(paths=None, cache=True):
    """Read and check the case files under paths (default: the installed corpus).

    Each file's cases come from the corpus cache (cases/cache.py) when it
    holds them for the file's content; `cache` False reads every file, as
    does a cache the environment turns off.  A `CorpusCache` may be given.
    """
    problems = []
    cases = []
    files = case_files(paths)
    store = _cache(cache)
    for path in files:
        file_cases, file_problems = _read_cached(path, store)
        cases.extend(file_cases)
        problems.extend(file_problems)
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
    taken = {}  # alias -> the case naming it
    for case, _ in cases:
        for alias in case.aliases:
            other = seen.get(alias) or taken.get(alias)
            if other is not None:
                problems.append(Problem(case.file, case.field_line("aliases"), "aliases",
                                        "alias %r is already %s at %s:%d" % (
                                            alias, "an id" if alias in seen else "an alias",
                                            other.file, other.field_line("id"))))
                if case in good:
                    good.remove(case)
            else:
                taken[alias] = case
    problems.sort(key=lambda p: (p.file, p.line or 0))
    return Corpus(good, problems, files)


def _cache(cache):
    if cache is True:
        from .cache import default_cache

        return default_cache()
    return cache or None


def _read_cached(path, store):
    """A file's (Case, broken) pairs and problems: from the cache, or read (and cached)."""
    content = None
    if store is not None:
        try:
            with open(path, "rb") as f:
                content = f.read()
        except OSError:
            content = None
        if content is not None:
            found = store.get(path, content)
            if found is not None:
                return found
    read = read_file(path)
    if content is not None and read.text is not None and read.text.encode("utf-8") == content:
        store.put(path, content, read.cases, read.problems)
    return read.cases, read.problems


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
        if not self.broken:
            self.encode()
        return case

    def encode(self):
        """The tagged JSON the runner needs of the case (`Case.object_text`,
        `Case.result_json`), made here so the corpus cache keeps it."""
        case = self.case
        try:
            if case.classification == "dump":
                case.object_text = json.dumps(model.to_json(case.object), sort_keys=True)
            case.result_json = model.to_json(case.result)
        except model.ModelError:  # a value the runner reports on when it meets it
            case.object_text = case.result_json = None

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
        if "aliases" in entry:
            aliases = entry["aliases"]
            if not isinstance(aliases, list) or not aliases or not all(
                    isinstance(a, str) and _ID.match(a) for a in aliases):
                self.problem("aliases", "aliases is a non-empty list of case ids "
                             "([a-z0-9]+(-[a-z0-9]+)*)")
            elif len(set(aliases)) != len(aliases) or case.id in aliases:
                self.problem("aliases", "an alias is given twice, or is the case's own id")
            else:
                case.aliases = list(aliases)
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
        if DANGEROUS_TAG in case.tags:
            self.problem("tags", "a dump case is never %s: its streams are loaded back by "
                         "real unpicklers without allow_globals" % DANGEROUS_TAG)
        case.object = entry.get("object")
        case.result = entry.get("result", case.object)
        for field in ("object", "result"):
            named = sorted(dangerous_globals_in(entry.get(field)))
            if named:
                self.problem(field, "a dump case never names a dangerous global (%s): real "
                             "interpreters build its object and load its streams"
                             % ", ".join(named))
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
        if "exception" in entry and "exception" in allowed:
            if not is_exception_name(entry["exception"]):
                self.problem("exception", "exception is the name of a built-in exception "
                             "type or of pickle's UnpicklingError, not %r" % (entry["exception"],))
            case.exception = entry["exception"]
        if "outcomes" in entry and "outcomes" in allowed:
            self.read_outcomes(entry["outcomes"])
        self.read_scan()
        self.check_dangerous()

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

    # -- scanner ground truth --

    def scan_lists(self, mapping, line, where):
        """(finds, calls) of a mapping holding both or neither; problems otherwise."""
        present = [key for key in ("finds", "calls") if key in mapping]
        if not present:
            return None, None
        if len(present) == 1:
            self.problem(where, "finds and calls are recorded together: %s without %s"
                         % (present[0], ({"finds", "calls"} - set(present)).pop()), line)
            return None, None
        lists = []
        for key in ("finds", "calls"):
            value = mapping[key]
            key_line = self.source.key_line(mapping, key, line)
            if not isinstance(value, list) or not all(isinstance(g, str) and ":" in g
                                                      for g in value):
                self.problem(where, "%s is a list of \"module:name\" strings ([] for none)"
                             % key, key_line)
                return None, None
            lists.append(list(value))
        finds, calls = lists
        missing = sorted(set(calls) - set(finds))
        if missing:
            self.problem(where, "calls names %s, which finds does not" % ", ".join(missing),
                         self.source.key_line(mapping, "calls", line))
        return finds, calls

    def read_scan(self):
        case, entry = self.case, self.entry
        case.finds, case.calls = self.scan_lists(entry, case.line, "finds")
        if "scan-variants" not in entry:
            return
        variants = entry["scan-variants"]
        line = case.field_line("scan-variants")
        if case.finds is None:
            self.problem("scan-variants", "scan-variants differ from the case's finds and "
                         "calls, which are not recorded")
        if not isinstance(variants, list) or not variants:
            self.problem("scan-variants", "scan-variants is a non-empty list of {producer, "
                         "finds, calls}")
            return
        for index, item in enumerate(variants):
            item_line = self.source.item_line(variants, index) or line
            if not isinstance(item, dict) or "producer" not in item \
                    or not ("finds" in item and "calls" in item):
                self.problem("scan-variants", "a scan variant has a producer, finds and calls",
                             item_line)
                continue
            unknown = [k for k in item if k not in SCAN_VARIANT_FIELDS]
            if unknown:
                self.problem("scan-variants", "unknown scan variant field %r (fields: %s)"
                             % (unknown[0], ", ".join(SCAN_VARIANT_FIELDS)), item_line)
            try:
                producer = parse_pattern(item["producer"])
            except (ValueError, TypeError) as exc:
                self.problem("scan-variants", str(exc), item_line)
                continue
            if producer.matches(SCAN_AUTHORITY):
                self.problem("scan-variants", "%s is the authority the case's own finds and "
                             "calls record; it has no scan variant" % SCAN_AUTHORITY, item_line)
            finds, calls = self.scan_lists(item, item_line, "scan-variants")
            if finds is not None:
                case.scan_variants.append(ScanVariant(producer, item["producer"], finds, calls,
                                                      item.get("note"), item_line))

    def check_dangerous(self):
        """A stream that resolves a dangerous global loads only refused (cases/dangerous.py).

        Such a case is tagged `dangerous` and lists, in allow_globals, the
        globals it may resolve, none of them dangerous: every reader that
        honours the option refuses the dangerous one before importing it, and
        the runner never sends the stream to a reader that does not declare
        the option.  Which globals a stream resolves is what finds records
        (for every producer); before it is recorded, what the stream spells
        (GLOBAL, INST, and any string naming a dangerous module).
        """
        case = self.case
        names = set(case.finds or ())
        for variant in case.scan_variants:
            names.update(variant.finds)
        bad = sorted(g for g in names if dangerous.is_dangerous(*g.split(":", 1)))
        if case.finds is None and case.data is not None:
            bad.extend(sorted(spelled_dangerous(case.data) - set(bad)))
        tagged = DANGEROUS_TAG in case.tags
        if bad and not tagged:
            self.problem("tags", "the stream resolves %s: a dangerous case is tagged %s "
                         "(cases/README.md, Dangerous cases)" % (", ".join(bad), DANGEROUS_TAG))
        if not (bad or tagged):
            return
        allowed = case.load_options.get("allow_globals")
        if not isinstance(allowed, list):
            self.problem("load-options", "a dangerous case loads only with allow_globals "
                         "listing the harmless globals it may resolve ([] for none)")
            return
        listed = sorted(g for g in allowed if isinstance(g, str) and ":" in g
                        and dangerous.is_dangerous(*g.split(":", 1)))
        if listed:
            self.problem("load-options", "allow_globals of a dangerous case lists the "
                         "dangerous %s" % ", ".join(listed))


def dangerous_globals_in(value):
    """The dangerous globals ("module:name") an object of the notation names."""
    found = set()
    seen = set()
    stack = [value]
    while stack:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, model.Global):
            if dangerous.is_dangerous(value.module, value.name):
                found.add("%s:%s" % (value.module, value.name))
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (list, tuple, set, frozenset)):
            stack.extend(value)
        elif isinstance(value, model.Object):
            stack.extend([value.callable, value.args, value.kwargs, value.state])
            stack.extend(value.listitems)
            stack.extend(value.setitems)
            for pair in value.dictitems:
                stack.extend(pair)
        elif isinstance(value, model.PersistentId):
            stack.append(value.pid)
    return found


def spelled_dangerous(data):
    """The dangerous globals a stream spells, without running it: GLOBAL and
    INST names, and any string operand that names a dangerous module."""
    found = set()
    for ins in asm.read_instructions(data):
        if ins.op is None or ins.value is None:
            continue
        values = ins.value if isinstance(ins.value, tuple) else (ins.value,)
        texts = [v.decode("latin-1") if isinstance(v, (bytes, bytearray)) else v
                 for v in values if isinstance(v, (str, bytes, bytearray))]
        if ins.op.name in ("GLOBAL", "INST") and len(texts) == 1 and " " in texts[0]:
            module, name = texts[0].split(" ", 1)
            if dangerous.is_dangerous(module, name):
                found.add("%s:%s" % (module, name))
            continue
        for text in texts:
            if text.split(".", 1)[0] in dangerous.MODULES:
                found.add("%s:?" % text)
    return found
