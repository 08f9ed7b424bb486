"""What the judges share: calls, the per-case preparation, and reading a loaded object."""

import copy
import json

from picklespec.process import AdapterFailure
from picklespec.reference import model

from .. import wire
from ..difference import first_difference
from ..projections import compare as compare_projected
from ..projections import constructed, python2_view, symbolic, viewed
from ..results import Result

MISSING_MODULE = {"ImportError", "ModuleNotFoundError"}
MISSING_CLASS = MISSING_MODULE | {"AttributeError"}


class Call:
    """One request (its JSON text) to one target; equal calls are asked once
    (`key`: the target and the text)."""

    __slots__ = ("target", "text", "key")

    def __init__(self, target, text):
        self.target = target
        self.text = text
        self.key = (id(target), text)

    def __repr__(self):
        return "<Call %s %s>" % (self.target.name, self.text[:60])


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
        self.truth = {}  # what the scan judge computed, by stream
        self.load_options = wire.wire_options(case.load_options)
        if case.options.get("sequence") is True:
            # several pickles back to back load back one load() at a time
            self.load_options["sequence"] = "true"

    @property
    def expected_json(self):
        if self._expected_json is None:
            self._expected_json = self.case.result_json
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
                self._variant_expected[key] = (viewed(as_json) if python2 else
                                               (variant.result, as_json))
            return self._variant_expected[key]
        if not python2:
            return self.expected, self.expected_json
        if self._python2 is None:
            self._python2 = viewed(self.expected_json)
        return self._python2

    def dump_text(self, protocol):
        """The dump request at a protocol: one string, shared by every target's call."""
        text = self._texts.get(protocol)
        if text is None:
            if self._object_text is None:
                self._object_text = self.case.object_text or json.dumps(
                    model.to_json(self.case.object), sort_keys=True)
            text = self._texts[protocol] = wire.dump_text(
                protocol, self._object_text, wire.wire_options(self.case.options))
        return text

    def load_text(self, data, options):
        """The load request for a stream of the case, shared as dump_text is."""
        key = (data if isinstance(data, str) else bytes(data),
               json.dumps(options, sort_keys=True) if options else "")
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = wire.load_text(data, options)
        return text

    def data_text(self, op, data):
        """A parse, scan or transform request for a stream of the case."""
        key = (op, data if isinstance(data, str) else bytes(data))
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = wire.data_text(op, data)
        return text


def what(answer, target):
    """outcome_of with the target's profile deciding clean from unclean."""
    return wire.outcome_of(answer, getattr(target, "profile", None))


_TEXTS = {}  # tagged JSON text -> object_text: many failing cells show the same objects
_TEXTS_KEPT = 4096


def object_text(value):
    """A value in the case notation (the YAML of case files), as reports show it.

    Writing the notation is costly (about a millisecond), and a run's failing
    cells show a few hundred distinct objects thousands of times, so the
    texts are kept by the value's tagged JSON, which tells apart any two
    values that differ, sharing included.
    """
    try:
        key = json.dumps(model.to_json(value), sort_keys=True)
    except (model.ModelError, RecursionError, TypeError, ValueError):
        key = None
    text = _TEXTS.get(key) if key is not None else None
    if text is None:
        text = _object_text(value)
        if key is not None:
            if len(_TEXTS) >= _TEXTS_KEPT:
                _TEXTS.clear()
            _TEXTS[key] = text
    return text


def _object_text(value):
    try:
        from picklespec.cases.notation import dump_object

        return dump_object(value)
    except Exception:  # a value the notation cannot write is still shown
        return repr(value) + "\n"


def one_line(value, limit=60):
    text = " ".join(object_text(value).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


class Loaded:
    """How a successful load answer compares with the expected object."""

    __slots__ = ("same", "actual", "why", "projection", "expected")

    def __init__(self, same, actual=None, why="", projection=(), expected=None):
        self.same, self.actual, self.why, self.projection = same, actual, why, projection
        # What the answer was last compared with, when not the expected object
        # (the symbolic reading, under unresolved-globals): reports show that.
        self.expected = expected


def loaded(answer, expected_json, expected, python2=False, projections=(), stream=None, options=None):
    """A `Loaded` for a successful load answer.

    With python2, both sides are compared as `python2_view` shows them
    (expected_json and expected are then already in that view).  When they
    differ as given, they are compared again under the target's projections
    (runner/projections.py); `projection` names those the match needed.
    """
    got = answer.get("object")
    if got == expected_json:
        return Loaded(True)
    if python2:
        got = python2_view(got)
        if got == expected_json:
            return Loaded(True)
    try:
        actual = model.from_json(got)
    except (model.ModelError, RecursionError) as exc:
        return Loaded(False, why="the answer is not tagged JSON: %s" % exc)
    if model.equal(actual, expected):
        return Loaded(True)
    if projections:
        needed = compare_projected(expected_json, got, projections)
        if needed:
            return Loaded(True, actual, projection=needed)
        if "unresolved-globals" in projections:
            unresolved = symbolic(stream, options)
            if unresolved is not None and python2:
                unresolved = python2_view(unresolved)
            if unresolved is not None:  # INST, OBJ and NEWOBJ build alike (projections.constructed)
                unresolved = constructed(unresolved)
                got = constructed(copy.deepcopy(got))
            if unresolved is not None and unresolved != expected_json:
                if got == unresolved:
                    return Loaded(True, actual, projection=("unresolved-globals",))
                needed = compare_projected(unresolved, got, projections)
                if needed is not None:  # () is equal as given: no projection besides
                    return Loaded(True, actual, projection=("unresolved-globals",) + needed)
                try:
                    return Loaded(False, actual, "a different object than the stream builds with "
                                  "unresolved globals", expected=model.from_json(unresolved))
                except model.ModelError:
                    pass
    return Loaded(False, actual)


def projected(result, found):
    """A passing Result that needed projections says which."""
    if found.projection:
        result.projection = ", ".join(found.projection)
        result.message = "equal under projection %s" % result.projection
    return result


def no_cpython_pickles(case, protocol):
    """The variant saying so when the case records that every CPython refuses to
    pickle its object at this protocol (an ``unpicklable`` case), else None."""
    variants = case.streams.get(protocol) or ()
    if variants and all(v.fails for v in variants) and any(
            "cpython" in (v.producer_text or "") for v in variants):
        return variants[0]
    return None


def compared(result, expected, actual):
    """Fill in expected/actual/first_difference of a failing Result."""
    result.expected = object_text(expected)
    result.actual = object_text(actual) if actual is not None else None
    if result.actual is not None:
        result.first_difference = first_difference(result.expected, result.actual)
    return result


def failure(base, check, answer):
    """A Result for a crash, timeout or protocol error of the target."""
    return Result(check=check, outcome=answer.kind, message=answer.message,
                  output=answer.stderr or None, **base)


def non_load(check, word, detail, base):
    """The Result of an answer that is neither ok nor the rejection a check wants."""
    if word == "unsupported":
        return Result(check=check, outcome="unsupported", message=detail, **base)
    if word == "adapter":
        return Result(check=check, outcome="protocol-error", message=detail, **base)
    if word == "unclean":
        return Result(check=check, outcome="fail", message="unclean rejection: " + detail, **base)
    if word == "undescribable":
        return Result(check=check, outcome="fail",
                      message="loaded, but the result has no tagged-JSON form: " + detail, **base)
    return Result(check=check, outcome="fail", message="rejected: " + detail, **base)


def ranges(protocols):
    protocols = sorted(protocols)
    if not protocols:
        return "none"
    if protocols == list(range(protocols[0], protocols[-1] + 1)):
        return "%d-%d" % (protocols[0], protocols[-1]) if len(protocols) > 1 else str(protocols[0])
    return ", ".join(map(str, protocols))


def unsupported_options(target, options):
    if not options:
        return ""
    missing = sorted(name for name in options if name not in target.load_options)
    if missing:
        return "%s does not take the load option%s %s" % (
            target.name, "s" if len(missing) > 1 else "", ", ".join(missing))
    return ""


def not_read(target, data, protocol, options=None):
    """Why target does not read this stream ("" if it does): a protocol, a load
    option or an opcode its profile does not declare."""
    if protocol is not None and protocol not in target.load_protocols:
        return "%s reads protocols %s" % (target.name, ranges(target.load_protocols))
    why = unsupported_options(target, options or {})
    if why:
        return why
    profile = getattr(target, "profile", None)
    missing = profile.undeclared(data) if profile is not None else ()
    if missing:
        return "%s does not declare the opcode%s %s" % (
            target.name, "s" if len(missing) > 1 else "", ", ".join(missing))
    return ""


def declares(target, kind):
    """Whether the target's profile names a check kind."""
    profile = getattr(target, "profile", None)
    return profile is None or kind in profile.checks


def model_of(target):
    profile = getattr(target, "profile", None)
    return profile.model if profile is not None else ()


def python_exceptions(target):
    """Whether the target's exceptions are Python's (its hello's kind is c, py
    or reference), so the exception types cases record (a reject case's
    `exception`, a failing dump variant's `raises`) can be compared with its."""
    hello = getattr(target, "hello", None) or {}
    return hello.get("kind") in ("c", "py", "reference")


def is_failure(answer):
    return isinstance(answer, AdapterFailure)
