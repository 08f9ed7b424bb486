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
    when the case allows no such outcome.
"""

from ..results import Result
from .common import Call, failure, is_failure, not_read, what

__all__ = ["check_parse", "FORM_FAULTS"]

FORM_FAULTS = frozenset({"truncated", "unknown-opcode", "bad-argument", "stack", "memo"})


def check_parse(prep, target, out, protocol=None, data=None):
    """The parse cell of a load case, or (with protocol and data) of a dump case's stream."""
    case = prep.case
    kind = case.classification if data is None else "accept"
    data = case.data if data is None else data
    base = dict(case=case.id, target=target.name, protocol=protocol, check="parse")
    if kind == "reject" and case.failure not in FORM_FAULTS:
        out.append(Result(outcome="skip", message="not a fault of form (failure: %s): a parser is "
                          "not asked to find it" % (case.failure or "unstated"), **base))
        return
    why = not_read(target, data, case.protocol if protocol is None else protocol)
    if why:
        out.append(Result(outcome="unsupported", message=why, **base))
        return
    answer = yield Call(target, prep.data_text("parse", data))
    out.append(_judge(case, kind, target, answer, base))


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
