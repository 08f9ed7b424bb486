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
(runner/stopping.py).

The cases are taken a chunk at a time, in corpus order (about a tenth of
the work; 25 cases with ``--fail-fast``, which stops after the chunk
holding the first failure that counts), so the progress line can count
judged cells and estimate the time left.  The runner's own work overlaps
the targets': while the targets answer a batch (a chunk's first requests,
and the later requests of the chunks before it), a thread of the runner's
judges the batch they answered before and plans the next chunk.  A chunk's
later rounds (the dump-readable and cross reads of its dumps) thus go out
with the next chunk but one, and its results join the run's, in chunk
order, once every check of it is judged.  Which cases run is decided by
cases/selection.py (``--case``, ``-k``, ``--kind``); ``--check`` keeps the
cells of the checks named.

The run is judged against the shipped expectations (the published run's
baseline.json, runner/baseline.py says how), or ``--baseline FILE``: the
exit status is 0 when no cell fails that they do not list, 1 otherwise.
``--strict`` and ``--no-expectations`` make every cell that does not
conform fail the run.  The summary ends with where to look next: the HTML
report and the findings.
"""

import argparse
import contextlib
import datetime
import io
import os
import sys
import threading
import time

from picklespec.cases.selection import KINDS, SelectionError, select
from picklespec.process import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
from picklespec.process.adapter import decode_answer, without_id

from . import caseinfo, findings, stopping
from .checks import Prepared, case_protocols, plan, plan_cross
from .results import CHECKS, FAILING, OUTCOMES, Run
from .timing import Clock
from .targets import UsageError, open_target, open_targets, parse_target, parse_targets

__all__ = ["execute", "main", "DEFAULT_TARGETS", "DEFAULT_REPORT_DIR"]

DEFAULT_TARGETS = ("reference", "cpython-c", "cpython-py")
DEFAULT_REPORT_DIR = os.path.join("reports", "runs", "latest")


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


class Progress:
    """A line on stderr for runs that take a while: cells judged, of about
    how many, and an estimate of the time left.  On a terminal it is
    rewritten in place; otherwise (a log) a line is added every `every`
    seconds (10 by default).  Runs that end within `delay` seconds show
    nothing."""

    def __init__(self, stream=None, delay=1.0, every=None, tty=None):
        self.stream = stream or sys.stderr
        self.tty = tty if tty is not None else hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every = every if every is not None else (0.2 if self.tty else 10.0)
        self.start = time.monotonic()
        self.delay = delay
        self.last = 0.0
        self.shown = False

    def __call__(self, cells, fraction, total=None):
        """`cells` judged so far, `fraction` of the work done (0..1), `total`
        the estimated number of cells (None while unknown)."""
        now = time.monotonic()
        if now - self.start < self.delay or now - self.last < self.every:
            return
        self.last = now
        text = self.line(cells, fraction, total, now - self.start)
        if self.tty:
            self.stream.write("\r" + text.ljust(78)[:100])
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self.shown = True

    @staticmethod
    def line(cells, fraction, total, elapsed):
        text = "picklespec: %s cells" % format(cells, ",")
        if total:
            text += " of about %s" % format(max(total, cells), ",")
        text += ", %d%%, %.0f s" % (min(fraction, 1.0) * 100, elapsed)
        if fraction > 0.02:
            text += ", about %.0f s left" % max(elapsed * (1 - fraction) / fraction, 0)
        return text

    def end(self):
        if self.shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()


class _Interrupted(Exception):
    pass


def execute(cases, targets, *, protocols=None, jobs=None, cross=True, progress=None,
            oracle=None, oracle_problem="", stop=None, stats=None, stop_after=None, chunk=None,
            clock=None):
    """Check cases against targets; the Run (complete=False if interrupted).

    `oracle` is the reference target dump-readable and cross ask (by default
    the `reference` among targets, if any).  `progress(cells, fraction,
    total)` is called now and then (`Progress`).  `stop`, a
    threading.Event, ends the run early as Ctrl-C does.  `stats`, a dict,
    receives the number of rounds, the requests asked per target name, and
    (round, target, requests, seconds) for each batch.  `clock`
    (runner/timing.py) times each cell's ``seconds``; a new Clock by default.

    The cases are checked `chunk` at a time (default: about a tenth of the
    work, at least 25 cases; `_chunked`), so progress can count judged
    cells.  `stop_after(result)`, if given, ends the run after the chunk in
    which it first holds (``--fail-fast``); the run is then complete but
    narrowed, and says so in its notes.
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
    chunks = [_Chunk(part) for part in _chunked(cases, chunk, protocols)]
    out = run.results
    cache = _Answers()
    asking = _Asking(cache, jobs, stop, clock, stats)

    def plan_chunk(part):
        for gen in _generators(part.cases, targets, protocols, oracle, oracle_problem, cross, part.out):
            _timed_advance(gen, None, part.active, clock, part.out)

    entered = merged = 0  # chunks planned; chunks whose results joined the run's
    answered = []  # the chunks whose checks were answered last, to be judged
    judging = None
    try:
        if chunks:
            plan_chunk(chunks[0])
            entered = 1
        while True:
            while merged < entered and chunks[merged].done():
                part = chunks[merged]
                out.extend(part.out)
                merged += 1
                if stop_after is not None and any(stop_after(r) for r in part.out):
                    _stopped_early(run, chunks, part)
                    for later in chunks[merged:entered]:
                        later.drop()
                    del chunks[merged:]
                    entered, answered = merged, []
            batch = [part for part in chunks[merged:entered] if part.active]
            if not batch and not answered and entered == len(chunks):
                break
            for part in batch:
                part.asked, part.active = part.active, []
            # The runner judges what the targets answered last, and plans the
            # next chunk, while the targets answer this batch.
            upcoming = chunks[entered] if entered < len(chunks) else None
            judging = _Judging(answered, upcoming, plan_chunk, cache, clock)
            if batch:
                newest = entered - 1 if chunks[entered - 1] in batch else None
                asking([call for part in batch for call in part.asked],
                       _ticker(progress, out, chunks, newest, merged) if newest is not None else None)
            judging.wait()
            judging = None
            if upcoming is not None:
                entered += 1
            answered = batch
    except (_Interrupted, KeyboardInterrupt) as exc:
        if judging is not None:
            judging.wait(errors=False)
            judging = None
        for part in chunks[merged:]:
            part.interrupted(cache, clock, judged=isinstance(exc, _Interrupted))
        out.extend(r for part in chunks[merged:] for r in part.out)
        run.complete = False
        run.notes.append("interrupted: the report holds the checks that finished")
    finally:
        if judging is not None:
            judging.wait(errors=False)
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


def _chunked(cases, size, protocols):
    """The cases in chunks, in corpus order: `size` cases each when given,
    else about a tenth of the work each (at least 25 cases).

    A dump case asks each target about twice per protocol (its dump, its
    stream loaded), other cases once, and the dump cases come first in the
    corpus: chunks of equal work keep the targets' answering and the judging
    overlapped throughout.  The order stays the corpus's, so every target
    gets its requests in the same order in every run: PyPy writes an
    instance's attributes in the order of the instances of its class made
    before it (pypy/pypy#5436), so a worker's answers may depend on it.
    """
    if size:
        return [cases[first:first + size] for first in range(0, len(cases), size)]
    weights = [1 + 2 * len(case_protocols(case, protocols)) if case.classification == "dump" else 1
               for case in cases]
    share = sum(weights) / 10.0
    chunks, part, work = [], [], 0
    for case, weight in zip(cases, weights):
        part.append(case)
        work += weight
        if work >= share and len(part) >= 25:
            chunks.append(part)
            part, work = [], 0
    if part:
        chunks.append(part)
    return chunks


class _ticker:
    """What `_ask_all` reports (requests done of the batch that brings chunk
    `number` in), turned into cells and the fraction of the run done: the
    chunks before it are answered, and the first `merged` of them judged."""

    def __init__(self, progress, out, chunks, number, merged):
        self.progress, self.out = progress, out
        self.before = sum(len(part.cases) for part in chunks[:number])
        self.judged = sum(len(part.cases) for part in chunks[:merged])
        self.size = len(chunks[number].cases)
        self.total = max(self.before + sum(len(part.cases) for part in chunks[number:]), 1)

    def __call__(self, done, asked, note=""):
        if self.progress is None:
            return
        fraction = (self.before + self.size * (done / asked if asked else 1.0)) / self.total
        total = len(self.out) * self.total // self.judged if self.judged else None
        self.progress(len(self.out), fraction, total)


class _Chunk:
    """A slice of the cases, from planning to its judged results.

    Its checks wait in `active` for the next batch, then in `asked` while
    the targets answer them and until they are judged; the checks that ask
    for more go back to `active`.  Its results stay in `out` until every
    check of it is judged, then join the run's, in chunk order.
    """

    def __init__(self, cases):
        self.cases = cases
        self.out = []  # its results, until merged
        self.active = []  # (check, what it asks) waiting to be asked
        self.asked = []  # (check, what it asks) being answered, or answered and not yet judged

    def done(self):
        return not self.active and not self.asked

    def drop(self):
        for gen, _ in self.active + self.asked:
            gen.close()
        self.active, self.asked, self.out = [], [], []

    def interrupted(self, cache, clock, judged):
        """After a stop: the checks whose answers are all in are judged (`judged`), the rest dropped."""
        if judged:
            _feed(self.asked + self.active, cache, last=True, clock=clock, out=self.out)
        else:
            for gen, _ in self.asked + self.active:
                gen.close()
        self.active, self.asked = [], []


class _Judging:
    """A thread judging the chunks whose checks the targets answered last
    (each chunk's checks that ask for more wait in its `active` for the next
    batch), then planning the chunk `upcoming` (its first requests): the
    runner's work, overlapped with the targets answering the next batch."""

    def __init__(self, answered, upcoming, plan_chunk, cache, clock):
        self.error = None

        def work():
            try:
                for part in answered:
                    asked, part.asked = part.asked, []
                    part.active = _feed(asked, cache, clock=clock, out=part.out)
                if upcoming is not None:
                    plan_chunk(upcoming)
            except BaseException as exc:  # handed to the main thread by wait()
                self.error = exc
        self.thread = threading.Thread(target=work, daemon=True, name="picklespec judging")
        self.thread.start()

    def wait(self, errors=True):
        """Wait for the thread (a second Ctrl-C still ends the wait); raise its error."""
        while self.thread.is_alive():
            self.thread.join(0.1)
        if errors and self.error is not None:
            error, self.error = self.error, None
            raise error


def _stopped_early(run, chunks, last):
    left = sum(len(part.cases) for part in chunks[chunks.index(last) + 1:])
    if left:
        run.notes.append("stopped after the first failure (--fail-fast): %d of %d cases "
                         "not run" % (left, sum(len(part.cases) for part in chunks)))


class _Asking:
    """Rounds of requests to every target: `_ask_all`, counted for `stats`."""

    def __init__(self, cache, jobs, stop, clock, stats):
        self.cache, self.jobs, self.stop, self.clock, self.stats = cache, jobs, stop, clock, stats
        self.rounds = 0

    def __call__(self, active, tick):
        self.rounds += 1
        asked = _ask_all(active, self.cache, self.jobs, self.stop, tick, self.rounds, self.clock)
        if self.stats is not None:
            self.stats["rounds"] = self.rounds
            for target, (count, seconds) in asked.items():
                self.stats.setdefault("requests", {}).setdefault(target.name, 0)
                self.stats["requests"][target.name] += count
                self.stats.setdefault("busy", []).append((self.rounds, target.name, count, seconds))


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
    if len(out) > before:
        seconds = round(total, 6)
        for result in out[before:]:
            result.seconds = seconds
    if len(active) == waiting:  # the check is done
        clock.forget(gen)


def _feed(active, cache, last=False, clock=None, out=None):
    """Send each check its answers; the checks that ask for more.

    With `last`, checks whose answers are not all in are dropped.
    """
    following = []
    clock = clock or Clock()
    out = out if out is not None else []
    decoded = _Decoded(cache, active)
    for (gen, request), keys in zip(active, decoded.keys):
        if any(key not in cache for key in keys):
            gen.close()
            decoded.skip(keys)
            continue
        answers = [decoded.take(key) for key in keys]
        _timed_advance(gen, answers if type(request) is list else answers[0], following,
                       clock, out, clock.requests(keys))
    if last:
        for gen, _ in following:
            gen.close()
        return []
    return following


class _Answers(dict):
    """The targets' answers by call key, kept as the lines they came in
    (a fraction of the memory of the decoded JSON).  `content` holds each
    answer's line without its request id, made once, as it arrives."""

    def __init__(self):
        super().__init__()
        self.content = {}

    def put(self, key, answer):
        self[key] = answer
        self.content[key] = _content(answer, key)


class _Decoded:
    """A round's answers, each decoded once however many checks take it, and
    let go when the last of them has: a round of a 20-target run holds far
    more decoded JSON than fits in memory at once.

    Answers are told apart by their lines without the request id: the
    targets mostly answer a request alike, word for word (every CPython
    loads a stream to the same tagged JSON), and such answers are decoded
    once for all of them.  The checks only read an answer, as they read one
    answer shared by several checks of one target.  `keys` holds the call
    keys of each request of the round, in order.
    """

    def __init__(self, cache, active):
        self.cache = cache
        self.values = {}  # content -> the decoded answer
        self.left = left = {}  # content -> the calls of this round still to take it
        self.keys = []
        content = cache.content  # an answer not in yet is told apart by its call's key
        for _, request in active:
            keys = [call.key for call in request] if type(request) is list else [request.key]
            self.keys.append(keys)
            for key in keys:
                bare = content.get(key, key)
                left[bare] = left.get(bare, 0) + 1

    def take(self, key):
        content = self.cache.content.get(key, key)
        answer = self.values.get(content)
        if answer is None:
            answer = _decoded(self.cache[key])
        self._taken(content, answer)
        return answer

    def skip(self, keys):
        content = self.cache.content
        for key in keys:
            bare = content.get(key, key)
            self._taken(bare, self.values.get(bare))

    def _taken(self, content, answer):
        left = self.left[content] - 1
        if left:
            self.left[content] = left
            if answer is not None:
                self.values[content] = answer
        else:
            del self.left[content]
            self.values.pop(content, None)


def _content(answer, key):
    """What tells an answer from the others in a round: its line without the
    request id, or the call's own key for an answer that is not a line."""
    bare = without_id(answer) if isinstance(answer, bytes) else None
    return key if bare is None else bare


def _decoded(answer):
    """An answer as the checks take it: kept as its line (bytes), decoded on use.

    The adapter only skimmed the line (`adapter._skim`); one that is not JSON
    after all is the target's protocol error.
    """
    return decode_answer(answer) if isinstance(answer, bytes) else answer


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
                cache.put(calls[index].key, answer)
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
    parser.add_argument("--case", action="append", metavar="GLOB",
                        help="only the cases whose id matches GLOB (repeatable)")
    parser.add_argument("-k", dest="keyword", metavar="EXPR",
                        help="only the cases matching EXPR, as pytest's -k: words matched against "
                             "the id, title, tags, opcode names and file, with and/or/not "
                             "(-k \"frame and not reject\")")
    parser.add_argument("--kind", action="append", choices=KINDS, metavar="KIND",
                        help="only the cases of this kind: %s (repeatable)" % ", ".join(KINDS))
    parser.add_argument("--check", action="append", choices=CHECKS, metavar="CHECK",
                        help="only judge and report this check: %s (repeatable)" % ", ".join(CHECKS))
    parser.add_argument("--fail-fast", "-x", action="store_true",
                        help="stop after the first failing cell that the expectations do not list")
    parser.add_argument("--protocol", "-p", action="append", type=int, choices=range(6), metavar="N",
                        help="only protocol N (repeatable)")
    parser.add_argument("--corpus", action="append", metavar="PATH",
                        help="case files or folders to read instead of the installed corpus")
    parser.add_argument("--report-dir", default=DEFAULT_REPORT_DIR, metavar="DIR",
                        help="where the reports go (default: %(default)s)")
    parser.add_argument("--baseline", metavar="FILE",
                        help="judge the run against the known results in FILE instead of the "
                             "shipped expectations (the published run, picklespec/known/baseline.json)")
    parser.add_argument("--no-expectations", action="store_true",
                        help="judge every cell on its own: any cell that does not conform fails the run")
    parser.add_argument("--strict", action="store_true",
                        help="fail the run on every cell that does not conform, known or not "
                             "(the known deviations are still reported as such)")
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
    if args.no_expectations and args.baseline:
        raise UsageError("--no-expectations and --baseline FILE contradict each other; give one")


def _select_cases(args):
    from picklespec.cases.corpus import load_corpus

    corpus = load_corpus(args.corpus or None)
    if corpus.problems:
        for problem in corpus.problems:
            sys.stderr.write("%s\n" % problem)
        raise UsageError("the corpus has %d problem%s (above); nothing was run" % (
            len(corpus.problems), "s" if len(corpus.problems) > 1 else ""))
    cases = corpus.cases
    try:
        cases = select(cases, globs=args.case or (), expression=args.keyword, kinds=args.kind or ())
    except SelectionError as exc:
        raise UsageError(str(exc)) from None
    if not cases:
        asked = ["--case " + " or ".join(repr(g) for g in args.case)] if args.case else []
        asked += ["-k %r" % args.keyword] if args.keyword else []
        asked += ["--kind " + " or ".join(args.kind)] if args.kind else []
        raise UsageError("no case matches %s" % " and ".join(asked))
    if args.protocol:
        cases = [c for c in cases if case_protocols(c, args.protocol)]
        if not cases:
            raise UsageError("no case covers protocol %s" % ", ".join(map(str, args.protocol)))
    return cases


def _load_baseline(args):
    """What the run is judged against: --baseline FILE, else the shipped
    expectations (None with --no-expectations, or a baseline to be created)."""
    if args.no_expectations or (args.update_baseline and not os.path.exists(args.baseline)):
        return None
    from . import baseline

    try:
        return baseline.load(args.baseline) if args.baseline else baseline.shipped()
    except baseline.BaselineError as exc:
        hint = "" if args.baseline else " (the shipped expectations; --no-expectations runs without them)"
        raise UsageError(str(exc) + hint) from None


def _main(args):
    with _collecting_less():
        return _run(args)


def _run(args):
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
                      cross=not args.no_cross and (not args.check or "cross" in args.check),
                      progress=progress, oracle=oracle, oracle_problem=problem,
                      stop_after=_first_failure(args, known) if args.fail_fast else None,
                      chunk=25 if args.fail_fast else None)
    finally:
        if progress is not None:
            progress.end()
        for target in targets + ([oracle] if own_oracle else []):
            target.close()
    if args.check:  # the other checks' cells are left out of the verdict and the reports
        run.results[:] = [r for r in run.results if r.check in args.check]
        run.findings = findings.group(run, {case.id: case for case in cases})
    verdict = _Verdict(run, args, known)
    paths = _write_reports(run, args.report_dir, meanwhile=verdict)
    status = verdict.show(sys.stdout)
    _next_step(paths, known, sys.stdout)
    if not run.complete:
        return stopping.status()
    idle = unjudged(run, targets) if run.results or cases else []
    for name, why in idle:
        sys.stderr.write("picklespec run: target %s: %s\n" % (name, why))
    if any("every cell unsupported" in why for _, why in idle):
        return 2  # a profile under which nothing is judged is a usage error
    return 1 if idle else status


@contextlib.contextmanager
def _collecting_less():
    """Keep the cyclic garbage collector out of a run.

    A run makes a Result per cell and decodes every answer into dicts and
    lists, none of which form cycles: the collector found next to nothing
    to free, and its collections of the young objects (every 50,000
    allocations, and every 700 before that) took a tenth of the runner's
    own time.  What the run leaves in cycles (a case's cyclic expected
    value, an exception's traceback) is bounded by the corpus, and left to
    the collector once it is back on, after the run (a test calls `main` in
    its own process).
    """
    import gc

    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


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


class _Verdict:
    """The summary and the exit status of a run: the counts per target and
    the comparison with the expectations (`_summarize`, `_judge_baseline`).
    Worked out while a child process writes the largest reports
    (`write_all`'s `meanwhile`), shown after them."""

    def __init__(self, run, args, known):
        self.run, self.args, self.known = run, args, known
        self.text = self.status = self.error = None

    def __call__(self):
        if self.text is not None or self.error is not None:
            return
        out = io.StringIO()
        try:
            status = _summarize(self.run, out, listed=self.known is None)
            for note in self.run.notes:
                if note.startswith("stopped after the first failure"):
                    out.write(note + "\n")
            self.status = _judge_baseline(self.run, self.args, self.known, status, out)
        except BaseException as exc:  # raised by show(), not taken for a report's error
            self.error = exc
        self.text = out.getvalue()

    def show(self, stream):
        self()
        stream.write(self.text)
        if self.error is not None:
            raise self.error
        return self.status


def _write_reports(run, directory, meanwhile=None):
    try:
        from .reports import write_all
    except ImportError as exc:  # an installation without the report writers
        sys.stderr.write("picklespec run: no reports written: %s\n" % exc)
        return []
    try:
        return write_all(run, directory, meanwhile=meanwhile)
    except OSError as exc:
        sys.stderr.write("picklespec run: cannot write the reports in %s: %s\n" % (directory, exc))
        return []


def _summarize(run, stream, listed=True):
    """Counts per target, and (when `listed`) the first failing cells; 1 if
    any cell fails, else 0."""
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
    if listed:
        for result in failing[:20]:
            stream.write("%s: %s: %s\n" % (result.key, result.outcome, result.message))
        if len(failing) > 20:
            stream.write("... and %d more failing cells (see the reports)\n" % (len(failing) - 20))
    stream.write("%d cells, %d failing%s\n" % (len(run.results), len(failing),
                                               "" if run.complete else " (interrupted: incomplete)"))
    return 1 if failing else 0


def _first_failure(args, known):
    """For --fail-fast: whether a result is a failure the run's verdict counts."""
    def counts(result):
        if not result.failing:
            return False
        return args.strict or known is None or known.expected.get(result.key) != result.outcome
    return counts


def _judge_baseline(run, args, known, status, stream):
    """The exit status, as the expectations, --baseline FILE, --strict and
    --no-expectations decide it (runner/baseline.py: which passes count)."""
    from . import baseline

    if args.update_baseline:
        if not run.complete:
            sys.stderr.write("picklespec run: interrupted, so the baseline was not updated\n")
            return status
        baseline.write(run, args.baseline)
        stream.write("baseline updated: %s\n" % args.baseline)
        return 0
    if known is None:
        return status
    comparison = baseline.compare(run, known)
    lines = comparison.verdict(run.targets) if known.shipped else comparison.summary()
    for line in lines:
        stream.write(line + "\n")
    if args.strict:
        if status:
            stream.write("--strict: every cell that does not conform fails the run\n")
        return status
    return 0 if comparison.ok else 1


def _next_step(paths, known, stream):
    """The summary's last lines: where to look next."""
    by_name = {os.path.basename(p): p for p in paths}
    if "matrix.html" in by_name:
        stream.write("next: open %s in a browser\n" % by_name["matrix.html"])
    if "findings.md" in by_name:
        stream.write("failures grouped by root cause: %s\n" % by_name["findings.md"])
    if known is not None and known.shipped:
        from picklespec import known as published

        stream.write("the published run's findings, per target: %s\n" % published.path("findings.md"))
    others = [p for name, p in sorted(by_name.items()) if name not in ("matrix.html", "findings.md")]
    if others:
        stream.write("other reports: %s\n" % ", ".join(others))
