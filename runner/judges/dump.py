"""The dump judges: what a target writes for a dump case's object.

For a target held to a recorded producer (CPython's picklers, the reference):

``dump-bytes``
    the target's bytes for the case's object are identical to the variant for
    its producer; with no variant for that producer the cell is ``skip``
    ("no expectation for PRODUCER"), never a pass.
``dump-equivalent``
    the same opcode stream once memo bookkeeping and framing are normalised
    (`reference.normalize`), against the producer's variant or else the
    canonical (first) one.
``dump-readable``
    the reference reads the target's bytes into an object equal to the
    case's.  The reference runs as a target too (the *oracle*), so a
    reference that crashes loses only that cell.  A Python 2 producer's
    stream is read as Python 3 programs read them, ``encoding='latin1'``.

For a producer that is not CPython (its hello names ``readable_by``:
cloudpickle, dill), one ``dump`` cell per protocol, judged in turn:

``dump``
    the bytes are identical to some recorded variant of the case (pass,
    "identical to PRODUCER's"); else equivalent to one once normalised
    (pass, "equivalent to PRODUCER's"); else every CPython the profile names,
    each running isolated (``python -I -S``: no site-packages, no environment),
    reads them into the case's object (pass, "read back by ...").  A reader
    that is not on this machine makes the cell ``skip`` with the reason.
    What the producer cannot write (it refuses with PicklingError or the
    TypeError "cannot pickle"), and what it writes for an object no CPython
    pickles (an ``unpicklable`` case: a lambda, a lock, for cloudpickle and
    dill), are ``unsupported``: the specification holds neither to anything.
"""

from picklespec.reference import asm
from picklespec.reference.normalize import normalize

from ..difference import first_difference
from ..results import Result
from .common import (Call, compared, failure, is_failure, loaded, no_cpython_pickles,
                     python_exceptions, ranges, what)

__all__ = ["check_dump", "check_producer_dump", "readable_options"]


def check_dump(prep, protocol, target, oracle, out, oracle_problem=""):
    """dump-bytes, dump-equivalent and dump-readable for one protocol."""
    case = prep.case
    base = dict(case=case.id, target=target.name, protocol=protocol)
    checks = ("dump-bytes", "dump-equivalent", "dump-readable")
    if protocol not in target.dump_protocols:
        message = "%s writes protocols %s" % (target.name, ranges(target.dump_protocols)) \
            if target.dump_protocols else "%s does not dump" % target.name
        out.extend(Result(check=c, outcome="unsupported", message=message, **base) for c in checks)
        return
    answer = yield Call(target, prep.dump_text(protocol))
    variants = case.streams.get(protocol, [])
    own = case.variant_for(target.producer, protocol) if target.producer else None
    reference = own or (variants[0] if variants else None)
    word, detail = what(answer, target)
    if is_failure(answer):
        out.extend(failure(base, c, answer) for c in checks)
        return
    if word != "ok":
        out.extend(_dump_refused(word, detail, own, reference, target, base, answer))
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


def _dump_refused(word, detail, own, reference, target, base, answer):
    if word == "unsupported":
        return [Result(check=c, outcome="unsupported", message=detail, **base)
                for c in ("dump-bytes", "dump-equivalent", "dump-readable")]
    if word == "adapter":
        return [Result(check=c, outcome="protocol-error", message=detail, **base)
                for c in ("dump-bytes", "dump-equivalent", "dump-readable")]
    if word == "unavailable" and not (own and own.stream is not None):
        message = "the object cannot exist in %s: %s" % (target.name, detail)
        return [Result(check=c, outcome="unsupported", message=message, **base)
                for c in ("dump-bytes", "dump-equivalent", "dump-readable")]
    if word == "unpicklable" and own is not None and own.stream is not None and not own.loads:
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
    elif own.fails and own.raises and python_exceptions(target) \
            and answer.get("exception") != own.raises:
        out.append(Result(check="dump-bytes", outcome="fail", message="fails with %s, where %s "
                          "raises %s: %s" % (answer.get("exception"), own.producer_text,
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
    word, detail = what(read, None)
    if is_failure(read):
        return Result(check="dump-readable", outcome="fail", output=read.stderr or None,
                      message="the reference failed reading it (%s): %s" % (read.kind, read.message), **base)
    if word == "ok":
        found = loaded(read, expected_json, expected, python2)
        if found.same:
            return Result(check="dump-readable", outcome="pass", **base)
        result = Result(check="dump-readable", outcome="fail",
                        message=found.why or "the reference reads a different object", **base)
        return compared(result, expected, found.actual)
    return Result(check="dump-readable", outcome="fail",
                  message="the reference cannot read it: %s" % detail, **base)


# -- producers that are not CPython ---------------------------------------------


# How a pickler says it cannot write an object (pickle.PicklingError, or the
# TypeError of "cannot pickle 'X' object"): a producer that says so is not
# judged on that object, as a protocol it does not write is not.
CANNOT_WRITE = frozenset({"PicklingError", "TypeError"})


def check_producer_dump(prep, protocol, target, readers, out):
    """The ``dump`` cell of a producer that is not CPython, at one protocol.

    `readers` is [(version, Target or None, why not)] for the CPythons its
    profile names in ``readable_by``.
    """
    case = prep.case
    base = dict(case=case.id, target=target.name, protocol=protocol, check="dump")
    if protocol not in target.dump_protocols:
        out.append(Result(outcome="unsupported", message="%s writes protocols %s" % (
            target.name, ranges(target.dump_protocols)), **base))
        return
    answer = yield Call(target, prep.dump_text(protocol))
    if is_failure(answer):
        out.append(failure({k: v for k, v in base.items() if k != "check"}, "dump", answer))
        return
    word, detail = what(answer, target)
    variants = [v for v in case.streams.get(protocol, ()) if v.stream is not None or v.fails]
    if word != "ok":
        if word in ("unsupported", "unavailable"):
            out.append(Result(outcome="unsupported", message=detail, **base))
        elif word == "adapter":
            out.append(Result(outcome="protocol-error", message=detail, **base))
        elif variants and all(v.fails for v in variants):
            out.append(Result(outcome="pass", message="fails, as %s does: %s" % (
                variants[0].producer_text, detail), **base))
        elif answer.get("exception") in CANNOT_WRITE:
            out.append(Result(outcome="unsupported", message="%s cannot write this object: %s" % (
                target.name, detail), **base))
        else:
            out.append(Result(outcome="fail", message="the dump failed: %s" % detail, **base))
        return
    unpicklable = no_cpython_pickles(case, protocol)
    if unpicklable:
        out.append(Result(outcome="unsupported", message="no CPython pickles this object (%s); "
                          "what %s writes for it is its own, with nothing to hold it to" % (
                              unpicklable.producer_text, target.name), **base))
        return
    data = bytes.fromhex(answer["data"])
    recorded = [v for v in variants if v.stream is not None and not v.fails]
    for variant in recorded:
        if variant.stream == data:
            out.append(Result(outcome="pass", message="identical to %s's" % variant.producer_text, **base))
            return
    mine = normalize(data)
    for variant in recorded:
        if normalize(variant.stream) == mine:
            out.append(Result(outcome="pass", message="equivalent to %s's (memo and frames aside)"
                              % variant.producer_text, **base))
            return
    if not target.profile.readable_by:
        result = Result(outcome="fail", message="neither identical nor equivalent to a recorded "
                        "stream, and the profile names no CPython to read it (readable_by)", **base)
        if recorded:
            result.expected, result.actual = normalize(recorded[0].stream), mine
            result.first_difference = first_difference(result.expected, result.actual)
        out.append(result)
        return
    present = [(version, reader) for version, reader, _ in readers if reader is not None]
    absent = ["cpython-%s (%s)" % (version, why) for version, reader, why in readers if reader is None]
    options = readable_options(prep, target, answer.get("buffers"))
    reads = (yield [Call(reader, prep.load_text(answer["data"], options)) for _, reader in present]) \
        if present else []
    expected, expected_json = prep.expected_for(False)
    for (version, reader), read in zip(present, reads):
        if is_failure(read):
            out.append(Result(outcome="fail", output=read.stderr or None, message="cpython-%s failed "
                              "reading it (%s): %s" % (version, read.kind, read.message), **base))
            return
        word, detail = what(read, reader)
        if word != "ok":
            out.append(Result(outcome="fail", message="cpython-%s (isolated) cannot read it: %s"
                              % (version, detail), actual=asm.disassemble(data, offsets=True), **base))
            return
        found = loaded(read, expected_json, expected)
        if not found.same:
            result = Result(outcome="fail", message=found.why or "cpython-%s (isolated) reads a "
                            "different object" % version, **base)
            out.append(compared(result, expected, found.actual))
            return
    if absent:
        out.append(Result(outcome="skip", message="read back by %s; not on this machine: %s" % (
            ", ".join("cpython-" + v for v, _ in present) or "none", ", ".join(absent)), **base))
        return
    out.append(Result(outcome="pass", message="read back to the object by %s (isolated)" % ", ".join(
        "cpython-" + v for v, _ in present), **base))
