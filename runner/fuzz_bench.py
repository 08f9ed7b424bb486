"""The fuzzer's speed: ``python -m picklespec.runner.fuzz_bench``.

Theory of operation
-------------------
Three figures against the goals ``picklespec fuzz`` is built for, on a 2-core
machine, each from one run of the same seeded inputs:

1. the reference against cpython-c, both in this process (each input loaded
   by the worker's own handlers here, no process boundary), in one process
   and in two (``--jobs 2``, one per core): goal at least 2,000 inputs/s on
   2 cores;
2. the same pair through worker processes, each fed one pipelined batch at
   a time from a thread of its own while the next batch is made: goal at
   least 1,000 inputs/s.

Every figure counts everything a fuzzing run does: making the inputs,
every target's loads, judging the outcomes, and probing, minimizing and
writing the disagreements found (to a temporary folder).  The CPU time of
this process is shown too: on a busy machine the wall-clock figure drops,
the CPU figure much less.  The worker figure is also given as a ratio of
the in-process one, the baseline measured in the same run.
"""

import argparse
import os
import sys
import tempfile
import time

from .fuzz import Fuzzer, open_fuzz_targets

GOALS = {"in process": 2000.0, "2 jobs": 2000.0, "workers": 1000.0}


def measure_jobs(specs, inputs, seed, jobs=2):
    from .fuzz_jobs import run_jobs

    with tempfile.TemporaryDirectory() as out:
        fuzzer = run_jobs(jobs, specs, True, 5.0, seed, [], False, inputs, None, out)
    return fuzzer, None


def measure(where, specs, inputs, seed):
    if where == "2 jobs":
        return measure_jobs(specs, inputs, seed)
    targets = open_fuzz_targets(specs, in_process=(where == "in process"))
    try:
        with tempfile.TemporaryDirectory() as out:
            fuzzer = Fuzzer(targets, seed, out)
            cpu = time.process_time()
            fuzzer.run(inputs=inputs)
            cpu = time.process_time() - cpu
    finally:
        for t in targets:
            t.close()
    return fuzzer, cpu


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m picklespec.runner.fuzz_bench",
                                     description="Inputs per second of picklespec fuzz.")
    parser.add_argument("--inputs", type=int, default=20000, help="inputs per figure (default 20000)")
    parser.add_argument("--seed", default="bench")
    parser.add_argument("--target", action="append", default=None,
                        help="the pair (default: reference and cpython-c)")
    args = parser.parse_args(argv)
    from .worker import allow_recursion

    allow_recursion()  # as the worker does
    from .fuzz import _limit_own_memory

    _limit_own_memory()
    specs = args.target or ["reference", "cpython-c"]
    rows = []
    for where in ("in process", "2 jobs", "workers"):
        fuzzer, cpu = measure(where, specs, args.inputs, args.seed)
        rows.append((where, fuzzer, cpu))
        sys.stdout.write("%-10s  %s: %d inputs in %.2f s: %.0f inputs/s (goal %.0f: %s); "
                         "%s%d disagreements, %d signatures\n" % (
                             where, " vs ".join(t["name"] for t in fuzzer.target_info),
                             fuzzer.inputs, fuzzer.elapsed, fuzzer.rate, GOALS[where],
                             "met" if fuzzer.rate >= GOALS[where] else "NOT met",
                             "this process's CPU %.2f s; " % cpu if cpu is not None else "",
                             fuzzer.disagreements, len(fuzzer.findings)))
    base = rows[0][1]
    for where, fuzzer, _ in rows[1:]:
        sys.stdout.write("%s / in process: %.2fx the in-process rate\n" % (where, fuzzer.rate / base.rate))
    sys.stdout.write("python %s, %d CPUs, load average %s\n" % (
        sys.version.split()[0], os.cpu_count() or 0,
        " ".join("%.1f" % x for x in os.getloadavg())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
