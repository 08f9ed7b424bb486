"""The cross judge: every producer's stream read by every consumer.

With several targets, every producer's stream is read by every consumer (a
Python 2 producer's with ``encoding='latin1'`` when the consumer takes it,
as Python 3 programs read Python 2 pickles) and must give what the
reference reads from the same bytes with the same options (the case's
object when the reference cannot read it), under the consumer's
projections.  Producers that wrote the same bytes are one row, named by the
case's variant for those bytes (``cpython-3.8..3.13-c+py -> cpython-2.7-c``)
or by the producers.  A consumer that cannot find a class the stream names
(ImportError, AttributeError: a class newer than the consumer), or that
does not declare an opcode the stream uses, is ``unsupported``; so is a
stream a consumer with a safety policy declines by it (runner/judges/load.py),
a stream of an object no CPython pickles (an ``unpicklable`` case: what
cloudpickle, dill or PyPy wrote for it is theirs alone), and an object with
no tagged-JSON form that the reference cannot describe either.
"""

import json

from picklespec.reference import model

from ..projections import viewed
from ..results import Result
from .common import (MISSING_CLASS, Call, Prepared, compared, declares, failure, is_failure,
                     loaded, model_of, no_cpython_pickles, non_load, not_read, projected, what)
from .load import _by_policy, _not_allowed

__all__ = ["plan_cross", "cross_check"]


def plan_cross(prep, protocol, targets, oracle, out):
    """The cross check of one dump case at one protocol: producers x consumers."""
    producers = [t for t in targets if protocol in t.dump_protocols and declares(t, "dump")]
    consumers = [t for t in targets if t.load_protocols and declares(t, "load")]
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
    from ..checks import drive

    drive(_cross_reads(Prepared(case), protocol, dumps, consumers, oracle, out), {})
    return out


def _cross_reads(prep, protocol, dumps, consumers, oracle, out):
    calls = []
    unpicklable = no_cpython_pickles(prep.case, protocol)
    for name, data, buffers, python2, loads in _streams(prep.case, protocol, dumps):
        if unpicklable:  # cloudpickle's lambda, PyPy's module: no CPython writes one
            out.extend(Result(case=prep.case.id, protocol=protocol, check="cross",
                              outcome="unsupported", target="%s -> %s" % (name, consumer.name),
                              message="no CPython pickles this object (%s): what %s wrote for it "
                              "is its own, with nothing to hold a reader to"
                              % (unpicklable.producer_text, name))
                       for consumer in consumers)
            continue
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
    options = dict(prep.load_options)
    if buffers:
        options["buffers"] = buffers
    if python2 and not consumer.python2 and "encoding" in consumer.load_options \
            and "encoding" not in options:
        options["encoding"] = "latin1"  # how Python 3 programs read Python 2 pickles
    why = not_read(consumer, data, protocol, options) or _not_allowed(prep, consumer, data)
    if why:
        out.append(Result(check="cross", outcome="unsupported", message=why, **base))
        return []
    text = prep.load_text(data, options)
    base["python2"] = python2 or consumer.python2
    base["consumer"] = consumer
    base["stream"] = (data, options)
    return [(base, Call(consumer, text), Call(oracle, text) if oracle is not None else None)]


def _judge_cross(prep, answer, read, base):
    base = dict(base)
    python2 = base.pop("python2", False)
    consumer = base.pop("consumer")
    stream, options = base.pop("stream")
    if is_failure(answer):
        return failure(base, "cross", answer)
    word, detail = what(answer, consumer)
    if isinstance(read, dict) and read.get("ok"):
        if answer.get("object") == read.get("object"):  # the common case, without decoding
            return Result(check="cross", outcome="pass", **base)
        try:
            expected, expected_json = (viewed(read["object"]) if python2 else
                                       (model.from_json(read["object"]), read["object"]))
        except model.ModelError:
            expected, expected_json = prep.expected_for(python2)
    else:
        expected, expected_json = prep.expected_for(python2)
    if word == "ok":
        found = loaded(answer, expected_json, expected, python2, model_of(consumer), stream, options)
        if found.same:
            return projected(Result(check="cross", outcome="pass", **base), found)
        result = Result(check="cross", outcome="fail", message=found.why or "read a different object",
                        **base)
        return compared(result, found.expected if found.expected is not None else expected,
                        found.actual)
    if word == "undescribable" and not (isinstance(read, dict) and read.get("ok")):
        # A module, a cell, a staticmethod (a producer such as cloudpickle writes
        # them): the reference reads no tagged-JSON form either, nothing to compare.
        return Result(check="cross", outcome="unsupported",
                      message="the object the stream builds has no tagged-JSON form: %s" % detail,
                      **base)
    exception = answer.get("exception", "")
    if word in ("rejected", "unclean") and exception in MISSING_CLASS:
        return Result(check="cross", outcome="unsupported",
                      message="the consumer lacks what the stream names: %s" % detail, **base)
    if word in ("rejected", "unclean"):
        reached = _by_policy(prep, consumer, answer, stream)
        if reached:
            return Result(check="cross", outcome="unsupported",
                          message="refused by %s's policy (%s): the stream imports %s"
                          % (consumer.name, exception, ", ".join(reached)), **base)
    return non_load("cross", word, detail, base)
