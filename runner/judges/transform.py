"""The transform judge: bytes in, bytes out (an optimizer, a re-framer, a sanitizer).

``transform``
    the stream of an accept case, or a dump case's canonical stream, goes
    in; what comes out must load -- in picklespec's reference, the oracle,
    with the case's load options -- to the object the input loads to (an
    output identical to the input passes unread).  Refusing a well-formed
    stream fails.  A reject case's malformed stream must be refused, or
    come out as a stream that does not load either: an output the
    reference loads fails the cell ("a malformed stream came out as one
    that loads").  Several pickles back to back (a ``sequence`` case) are
    ``unsupported`` unless the target takes the ``sequence`` load option.
"""

from picklespec.reference import asm

from ..results import Result
from .common import Call, compared, failure, is_failure, loaded, not_read, what
from .parse import _one_pickle

__all__ = ["check_transform"]


def check_transform(prep, target, oracle, out, protocol=None, data=None, oracle_problem=""):
    """The transform cell of an accept or reject case, or of a dump case's stream."""
    case = prep.case
    kind = case.classification if data is None else "accept"
    data = case.data if data is None else data
    base = dict(case=case.id, target=target.name, protocol=protocol, check="transform")
    why = not_read(target, data, case.protocol if protocol is None else protocol, _one_pickle(prep))
    if why:
        out.append(Result(outcome="unsupported", message=why, **base))
        return
    if oracle is None:
        out.append(Result(outcome="skip", message="the reference is not running: %s" % (
            oracle_problem or "not started"), **base))
        return
    answer = yield Call(target, prep.data_text("transform", data))
    if is_failure(answer):
        out.append(failure({k: v for k, v in base.items() if k != "check"}, "transform", answer))
        return
    word, detail = what(answer, target)
    if word in ("unsupported", "adapter"):
        out.append(Result(outcome="unsupported" if word == "unsupported" else "protocol-error",
                          message=detail, **base))
        return
    if word != "ok":
        if kind == "reject":
            out.append(Result(outcome="pass", message="refused: " + detail, **base))
        else:
            out.append(Result(outcome="fail", message="refused a well-formed stream: " + detail, **base))
        return
    try:
        output = bytes.fromhex(answer.get("data") or "")
    except (TypeError, ValueError):
        out.append(Result(outcome="protocol-error", message="a transform answer needs 'data' (hex)", **base))
        return
    if kind != "reject" and output == bytes(data):
        out.append(Result(outcome="pass", message="unchanged", **base))
        return
    read = yield Call(oracle, prep.load_text(output, prep.load_options))
    read_word, read_detail = what(read, oracle)
    shown = asm.disassemble(output, offsets=True)
    if kind == "reject":
        if read_word == "ok":
            out.append(Result(outcome="fail", message="a malformed stream came out as one that loads",
                              expected=asm.disassemble(bytes(data), offsets=True), actual=shown, **base))
        else:
            out.append(Result(outcome="pass", message="the output does not load either: " + read_detail,
                              **base))
        return
    if read_word != "ok":
        out.append(Result(outcome="fail", message="the output does not load: " + read_detail,
                          expected=asm.disassemble(bytes(data), offsets=True), actual=shown, **base))
        return
    expected, expected_json = prep.expected_for(False)
    found = loaded(read, expected_json, expected)
    if found.same:
        out.append(Result(outcome="pass", **base))
        return
    result = Result(outcome="fail", message=found.why or "the output loads to a different object", **base)
    out.append(compared(result, expected, found.actual))
