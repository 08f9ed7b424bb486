"""The runner's speed, end to end: ``python -m picklespec.runner.bench``.

Theory of operation
-------------------
Two runs are measured against their goals, each as the user runs it:
``picklespec run`` in a child process, reports included, started and waited
for here.

==================  ========================================  ===================
run                 what                                      goal
==================  ========================================  ===================
default             ``picklespec run`` (reference, cpython-c,  4 s wall (2 cores)
                    cpython-py on this interpreter)
machine             ``picklespec run --target reference        30 s wall, 1 GB RSS
                    --target all-interpreters`` (CPython 2.7,
                    3.6-3.13 x C and pure Python, PyPy)
==================  ========================================  ===================

For each, the wall time, the CPU time (the run and every target process it
started: `os.wait4`'s usage of the child, which holds its waited-for
children) and the peak RSS are printed: the peak of the largest single
process, as ``/usr/bin/time -v`` reports it (what the goal is held to), and
the peak of the whole process tree's sum, sampled from /proc every 0.1 s.
On a shared machine the wall time follows the free CPU; the CPU time does
not, so both are shown, with the load average before and after.

The breakdown runs the same steps as ``picklespec run`` in a second child,
timed one by one (`_phases`): reading the corpus, starting the targets, the
checks, and writing the reports, each with its wall and CPU time (the
targets' CPU apart).  ``--skip-machine`` leaves out the all-interpreters
run, ``--no-breakdown`` the second child, ``--cold`` measures with the
corpus cache (cases/cache.py) turned off; by default it is filled first, as
any run after the first finds it.  picklespec's modules are compiled to
bytecode first, as ``pip install`` does (`_compiled`).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

GOALS = {
    "default": {"wall": 4.0},
    "machine": {"wall": 30.0, "rss_mb": 1024.0},
}
RUNS = {
    "default": [],
    "machine": ["--target", "reference", "--target", "all-interpreters"],
}
_RUN = "import sys; from picklespec.runner.cli import main; sys.exit(main())"


# -- measuring a child -------------------------------------------------------------


def _tree_rss(root):
    """{pid: RSS in bytes} of a process and its descendants, from /proc."""
    sizes = {}
    stack = [root]
    page = os.sysconf("SC_PAGE_SIZE")
    while stack:
        pid = stack.pop()
        try:
            with open("/proc/%d/statm" % pid) as f:
                sizes[pid] = int(f.read().split()[1]) * page
            for task in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                    stack.extend(int(p) for p in f.read().split())
        except (OSError, ValueError, IndexError):
            continue
    return sizes


class _Sampler(threading.Thread):
    """The peak of `_tree_rss` while a process runs."""

    def __init__(self, pid, every=0.1):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak = pid, every, 0
        self.largest = (0, "")  # (RSS, command line) of the largest process seen
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(self.every):
            sizes = _tree_rss(self.pid)
            self.peak = max(self.peak, sum(sizes.values()))
            if sizes:
                pid, size = max(sizes.items(), key=lambda item: item[1])
                if size > self.largest[0]:
                    self.largest = (size, _command(pid))


def _command(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()[:100]
    except OSError:
        return "?"


def measure(argv, env=None):
    """Run argv to its end: {wall, cpu, rss_mb (largest process), tree_mb, status, output}."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        sampler = _Sampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        sampler.done.set()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode("utf-8", "replace")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024.0,
            "tree_mb": sampler.peak / 2.0 ** 20, "largest": sampler.largest[1],
            "status": process.returncode, "output": output}


# -- the breakdown, in a child: the steps of picklespec run, timed ------------------


def _cpu():
    import resource

    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _phases(targets):
    """Time picklespec run's steps one by one; a JSON line on stdout."""
    from picklespec.cases.corpus import load_corpus

    from .reports import write_all
    from .run import DEFAULT_TARGETS, execute
    from .targets import open_targets, parse_targets

    steps = {}
    mark = [time.perf_counter(), _cpu()]

    def step(name):
        now, cpu = time.perf_counter(), _cpu()
        steps[name] = {"wall": now - mark[0], "cpu": cpu[0] - mark[1][0], "targets_cpu": cpu[1] - mark[1][1]}
        mark[:] = [now, cpu]

    corpus = load_corpus(None)
    step("corpus read")
    started = open_targets(parse_targets(targets or DEFAULT_TARGETS))
    step("targets started")
    try:
        run = execute(corpus.cases, started)
    finally:
        for target in started:
            target.close()
    step("checks")
    with tempfile.TemporaryDirectory() as folder:
        write_all(run, folder)
        step("reports")
    sys.stdout.write(json.dumps({"steps": steps, "cells": len(run.results), "cases": len(corpus.cases),
                                 "targets": len(started)}) + "\n")
    return 0


# -- the report -----------------------------------------------------------------------


def _compiled():
    """Compile picklespec's modules to bytecode, as installing it does, and say so.

    ``pip install`` compiles every module it installs, so a user's runs
    read bytecode; a source tree (an editable install) has none until a run
    writes it, and never where PYTHONDONTWRITEBYTECODE is set, where every
    run would compile picklespec again (about half a second of CPU in the
    run and in each target process).
    """
    import compileall

    import picklespec.cases
    import picklespec.reference
    import picklespec.runner

    for package in (picklespec.cases, picklespec.reference, picklespec.runner):
        compileall.compile_dir(os.path.dirname(package.__file__), quiet=2)
    return "picklespec's bytecode compiled first, as pip install does%s" % (
        " (PYTHONDONTWRITEBYTECODE is set here)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "")


def _load():
    return " ".join("%.1f" % x for x in os.getloadavg())


def _verdict(value, goal, failed=False):
    if failed:
        return "NOT met: the run failed"
    return "goal met" if value <= goal else "NOT met"


def bench_run(name, env, out, breakdown=True, keep=None):
    """Measure one run (end to end, then its breakdown); the figures.

    The run's reports go to `keep`/NAME when given (to compare runs), else
    to a temporary folder."""
    with tempfile.TemporaryDirectory() as folder:
        if keep:
            folder = os.path.join(keep, name)
        argv = [sys.executable, "-c", _RUN, "run", "-q", "--report-dir", folder] + RUNS[name]
        load = _load()
        figures = measure(argv, env)
    goals = GOALS[name]
    out.write("%s: picklespec run %s(load average before %s, after %s)\n" % (
        name, " ".join(RUNS[name]) + " " if RUNS[name] else "", load, _load()))
    cells = _cells(figures["output"])
    # A run that printed no cell count did not run the corpus (a traceback,
    # a usage error): its times measure nothing, and no goal is met by it.
    figures["failed"] = figures["status"] not in (0, 1) or cells is None
    if figures["failed"]:
        out.write("  the run failed (exit %s):\n%s\n" % (figures["status"], figures["output"][-2000:]))
    out.write("  %s cells, exit status %s\n" % (cells if cells is not None else "?", figures["status"]))
    out.write("  wall %.2f s (goal %.0f s: %s); CPU %.2f s, run and targets (%.2f s per core)\n" % (
        figures["wall"], goals["wall"], _verdict(figures["wall"], goals["wall"], figures["failed"]), figures["cpu"],
        figures["cpu"] / (os.cpu_count() or 1)))
    rss = "  peak RSS %.0f MB, the largest process" % figures["rss_mb"]
    if "rss_mb" in goals:
        rss += " (goal %.0f MB: %s)" % (goals["rss_mb"], _verdict(figures["rss_mb"], goals["rss_mb"], figures["failed"]))
    out.write(rss + "; %.0f MB, the whole process tree\n" % figures["tree_mb"])
    out.write("  largest process seen: %s\n" % figures["largest"])
    if breakdown:
        targets = [a for a in RUNS[name] if a != "--target"]
        child = subprocess.run([sys.executable, "-m", "picklespec.runner.bench", "--phases"] + targets,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            found = json.loads(child.stdout.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            out.write("  breakdown failed: %s\n" % child.stderr.decode("utf-8", "replace")[-2000:])
        else:
            figures["steps"] = found["steps"]
            out.write("  breakdown (a second run, each step timed; wall / CPU here / CPU of the targets):\n")
            for step, value in found["steps"].items():
                out.write("    %-16s %6.2f s / %6.2f s / %6.2f s\n" % (
                    step, value["wall"], value["cpu"], value["targets_cpu"]))
    out.flush()
    return figures


def _cells(output):
    for line in reversed(output.splitlines()):
        words = line.split()
        if len(words) > 1 and words[1] == "cells," and words[0].isdigit():
            return int(words[0])
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m picklespec.runner.bench",
        description="Time picklespec run end to end (the default targets, and every interpreter "
                    "on this machine) against the speed goals, with a breakdown per step.")
    parser.add_argument("--skip-machine", action="store_true", help="leave out the all-interpreters run")
    parser.add_argument("--reports", nargs="?", const="", metavar="RUN_JSON",
                        help="time only the writing of the reports, of RUN_JSON or of a synthetic "
                             "run of 40 targets (runner/reports/bench.py)")
    parser.add_argument("--no-breakdown", action="store_true", help="leave out the per-step second run")
    parser.add_argument("--cold", action="store_true", help="with the corpus cache turned off")
    parser.add_argument("--report-dir", metavar="DIR",
                        help="keep the runs' reports in DIR/default and DIR/machine")
    parser.add_argument("--phases", nargs="*", metavar="TARGET", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reports is not None:
        from .reports import bench as reports_bench

        return reports_bench.main([args.reports] if args.reports else [])
    if args.phases is not None:
        return _phases(args.phases)
    out = sys.stdout
    env = dict(os.environ)
    if args.cold:
        env["PICKLESPEC_NO_CACHE"] = "1"
    else:
        from picklespec.cases.cache import default_cache
        from picklespec.cases.corpus import load_corpus

        store = default_cache()
        if store is not None:
            load_corpus(None, cache=store)  # fill it, as the first run after a change does
    out.write("machine: %d CPUs; corpus cache %s; %s\n" % (
        os.cpu_count() or 0, "off" if args.cold or env.get("PICKLESPEC_NO_CACHE") else "warm",
        _compiled()))
    met = True
    for name in ["default"] + ([] if args.skip_machine else ["machine"]):
        figures = bench_run(name, env, out, breakdown=not args.no_breakdown, keep=args.report_dir)
        goals = GOALS[name]
        met = (met and not figures["failed"] and figures["wall"] <= goals["wall"]
               and figures["rss_mb"] <= goals.get("rss_mb", 1e9))
    out.write("all goals met\n" if met else "some goals NOT met\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
