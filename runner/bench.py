"""The runner's speed, measured in one go: ``python -m picklespec.runner.bench``.

Theory of operation
-------------------
Three figures, against the goals the runner is built for (a 2-core machine):

1. the whole corpus against the three built-in targets (reference,
   cpython-c, cpython-py), cross matrix included: goal under 10 s;
2. the whole corpus against every interpreter found on this machine
   (``all-interpreters``: CPython 2.7, 3.6-3.13, C and pure Python, PyPy)
   plus the reference: goal under 60 s;
3. the cost of a case through a worker process against the same checks with
   the worker's code called in this process: goal at most 2x.

For the first two, starting the targets, running the checks and writing the
reports are timed apart, and reading the corpus (which ``picklespec run``
does while the targets start) is shown on its own line.  The CPU time spent
here and in the targets is shown too: on a machine busy with other work the
wall-clock figures grow, the CPU figures do not.  The third runs the
cpython-c checks alone (no cross, no reference) twice: once through the
worker, once through `InProcess`, an adapter that answers each request by
calling the worker's own handlers, so the difference is exactly the process
boundary: the pipes, the JSON both ways, the second interpreter.
"""

import argparse
import json
import os
import sys
import tempfile
import time

from .run import DEFAULT_TARGETS, execute
from .targets import (find_interpreters, newest_per_family, open_target, open_targets, parse_target,
                      parse_targets)

GOALS = {"builtin": 10.0, "machine": 60.0, "ratio": 2.0}


class InProcess:
    """An adapter answering requests with the worker's handlers, in this process."""

    pipelining = True
    restarts = 0

    def __init__(self, kind):
        from . import worker

        self.kind = kind
        self.handlers = worker.HANDLERS

    def pipeline(self, messages, timeout=None, stop=None, raw=False):
        # Answers stay dicts: the run takes them so too, and in a process
        # there is nothing to encode.
        for index, message in enumerate(messages):
            request = json.loads(message) if isinstance(message, str) else message
            yield index, self.handlers[request["op"]](self.kind, request)

    def request(self, message, timeout=None):
        return next(self.pipeline([message]))[1]

    def close(self):
        pass


def _timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - start


def _write_reports(run):
    try:
        from .reports import write_all
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as directory:
        return _timed(write_all, run, directory)[1]


def _cpu():
    """(this process, its finished children): CPU seconds so far."""
    import resource

    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _matrix(cases, specs, label, goal, out):
    cpu_before = _cpu()
    targets, started = _timed(open_targets, specs)
    oracle = next((t for t in targets if t.spec.kind == "reference"), None)
    try:
        stats = {}
        run, seconds = _timed(execute, cases, targets, oracle=oracle, stats=stats)
    finally:
        for target in targets:
            target.close()
    requests = sum(stats.get("requests", {}).values())
    host, children = (after - before for after, before in zip(_cpu(), cpu_before))
    reports = _write_reports(run)
    verdict = "meets" if seconds < goal else "MISSES"
    out.write("%s: %d targets\n" % (label, len(targets)))
    out.write("  started in %.2f s; checks %.2f s (%s the %.0f s goal): %d requests in %d rounds, "
              "%d results, %.0f requests/s\n" % (started, seconds, verdict, goal, requests,
                                                  stats.get("rounds", 0), len(run.results),
                                                  requests / seconds if seconds else 0))
    out.write("  CPU time: %.2f s here, %.2f s in the targets (%.2f s of work per CPU)\n" % (
        host, children, (host + children) / (os.cpu_count() or 1)))
    if reports is not None:
        out.write("  reports written in %.2f s\n" % reports)
    out.write("  run + start + reports: %.2f s\n" % (started + seconds + (reports or 0)))
    return seconds


def _per_case(cases, out):
    [spec] = parse_target("cpython-c")
    target = open_target(spec)
    try:
        through, worker_seconds = _timed(execute, cases, [target], cross=False, oracle_problem="bench")
    finally:
        target.close()
    inside = open_target(spec)
    inside.adapter.close()
    inside.adapter = InProcess("c")
    local, local_seconds = _timed(execute, cases, [inside], cross=False, oracle_problem="bench")
    same = {r.key: r.outcome for r in through.results} == {r.key: r.outcome for r in local.results}
    ratio = worker_seconds / local_seconds if local_seconds else float("inf")
    out.write("per case (cpython-c, %d cases, %d results%s):\n" % (
        len(cases), len(through.results), "" if same else ", RESULTS DIFFER"))
    out.write("  through a worker %.3f ms, in process %.3f ms: %.2fx (%s the %.0fx goal)\n" % (
        1000 * worker_seconds / len(cases), 1000 * local_seconds / len(cases), ratio,
        "meets" if ratio <= GOALS["ratio"] else "MISSES", GOALS["ratio"]))
    return ratio


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m picklespec.runner.bench",
                                     description="Time picklespec run: built-in targets, every "
                                                 "interpreter on this machine, worker vs in-process.")
    parser.add_argument("--corpus", action="append", metavar="PATH", help="case files or folders")
    parser.add_argument("--skip-machine", action="store_true", help="leave out the all-interpreters run")
    parser.add_argument("--reports", nargs="?", const="", metavar="RUN_JSON",
                        help="time only the writing of the reports, of RUN_JSON or of a synthetic "
                             "run of 40 targets (runner/reports/bench.py)")
    args = parser.parse_args(argv)
    if args.reports is not None:
        from .reports import bench as reports_bench

        return reports_bench.main([args.reports] if args.reports else [])
    out = sys.stdout
    from picklespec.cases.corpus import load_corpus

    corpus, seconds = _timed(load_corpus, args.corpus or None)
    if corpus.problems:
        out.write("the corpus has %d problems; fix them first (picklespec cases check)\n"
                  % len(corpus.problems))
        return 2
    counts = {}
    for case in corpus.cases:
        counts[case.classification] = counts.get(case.classification, 0) + 1
    out.write("machine: %d CPUs, load average %s\n" % (
        os.cpu_count() or 0, " ".join("%.2f" % x for x in os.getloadavg())))
    out.write("corpus: %d cases (%s), read in %.2f s\n" % (
        len(corpus.cases), ", ".join("%d %s" % (n, k) for k, n in sorted(counts.items())), seconds))
    _matrix(corpus.cases, parse_targets(DEFAULT_TARGETS), "built-in targets", GOALS["builtin"], out)
    if not args.skip_machine:
        families = newest_per_family(find_interpreters())
        out.write("found: %s\n" % ", ".join("%s (%s)" % (i.family, "+".join(i.kinds)) for i in families))
        _matrix(corpus.cases, parse_targets(["reference", "all-interpreters"]),
                "every interpreter on this machine", GOALS["machine"], out)
    _per_case(corpus.cases, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
