"""The parse judge: a target that only says whether a stream is a well-formed pickle.

``parse``
    no object is compared.  The stream of an accept case, and a dump case's
    canonical stream, must be accepted; a reject case whose fault is one of
    form (`FORM_FAULTS`, the case's ``failure:``) must be refused with one
    of the target's clean exceptions (an unclean refusal is ``unclean``);
    a reject case refused for another reason (a limit, a forbidden global,
    a type error only running the stream reveals) is ``skip`` -- a parser
    is not asked to find it.  An implementation-defined case records
    whether the target accepted or refused (``defined``), a failure only
    when the case allows no such outcome.  Several pickles back to back (a
    ``sequence`` case) are not one stream: ``unsupported`` unless the
    target takes the ``sequence`` load option.  A parser whose profile lists
    the faults it checks (``parse_faults``: pickletools.genops decodes
    opcodes and arguments, and keeps no stack) is not asked about a stream
    with another fault: that cell is ``unsupported``.
"""

from ..results import Result
from .common import Call, failure, is_failure, not_read, what

__all__ = ["check_parse", "FORM_FAULTS", "fault_of"]

FORM_FAULTS = frozenset({"truncated", "unknown-opcode", "bad-argument", "stack", "memo"})
TYPE_ERRORS = frozenset({"TypeError", "AttributeError"})  # what using an operand of another type raises


def fault_of(case):
    """The fault a reject case is about, as a parse judge sees it: its
    ``failure:``, made finer where the corpus's kind covers faults that are
    not of form -- that reading the opcodes, their arguments, the stack of
    kinds and the memo cannot find.

    ``type``
        an operand of the wrong type (cases/reject/types.yaml, ids
        ``reject-type-*``, ``failure: stack``; or a stack fault every CPython
        refuses with the TypeError or AttributeError of using it, as APPEND
        to an int): only building the objects shows it;
    ``extension``
        an EXT code no registry holds, or can hold (tag ``extension``):
        copyreg's registry, not the stream, decides;
    ``encoding``
        a Python 2 str that does not decode under the default encoding (a
        ``bad-argument`` case tagged ``encoding``): the load option decides;
    ``protocol``
        a PROTO naming a protocol no CPython reads (a ``bad-argument`` case
        tagged ``proto``): its argument decodes, and which numbers are known
        is a reader's version (pickletools reads any).
    """
    tags = case.tags or ()
    if case.failure == "stack" and (case.id.startswith("reject-type-") or
                                    getattr(case, "exception", None) in TYPE_ERRORS):
        return "type"
    if case.failure == "bad-argument":
        for tag in ("extension", "encoding", "proto"):
            if tag in tags:
                return "protocol" if tag == "proto" else tag
    return case.failure


def check_parse(prep, target, out, protocol=None, data=None):
    """The parse cell of a load case, or (with protocol and data) of a dump case's stream."""
    case = prep.case
    kind = case.classification if data is None else "accept"
    data = case.data if data is None else data
    base = dict(case=case.id, target=target.name, protocol=protocol, check="parse")
    checked = getattr(getattr(target, "profile", None), "parse_faults", None)
    fault = fault_of(case) if kind == "reject" else None
    if kind == "reject" and fault not in FORM_FAULTS and fault not in (checked or ()):
        out.append(Result(outcome="skip", message="not a fault of form (failure: %s): a parser is "
                          "not asked to find it" % (fault or "unstated"), **base))
        return
    why = not_read(target, data, case.protocol if protocol is None else protocol,
                   _one_pickle(prep))
    if not why and kind == "reject" and checked is not None and fault not in checked:
        why = "%s does not check faults of kind %s (its parse_faults: %s)" % (
            target.name, fault, ", ".join(sorted(checked)))
    if why:
        out.append(Result(outcome="unsupported", message=why, **base))
        return
    answer = yield Call(target, prep.data_text("parse", data))
    out.append(_judge(case, kind, target, answer, base))


def _one_pickle(prep):
    """The load option a parse or transform target must take to be asked
    about this case: ``sequence`` (pickles back to back), or none.  What
    the target is given is one stream; several pickles in it are several
    streams to it."""
    return {"sequence": "true"} if prep.load_options.get("sequence") == "true" else {}


def _judge(case, kind, target, answer, base):
    if is_failure(answer):
        return failure({k: v for k, v in base.items() if k != "check"}, "parse", answer)
    word, detail = what(answer, target)
    if word in ("unsupported", "adapter"):
        return Result(outcome="unsupported" if word == "unsupported" else "protocol-error",
                      message=detail, **base)
    accepted = word == "ok"
    refused = word in ("rejected", "unclean")
    if not (accepted or refused):
        return Result(outcome="protocol-error", message="a parse answered %s: %s" % (word, detail), **base)
    if kind == "accept":
        if accepted:
            return Result(outcome="pass", **base)
        return Result(outcome="fail", message="refused a well-formed stream: %s%s" % (
            "unclean: " if word == "unclean" else "", detail), **base)
    if kind == "reject":
        if accepted:
            return Result(outcome="fail", message="accepted a malformed stream (%s)" % case.failure, **base)
        if word == "unclean":
            return Result(outcome="unclean", message="unclean rejection: " + detail, **base)
        return Result(outcome="pass", message="rejected: " + detail, **base)
    allowed = [o for o in case.outcomes if o.accepts == accepted]
    if not allowed:
        return Result(outcome="fail", message="%s, and no allowed outcome does" % (
            "accepted" if accepted else "refused (%s)" % detail), **base)
    chosen = "accept" if accepted else "reject: %s" % allowed[0].reject
    return Result(outcome="defined", chosen=chosen, message=chosen if accepted else
                  "%s (%s)" % (chosen, detail), **base)
