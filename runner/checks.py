"""The checks: what a target's answers to a case mean, as Results.

Theory of operation
-------------------
Each check is written once, as a generator that yields the requests it needs
-- a `Call`: one request to one target, or a list of them -- receives the
answers, and appends its `Result`s to a list as soon as it can judge them.
The same generators serve `check_case` here, which answers their calls one at
a time, and `run.execute`, which collects the calls of every case, sends each
target its share as one pipelined batch, in parallel across targets, and
asks nothing twice (a call is its target and its request text).  An answer is
the adapter's answer dict, or the `AdapterFailure` the request met.

What is checked, per case x protocol x target (cases/README.md):

``load``
    the target reads the expected stream -- an accept case's, or a dump
    case's canonical one -- and produces the expected object, compared as
    graphs (`model.equal`: types, values, sharing and cycles).
``reject``
    the target refuses a malformed stream *cleanly*.  For Python targets the
    worker tells clean from unclean: an exception that is
    ``pickle.UnpicklingError`` (or a subclass, or cPickle's), ``EOFError``
    (what ``load`` raises when the data ends), ``ValueError`` (a text or
    UTF-8 argument its parser refused, an unknown protocol),
    ``MemoryError`` (a limit: a memo index of 2**32-1) or ``ImportError``
    (a module the stream names is not there) is a clean rejection; any
    other (``IndexError`` on a stack underflow, gh-141749; ``KeyError`` for
    an unknown opcode byte, ``AttributeError``, ``TypeError``...) is an
    *unclean* one, recorded as ``fail`` with the message ``unclean
    rejection: IndexError: ...``.  A crash, a hang and a
    protocol error keep their own outcomes.
``defined``
    an implementation-defined stream: the outcome the target chose is
    recorded (``defined``, with ``chosen`` naming it), never a failure -- but
    an outcome not in the case's list is one, and so is an unclean rejection.
``dump-bytes``
    the target's bytes for the case's object are identical to the variant for
    its producer; with no variant for that producer the cell is ``skip``
    ("no expectation for PRODUCER"), never a pass.
``dump-equivalent``
    the same opcode stream once memo bookkeeping and framing are normalised
    (`normalize`), against the producer's variant or else the canonical
    (first) one.
``dump-readable``
    the reference reads the target's bytes into an object equal to the
    case's.  The reference runs as a target too (the *oracle*), so a
    reference that crashes loses only that cell.  A Python 2 producer's
    stream is read as Python 3 programs read them, ``encoding='latin1'``.
``cross``
    with several targets, every producer's stream is read by every consumer
    (a Python 2 producer's with ``encoding='latin1'`` when the consumer takes
    it, as Python 3 programs read Python 2 pickles) and must give what the
    reference reads from the same bytes with the same options (the case's
    object when the reference cannot read it).  Producers that wrote the
    same bytes are one row, named by the case's variant for those bytes
    (``cpython-3.8..3.13-c+py -> cpython-2.7-c``) or by the producers.  A
    consumer that cannot find a class the stream names (ImportError,
    AttributeError: a class newer than the consumer) is ``unsupported``.

Wherever Python 2 is at one end -- a Python 2 target loading, a Python 2
producer's stream read -- objects are compared as `python2_view` shows them:
str and bytes as one, globals by their Python 3 names.  Python 2's str is
text and bytes at once, so no reading tells them apart, and that is not
what a pickle conformance suite is about.

A protocol the target does not list in its hello, a load option it does not
take, or a module it has not (a Python 3 module named in a load case read by
Python 2) is ``unsupported``.
"""

import functools
import json

from picklespec.reference import asm, model

from .adapter import AdapterFailure
from .results import Result

__all__ = ["Call", "check_case", "plan", "plan_cross", "normalize", "first_difference",
           "cross_check", "reference_oracle", "Prepared"]

_PUTS = {"PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"}
_GETS = {"GET", "BINGET", "LONG_BINGET"}
_MISSING_MODULE = {"ImportError", "ModuleNotFoundError"}
_MISSING_CLASS = _MISSING_MODULE | {"AttributeError"}


class Call:
    """One request (its JSON text) to one target; equal calls are asked once."""

    __slots__ = ("target", "text")

    def __init__(self, target, text):
        self.target = target
        self.text = text

    @property
    def key(self):
        return (id(self.target), self.text)

    def __repr__(self):
        return "<Call %s %s>" % (self.target.name, self.text[:60])


# -- requests -----------------------------------------------------------------


def wire_options(options):
    """Case options in the protocol's form: every value a string, bytes as hex."""
    out = {}
    for name, value in (options or {}).items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif name == "buffers":
            value = [model.to_json(b) for b in value]  # bytes read-only, bytearray writable
        out[name] = value
    return out


def load_text(data, options=None):
    """The load request for a stream (bytes, or their hex) with options."""
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).hex()
    if options:
        return '{"op": "load", "data": "%s", "options": %s}' % (data, json.dumps(options, sort_keys=True))
    return '{"op": "load", "data": "%s"}' % data


class Prepared:
    """What every target's checks of one case share, computed once."""

    def __init__(self, case):
        self.case = case
        self.expected = case.result
        self._expected_json = None
        self._variant_expected = {}  # (id(result), python2) -> (model, tagged JSON)
        self._object_text = None
        self._texts = {}  # protocol or (data, options) -> request text
        self._python2 = None
        self.load_options = wire_options(case.load_options)
        if case.options.get("sequence") is True:
            # several pickles back to back load back one load() at a time
            self.load_options["sequence"] = "true"

    @property
    def expected_json(self):
        if self._expected_json is None:
            self._expected_json = model.to_json(self.expected)
        return self._expected_json

    def expected_for(self, python2, variant=None):
        """(model, tagged JSON) of the expected object, as a Python 2 program
        at either end sees it when python2 (`python2_view`).  With a dump
        variant: what that variant's stream loads to, which the variant may
        say differs from the case's object (protocol 0 writes a persistent id
        as its str())."""
        if variant is not None and variant.has_result:
            key = (id(variant.result), python2)
            if key not in self._variant_expected:
                as_json = model.to_json(variant.result)
                self._variant_expected[key] = (_viewed(as_json) if python2 else
                                               (variant.result, as_json))
            return self._variant_expected[key]
        if not python2:
            return self.expected, self.expected_json
        if self._python2 is None:
            self._python2 = _viewed(self.expected_json)
        return self._python2

    def dump_text(self, protocol):
        """The dump request at a protocol: one string, shared by every target's call."""
        text = self._texts.get(protocol)
        if text is None:
            if self._object_text is None:
                self._object_text = json.dumps(model.to_json(self.case.object), sort_keys=True)
            options = wire_options(self.case.options)
            text = self._texts[protocol] = '{"op": "dump", "protocol": %d, %s"object": %s}' % (
                protocol, '"options": %s, ' % json.dumps(options, sort_keys=True) if options else "",
                self._object_text)
        return text

    def load_text(self, data, options):
        """The load request for a stream of the case, shared as dump_text is."""
        key = (data if isinstance(data, str) else bytes(data), json.dumps(options, sort_keys=True))
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = load_text(data, options)
        return text


# -- judging answers ----------------------------------------------------------


def _what(answer):
    """How a load or dump answer came out: (word, detail)."""
    if isinstance(answer, AdapterFailure):
        return answer.kind, answer.message
    if answer.get("ok"):
        return "ok", ""
    kind = answer.get("kind")
    message = str(answer.get("message") or answer.get("exception") or kind)
    if kind == "rejected":
        return ("rejected" if answer.get("clean", True) else "unclean"), message
    if kind in ("unsupported", "unpicklable", "unavailable", "undescribable"):
        return kind, message
    return "adapter", "the adapter failed: %s" % message


def _object_text(value):
    try:
        from picklespec.cases.notation import dump_object

        return dump_object(value)
    except Exception:  # a value the notation cannot write is still shown
        return repr(value) + "\n"


def _one_line(value, limit=60):
    text = " ".join(_object_text(value).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _loaded(answer, expected_json, expected, python2=False):
    """(equal, actual model value or None, why) for a successful load answer.

    With python2, both sides are compared as `python2_view` shows them
    (expected_json and expected are then already in that view).
    """
    got = answer.get("object")
    if got == expected_json:
        return True, None, ""
    if python2:
        got = python2_view(got)
        if got == expected_json:
            return True, None, ""
    try:
        actual = model.from_json(got)
    except (model.ModelError, RecursionError) as exc:
        return False, None, "the answer is not tagged JSON: %s" % exc
    return model.equal(actual, expected), actual, ""


def python2_view(document):
    """Tagged JSON as it compares when Python 2 is at one end: str and bytes
    are one (bytes become their latin-1 text), and globals have Python 3's
    names (_compat_pickle's mapping, what Python 3's fix_imports applies).

    Python 2's str is both: attribute names, codec names and text read from
    STRING are str there, and a Python 3 reader must guess.  Python 2
    describes what it loaded with its own names (``__builtin__:len``,
    ``copy_reg:_reconstructor``).  Neither difference says anything about
    the pickle machinery, so neither is held against a Python 2 target.
    """
    from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING

    document = json.loads(json.dumps(document))  # a copy to change
    work = [document]
    while work:
        node = work.pop()
        if isinstance(node, list):
            work.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        if kind == "bytes":
            node["type"], node["value"] = "str", bytes.fromhex(node["value"]).decode("latin-1")
        elif kind == "global":
            module, name = node.get("module"), node.get("name")
            if (module, name) in NAME_MAPPING:
                node["module"], node["name"] = NAME_MAPPING[module, name]
            elif module in IMPORT_MAPPING:
                node["module"] = IMPORT_MAPPING[module]
        work.extend(node.values())
    return document


def _viewed(document):
    """(model, tagged JSON) of python2_view(document)."""
    viewed = python2_view(document)
    return model.from_json(viewed), viewed


def _compare(result, expected, actual):
    """Fill in expected/actual/first_difference of a failing Result."""
    result.expected = _object_text(expected)
    result.actual = _object_text(actual) if actual is not None else None
    if result.actual is not None:
        result.first_difference = first_difference(result.expected, result.actual)
    return result


def _failure(base, check, answer):
    """A Result for a crash, timeout or protocol error of the target."""
    return Result(check=check, outcome=answer.kind, message=answer.message,
                  output=answer.stderr or None, **base)


# -- load cases ---------------------------------------------------------------


def _unsupported_options(target, options):
    missing = sorted(name for name in options if name not in target.load_options)
    if missing:
        return "%s does not take the load option%s %s" % (
            target.name, "s" if len(missing) > 1 else "", ", ".join(missing))
    return ""


def check_load_case(prep, target, out):
    """The load, reject or defined check of an accept, reject or implementation-defined case."""
    case = prep.case
    check = {"accept": "load", "reject": "reject"}.get(case.classification, "defined")
    base = dict(case=case.id, target=target.name, protocol=None)
    if case.protocol is not None and case.protocol not in target.load_protocols:
        out.append(Result(check=check, outcome="unsupported", message="%s reads protocols %s"
                          % (target.name, _ranges(target.load_protocols)), **base))
        return
    why = _unsupported_options(target, prep.load_options)
    if why:
        out.append(Result(check=check, outcome="unsupported", message=why, **base))
        return
    answer = yield Call(target, prep.load_text(case.data, prep.load_options))
    out.append(JUDGES[check](prep, target, answer, base))


def _judge_accept(prep, target, answer, base, variant=None):
    what, detail = _what(answer)
    if isinstance(answer, AdapterFailure):
        return _failure(base, "load", answer)
    if what == "ok":
        expected, expected_json = prep.expected_for(target.python2, variant)
        same, actual, why = _loaded(answer, expected_json, expected, target.python2)
        if same:
            return Result(check="load", outcome="pass", **base)
        result = Result(check="load", outcome="fail", message=why or "loaded a different object", **base)
        return _compare(result, expected, actual)
    if what in ("rejected", "unclean") and answer.get("exception") in _MISSING_MODULE:
        return Result(check="load", outcome="unsupported",
                      message="%s lacks a module the stream names: %s" % (target.name, detail), **base)
    return _non_load("load", what, detail, base)


def _non_load(check, what, detail, base):
    if what == "unsupported":
        return Result(check=check, outcome="unsupported", message=detail, **base)
    if what == "adapter":
        return Result(check=check, outcome="protocol-error", message=detail, **base)
    if what == "unclean":
        return Result(check=check, outcome="fail", message="unclean rejection: " + detail, **base)
    if what == "undescribable":
        return Result(check=check, outcome="fail",
                      message="loaded, but the result has no tagged-JSON form: " + detail, **base)
    return Result(check=check, outcome="fail", message="rejected: " + detail, **base)


def _judge_reject(prep, target, answer, base):
    what, detail = _what(answer)
    if isinstance(answer, AdapterFailure):
        return _failure(base, "reject", answer)
    if what == "rejected":
        return Result(check="reject", outcome="pass", message="rejected: " + detail, **base)
    if what == "unclean":
        return Result(check="reject", outcome="unclean", message="unclean rejection: " + detail, **base)
    if what in ("ok", "undescribable"):
        result = Result(check="reject", outcome="fail", message="accepted the stream", **base)
        if what == "ok":
            try:
                result.actual = _object_text(model.from_json(answer.get("object")))
            except model.ModelError:
                pass
        return result
    return _non_load("reject", what, detail, base)


def _judge_defined(prep, target, answer, base):
    what, detail = _what(answer)
    if isinstance(answer, AdapterFailure):
        return _failure(base, "defined", answer)
    outcomes = prep.case.outcomes
    if what == "ok":
        actual = None
        for outcome in outcomes:
            if outcome.accepts:
                if target.python2:
                    allowed, allowed_json = _viewed(model.to_json(outcome.result))
                else:
                    allowed, allowed_json = outcome.result, model.to_json(outcome.result)
                same, got, _ = _loaded(answer, allowed_json, allowed, target.python2)
                actual = got if got is not None else actual
                if same:
                    chosen = "result: " + _one_line(outcome.result)
                    return Result(check="defined", outcome="defined", chosen=chosen,
                                  message=chosen + _against_seen(target, outcome, outcomes), **base)
        result = Result(check="defined", outcome="fail",
                        message="loaded an object none of the allowed outcomes gives", **base)
        result.expected = "".join("- %s\n" % _describe_outcome(o) for o in outcomes)
        result.actual = _object_text(actual) if actual is not None else None
        return result
    if what in ("rejected", "unclean"):
        # The choice is rejection either way; how cleanly it was made is for
        # the reject cases to judge.
        if what == "unclean":
            detail = "unclean: " + detail
        for outcome in outcomes:
            if not outcome.accepts:
                chosen = "reject: %s" % outcome.reject
                return Result(check="defined", outcome="defined", chosen=chosen,
                              message="%s (%s)%s" % (chosen, detail,
                                                     _against_seen(target, outcome, outcomes)), **base)
        result = Result(check="defined", outcome="fail",
                        message="rejected (%s), and no allowed outcome is a rejection" % detail, **base)
        result.expected = "".join("- %s\n" % _describe_outcome(o) for o in outcomes)
        return result
    return _non_load("defined", what, detail, base)


def _describe_outcome(outcome):
    return "result: " + _one_line(outcome.result, 200) if outcome.accepts else "reject: " + outcome.reject


def _against_seen(target, chosen, outcomes):
    """A note when the case says this producer was seen choosing another outcome."""
    if not target.producer:
        return ""
    for outcome in outcomes:
        if outcome is not chosen and any(p.matches(target.producer) for p in outcome.seen):
            return " (the case records %s choosing %s)" % (target.producer, _describe_outcome(outcome))
    return ""


JUDGES = {"load": _judge_accept, "reject": _judge_reject, "defined": _judge_defined}


# -- dump cases ---------------------------------------------------------------


def check_variant_loads(prep, protocol, target, out):
    """The load check of a dump case: the target reads the canonical stream.

    Only the canonical variant -- the newest C pickler's -- is held to mean
    the case's object: an older producer's stream may not (Python 3.8's
    pickle.py loses the sharing of an in-band buffer, gh-148914); what every
    target makes of the other producers' streams is the cross check's.
    """
    case = prep.case
    variants = case.streams.get(protocol, ())
    if not variants or variants[0].fails:
        return
    canonical = variants[0]
    base = dict(case=case.id, target=target.name, protocol=protocol)
    if protocol not in target.load_protocols:
        out.append(Result(check="load", outcome="unsupported", message="%s reads protocols %s"
                          % (target.name, _ranges(target.load_protocols)), **base))
        return
    why = _unsupported_options(target, prep.load_options)
    if why:
        out.append(Result(check="load", outcome="unsupported", message=why, **base))
        return
    if not canonical.loads:
        out.append(Result(check="load", outcome="skip", message="the stream of %s does not load "
                          "back (loads: false)%s" % (canonical.producer_text,
                                                     ": " + canonical.note if canonical.note else ""),
                          **base))
        return
    answer = yield Call(target, prep.load_text(canonical.stream, prep.load_options))
    result = _judge_accept(prep, target, answer, base, canonical)
    if result.outcome != "pass":
        result.message = "the stream of %s: %s" % (canonical.producer_text, result.message)
    out.append(result)


def check_dump(prep, protocol, target, oracle, out, oracle_problem=""):
    """dump-bytes, dump-equivalent and dump-readable for one protocol."""
    case = prep.case
    base = dict(case=case.id, target=target.name, protocol=protocol)
    checks = ("dump-bytes", "dump-equivalent", "dump-readable")
    if protocol not in target.dump_protocols:
        message = "%s writes protocols %s" % (target.name, _ranges(target.dump_protocols)) \
            if target.dump_protocols else "%s does not dump" % target.name
        out.extend(Result(check=c, outcome="unsupported", message=message, **base) for c in checks)
        return
    answer = yield Call(target, prep.dump_text(protocol))
    variants = case.streams.get(protocol, [])
    own = case.variant_for(target.producer, protocol) if target.producer else None
    reference = own or (variants[0] if variants else None)
    what, detail = _what(answer)
    if isinstance(answer, AdapterFailure):
        out.extend(_failure(base, c, answer) for c in checks)
        return
    if what != "ok":
        out.extend(_dump_refused(what, detail, own, reference, target, base, answer))
        return
    data = bytes.fromhex(answer["data"])
    out.append(_dump_bytes(data, own, target, base))
    out.append(_dump_equivalent(data, reference, protocol, base))
    if oracle is None:
        out.append(Result(check="dump-readable", outcome="skip",
                          message="the reference is not running: %s" % (oracle_problem or "not started"),
                          **base))
        return
    if own is not None and not own.loads:
        out.append(Result(check="dump-readable", outcome="skip", message="the stream of %s does "
                          "not load back (loads: false)" % own.producer_text, **base))
        return
    options = readable_options(prep, target, answer.get("buffers"))
    read = yield Call(oracle, prep.load_text(answer["data"], options))
    expected, expected_json = prep.expected_for(target.python2, own)
    out.append(_dump_readable(read, expected, expected_json, base, target.python2))


def readable_options(prep, target, buffers):
    """The load options the reference reads a target's dump with."""
    options = dict(prep.load_options)
    if buffers:
        options["buffers"] = list(buffers)
    if target.python2 and "encoding" not in options:
        options["encoding"] = "latin1"  # how Python 3 programs read Python 2 pickles
    return options


def _no_expectation(target):
    if not target.producer:
        return "%s names no producer, so no bytes are expected of it" % target.name
    return "no expectation for %s" % target.producer


def _dump_refused(what, detail, own, reference, target, base, answer=None):
    if what == "unsupported":
        return [Result(check=c, outcome="unsupported", message=detail, **base)
                for c in ("dump-bytes", "dump-equivalent", "dump-readable")]
    if what == "adapter":
        return [Result(check=c, outcome="protocol-error", message=detail, **base)
                for c in ("dump-bytes", "dump-equivalent", "dump-readable")]
    if what == "unavailable" and not (own and own.stream is not None):
        message = "the object cannot exist in %s: %s" % (target.name, detail)
        return [Result(check=c, outcome="unsupported", message=message, **base)
                for c in ("dump-bytes", "dump-equivalent", "dump-readable")]
    if what == "unpicklable" and own is not None and own.stream is not None and not own.loads:
        # The producer writes a stream that does not load back; refusing to
        # write it is no worse, and neither is judged.
        message = ("refused, where %s writes a stream that does not load back (loads: false): %s"
                   % (own.producer_text, detail))
        return [Result(check=c, outcome="skip", message=message, **base)
                for c in ("dump-bytes", "dump-equivalent", "dump-readable")]
    failed = "the dump failed: %s" % detail
    out = []
    if own is None:
        out.append(Result(check="dump-bytes", outcome="skip", message=_no_expectation(target), **base))
    elif own.fails and own.raises and _python_target(target) \
            and (answer or {}).get("exception") != own.raises:
        out.append(Result(check="dump-bytes", outcome="fail", message="fails with %s, where %s "
                          "raises %s: %s" % ((answer or {}).get("exception"), own.producer_text,
                                             own.raises, detail), **base))
    elif own.fails:
        out.append(Result(check="dump-bytes", outcome="pass",
                          message="fails, as %s does: %s" % (own.producer_text, detail), **base))
    else:
        out.append(Result(check="dump-bytes", outcome="fail", message=failed, **base))
    if reference is None:
        out.append(Result(check="dump-equivalent", outcome="skip",
                          message="no stream at protocol %d to compare with" % base["protocol"], **base))
    elif reference.fails:
        out.append(Result(check="dump-equivalent", outcome="pass",
                          message="fails, as %s does" % reference.producer_text, **base))
    else:
        out.append(Result(check="dump-equivalent", outcome="fail", message=failed, **base))
    if reference is not None and reference.fails:
        out.append(Result(check="dump-readable", outcome="skip",
                          message="no stream to read: the dump fails, as expected", **base))
    else:
        out.append(Result(check="dump-readable", outcome="fail", message=failed, **base))
    return out


def _python_target(target):
    """Whether a target raises Python exceptions (its answers name their class)."""
    hello = getattr(target, "hello", None) or {}
    return hello.get("implementation") in ("cpython", "pypy", "picklespec")


def _dump_bytes(data, own, target, base):
    if own is None:
        return Result(check="dump-bytes", outcome="skip", message=_no_expectation(target), **base)
    if own.fails:
        return Result(check="dump-bytes", outcome="fail", message="wrote %d bytes; %s fails here"
                      % (len(data), own.producer_text), actual=asm.disassemble(data, offsets=True), **base)
    if data == own.stream:
        return Result(check="dump-bytes", outcome="pass", **base)
    expected = asm.disassemble(own.stream, offsets=True)
    actual = asm.disassemble(data, offsets=True)
    return Result(check="dump-bytes", outcome="fail", expected=expected, actual=actual,
                  message="bytes differ from %s's: %s" % (own.producer_text, _first_byte(own.stream, data)),
                  first_difference=first_difference(expected, actual), **base)


def _first_byte(expected, actual):
    for i, (x, y) in enumerate(zip(expected, actual)):
        if x != y:
            return "byte %d is 0x%02x, not 0x%02x" % (i, y, x)
    if len(actual) < len(expected):
        return "ends after %d bytes, not %d" % (len(actual), len(expected))
    return "%d bytes more after byte %d" % (len(actual) - len(expected), len(expected))


def _dump_equivalent(data, reference, protocol, base):
    if reference is None:
        return Result(check="dump-equivalent", outcome="skip",
                      message="no stream at protocol %d to compare with" % protocol, **base)
    if reference.fails:
        return Result(check="dump-equivalent", outcome="fail", message="wrote %d bytes; %s fails here"
                      % (len(data), reference.producer_text), **base)
    if data == reference.stream:
        return Result(check="dump-equivalent", outcome="pass", **base)
    expected, actual = normalize(reference.stream), normalize(data)
    if expected == actual:
        return Result(check="dump-equivalent", outcome="pass",
                      message="equivalent to %s's (memo and frames aside)" % reference.producer_text, **base)
    return Result(check="dump-equivalent", outcome="fail", expected=expected, actual=actual,
                  message="not equivalent to %s's" % reference.producer_text,
                  first_difference=first_difference(expected, actual), **base)


def _dump_readable(read, expected, expected_json, base, python2=False):
    what, detail = _what(read)
    if isinstance(read, AdapterFailure):
        return Result(check="dump-readable", outcome="fail", output=read.stderr or None,
                      message="the reference failed reading it (%s): %s" % (read.kind, read.message), **base)
    if what == "ok":
        same, actual, why = _loaded(read, expected_json, expected, python2)
        if same:
            return Result(check="dump-readable", outcome="pass", **base)
        result = Result(check="dump-readable", outcome="fail",
                        message=why or "the reference reads a different object", **base)
        return _compare(result, expected, actual)
    return Result(check="dump-readable", outcome="fail",
                  message="the reference cannot read it: %s" % detail, **base)


# -- cross --------------------------------------------------------------------


def plan_cross(prep, protocol, targets, oracle, out):
    """The cross check of one dump case at one protocol: producers x consumers."""
    producers = [t for t in targets if protocol in t.dump_protocols]
    consumers = [t for t in targets if t.load_protocols]
    if not producers or not consumers:
        return
    answers = yield [Call(t, prep.dump_text(protocol)) for t in producers]
    dumps = [(t, a) for t, a in zip(producers, answers) if isinstance(a, dict) and a.get("ok")]
    yield from _cross_reads(prep, protocol, dumps, consumers, oracle, out)


def cross_check(case, protocol, dumps, consumers, oracle=None):
    """Results of every consumer reading every producer's dump of a case.

    `dumps` is [(producer Target, its dump answer)], as the dump check got
    them; requests go one at a time (`run.execute` plans the same reads in
    its batches).
    """
    out = []
    dumps = [(t, a) for t, a in dumps if isinstance(a, dict) and a.get("ok")]
    drive(_cross_reads(Prepared(case), protocol, dumps, consumers, oracle, out), {})
    return out


def _cross_reads(prep, protocol, dumps, consumers, oracle, out):
    calls = []
    for name, data, buffers, python2, loads in _streams(prep.case, protocol, dumps):
        if not loads:
            out.extend(Result(case=prep.case.id, protocol=protocol, check="cross", outcome="skip",
                              target="%s -> %s" % (name, consumer.name),
                              message="the stream of %s does not load back (loads: false)" % name)
                       for consumer in consumers)
            continue
        for consumer in consumers:
            calls.extend(_cross_calls(prep, protocol, name, data, buffers, python2, consumer, oracle, out))
    flat = []
    for _, call, oracle_call in calls:
        flat.append(call)
        if oracle_call is not None:
            flat.append(oracle_call)
    if not flat:
        return
    got = iter((yield flat))
    for base, call, oracle_call in calls:
        answer = next(got)
        read = next(got) if oracle_call is not None else None
        out.append(_judge_cross(prep, answer, read, base))


def _streams(case, protocol, dumps):
    """(row name, hex data, buffers, python2, loads) for each distinct stream
    the producers wrote; loads is False for a variant that does not load back."""
    groups = {}
    for target, answer in dumps:
        key = (answer["data"], json.dumps(answer.get("buffers") or [], sort_keys=True))
        groups.setdefault(key, []).append(target)
    out = []
    for (data, buffers), producers in groups.items():
        buffers = json.loads(buffers)
        raw = bytes.fromhex(data)
        name = None
        loads = True
        for variant in case.streams.get(protocol, ()):
            if variant.stream == raw:
                name, loads = variant.producer_text, variant.loads
                break
        if name is None:
            name = "+".join(sorted(t.producer or t.name for t in producers))
        out.append((name, data, list(buffers), all(t.python2 for t in producers), loads))
    return sorted(out)


def _cross_calls(prep, protocol, name, data, buffers, python2, consumer, oracle, out):
    base = dict(case=prep.case.id, protocol=protocol, target="%s -> %s" % (name, consumer.name))
    if protocol not in consumer.load_protocols:
        out.append(Result(check="cross", outcome="unsupported", message="%s reads protocols %s"
                          % (consumer.name, _ranges(consumer.load_protocols)), **base))
        return []
    options = dict(prep.load_options)
    if buffers:
        options["buffers"] = buffers
    if python2 and not consumer.python2 and "encoding" in consumer.load_options \
            and "encoding" not in options:
        options["encoding"] = "latin1"  # how Python 3 programs read Python 2 pickles
    why = _unsupported_options(consumer, options)
    if why:
        out.append(Result(check="cross", outcome="unsupported", message=why, **base))
        return []
    text = prep.load_text(data, options)
    base["python2"] = python2 or consumer.python2
    return [(base, Call(consumer, text), Call(oracle, text) if oracle is not None else None)]


def _judge_cross(prep, answer, read, base):
    base = dict(base)
    python2 = base.pop("python2", False)
    if isinstance(answer, AdapterFailure):
        return _failure(base, "cross", answer)
    what, detail = _what(answer)
    if isinstance(read, dict) and read.get("ok"):
        if answer.get("object") == read.get("object"):  # the common case, without decoding
            return Result(check="cross", outcome="pass", **base)
        try:
            expected, expected_json = (_viewed(read["object"]) if python2 else
                                       (model.from_json(read["object"]), read["object"]))
        except model.ModelError:
            expected, expected_json = prep.expected_for(python2)
    else:
        expected, expected_json = prep.expected_for(python2)
    if what == "ok":
        same, actual, why = _loaded(answer, expected_json, expected, python2)
        if same:
            return Result(check="cross", outcome="pass", **base)
        result = Result(check="cross", outcome="fail", message=why or "read a different object", **base)
        return _compare(result, expected, actual)
    exception = answer.get("exception", "")
    if what in ("rejected", "unclean") and exception in _MISSING_CLASS:
        return Result(check="cross", outcome="unsupported",
                      message="the consumer lacks what the stream names: %s" % detail, **base)
    return _non_load("cross", what, detail, base)


# -- normalisation and differences ---------------------------------------------


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


def first_difference(expected_text, actual_text):
    """Where two texts (disassemblies, object notation) part, as one line; "" if equal."""
    expected = expected_text.splitlines()
    actual = actual_text.splitlines()
    for number, (want, got) in enumerate(zip(expected, actual), 1):
        if want != got:
            return "line %d: expected %r, got %r" % (number, want.strip(), got.strip())
    if len(expected) > len(actual):
        return "line %d: expected %r, got the end" % (len(actual) + 1, expected[len(actual)].strip())
    if len(actual) > len(expected):
        return "line %d: expected the end, got %r" % (len(expected) + 1, actual[len(expected)].strip())
    return ""


def _ranges(protocols):
    protocols = sorted(protocols)
    if not protocols:
        return "none"
    if protocols == list(range(protocols[0], protocols[-1] + 1)):
        return "%d-%d" % (protocols[0], protocols[-1]) if len(protocols) > 1 else str(protocols[0])
    return ", ".join(map(str, protocols))


# -- planning and driving ---------------------------------------------------------


def case_protocols(case, protocols=None):
    """The protocols a case is checked at (a load case: its own, or none)."""
    if case.classification == "dump":
        return [p for p in case.protocols if protocols is None or p in protocols]
    if protocols is None or case.protocol is None or case.protocol in protocols:
        return [case.protocol]
    return []


def plan(prep, target, protocols, oracle, out, oracle_problem=""):
    """The check generators of one case on one target."""
    case = prep.case
    if case.classification != "dump":
        if case_protocols(case, protocols):
            yield check_load_case(prep, target, out)
        return
    for protocol in case_protocols(case, protocols):
        yield check_dump(prep, protocol, target, oracle, out, oracle_problem)
        yield check_variant_loads(prep, protocol, target, out)


def drive(gen, cache, ask=None):
    """Run one check generator to its end, answering its calls one at a time."""
    ask = ask or _ask
    try:
        request = next(gen)
        while True:
            if isinstance(request, list):
                answer = [_cached(call, cache, ask) for call in request]
            else:
                answer = _cached(request, cache, ask)
            request = gen.send(answer)
    except StopIteration:
        pass


def _cached(call, cache, ask):
    key = call.key
    if key not in cache:
        cache[key] = ask(call)
    return cache[key]


def _ask(call):
    try:
        return call.target.adapter.request(call.text)
    except AdapterFailure as failure:
        return failure


_ORACLE = {}


def reference_oracle():
    """A started reference target for dump-readable, shared by check_case calls;
    (target or None, why not)."""
    if "target" not in _ORACLE:
        import atexit

        from .targets import UsageError, open_target, parse_target

        try:
            _ORACLE["target"], _ORACLE["problem"] = open_target(parse_target("reference")[0]), ""
            atexit.register(_ORACLE["target"].close)
        except UsageError as exc:
            _ORACLE["target"], _ORACLE["problem"] = None, str(exc)
    return _ORACLE["target"], _ORACLE["problem"]


def check_case(case, target, protocols=None, oracle=None):
    """Every check of one case on one target, as Results (requests one at a time).

    `protocols` limits the protocols checked; `oracle` is the reference
    target dump-readable asks (by default the target itself when it is the
    reference, or one started on first use).
    """
    problem = ""
    if oracle is None:
        if target.spec.kind == "reference":
            oracle = target
        elif case.classification == "dump":
            oracle, problem = reference_oracle()
    out = []
    cache = {}
    prep = Prepared(case)
    for gen in plan(prep, target, protocols, oracle, out, problem):
        drive(gen, cache)
    return out
