"""The judges of load cases: ``load`` (accept), ``reject``, ``defined``, and
the ``load`` of a dump case's canonical stream.

``load``
    the target reads the expected stream -- an accept case's, or a dump
    case's canonical one -- and produces the expected object, compared as
    graphs (`model.equal`: types, values, sharing and cycles), under the
    target's projections when it declares any.
``reject``
    the target refuses a malformed stream *cleanly*: with one of the
    exception types its profile names in ``clean_exceptions``; any other
    is an *unclean* rejection.  Where the case records the ``exception``
    every CPython 3.6-3.13 raises for the stream, a Python target raising
    that type conforms, whatever its profile says (a call the stream makes
    that fails with TypeError is refused as CPython refuses it), and one
    refusing cleanly with another type is a ``difference``: reported apart,
    not a failure.  A crash, a hang and a protocol error keep their own
    outcomes.
``defined``
    an implementation-defined stream: the outcome the target chose is
    recorded (``defined``, with ``chosen`` naming it), never a failure -- but
    an outcome not in the case's list is one.

A stream at a protocol the target does not read, with a load option it does
not take, or using an opcode it does not declare is ``unsupported``.  So is
a stream a loader with a safety policy declines by that policy: one that
needs a global outside the profile's ``allowed_globals`` (not asked), or
one that imports a global (or hands an id to ``persistent_load``) and is
refused with one of its ``policy_exceptions``.  A loader that resolves no
global (``unresolved-globals``) is not asked to refuse a stream that only
resolving its globals refuses: accepting it is ``unsupported``; so is a
target without the ``encoding`` option on a stream refused only because a
Python 2 str does not decode as ASCII, the default it cannot be given.  Which globals a stream needs is the scan judge's
ground truth (what CPython's ``find_class`` is asked for).  A stream that
imports no global and is refused by policy is a failure: the policy
refused plain data.
"""

from picklespec.reference import asm, model

from ..results import Result
from ..profile import stream_opcodes
from ..projections import symbolic, viewed
from .common import (MISSING_MODULE, Call, compared, failure, is_failure, loaded, model_of,
                     non_load, not_read, object_text, one_line, projected, python_exceptions,
                     what)
from .parse import fault_of
from .scan import _names, ground_truth

__all__ = ["check_load_case", "check_variant_loads", "JUDGES"]


def check_load_case(prep, target, out):
    """The load, reject or defined check of an accept, reject or implementation-defined case."""
    case = prep.case
    check = {"accept": "load", "reject": "reject"}.get(case.classification, "defined")
    base = dict(case=case.id, target=target.name, protocol=None)
    why = not_read(target, case.data, case.protocol, prep.load_options)
    if not why and check == "load":
        why = _not_allowed(prep, target, case.data)
    if not why and check == "reject" and fault_of(case) == "encoding" \
            and "encoding" not in target.load_options:
        why = ("refused only under the default encoding (ASCII) of a Python 2 str, and %s "
               "takes no encoding option" % target.name)
    if why:
        out.append(Result(check=check, outcome="unsupported", message=why, **base))
        return
    answer = yield Call(target, prep.load_text(case.data, prep.load_options))
    out.append(JUDGES[check](prep, target, answer, base))


def _judge_accept(prep, target, answer, base, variant=None):
    word, detail = what(answer, target)
    if is_failure(answer):
        return failure(base, "load", answer)
    if word == "ok":
        expected, expected_json = prep.expected_for(target.python2, variant)
        stream = variant.stream if variant is not None else prep.case.data
        found = loaded(answer, expected_json, expected, target.python2, model_of(target),
                       stream, prep.load_options)
        if found.same:
            return projected(Result(check="load", outcome="pass", **base), found)
        result = Result(check="load", outcome="fail", message=found.why or "loaded a different object",
                        **base)
        return compared(result, found.expected if found.expected is not None else expected,
                        found.actual)
    if word in ("rejected", "unclean") and answer.get("exception") in MISSING_MODULE:
        return Result(check="load", outcome="unsupported",
                      message="%s lacks a module the stream names: %s" % (target.name, detail), **base)
    if word in ("rejected", "unclean"):
        imported = _by_policy(prep, target, answer, variant.stream if variant is not None
                              else prep.case.data)
        if imported:
            return Result(check="load", outcome="unsupported",
                          message="refused by %s's policy (%s): the stream imports %s"
                          % (target.name, answer.get("exception"), ", ".join(imported)), **base)
    return non_load("load", word, detail, base)


def _globals_needed(prep, data):
    """The globals CPython resolves loading data ("module:name"), or None
    when CPython does not load it."""
    data = bytes.fromhex(data) if isinstance(data, str) else bytes(data)
    truth = ground_truth(prep, data)
    return None if isinstance(truth, str) else truth[0]


def _named_globals(data):
    """The globals a stream names, read without loading it: where CPython
    does not load it even with stand-ins there is no ground truth, and what
    its GLOBAL, INST, STACK_GLOBAL and EXT opcodes name is what a policy
    sees."""
    names = set()
    for ins in asm.read_instructions(data):
        name = ins.op.name if ins.op is not None else None
        if name in ("GLOBAL", "INST") and isinstance(ins.value, str):
            names.add(ins.value.replace(" ", ":", 1))
        elif name in ("STACK_GLOBAL", "EXT1", "EXT2", "EXT4"):
            names.add("(%s)" % name)
    return names


def _not_allowed(prep, target, data):
    """Why a stream is outside the target's allowed_globals ("" if it is not)."""
    profile = getattr(target, "profile", None)
    allowed = getattr(profile, "allowed_globals", None)
    if allowed is None or data is None:
        return ""
    needed = _globals_needed(prep, data)
    if needed is None:  # no ground truth: what GLOBAL and INST name
        raw = bytes.fromhex(data) if isinstance(data, str) else bytes(data)
        needed = [g for g in _named_globals(raw) if not g.startswith("(")]
    outside = sorted({g for g in needed if not _names(g) & allowed})
    if not outside:
        return ""
    return "%s imports only its allowed_globals, and the stream needs %s" % (
        target.name, ", ".join(outside))


def _by_policy(prep, target, answer, data):
    """What a stream reaches beyond plain data -- the globals it imports, and
    ``persistent_load`` when it hands over a persistent id -- when the target
    refused it with one of its policy_exceptions; () when it reaches nothing
    or the refusal was another."""
    profile = getattr(target, "profile", None)
    policy = getattr(profile, "policy_exceptions", None)
    if not policy or data is None:
        return ()
    raised = [answer.get("exception")] + list(answer.get("exception_bases") or ())
    if not any(name in policy for name in raised):
        return ()
    reached = _globals_needed(prep, data)
    data = bytes.fromhex(data) if isinstance(data, str) else bytes(data)
    reached = set(reached if reached is not None else _named_globals(data))
    if stream_opcodes(data) & {"PERSID", "BINPERSID"}:
        reached.add("persistent_load")  # the application's hook, called with the id
    return tuple(sorted(reached))



def _judge_reject(prep, target, answer, base):
    word, detail = what(answer, target)
    if is_failure(answer):
        return failure(base, "reject", answer)
    recorded = getattr(prep.case, "exception", None)
    if recorded is not None and word in ("rejected", "unclean") and python_exceptions(target):
        raised = [answer.get("exception")] + list(answer.get("exception_bases") or ())
        if recorded in raised:  # what every CPython 3.6-3.13 raises for this stream
            return Result(check="reject", outcome="pass",
                          message="rejected as every CPython does (%s): %s" % (recorded, detail),
                          **base)
        if word == "rejected":
            return Result(check="reject", outcome="difference",
                          message="rejected with %s; CPython 3.6-3.13 raise %s: %s"
                          % (answer.get("exception"), recorded, detail), **base)
    if word == "rejected":
        return Result(check="reject", outcome="pass", message="rejected: " + detail, **base)
    if word == "unclean":
        return Result(check="reject", outcome="unclean", message="unclean rejection: " + detail, **base)
    if word in ("ok", "undescribable") and _unhashable(prep.case) and _not_python(target):
        return Result(check="reject", outcome="unsupported",
                      message="refused only for an unhashable key or member, and %s's data model "
                      "(%s) has no hashability" % (target.name, ", ".join(model_of(target))), **base)
    if word in ("ok", "undescribable") and "unresolved-globals" in model_of(target) \
            and symbolic(prep.case.data, prep.load_options) is not None:
        return Result(check="reject", outcome="unsupported",
                      message="refused only where its globals are resolved, and %s resolves none "
                      "(unresolved-globals)" % target.name, **base)
    if word in ("ok", "undescribable"):
        result = Result(check="reject", outcome="fail", message="accepted the stream", **base)
        if word == "ok":
            try:
                result.actual = object_text(model.from_json(answer.get("object")))
            except model.ModelError:
                pass
        return result
    return non_load("reject", word, detail, base)


NOT_PYTHON = frozenset({"no-tuple", "double-numbers", "str-keys", "sets-as-lists"})


def _unhashable(case):
    """Whether the case is refused only for an unhashable key or member (its
    tag says so): a rule of Python's data model."""
    return "unhashable-key" in case.tags


def _not_python(target):
    """Whether the target's data model is not Python's (a JavaScript library's)."""
    return bool(NOT_PYTHON & set(model_of(target)))


def _judge_defined(prep, target, answer, base):
    word, detail = what(answer, target)
    if is_failure(answer):
        return failure(base, "defined", answer)
    outcomes = prep.case.outcomes
    if word == "ok":
        actual = None
        for outcome in outcomes:
            if outcome.accepts:
                if target.python2:
                    allowed, allowed_json = viewed(model.to_json(outcome.result))
                else:
                    allowed, allowed_json = outcome.result, model.to_json(outcome.result)
                found = loaded(answer, allowed_json, allowed, target.python2, model_of(target),
                               prep.case.data, prep.load_options)
                actual = found.actual if found.actual is not None else actual
                if found.same:
                    chosen = "result: " + one_line(outcome.result)
                    result = Result(check="defined", outcome="defined", chosen=chosen, **base)
                    projected(result, found)
                    result.message = chosen + (" (%s)" % result.message if result.message else "") \
                        + _against_seen(target, outcome, outcomes)
                    return result
        result = Result(check="defined", outcome="fail",
                        message="loaded an object none of the allowed outcomes gives", **base)
        result.expected = "".join("- %s\n" % _describe_outcome(o) for o in outcomes)
        result.actual = object_text(actual) if actual is not None else None
        return result
    if word in ("rejected", "unclean"):
        # The choice is rejection either way; how cleanly it was made is for
        # the reject cases to judge.
        if word == "unclean":
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
    return non_load("defined", word, detail, base)


def _describe_outcome(outcome):
    return "result: " + one_line(outcome.result, 200) if outcome.accepts else "reject: " + outcome.reject


def _against_seen(target, chosen, outcomes):
    """A note when the case says this producer was seen choosing another outcome."""
    if not target.producer:
        return ""
    for outcome in outcomes:
        if outcome is not chosen and any(p.matches(target.producer) for p in outcome.seen):
            return " (the case records %s choosing %s)" % (target.producer, _describe_outcome(outcome))
    return ""


JUDGES = {"load": _judge_accept, "reject": _judge_reject, "defined": _judge_defined}


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
    why = (not_read(target, canonical.stream, protocol, prep.load_options)
           or _not_allowed(prep, target, canonical.stream))
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
