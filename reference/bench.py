"""``picklespec bench``: time the reference pickler and unpickler against CPython's.

Theory of operation
-------------------
For each workload and protocol, the same object is dumped by the reference
pickler (`pickler.dumps`), by the standard library's pure-Python pickler
(``pickle._dumps``) and by its C pickler (``_pickle.dumps``); then the C
pickler's bytes are loaded by the reference unpickler (`unpickler.loads`),
``pickle._loads`` and ``_pickle.loads``.  Each time is the best of several
repeats of a loop long enough to be measured (as `timeit` does, but in CPU
time), and the table shows the reference's time and its ratio to each of the
others: 1.00 means as fast, 2.00 twice as slow.  A workload whose reference
bytes are not _pickle's is flagged, so a fast wrong answer does not pass.

The workloads are what pickles usually hold: lists of mixed scalars, records
(dicts of str keys), many small instances with a ``__dict__``, large bytes,
and deep nesting.  The figures hold for one run on one machine; compare
ratios, not times.
"""

import argparse
import importlib
import math
import pickle
import platform
import sys
import time

__all__ = ["main", "workloads"]

# The CPU time of this process: other work on a shared machine inflates it
# far less than the wall clock, and the code measured runs in one thread.
_clock = time.process_time


class Record:
    """A small instance with a __dict__ (module level, so it pickles by name)."""

    def __init__(self, i):
        self.id = i
        self.name = "record-%d" % i
        self.score = i * 0.25
        self.tags = ["a", "b"] if i % 3 else []


def _mixed(n):
    values = []
    for i in range(n):
        values += [i, -i * 7919, 2**40 + i, i / 3, "s%d" % i, None, i % 2 == 0, b"b%d" % i]
    return values


def _records(n):
    return [{"id": i, "name": "name-%d" % i, "price": i * 1.25, "active": bool(i % 2),
             "tags": ["x", "y"], "parent": None} for i in range(n)]


def _deep(depth):
    root = current = []
    for _ in range(depth):
        child = []
        current.append(child)
        current = child
    return root


def workloads(scale=1.0):
    """(name, object) pairs; scale shrinks them for a quick run."""
    def n(count):
        return max(1, int(count * scale))
    return [
        ("mixed scalars", _mixed(n(2000))),
        ("records (dicts)", _records(n(2000))),
        ("small instances", [Record(i) for i in range(n(2000))]),
        ("large bytes", [b"\x00" * n(4 << 20), bytearray(n(1 << 20))]),
        ("deep nesting", _deep(500)),
    ]


def _loops(func, arg, min_time):
    """How many calls make one timed loop last at least min_time (as timeit's autorange)."""
    number = 1
    while True:
        start = _clock()
        for _ in range(number):
            func(arg)
        elapsed = _clock() - start
        if elapsed >= min_time or number >= 1 << 20:
            return number
        number *= 2 if elapsed <= 0 else max(2, min(10, int(min_time / elapsed * 1.2) + 1))


def _best_of(funcs, arg, repeat, min_time):
    """Seconds per call of each function: the best of `repeat` loops.

    The functions take turns within each repeat, so a burst of load on the
    machine falls on all of them rather than on one.
    """
    numbers = [_loops(func, arg, min_time) for func in funcs]
    best = [math.inf] * len(funcs)
    for _ in range(repeat):
        for i, (func, number) in enumerate(zip(funcs, numbers)):
            start = _clock()
            for _ in range(number):
                func(arg)
            best[i] = min(best[i], (_clock() - start) / number)
    return best


def _reference_loads():
    """The reference unpickler's loads, or None (with why) when it is not there."""
    try:
        return importlib.import_module("picklespec.reference.unpickler").loads, None
    except Exception as exc:  # not written yet, or broken: the run goes on without it
        return None, "%s: %s" % (type(exc).__name__, exc)


def _format_time(seconds):
    for unit, scale in (("s", 1), ("ms", 1e3), ("us", 1e6)):
        if seconds * scale >= 1:
            return "%.3g %s" % (seconds * scale, unit)
    return "%.3g ns" % (seconds * 1e9)


def _measure(funcs, arg, repeat, min_time):
    """Time the reference and both stdlib implementations: (time, x py, x C)."""
    ours, python, c = _best_of(funcs, arg, repeat, min_time)
    return ours, ours / python, ours / c


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="picklespec bench",
        description="Time the reference pickler and unpickler against the standard "
                    "library's pure-Python and C implementations.")
    parser.add_argument("--protocol", type=int, action="append", choices=range(6),
                        help="protocol to measure (repeatable; default 2 and 5)")
    parser.add_argument("--repeat", type=int, default=5, help="repeats per timing (default 5)")
    parser.add_argument("--quick", action="store_true",
                        help="small workloads, one short repeat: a smoke test, not a measurement")
    args = parser.parse_args(argv)
    protocols = args.protocol or [2, 5]
    repeat, min_time, scale = (1, 0.0, 0.05) if args.quick else (max(1, args.repeat), 0.02, 1.0)

    from picklespec.reference import pickler
    loads, missing = _reference_loads()
    dumpers = (pickler.dumps, pickle._dumps, pickle.dumps)
    loaders = (loads, pickle._loads, pickle.loads)

    print("picklespec bench: %s %s on %s, best of %d; ratios are reference time / other time"
          % (platform.python_implementation(), platform.python_version(), platform.machine(),
             repeat))
    if missing:
        print("loads not measured: the reference unpickler is not available (%s)" % missing)
    header = "%-18s %5s  %-5s %10s %8s %8s" % (
        "workload", "proto", "op", "reference", "x py", "x C")
    print(header)
    print("-" * len(header))

    # The pure-Python pickler recurses about three frames per level of
    # nesting, so 500 levels need more than the default limit of 1000.
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 10000))
    ratios = {"dumps": [], "loads": []}
    try:
        for name, obj in workloads(scale):
            for protocol in protocols:
                data = pickle.dumps(obj, protocol)
                funcs = [lambda o, f=f: f(o, protocol) for f in dumpers]
                try:
                    same = pickler.dumps(obj, protocol) == data
                    ours, vs_py, vs_c = _measure(funcs, obj, repeat, min_time)
                except Exception as exc:
                    print("%-18s %5d  %-5s failed: %s: %s"
                          % (name, protocol, "dumps", type(exc).__name__, exc))
                    continue
                ratios["dumps"].append(vs_py)
                print("%-18s %5d  %-5s %10s %8.2f %8.2f%s"
                      % (name, protocol, "dumps", _format_time(ours), vs_py, vs_c,
                         "" if same else "  (bytes differ from _pickle's!)"))
                if loads is None:
                    continue
                try:
                    ours, vs_py, vs_c = _measure(loaders, data, repeat, min_time)
                except Exception as exc:
                    print("%-18s %5d  %-5s failed: %s: %s"
                          % (name, protocol, "loads", type(exc).__name__, exc))
                    continue
                ratios["loads"].append(vs_py)
                print("%-18s %5d  %-5s %10s %8.2f %8.2f"
                      % (name, protocol, "loads", _format_time(ours), vs_py, vs_c))
    finally:
        sys.setrecursionlimit(old_limit)
    for op, measured in ratios.items():
        if measured:
            mean = math.exp(sum(math.log(r) for r in measured) / len(measured))
            print("%s: geometric mean %.2f x (goal: at most 1.0), worst %.2f x (goal: at most 1.1)"
                  " the pure-Python pickle" % (op, mean, max(measured)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
