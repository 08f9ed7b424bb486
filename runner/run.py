"""``picklespec run``: every case against every target, in parallel.

Theory of operation
-------------------
Everything is checked before anything runs: the target specs (an unknown
one, a missing interpreter, Node.js absent), the corpus (a broken case file
is reported as ``FILE:LINE: FIELD: message``), the case globs, and every
target is started and asked its hello (while the corpus is read, in a
thread of its own: both take a while).  Any of these failing is a usage
error: a message and exit status 2, no report.

`execute` then works in rounds.  The checks (runner/checks.py) are
generators that yield the requests they need; a round collects the pending
requests of every check, drops those already asked (the same dump feeds a
dump check and the cross matrix; the same stream read with the same options
is read once per consumer), and gives each target its share as one
pipelined batch.  The batches of all targets run at once, one thread each
(``--jobs`` at a time), against worker processes that stay up for the whole
run.  Answers are kept as the lines they came in (a fraction of the memory
of the decoded JSON) and decoded once a round, when the checks take them;
a decoded answer is let go as soon as the last check of the round has it.
Answers go back to the checks, which judge them or ask for the next
round: the dump checks' bytes are read by the reference (dump-readable) and
by every consumer (cross) in the second round.

Ctrl-C stops the batches after the requests in flight; the checks whose
answers are all in are judged, the rest dropped, and the report of what ran
is written with ``complete`` false (the reports are written atomically), and
the exit status is 130.  SIGTERM takes the same path and exits 143
(runner/stopping.py).  Otherwise the exit status is 0 when every cell
conforms (or, with ``--baseline``, when the run matches the baseline), 1
when one does not.
"""

import argparse
import datetime
import fnmatch
import json
import os
import sys
import threading
import time

from picklespec.process import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, AdapterFailure
from picklespec.reference.model import MAX_JSON_DEPTH

from . import caseinfo, findings, stopping
from .checks import Prepared, case_protocols, plan, plan_cross
from .results import FAILING, OUTCOMES, Run
from .timing import Clock
from .targets import UsageError, open_target, open_targets, parse_target, parse_targets

__all__ = ["execute", "main", "DEFAULT_TARGETS", "DEFAULT_REPORT_DIR"]

DEFAULT_TARGETS = ("reference", "cpython-c", "cpython-py")
DEFAULT_REPORT_DIR = os.path.join("reports", "runs", "latest")


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


class Progress:
    """A line on stderr for runs that take a while: rewritten on a terminal,
    every few seconds otherwise; silent for runs that end quickly."""

    def __init__(self, stream=None, delay=1.0, every=None):
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every = every if every is not None else (0.2 if self.tty else 10.0)
        self.start = time.monotonic()
        self.delay = delay
        self.last = 0.0
        self.shown = False

    def __call__(self, done, total, note=""):
        now = time.monotonic()
        if now - self.start < self.delay or now - self.last < self.every:
            return
        self.last = now
        text = "picklespec: %d/%d requests%s, %.0f s" % (done, total, note, now - self.start)
        if self.tty:
            self.stream.write("\r" + text.ljust(78)[:100])
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self.shown = True

    def end(self):
        if self.shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()


class _Interrupted(Exception):
    pass


def execute(cases, targets, *, protocols=None, jobs=None, cross=True, progress=None,
            oracle=None, oracle_problem="", stop=None, stats=None, clock=None):
    """Check cases against targets; the Run (complete=False if interrupted).

    `oracle` is the reference target dump-readable and cross ask (by default
    the `reference` among targets, if any).  `progress(done, total, note)`
    is called now and then.  `stop`, a threading.Event, ends the run early
    as Ctrl-C does.  `stats`, a dict, receives the number of rounds, the
    requests asked per target name, and (round, target, requests, seconds)
    for each batch.  `clock` (runner/timing.py) times each cell's
    ``seconds``; a new Clock by default.
    """
    cases = list(cases)
    run = Run(targets={t.name: t.describe() for t in targets}, results=[], started=_now())
    if oracle is None:
        oracle = next((t for t in targets if t.spec.kind == "reference"), None)
        if oracle is None and not oracle_problem:
            oracle_problem = "no reference target in this run"
    if oracle is None:
        run.notes.append("dump-readable not checked: %s" % oracle_problem)
    stop = stop or threading.Event()
    clock = clock or Clock()
    out = run.results
    active = []
    cache = {}
    try:
        for gen in _generators(cases, targets, protocols, oracle, oracle_problem, cross, out):
            _timed_advance(gen, None, active, clock, out)
        rounds = 0
        while active:
            rounds += 1
            asked = _ask_all(active, cache, jobs, stop, progress, rounds, clock)
            active = _feed(active, cache, clock=clock, out=out)
            if stats is not None:
                stats["rounds"] = rounds
                for target, (count, seconds) in asked.items():
                    stats.setdefault("requests", {}).setdefault(target.name, 0)
                    stats["requests"][target.name] += count
                    stats.setdefault("busy", []).append((rounds, target.name, count, seconds))
    except (_Interrupted, KeyboardInterrupt) as exc:
        if isinstance(exc, _Interrupted):
            _feed(active, cache, last=True, clock=clock, out=out)  # judge the checks whose answers are in
        else:  # Ctrl-C between rounds: what was judged stays
            for gen, _ in active:
                gen.close()
        run.complete = False
        run.notes.append("interrupted: the report holds the checks that finished")
    restarts = {t.name: t.adapter.restarts for t in targets if t.adapter.restarts}
    if restarts:
        run.notes.append("targets restarted after a failure: " + ", ".join(
            "%s %d time%s" % (name, n, "s" if n > 1 else "") for name, n in sorted(restarts.items())))
    run.finished = _now()
    by_id = {case.id: case for case in cases}
    findings.annotate(run, by_id)
    run.findings = findings.group(run, by_id)
    run.cases = caseinfo.collect(run, by_id)
    for name, why in unjudged(run, targets):
        run.notes.append("%s: %s" % (name, why))
    return run


def unjudged(run, targets):
    """(target name, why) for each target judged on no cell: such a run never passes."""
    seen = {t.name: [] for t in targets}
    for result in run.results:
        name = result.target.split(" -> ")[-1] if result.check == "cross" else result.target
        if name in seen:
            seen[name].append(result.outcome)
    out = []
    for name, outcomes in seen.items():
        if any(o not in ("unsupported", "skip") for o in outcomes):
            continue
        if outcomes and all(o == "unsupported" for o in outcomes):
            out.append((name, "judged on 0 cells: its profile makes every cell unsupported"))
        else:
            out.append((name, "judged on 0 cells (%d not judged)" % len(outcomes)))
    return out


def _generators(cases, targets, protocols, oracle, oracle_problem, cross, out):
    for case in cases:
        prep = Prepared(case)
        for target in targets:
            yield from plan(prep, target, protocols, oracle, out, oracle_problem)
        if cross and len(targets) > 1 and case.classification == "dump":
            for protocol in case_protocols(case, protocols):
                yield plan_cross(prep, protocol, targets, oracle, out)


def _advance(gen, answer, active):
    try:
        request = gen.send(answer)
    except StopIteration:
        return
    active.append((gen, request))


def _timed_advance(gen, answer, active, clock, out, cost=0.0):
    """_advance, giving the Results the step made the check's cost so far."""
    before, waiting = len(out), len(active)
    start = clock.now()
    _advance(gen, answer, active)
    total = clock.charge(gen, cost + clock.now() - start)
    for result in out[before:]:
        result.seconds = round(total, 6)
    if len(active) == waiting:  # the check is done
        clock.forget(gen)


def _feed(active, cache, last=False, clock=None, out=None):
    """Send each check its answers; the checks that ask for more.

    With `last`, checks whose answers are not all in are dropped.
    """
    following = []
    decoded = _Decoded(cache, active)
    for gen, request in active:
        calls = request if isinstance(request, list) else [request]
        if any(call.key not in cache for call in calls):
            gen.close()
            decoded.skip(calls)
            continue
        answers = [decoded.take(call) for call in calls]
        _timed_advance(gen, answers if isinstance(request, list) else answers[0], following,
                       clock or Clock(), out if out is not None else [],
                       sum(clock.request(call.key) for call in calls) if clock else 0.0)
    if last:
        for gen, _ in following:
            gen.close()
        return []
    return following


class _Decoded:
    """A round's answers, each decoded once however many checks take it, and
    let go when the last of them has: a round of a 20-target run holds far
    more decoded JSON than fits in memory at once."""

    def __init__(self, cache, active):
        self.cache = cache
        self.values = {}
        self.left = {}  # key -> the calls of this round still to take it
        for _, request in active:
            for call in request if isinstance(request, list) else [request]:
                self.left[call.key] = self.left.get(call.key, 0) + 1

    def take(self, call):
        key = call.key
        answer = self.values.get(key)
        if answer is None:
            answer = _decoded(self.cache[key], call)
        self._taken(key, answer)
        return answer

    def skip(self, calls):
        for call in calls:
            self._taken(call.key, self.values.get(call.key))

    def _taken(self, key, answer):
        left = self.left[key] - 1
        if left:
            self.left[key] = left
            if answer is not None:
                self.values[key] = answer
        else:
            del self.left[key]
            self.values.pop(key, None)


def _decoded(answer, call):
    """An answer as the checks take it: kept as its line (bytes), decoded on use.

    The adapter only skimmed the line (`adapter._skim`); one that is not JSON
    after all is the target's protocol error.
    """
    if not isinstance(answer, bytes):
        return answer
    try:
        decoded = json.loads(answer)
    except ValueError:
        decoded = None
    except RecursionError:
        return AdapterFailure("protocol-error", "the answer nests deeper than the protocol allows "
                              "(%d levels)" % MAX_JSON_DEPTH)
    if not isinstance(decoded, dict):
        return AdapterFailure("protocol-error", "not a JSON answer: %r" % answer[:200])
    return decoded


def _ask_all(active, cache, jobs, stop, progress, round_number, clock=None):
    """Ask every target its share of the pending calls, all targets at once."""
    batches = {}
    for _, request in active:
        for call in request if isinstance(request, list) else [request]:
            key = call.key
            if key not in cache:
                batch = batches.setdefault(id(call.target), (call.target, {}))
                batch[1].setdefault(key, call)
    total = sum(len(calls) for _, calls in batches.values())
    if not total:
        return {}
    done = [0]

    busy = {}
    errors = []

    def work(target, calls):
        start = time.monotonic()
        calls = list(calls.values())
        arrived = (clock or Clock()).batch()
        try:
            for index, answer in target.adapter.pipeline([c.text for c in calls], stop=stop, raw=True):
                cache[calls[index].key] = answer
                arrived(calls[index].key)
                done[0] += 1
        except BaseException as exc:  # a bug here must not pass for missing answers
            errors.append(exc)
            stop.set()
        busy[target.name] = time.monotonic() - start

    threads = []
    pending = sorted(batches.values(), key=lambda b: -len(b[1]))  # longest first
    limit = jobs or len(pending)
    try:
        while pending or threads:
            while pending and len(threads) < limit:
                target, calls = pending.pop(0)
                thread = threading.Thread(target=work, args=(target, calls), daemon=True,
                                          name="picklespec %s" % target.name)
                thread.start()
                threads.append(thread)
            threads[0].join(0.1)
            threads = [t for t in threads if t.is_alive()]
            if progress is not None:
                progress(done[0], total, " (round %d, %d targets busy)" % (round_number, len(threads)))
            if errors:
                raise errors[0]
            if stop.is_set():
                raise KeyboardInterrupt
    except KeyboardInterrupt:
        stop.set()
        for thread in threads:
            thread.join()
        raise _Interrupted() from None
    except BaseException:
        stop.set()
        for thread in threads:
            thread.join()
        raise
    return {target: (len(calls), busy.get(target.name, 0.0)) for target, calls in batches.values()}


# -- picklespec run -------------------------------------------------------------


def _parser():
    parser = argparse.ArgumentParser(
        prog="picklespec run",
        description="Check targets against the case corpus and write the reports.")
    parser.add_argument("--target", "-t", action="append", metavar="T",
                        help="a target: reference, cpython-c, cpython-py, python:PATH[:c|:py], "
                             "cmd:COMMAND, pickleparser, all-interpreters (repeatable; default: "
                             "the first three)")
    parser.add_argument("--case", "-k", action="append", metavar="GLOB",
                        help="only the cases whose id matches GLOB (repeatable)")
    parser.add_argument("--protocol", "-p", action="append", type=int, choices=range(6), metavar="N",
                        help="only protocol N (repeatable)")
    parser.add_argument("--corpus", action="append", metavar="PATH",
                        help="case files or folders to read instead of the installed corpus")
    parser.add_argument("--report-dir", default=DEFAULT_REPORT_DIR, metavar="DIR",
                        help="where the reports go (default: %(default)s)")
    parser.add_argument("--baseline", metavar="FILE",
                        help="judge the run against the known results in FILE")
    parser.add_argument("--update-baseline", action="store_true",
                        help="write this run's results into the --baseline FILE (after review)")
    parser.add_argument("--jobs", "-j", type=int, metavar="N",
                        help="targets run at once (default: all)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                        help="seconds a target may take on one request (default: %(default)s)")
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB, metavar="MB",
                        help="address-space limit of each target process (default: %(default)s)")
    parser.add_argument("--no-cross", action="store_true",
                        help="skip the producer x consumer matrix")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress line")
    return parser


def main(argv):
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _main(args)
    except UsageError as exc:
        sys.stderr.write("picklespec run: %s\n" % str(exc).replace("\n", "\npicklespec run: "))
        return 2


def _check_args(args):
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    if args.timeout <= 0:
        raise UsageError("--timeout must be more than 0 seconds")
    if args.update_baseline and not args.baseline:
        raise UsageError("--update-baseline needs --baseline FILE")


def _select_cases(args):
    from picklespec.cases.corpus import load_corpus

    corpus = load_corpus(args.corpus or None)
    if corpus.problems:
        for problem in corpus.problems:
            sys.stderr.write("%s\n" % problem)
        raise UsageError("the corpus has %d problem%s (above); nothing was run" % (
            len(corpus.problems), "s" if len(corpus.problems) > 1 else ""))
    cases = corpus.cases
    if args.case:
        cases = [c for c in cases if any(fnmatch.fnmatchcase(c.id, g) for g in args.case)]
        if not cases:
            raise UsageError("no case id matches %s" % " or ".join(repr(g) for g in args.case))
    if args.protocol:
        cases = [c for c in cases if case_protocols(c, args.protocol)]
        if not cases:
            raise UsageError("no case covers protocol %s" % ", ".join(map(str, args.protocol)))
    return cases


def _load_baseline(args):
    if not args.baseline or (args.update_baseline and not os.path.exists(args.baseline)):
        return None
    from . import baseline

    try:
        return baseline.load(args.baseline)
    except baseline.BaselineError as exc:
        raise UsageError(str(exc)) from None


def _main(args):
    _check_args(args)
    specs = parse_targets(args.target or DEFAULT_TARGETS)
    known = _load_baseline(args)
    # The targets start while the corpus is read: both take a while.
    starting = _Starting(specs, args)
    try:
        cases = _select_cases(args)
        targets, oracle, problem, own_oracle = starting.result()
    except KeyboardInterrupt:
        starting.discard()
        # Nothing ran; the report says so rather than keeping an older run's.
        run = Run(targets={}, results=[], started=_now(), finished=_now(), complete=False,
                  notes=["interrupted before any case ran"])
        paths = _write_reports(run, args.report_dir)
        sys.stdout.write("interrupted before any case ran%s\n" % (
            "; reports: " + ", ".join(paths) if paths else ""))
        return stopping.status()
    except BaseException:
        starting.discard()
        raise
    progress = None if args.quiet else Progress()
    try:
        run = execute(cases, targets, protocols=args.protocol, jobs=args.jobs,
                      cross=not args.no_cross, progress=progress, oracle=oracle,
                      oracle_problem=problem)
    finally:
        if progress is not None:
            progress.end()
        for target in targets + ([oracle] if own_oracle else []):
            target.close()
    paths = _write_reports(run, args.report_dir)
    status = _summarize(run, sys.stdout)
    if args.baseline:
        status = _judge_baseline(run, args, known, status)
    if paths:
        sys.stdout.write("reports: %s\n" % ", ".join(paths))
    if not run.complete:
        return stopping.status()
    idle = unjudged(run, targets) if run.results or cases else []
    for name, why in idle:
        sys.stderr.write("picklespec run: target %s: %s\n" % (name, why))
    if any("every cell unsupported" in why for _, why in idle):
        return 2  # a profile under which nothing is judged is a usage error
    return 1 if idle else status


class _Starting:
    """The targets (and the reference oracle), started in a thread of their own."""

    def __init__(self, specs, args):
        self.value = self.error = None
        self.thread = threading.Thread(target=self._start, args=(specs, args), daemon=True)
        self.thread.start()

    def _start(self, specs, args):
        try:
            targets = open_targets(specs, timeout=args.timeout, memory_mb=args.memory_mb)
            self.value = (targets,) + _oracle(targets, args)
        except BaseException as exc:  # handed to the main thread
            self.error = exc

    def result(self):
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.value

    def discard(self):
        """Close whatever started (the run is not going ahead)."""
        while self.thread.is_alive():  # a second Ctrl-C still ends the wait
            self.thread.join(0.1)
        if self.value is not None:
            targets, oracle, _, own = self.value
            for target in targets + ([oracle] if own else []):
                target.close()


def _oracle(targets, args):
    """The reference that dump-readable and cross ask: (target, why not, ours to close)."""
    for target in targets:
        if target.spec.kind == "reference":
            return target, "", False
    try:
        return open_target(parse_target("reference")[0], timeout=args.timeout,
                           memory_mb=args.memory_mb), "", True
    except UsageError as exc:
        return None, str(exc), False


def _write_reports(run, directory):
    try:
        from .reports import write_all
    except ImportError as exc:  # an installation without the report writers
        sys.stderr.write("picklespec run: no reports written: %s\n" % exc)
        return []
    try:
        return write_all(run, directory)
    except OSError as exc:
        sys.stderr.write("picklespec run: cannot write the reports in %s: %s\n" % (directory, exc))
        return []


def _summarize(run, stream):
    """Counts per target and the failing cells; 1 if any cell fails, else 0."""
    counts = {}
    for result in run.results:
        target = result.target.split(" -> ")[-1] if result.check == "cross" else result.target
        row = counts.setdefault((result.check == "cross", target), dict.fromkeys(OUTCOMES, 0))
        row[result.outcome] += 1
    width = max([len(t) for _, t in counts] + [6])
    for (is_cross, target), row in sorted(counts.items()):
        label = ("cross -> " if is_cross else "") + target
        stream.write("%-*s  %s\n" % (width + 9, label, ", ".join(
            "%d %s" % (n, outcome) for outcome, n in row.items() if n)))
    failing = [r for r in run.sorted_results() if r.outcome in FAILING]
    for result in failing[:20]:
        stream.write("%s: %s: %s\n" % (result.key, result.outcome, result.message))
    if len(failing) > 20:
        stream.write("... and %d more failing cells (see the reports)\n" % (len(failing) - 20))
    stream.write("%d cells, %d failing%s\n" % (len(run.results), len(failing),
                                               "" if run.complete else " (interrupted: incomplete)"))
    return 1 if failing else 0


def _judge_baseline(run, args, known, status):
    from . import baseline

    if args.update_baseline:
        if not run.complete:
            sys.stderr.write("picklespec run: interrupted, so the baseline was not updated\n")
            return status
        baseline.write(run, args.baseline)
        sys.stdout.write("baseline updated: %s\n" % args.baseline)
        return 0
    comparison = baseline.compare(run, known)
    for line in comparison.summary():
        sys.stdout.write(line + "\n")
    return 0 if comparison.ok else 1
