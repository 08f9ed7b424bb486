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

This module plans which checks a case gets on a target -- from the case's
classification and the check kinds the target's profile declares
(runner/profile.py) -- and drives them.  The judging is one module per
check kind in runner/judges/:

=====================  ======================================================
judges/load.py         ``load``, ``reject``, ``defined``; a dump case's
                       canonical stream loaded
judges/dump.py         ``dump-bytes``, ``dump-equivalent``, ``dump-readable``;
                       ``dump`` for a producer that is not CPython
judges/cross.py        ``cross``: every producer's stream, every consumer
judges/parse.py        ``parse``: well-formed or not
judges/scan.py         ``scan``: the globals a stream imports and calls
judges/transform.py    ``transform``: bytes in, bytes out
=====================  ======================================================

Requests are built and answers read by runner/wire.py; objects are compared
under the target's projections (runner/projections.py), and Python 2 at
either end through `python2_view`.

Which cells a case gets, per target, by the check kinds it declares:

- ``load``: an accept, reject or implementation-defined case's own check,
  and a dump case's canonical stream loaded at each protocol;
- ``dump``: a dump case at each protocol: the three dump checks, or the one
  ``dump`` check of a producer with ``readable_by``;
- ``parse``: every load case, and each dump case's canonical stream;
- ``scan``: accept cases and dump cases' canonical streams (the streams
  CPython loads);
- ``transform``: accept and reject cases, and dump cases' canonical streams.
"""

from picklespec.process import AdapterFailure

from .judges.common import Call, Prepared
from .judges.cross import cross_check, plan_cross
from .judges.dump import check_dump, check_producer_dump
from .judges.load import check_load_case, check_variant_loads
from .judges.parse import check_parse
from .judges.scan import check_scan
from .judges.transform import check_transform

__all__ = ["Call", "Prepared", "case_protocols", "check_case", "cross_check", "drive", "plan",
           "plan_cross", "reference_oracle"]


def case_protocols(case, protocols=None):
    """The protocols a case is checked at (a load case: its own, or none)."""
    if case.classification == "dump":
        return [p for p in case.protocols if protocols is None or p in protocols]
    if protocols is None or case.protocol is None or case.protocol in protocols:
        return [case.protocol]
    return []


def _kinds(target):
    profile = getattr(target, "profile", None)
    return profile.checks if profile is not None else frozenset({"load", "dump"})


def plan(prep, target, protocols, oracle, out, oracle_problem=""):
    """The check generators of one case on one target."""
    case = prep.case
    kinds = _kinds(target)
    if case.classification != "dump":
        if not case_protocols(case, protocols):
            return
        if "load" in kinds:
            yield check_load_case(prep, target, out)
        if "parse" in kinds:
            yield check_parse(prep, target, out)
        if "scan" in kinds:
            # Reject and implementation-defined streams too: what CPython
            # resolves and calls before a stream fails (a call before a
            # truncation) is what a scanner must see.
            yield check_scan(prep, target, out)
        if "transform" in kinds and case.classification in ("accept", "reject"):
            yield check_transform(prep, target, oracle, out, oracle_problem=oracle_problem)
        return
    producer = bool(getattr(target, "profile", None) and target.profile.readable_by)
    for protocol in case_protocols(case, protocols):
        if "dump" in kinds:
            if producer:
                yield check_producer_dump(prep, protocol, target, _readers(target), out)
            else:
                yield check_dump(prep, protocol, target, oracle, out, oracle_problem)
        if "load" in kinds:
            yield check_variant_loads(prep, protocol, target, out)
        canonical = _canonical(case, protocol)
        if canonical is None:
            continue
        if "parse" in kinds:
            yield check_parse(prep, target, out, protocol, canonical)
        if "scan" in kinds:
            yield check_scan(prep, target, out, protocol, canonical)
        if "transform" in kinds:
            yield check_transform(prep, target, oracle, out, protocol, canonical, oracle_problem)


def _readers(target):
    """The isolated CPythons that read a producer's dumps (started on first use)."""
    if target.readers is None:
        from .targets import shared_readers

        target.readers = shared_readers(target.profile.readable_by)
    return target.readers


def _canonical(case, protocol):
    """The canonical stream of a dump case at a protocol, if it loads back."""
    variants = case.streams.get(protocol, ())
    if not variants or variants[0].fails or variants[0].stream is None or not variants[0].loads:
        return None
    return variants[0].stream


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


def reference_oracle():
    """A started reference target for dump-readable, shared by check_case calls;
    (target or None, why not)."""
    from .targets import shared_reference

    return shared_reference()


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
        elif case.classification == "dump" or "transform" in _kinds(target):
            oracle, problem = reference_oracle()
    out = []
    cache = {}
    prep = Prepared(case)
    for gen in plan(prep, target, protocols, oracle, out, problem):
        drive(gen, cache)
    return out
