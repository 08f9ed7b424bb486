"""``picklespec fuzz --jobs N``: one fuzzing process per core.

Theory of operation
-------------------
Each of N processes (forked, so the parent's imports and corpus seeds come
along) opens its own targets -- in-process ones in itself, workers and
adapters of its own -- and fuzzes the inputs numbered job, job + N,
job + 2N, ... of the run's seed, so together they make exactly the inputs
one process would.  A job reports its counts after each batch (the parent
shows them as one progress line) and, at its end, its findings.  The
parent merges them: for a signature found by several jobs it keeps the one
from the lowest-numbered input and adds up the counts, then writes the
cases.  A Ctrl-C reaches every job (the parent passes it on, should it be
the only one to get it); each stops after its batch in flight and sends
what it found.  A run is reproduced by the same seed and the same N.
"""

import os
import time

from .fuzz import Fuzzer, UsageError, _InProcess, _limit_own_memory, open_fuzz_targets

__all__ = ["run_jobs"]

JOB_GRACE = 30.0  # seconds a stopped job gets to send what it found before it is ended


def _end(workers, states):
    """End the jobs that have not reported since the stop (SIGTERM, then SIGKILL).

    A job's targets run in sessions of their own and see their input close
    when the job is gone.  What such a job found is lost; the run says it
    was interrupted."""
    for w in workers:
        if w.is_alive():
            w.terminate()
    for w in workers:
        w.join(timeout=5)
        if w.is_alive():
            w.kill()
            w.join(timeout=5)


def _job(queue, job, jobs, specs, in_process, timeout, seed, seeds, exceptions, inputs, seconds,
         dumps):
    """One of `jobs` processes: its own targets, every jobs-th input; its findings
    go back to the parent, which writes them."""
    state = {"job": job, "error": None}
    try:
        targets = open_fuzz_targets(specs, in_process=in_process, timeout=timeout)
    except UsageError as exc:
        queue.put(("done", dict(state, error=str(exc))))
        return
    if any(isinstance(t, _InProcess) for t in targets):
        _limit_own_memory()
        from .worker import allow_recursion

        allow_recursion()  # as the worker does

    def progress(fuzzer):
        queue.put(("progress", job, fuzzer.inputs, fuzzer.disagreements, len(fuzzer.findings)))

    fuzzer = Fuzzer(targets, seed, None, seeds, exceptions, progress=progress, dumps=dumps)
    share = None if inputs is None else len(range(job, inputs, jobs))
    try:
        fuzzer.run(inputs=share, seconds=seconds, job=job, jobs=jobs)
    finally:
        for t in targets:
            t.close()
    state.update(inputs=fuzzer.inputs, disagreements=fuzzer.disagreements, probes=fuzzer.probes,
                 elapsed=fuzzer.elapsed, interrupted=fuzzer.interrupted,
                 findings=list(fuzzer.findings.items()), target_info=fuzzer.target_info)
    queue.put(("done", state))


class _Totals:
    """What the jobs have done so far, for the progress line."""

    def __init__(self, jobs, start):
        self.parts = {j: (0, 0, 0) for j in range(jobs)}
        self.start = start

    @property
    def inputs(self):
        return sum(p[0] for p in self.parts.values())

    @property
    def disagreements(self):
        return sum(p[1] for p in self.parts.values())

    @property
    def findings(self):
        return range(max(p[2] for p in self.parts.values()))

    @property
    def rate(self):
        elapsed = time.monotonic() - self.start
        return self.inputs / elapsed if elapsed else 0.0


def run_jobs(jobs, specs, in_process, timeout, seed, seeds, exceptions, inputs, seconds,
             out_dir, progress=None, dumps=10):
    """Fuzz in `jobs` processes; a Fuzzer holding the merged result (not running)."""
    import multiprocessing
    import queue as queues
    import signal

    context = multiprocessing.get_context("fork")
    messages = context.Queue()
    start = time.monotonic()
    workers = [context.Process(target=_job, args=(messages, j, jobs, specs, in_process, timeout,
                                                  seed, seeds, exceptions, inputs, seconds,
                                                  dumps))
               for j in range(jobs)]
    for w in workers:
        w.start()
    totals = _Totals(jobs, start)
    states, interrupted, stopped_at = {}, False, None
    while len(states) < jobs:
        try:  # a Ctrl-C (or SIGTERM) may come at any point of a message's handling
            try:
                message = messages.get(timeout=1.0)
            except queues.Empty:
                if all(not w.is_alive() for w in workers) and messages.empty():
                    break  # a job died without a word
                if stopped_at is not None and time.monotonic() - stopped_at > JOB_GRACE:
                    _end(workers, states)  # stopped, and silent since: a stop must end the run
                    break
                continue
            if message[0] == "progress":
                totals.parts[message[1]] = message[2:]
                if progress:
                    progress(totals)
            else:
                states[message[1]["job"]] = message[1]
        except KeyboardInterrupt:
            interrupted = True
            stopped_at = time.monotonic()
            for w in workers:
                if w.is_alive():
                    os.kill(w.pid, signal.SIGINT)
    for w in workers:
        w.join(timeout=5)
    errors = [s["error"] for s in states.values() if s.get("error")]
    if errors:
        raise UsageError(errors[0])
    merged = Fuzzer([], seed, out_dir, seeds, exceptions)
    merged.jobs = jobs
    merged.elapsed = time.monotonic() - start
    merged.interrupted = interrupted or len(states) < jobs or any(
        s["interrupted"] for s in states.values())
    for job in sorted(states):
        s = states[job]
        merged.target_info = s["target_info"]
        merged.inputs += s["inputs"]
        merged.disagreements += s["disagreements"]
        merged.probes += s["probes"]
        for signature, finding in s["findings"]:
            kept = merged.findings.get(signature)
            if kept is None:
                merged.findings[signature] = finding
            else:
                count = kept.count + finding.count
                if finding.index < kept.index:
                    merged.findings[signature] = kept = finding
                kept.count = count
    if out_dir:
        from .fuzz_cases import write_case

        for finding in merged.findings.values():
            finding.path = write_case(finding, out_dir)
    return merged
