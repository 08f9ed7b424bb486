"""``picklespec fuzz``: differential fuzzing of any targets, each disagreement a case.

Theory of operation
-------------------
Every input is made from the run's seed and its own number alone
(runner/fuzz_grammar.py: valid programs, programs with a controlled fault,
mutants of those and of the corpus's streams), so a run is reproduced by
its seed, whatever the batch size or the targets' speed.  Inputs go to
every target in batches: a target this interpreter can be (``reference``,
``cpython-c``, ``cpython-py``) loads them in this process by calling the
worker's own `load` (runner/worker.py), so its answers are exactly what the
worker would have said; any other target (``python:PATH``, ``cmd:...``,
``pickleparser``) gets them through its adapter as one pipelined batch, in
a thread of its own (one per target, for the whole run), all targets at
once, while this process makes the next batch.  Answers that are the same
success (the same value loaded, the same bytes dumped) are seen to agree as
they are read: equal answer dicts, or lines equal but for their ids; only
the others are decoded and judged.

An answer becomes an `Outcome` by the runner's own vocabulary
(runner/checks.py): ``value`` (with the tagged JSON of what loaded),
``rejected`` (a clean rejection) or ``unclean`` (with the exception's type
name), ``crash``, ``timeout``, ``protocol-error``, ``undescribable``.  The
reference is judged like any target, by these outcomes and the exception
type name only, never by its own internals.  Targets *disagree* on an input
when their outcomes differ: another class, or another value (with
``--exceptions``, another exception type as well).  A share of the inputs
(``--dumps``, 10% by default) are objects instead (`fuzz_grammar.value`),
dumped by every target that dumps at the drawn protocol: their outcome is
``bytes`` (with the stream) or ``unpicklable``, and a target that does not
dump at that protocol is left out of the comparison.

A disagreement's *signature* is every target's outcome class and exception
name, which targets gave equal values, and the opcode that decided it: the
first instruction after which the targets disagree on the stream cut there
and ended with STOP.  The first input of each signature is minimized
(runner/fuzz_minimize.py) while the targets keep disagreeing in the same
way, its signature taken again from the minimized stream, and written as a
case for review (runner/fuzz_cases.py; a dump's object is shrunk over its
tagged JSON instead, and becomes a dump case) under ``--out``
(``reports/runs/fuzz-latest/`` by default), along with ``summary.json``;
later inputs with a signature already seen are only counted.  Probes (the
cuts and candidates these searches ask about) go to targets behind a
process boundary `PROBE_WINDOW` at a time; a stream probed once is not
asked again in the run.

Progress goes to stderr (inputs, inputs/s, signatures); the summary to
stdout.  Ctrl-C ends the run after the batch in flight, with the summary and
everything found so far written; the exit status is then 130 (143 when
SIGTERM stopped it the same way, runner/stopping.py).  Otherwise it
is 1 when the targets disagreed, 0 when they did not, 2 on a usage error.
"""

import argparse
import collections
import datetime
import json
import os
import queue
import sys
import threading
import time

from picklespec.process import DEFAULT_MEMORY_MB
from picklespec.process.adapter import decode_answer, without_id
from . import stopping, wire
from .profile import read_profile
from .projections import python2_view
from .fuzz_grammar import ALLOWED_GLOBALS, RandomSource, generate, value
from .fuzz_minimize import minimize
from .targets import BUILTINS, UsageError, open_targets, parse_targets

__all__ = ["Outcome", "Fuzzer", "main", "DEFAULT_OUT"]

DEFAULT_OUT = os.path.join("reports", "runs", "fuzz-latest")
DEFAULT_TIMEOUT = 5.0
BATCH = 256
STOP_GRACE = 5.0  # seconds a stopped batch's threads get to leave it
PROBE_WINDOW = 4  # probes sent at once when a target is behind a process boundary
PROBES_KEPT = 4096  # probed streams whose outcomes are kept (then forgotten, all at once)
_RAW_PROBES = 30  # inputs of a kind whose deciding opcode is found before sampling starts


class Outcome(collections.namedtuple("Outcome", "cls detail")):
    """What a target did with an input: cls in the runner's words; detail the
    exception type name, or for ``value`` the tagged JSON text of the result."""


def outcome_of(answer, python2=False, profile=None):
    """(Outcome, message) for an answer dict or AdapterFailure; clean or
    unclean as the runner judges it, from the target's profile."""
    what, message = wire.outcome_of(answer, profile)
    if what == "ok" and "data" in answer and "object" not in answer:  # a dump
        return Outcome("bytes", str(answer.get("data"))), ""
    if what == "unpicklable":
        return Outcome(what, str(answer.get("exception") or "")), message
    if what == "ok":
        got = answer.get("object")
        if python2:
            got = python2_view(got)
        return Outcome("value", json.dumps(got, sort_keys=True)), ""
    if what in ("rejected", "unclean"):
        return Outcome(what, str(answer.get("exception") or "")), message
    if what == "adapter":
        what = "protocol-error"
    return Outcome(what, ""), message


# -- targets -------------------------------------------------------------------------


_UNSUPPORTED = {"ok": False, "kind": "unsupported", "message": "not asked: the target does not do it"}


class _InProcess:
    """A target this interpreter is, answered by the worker's own handlers here."""

    def __init__(self, spec):
        from . import worker

        self.worker = worker
        self.spec = spec
        self.kind = spec.kind
        self.hello = worker.hello(self.kind)
        if not self.hello.get("ok"):
            raise UsageError("%s: %s" % (spec.text, self.hello.get("kind_error")))
        self.name = self.hello["name"]
        self.producer = self.hello.get("producer")
        self.load_options = frozenset(self.hello.get("load_options") or ())
        self.dump_protocols = frozenset(self.hello.get("dump_protocols") or ())
        self.python2 = False
        self.profile = read_profile(self.hello)
        self.where = "in process"

    def load_all(self, requests, stop=None):
        handlers = self.worker.HANDLERS
        out = []
        for request in requests:
            if request is None:
                out.append(_UNSUPPORTED)
                continue
            try:
                out.append(handlers[request["op"]](self.kind, request))
            except Exception as exc:  # as the worker answers: never a dead target
                out.append({"ok": False, "kind": "internal", "exception": type(exc).__name__,
                            "message": "%s: %s" % (type(exc).__name__, exc)})
        return out

    def close(self):
        pass


class _Remote:
    """A target behind its adapter (a worker process, or any program)."""

    def __init__(self, target):
        self.target = target
        self.spec = target.spec
        self.hello = target.hello
        self.name = target.name
        self.producer = target.producer
        self.load_options = target.load_options
        self.dump_protocols = target.dump_protocols
        self.python2 = target.python2
        self.profile = getattr(target, "profile", None)
        self.where = "through its adapter" if not target.spec.kind else "in a worker"
        self._thread = self._todo = None

    def load_all(self, requests, stop=None):
        """The answers to requests (JSON texts, or None for one not asked): each
        the answer's line as read (bytes; `answer_dict` decodes it) or the
        AdapterFailure it met."""
        asked = [i for i, r in enumerate(requests) if r is not None]
        out = [_UNSUPPORTED] * len(requests)
        for i in asked:
            out[i] = None
        texts = [requests[i] for i in asked]
        for index, answer in self.target.adapter.pipeline(texts, stop=stop, raw=True):
            out[asked[index]] = answer
        return out

    def submit(self, requests, stop):
        """Have this target's own thread answer requests (`load_all`); the
        _Pending that will hold the answers.  The thread lives as long as the
        target: a batch costs no thread start, and the next batch can be made
        while this one is answered."""
        pending = _Pending()
        if self._thread is None:
            self._todo = queue.SimpleQueue()
            self._thread = threading.Thread(target=self._serve, daemon=True,
                                            name="picklespec fuzz: %s" % self.name)
            self._thread.start()
        self._todo.put((requests, stop, pending))
        return pending

    def _serve(self):
        while True:
            job = self._todo.get()
            if job is None:
                return
            requests, stop, pending = job
            try:
                pending.answers = self.load_all(requests, stop)
            except BaseException:  # said as a thread would say it; the batch is cut short
                sys.excepthook(*sys.exc_info())
            pending.done.set()

    def close(self):
        if self._thread is not None:
            self._todo.put(None)
        self.target.close()


class _Pending:
    """A batch a remote target's thread is answering."""

    __slots__ = ("done", "answers")

    def __init__(self):
        self.done = threading.Event()
        self.answers = None


def answer_dict(answer):
    """An answer as a dict (or the AdapterFailure it is): a remote target's
    line is decoded here, only when its outcome is asked for."""
    return decode_answer(answer) if isinstance(answer, bytes) else answer


_VALUE_END = b'"ok": true}'  # a success's last key, keys sorted (other lines are decoded)


def same_success(answers):
    """Whether every target answered with the same success (the same loaded value
    or dumped bytes), seen without decoding: equal answer dicts, or equal lines
    once their ids are out.  Equal answers that are not successes may still be
    judged apart (clean by one target's profile, unclean by another's)."""
    first = answers[0]
    if isinstance(first, dict):
        return first.get("ok") is True and all(a == first for a in answers[1:])
    if not isinstance(first, bytes) or not first.endswith(_VALUE_END):
        return False
    if all(a == first for a in answers[1:]):
        return True
    bare = without_id(first)
    return bare is not None and all(isinstance(a, bytes) and without_id(a) == bare
                                    for a in answers[1:])


def open_fuzz_targets(texts, in_process=True, timeout=DEFAULT_TIMEOUT):
    """The targets named by specs: in this process where they can be."""
    specs = parse_targets(texts)
    if len(specs) < 2:
        raise UsageError("fuzz compares targets: name at least two (--target A --target B)")
    local = [s for s in specs if in_process and s.text in BUILTINS]
    remote = [s for s in specs if s not in local]
    opened = {}
    for spec in local:
        opened[spec] = _InProcess(spec)
    for target in open_targets(remote, timeout=timeout, memory_mb=DEFAULT_MEMORY_MB) if remote else []:
        opened[target.spec] = _Remote(target)
    out = [opened[s] for s in specs]
    names = collections.Counter(t.name for t in out)
    for t in out:
        if names[t.name] > 1:  # two in-process targets never share a name; a worker may
            t.name = "%s(%s)" % (t.name, t.spec.text)
    return out


class Dump(collections.namedtuple("Dump", "protocol tagged")):
    """A dump input: a protocol, and the object as tagged JSON."""


# -- findings ------------------------------------------------------------------------


class Answered:
    """One target's answer to a finding's stream."""

    def __init__(self, target, answer, outcome, message):
        self.name = target.name
        self.producer = target.producer
        self.is_reference = target.hello.get("implementation") == "picklespec"
        self.answer = answer if isinstance(answer, dict) else {}
        self.outcome = outcome
        self.message = message


class Finding:
    def __init__(self, data, signature, targets, seed, index, how, opcode):
        self.data = data
        self.signature = signature
        self.targets = targets
        self.seed = seed
        self.index = index
        self.how = how
        self.opcode = opcode
        self.count = 1
        self.path = None


class Fuzzer:
    """A fuzzing run over opened targets; `run` it, then read its counters."""

    def __init__(self, targets, seed, out_dir=None, seeds=(), compare_exceptions=False,
                 minimize_budget=3000, max_ops=40, progress=None, dumps=10):
        self.targets = targets
        self.seed = seed
        self.out_dir = out_dir
        self.seeds = list(seeds)
        self.compare_exceptions = compare_exceptions
        self.minimize_budget = minimize_budget
        self.max_ops = max_ops
        self.progress = progress
        self.dumps = dumps  # percent of the inputs that are dumps
        self.python2 = any(t.python2 for t in targets)
        self.inputs = 0
        self.disagreements = 0
        self.findings = {}  # final signature -> Finding
        self.raw = {}  # signature before minimization -> final signature
        self.kinds = collections.Counter()  # pre-signature -> inputs seen
        self.elapsed = 0.0
        self.interrupted = False
        self.probes = 0
        self.jobs = 1
        self._dump_protocols = self.dump_protocols
        self.target_info = [{"name": t.name, "spec": t.spec.text, "where": t.where,
                             "producer": t.producer} for t in targets]
        # In process, a probe costs its load alone: ask one at a time, stop at the
        # first that answers.  Behind a process boundary every request costs a
        # round trip: ask a window of probes in one pipelined batch.
        self.window = 1 if all(isinstance(t, _InProcess) for t in targets) else PROBE_WINDOW
        self._stop = threading.Event()
        self._probed = {}  # stream -> (outcomes, {name: answer}), see `_probed_many`
        self._options = {}
        self._option_texts = {}  # the options as they end a load request's text
        for t in targets:
            opts = {"allow_globals": ALLOWED_GLOBALS} if "allow_globals" in t.load_options else {}
            self._options[t.name] = opts
            self._option_texts[t.name] = ', "options": %s' % json.dumps(opts) if opts else ""

    # -- asking the targets --------------------------------------------------

    def _requests(self, target, datas, texts=None):
        """The requests for inputs: a stream (bytes) is loaded, a Dump dumped
        (None where the target does not dump at that protocol).  A target in
        this process takes dicts; one behind a process boundary their JSON
        text, each dump's encoded once for every target (`texts`: id -> text)."""
        opts = self._options[target.name]
        out = []
        remote = not isinstance(target, _InProcess)
        texts = {} if texts is None else texts
        for d in datas:
            if isinstance(d, Dump):
                if d.protocol not in target.dump_protocols:
                    out.append(None)
                elif remote:
                    text = texts.get(id(d))
                    if text is None:
                        text = texts[id(d)] = wire.dump_text(d.protocol, json.dumps(d.tagged))
                    out.append(text)
                else:
                    out.append({"op": "dump", "protocol": d.protocol, "object": d.tagged})
            elif remote:
                out.append('{"op": "load", "data": "%s"%s}'
                           % (d.hex(), self._option_texts[target.name]))
            elif opts:
                out.append({"op": "load", "data": d.hex(), "options": opts})
            else:
                out.append({"op": "load", "data": d.hex()})
        return out

    def send(self, datas):
        """Start every target behind a process boundary on datas, each in its own
        thread; what `collect` takes."""
        texts = {}
        return datas, {t.name: t.submit(self._requests(t, datas, texts), self._stop)
                       for t in self.targets if not isinstance(t, _InProcess)}

    def collect(self, sent):
        """Every target's answers to what was sent: {name: [answer, ...]}; the
        targets in this process answer here, meanwhile."""
        datas, pending = sent
        answers = {}
        try:
            for t in self.targets:
                if isinstance(t, _InProcess):
                    answers[t.name] = t.load_all(self._requests(t, datas))
            for p in pending.values():
                while not p.done.wait(0.1):  # in small steps: Ctrl-C is seen here
                    pass
        except BaseException:
            self.abandon(sent)
            raise
        for name, p in pending.items():
            answers[name] = p.answers
        for t in self.targets:
            got = answers.get(t.name) or []
            if len(got) != len(datas) or any(a is None for a in got):
                raise KeyboardInterrupt  # a batch cut short: only Ctrl-C stops one
        return answers

    def abandon(self, sent):
        """After a stop: the adapters leave the batch within 0.2 s; one that
        does not is left (its thread is a daemon): closing kills its target."""
        self._stop.set()
        deadline = time.monotonic() + STOP_GRACE
        for p in sent[1].values():
            p.done.wait(max(0.0, deadline - time.monotonic()))

    def ask(self, datas):
        """Every target's answers to datas: {name: [answer, ...]}."""
        return self.collect(self.send(datas))

    def outcomes(self, answers, i):
        return [outcome_of(answer_dict(answers[t.name][i]), self.python2, t.profile)
                for t in self.targets]

    def probe(self, data):
        """Every target's outcomes for data, and their answers ({name: [answer]})."""
        [(outcomes, answers)] = self._probed_many([data])
        return outcomes, {name: [answer] for name, answer in answers.items()}

    def probe_many(self, datas):
        """Every target's outcomes for each of datas, asked as one batch."""
        return [outcomes for outcomes, _ in self._probed_many(datas)]

    def _probed_many(self, datas):
        """(outcomes, {name: answer}) for each of datas.  A stream probed before
        is not asked again: the same cuts and candidates come up in the
        searches of many disagreements (the targets answer a stream the same
        way every time, or a run could not be reproduced from its seed)."""
        known = self._probed
        got = {}  # stream (or a dump's id) -> result
        fresh = []
        for d in datas:
            key = d if isinstance(d, bytes) else id(d)
            if key in got:
                continue
            if key in known:
                got[key] = known[key]
            else:
                got[key] = None
                fresh.append(d)
        if fresh:
            self.probes += len(fresh)
            answers = self.ask(fresh)
            if len(known) + len(fresh) > PROBES_KEPT:
                known.clear()
            for i, d in enumerate(fresh):
                result = (self.outcomes(answers, i),
                          {t.name: answers[t.name][i] for t in self.targets})
                if isinstance(d, bytes):
                    known[d] = got[d] = result
                else:
                    got[id(d)] = result
        return [got[d if isinstance(d, bytes) else id(d)] for d in datas]

    def first_disagreeing(self, candidates):
        """The index of the first candidate the targets disagree on (None if
        none), asking `window` candidates at a time."""
        for start in range(0, len(candidates), self.window):
            got = self.probe_many(candidates[start:start + self.window])
            for j, outcomes in enumerate(got):
                if self.disagree(outcomes):
                    return start + j
        return None

    # -- judging -------------------------------------------------------------

    def disagree(self, outcomes):
        keys = set()
        for o, _ in outcomes:
            if o.cls == "unsupported":
                continue
            if o.cls in ("value", "bytes"):
                keys.add(o)
            elif self.compare_exceptions:
                keys.add(o)
            else:
                keys.add(o.cls)
        return len(keys) > 1

    def pre_signature(self, outcomes):
        """Each target's outcome class and exception, and which gave equal values."""
        groups = {}
        out = []
        for t, (o, _) in zip(self.targets, outcomes):
            if o.cls in ("value", "bytes"):
                label = groups.setdefault(o.detail, "%s-%d" % (o.cls, len(groups) + 1))
                out.append((t.name, label, ""))
            else:
                out.append((t.name, o.cls, o.detail))
        return tuple(out)

    def deciding_opcode(self, data, bisect):
        """The instruction after which the targets first disagree on data cut there + STOP."""
        from picklespec.reference.asm import read_instructions

        ins = read_instructions(data)
        if not ins:
            return "empty"

        def cut(k):
            return b"".join(i.raw for i in ins[:k]) + b"."

        found = None
        if bisect:
            # a search over the cuts: one cut at a time in process (bisection),
            # window - 1 evenly spaced cuts per batch behind a process boundary
            lo, hi = 1, len(ins)
            if self.first_disagreeing([cut(hi)]) is not None:
                while lo < hi:
                    step = max(1, (hi - lo) // self.window)
                    points = list(range(lo, hi, step))[:max(1, self.window - 1)] \
                        if self.window > 1 else [(lo + hi) // 2]
                    j = self.first_disagreeing([cut(k) for k in points])
                    if j is None:
                        lo = points[-1] + 1
                    else:
                        hi = points[j]
                        if j:
                            lo = points[j - 1] + 1
                found = lo
        else:
            j = self.first_disagreeing([cut(k) for k in range(1, len(ins) + 1)])
            found = None if j is None else j + 1
        last = ins[(found or len(ins)) - 1]
        if found is None:
            # no cut disagrees: the end of the stream itself decides
            last = ins[-1] if ins[-1].op is None or ins[-1].op.name != "STOP" or len(ins) < 2 \
                else ins[-2]
        return _name(last)

    def examine(self, data, outcomes, index, how):
        """A disagreement: count it, and minimize and write it if its signature is new."""
        if isinstance(data, Dump):
            return self.examine_dump(data, outcomes, index)
        self.disagreements += 1
        pre = self.pre_signature(outcomes)
        self.kinds[pre] += 1
        seen = self.kinds[pre]
        if seen > _RAW_PROBES and seen % 100:
            # the kind is common: most of its inputs are only counted
            return
        raw = (pre, self.deciding_opcode(data, bisect=True))
        final = self.raw.get(raw)
        if final is not None:
            self.findings[final].count += 1
            return

        def same(candidates):
            return [self.disagree(got) and self.pre_signature(got) == pre
                    for got in self.probe_many(candidates)]

        small, _ = minimize(data, None, self.minimize_budget, test_many=same, window=self.window)
        opcode = self.deciding_opcode(small, bisect=False)
        final = (pre, opcode)
        self.raw[raw] = final
        if final in self.findings:
            self.findings[final].count += 1
            return
        got, answers = self.probe(small)
        answered = [Answered(t, answer_dict(answers[t.name][0]), o, m)
                    for t, (o, m) in zip(self.targets, got)]
        signature = [[list(x) for x in pre], opcode]
        finding = Finding(small, signature, answered, self.seed, index, how, opcode)
        self.findings[final] = finding
        if self.out_dir:
            from .fuzz_cases import write_case

            finding.path = write_case(finding, self.out_dir)

    def dump_opcode(self, outcomes):
        """Where the bytes of a dump disagreement first differ: the opcode the first
        target wrote there (or its outcome, when a target wrote nothing)."""
        from picklespec.reference.asm import read_instructions

        streams = []
        for o, _ in outcomes:
            if o.cls == "bytes" and o.detail not in streams:
                streams.append(o.detail)
            elif o.cls not in ("bytes", "unsupported"):
                return o.cls
        if len(streams) < 2:
            return "bytes"
        a, b = (read_instructions(bytes.fromhex(s)) for s in streams[:2])
        for x, y in zip(a, b):
            if x.raw != y.raw:
                return _name(x)
        return "end"

    def examine_dump(self, dump, outcomes, index):
        """A dump disagreement: the object shrunk while the targets write the same way."""
        from .fuzz_minimize import shrink_json

        self.disagreements += 1
        pre = self.pre_signature(outcomes)
        key = (pre, "dump %d %s" % (dump.protocol, self.dump_opcode(outcomes)))
        self.kinds[key[0]] += 1
        if key in self.raw:
            self.findings[self.raw[key]].count += 1
            return

        def same(tagged):
            got = self.probe(Dump(dump.protocol, tagged))[0]
            return self.disagree(got) and self.pre_signature(got) == pre

        small = shrink_json(dump.tagged, same, budget=self.minimize_budget // 10)
        got, answers = self.probe(Dump(dump.protocol, small))
        opcode = self.dump_opcode(got)
        final = (pre, "dump %d %s" % (dump.protocol, opcode))
        self.raw[key] = final
        if final in self.findings:
            self.findings[final].count += 1
            return
        answered = [Answered(t, answer_dict(answers[t.name][0]), o, m)
                    for t, (o, m) in zip(self.targets, got)]
        signature = [[list(x) for x in pre], final[1]]
        finding = Finding(Dump(dump.protocol, small), signature, answered, self.seed, index, "dump",
                          opcode)
        self.findings[final] = finding
        if self.out_dir:
            from .fuzz_cases import write_case

            finding.path = write_case(finding, self.out_dir)

    # -- the run ---------------------------------------------------------------

    @property
    def dump_protocols(self):
        """The protocols at which two targets or more dump (those dump inputs use)."""
        counts = collections.Counter(p for t in self.targets for p in t.dump_protocols)
        return sorted(p for p, n in counts.items() if n >= 2)

    def make(self, index):
        source = RandomSource("%s:%d" % (self.seed, index))
        if self.dumps and source.integer(0, 99) < self.dumps:
            from picklespec.reference import model

            protocols = self._dump_protocols
            if protocols:
                return "dump", Dump(source.choice(protocols), model.to_json(value(source)))
        return generate(source, self.seeds, self.max_ops)

    def run(self, inputs=None, seconds=None, batch=BATCH, job=0, jobs=1):
        """Fuzz until `inputs` inputs or `seconds` have gone.  With `jobs`, this
        run takes the inputs numbered job, job + jobs, job + 2 * jobs, ...

        The targets behind a process boundary answer a batch while the next
        one is made; it is sent once this one is judged, so that the probes
        of a disagreement never wait behind a batch."""
        start = time.monotonic()
        planned = [0]

        def plan():
            """The next batch's numbers and inputs, None when the run is done."""
            if inputs is not None and planned[0] >= inputs:
                return None
            if seconds is not None and time.monotonic() - start >= seconds:
                return None
            n = batch if inputs is None else min(batch, inputs - planned[0])
            numbers = [(planned[0] + j) * jobs + job for j in range(n)]
            planned[0] += n
            return numbers, [self.make(number) for number in numbers]

        sent = None  # the batch the targets are answering: (numbers, made, what send gave)
        try:
            upcoming = plan()
            while upcoming is not None:
                numbers, made = upcoming
                sent = (numbers, made, self.send([data for _, data in made]))
                upcoming = plan()  # while the targets answer
                answers = self.collect(sent[2])  # abandons the batch if stopped meanwhile
                sent = None
                self.judge(numbers, made, answers)
                self.inputs += len(made)
                self.elapsed = time.monotonic() - start
                if self.progress:
                    self.progress(self)
        except KeyboardInterrupt:
            self.interrupted = True
            if sent is not None:
                self.abandon(sent[2])
        self.elapsed = time.monotonic() - start
        return self

    def judge(self, numbers, made, answers):
        """Each input of a batch whose targets disagree is examined."""
        columns = [answers[t.name] for t in self.targets]
        for j, (how, data) in enumerate(made):
            if same_success([c[j] for c in columns]):
                continue
            outcomes = self.outcomes(answers, j)
            if self.disagree(outcomes):
                self.examine(data, outcomes, numbers[j], how)

    @property
    def rate(self):
        return self.inputs / self.elapsed if self.elapsed else 0.0

    def summary(self):
        """The run as a JSON-able dict (summary.json)."""
        return {
            "seed": self.seed,
            "targets": self.target_info,
            "jobs": self.jobs,
            "inputs": self.inputs,
            "seconds": round(self.elapsed, 3),
            "inputs_per_second": round(self.rate, 1),
            "disagreements": self.disagreements,
            "probes": self.probes,
            "complete": not self.interrupted,
            "signatures": [
                dict({"signature": f.signature, "count": f.count, "id": _case_id(f),
                      "case": f.path, "input": f.index, "how": f.how},
                     **({"protocol": f.data.protocol, "object": f.data.tagged}
                        if isinstance(f.data, Dump) else {"stream": f.data.hex()}))
                for f in sorted(self.findings.values(), key=lambda f: -f.count)],
            "finished": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        }


def _case_id(finding):
    from .fuzz_cases import case_id

    return case_id(finding.signature)


def _name(instruction):
    """An instruction's name in a signature: its opcode's; for what the
    disassembler could not read, what went wrong -- an opcode whose argument
    the stream cuts short (``FLOAT-cut``), an unknown opcode byte
    (``RAW-unknown``, whatever the byte: they all mean the same), bytes after
    a STOP (``RAW-trailing``)."""
    from picklespec.reference.opcodes import by_code

    if instruction.op is not None:
        return instruction.op.name
    raw = instruction.raw
    if not raw:
        return "RAW"
    if (instruction.error or "").startswith("trailing"):
        return "RAW-trailing"
    op = by_code.get(raw[0])
    return "RAW-unknown" if op is None else "%s-cut" % op.name


# -- the command ------------------------------------------------------------------------


class _Progress:
    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every = 0.5 if self.tty else 10.0
        self.last = time.monotonic()

    def __call__(self, fuzzer):
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        text = ("picklespec fuzz: %d inputs, %.0f inputs/s, %d disagreements, %d signatures"
                % (fuzzer.inputs, fuzzer.rate, fuzzer.disagreements, len(fuzzer.findings)))
        if self.tty:
            self.stream.write("\r" + text.ljust(79))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def end(self):
        if self.tty:
            self.stream.write("\r" + " " * 79 + "\r")
            self.stream.flush()


def corpus_streams():
    """The corpus's load-case streams, the seeds mutants grow from."""
    from picklespec.cases.corpus import load_corpus

    out = []
    for case in load_corpus().cases:
        data = getattr(case, "data", None)
        if isinstance(data, (bytes, bytearray)) and data:
            out.append(bytes(data))
    return sorted(set(out))


def _clear(out_dir):
    """Remove what an earlier fuzz run wrote to out_dir (its own files only)."""
    for folder in ("accept", "reject", "implementation-defined", "dump"):
        path = os.path.join(out_dir, folder)
        if os.path.isdir(path):
            for name in os.listdir(path):
                if name.startswith("fuzz-") and name.endswith(".yaml"):
                    os.remove(os.path.join(path, name))
    summary = os.path.join(out_dir, "summary.json")
    if os.path.exists(summary):
        os.remove(summary)


def _limit_own_memory(megabytes=DEFAULT_MEMORY_MB * 2):
    """An in-process target runs in our address space: a stream asking for a
    memo of 2**31 entries must end in a MemoryError, not in swapping."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = megabytes * 1024 * 1024
        if soft == resource.RLIM_INFINITY or soft > limit:
            if hard != resource.RLIM_INFINITY:
                limit = min(limit, hard)
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass


def write_summary(fuzzer, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "summary.json")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(fuzzer.summary(), f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(path + ".tmp", path)
    return path


def print_summary(fuzzer, out_dir, stream=None):
    stream = stream or sys.stdout
    w = stream.write
    w("picklespec fuzz: seed %s, %d inputs in %.1f s (%.0f inputs/s)%s\n" % (
        fuzzer.seed, fuzzer.inputs, fuzzer.elapsed, fuzzer.rate,
        ", interrupted" if fuzzer.interrupted else ""))
    w("targets: %s%s\n" % (", ".join("%s (%s)" % (t["name"], t["where"]) for t in fuzzer.target_info),
                            ", %d jobs" % fuzzer.jobs if fuzzer.jobs > 1 else ""))
    w("disagreements: %d inputs, %d distinct signatures\n" % (fuzzer.disagreements,
                                                              len(fuzzer.findings)))
    for f in sorted(fuzzer.findings.values(), key=lambda f: -f.count):
        outcomes = ", ".join("%s %s%s" % (name, cls, " " + exc if exc else "")
                             for name, cls, exc in f.signature[0])
        size = "dump, protocol %d" % f.data.protocol if isinstance(f.data, Dump) else \
            "%d bytes" % len(f.data)
        w("  %6d  %-14s %s  [%s%s]\n" % (
            f.count, f.opcode, outcomes, size, ", " + os.path.relpath(f.path) if f.path else ""))
    if out_dir:
        w("cases and summary.json in %s\n" % out_dir)


def main(argv):
    parser = argparse.ArgumentParser(
        prog="picklespec fuzz",
        description="Differential fuzzing: the same generated pickles to every target; each "
                    "disagreement minimized and written as a case for review.")
    parser.add_argument("--target", action="append", default=[], metavar="SPEC",
                        help="a target, as for picklespec run (at least two)")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--seconds", type=float, help="stop after this long")
    budget.add_argument("--inputs", type=int, help="stop after this many inputs (default 10000)")
    parser.add_argument("--seed", default="0", help="the run's seed (any text; default 0)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="where cases and summary.json go "
                        "(default %s)" % DEFAULT_OUT)
    parser.add_argument("--exceptions", action="store_true",
                        help="a different exception type is a disagreement too")
    parser.add_argument("--workers", action="store_true",
                        help="run reference, cpython-c, cpython-py in worker processes too")
    parser.add_argument("--no-corpus", action="store_true",
                        help="mutate only generated programs, not the corpus's streams")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds a target may take on one input (default %(default)s)")
    parser.add_argument("--dumps", type=int, default=10, metavar="PERCENT",
                        help="the share of inputs that are objects to dump, their bytes compared "
                             "(default %(default)s)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="fuzz in this many processes, each with its own targets (default 1); "
                             "a run is reproduced by the same seed and jobs")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        sys.stderr.write("picklespec fuzz: --jobs must be at least 1\n")
        return 2
    if args.inputs is None and args.seconds is None:
        args.inputs = 10000
    if (args.inputs is not None and args.inputs < 0) or (args.seconds is not None and args.seconds < 0):
        sys.stderr.write("picklespec fuzz: --inputs and --seconds must not be negative\n")
        return 2
    if args.jobs > 1:
        return _main_jobs(args)
    try:
        targets = open_fuzz_targets(args.target, in_process=not args.workers, timeout=args.timeout)
    except UsageError as exc:
        sys.stderr.write("picklespec fuzz: %s\n" % exc)
        return 2
    if any(isinstance(t, _InProcess) for t in targets):
        _limit_own_memory()
        from .worker import allow_recursion

        allow_recursion()  # as the worker does
    progress = _Progress()
    try:
        seeds = [] if args.no_corpus else corpus_streams()
        _clear(args.out)
        fuzzer = Fuzzer(targets, args.seed, args.out, seeds, args.exceptions, progress=progress,
                        dumps=args.dumps)
        fuzzer.run(inputs=args.inputs, seconds=args.seconds)
    finally:
        progress.end()
        for t in targets:
            t.close()
    write_summary(fuzzer, args.out)
    print_summary(fuzzer, args.out)
    if fuzzer.interrupted:
        return stopping.status()
    return 1 if fuzzer.findings else 0


def _main_jobs(args):
    try:
        parse_targets(args.target)  # said before anything starts
        if len(parse_targets(args.target)) < 2:
            raise UsageError("fuzz compares targets: name at least two (--target A --target B)")
    except UsageError as exc:
        sys.stderr.write("picklespec fuzz: %s\n" % exc)
        return 2
    progress = _Progress()
    seeds = [] if args.no_corpus else corpus_streams()
    _clear(args.out)
    from .fuzz_jobs import run_jobs

    try:
        fuzzer = run_jobs(args.jobs, args.target, not args.workers, args.timeout, args.seed, seeds,
                          args.exceptions, args.inputs, args.seconds, args.out, progress,
                          args.dumps)
    except UsageError as exc:
        progress.end()
        sys.stderr.write("picklespec fuzz: %s\n" % exc)
        return 2
    progress.end()
    write_summary(fuzzer, args.out)
    print_summary(fuzzer, args.out)
    if fuzzer.interrupted:
        return stopping.status()
    return 1 if fuzzer.findings else 0
