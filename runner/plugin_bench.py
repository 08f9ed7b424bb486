"""How long the pytest plugin takes to collect the corpus:
``python -m picklespec.runner.plugin_bench``.

Theory of operation
-------------------
Goal: ``pytest --picklespec --collect-only`` collects the whole corpus
against the three built-in targets in under 2 s of wall time.

The figure is pytest's own, measured the way a user meets it: a fresh
``python -m pytest --picklespec --collect-only -q`` in an empty folder (no
test files, no cache), run `--repeat` times; the best and the median of
pytest's "collected in" time are printed, and the process's wall time
(interpreter start-up and imports included).  Then the parts of
collection are timed apart, in this process, once each: reading the corpus
(YAML, `load_corpus`), starting the targets (their workers and hellos),
reading the expectations (picklespec/known/baseline.json) and building
the items' names, so the largest part is plain.  The plugin starts the
targets while it reads the corpus and the expectations, so in pytest their
start-up overlaps those two parts rather than adding to them.

The "collected in" figure is pytest's session time: besides collection it
holds printing the items' ids and the other plugins' end-of-session hooks.
Hypothesis's plugin, when installed, imports hypothesis in its terminal
summary; pytest rewrites the asserts of a plugin's package as it imports
it, and with PYTHONDONTWRITEBYTECODE set it caches none of that, so each
session pays for it again.  pytest therefore runs as in a default Python
environment (`default_environment`: that variable left out, and one run,
not counted, first), with picklespec's modules compiled as pip install
compiles them.  When that plugin is installed, each run is paired with one
without it (``-p no:hypothesispytest``) and both figures are printed, so
its share is plain; the goal is judged on the first.
"""

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

GOAL = 2.0
HYPOTHESIS = "hypothesispytest"  # Hypothesis's pytest11 entry point
_COLLECTED = re.compile(r"(\d+) tests? collected in ([0-9.]+)s")


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def collect_once(folder, args=(), env=None):
    """(items, pytest's collection seconds, wall seconds, CPU seconds) of one
    fresh pytest (the CPU of pytest and of the target workers it started)."""
    cpu = _children_cpu()
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "--picklespec", "--collect-only", "-q",
                           "-p", "no:cacheprovider", *args], cwd=folder, capture_output=True,
                          text=True, timeout=600, env=env)
    wall = time.monotonic() - start
    cpu = _children_cpu() - cpu
    m = _COLLECTED.search(done.stdout)
    if done.returncode != 0 or m is None:
        raise SystemExit("pytest --picklespec --collect-only failed (status %d):\n%s%s" % (
            done.returncode, done.stdout[-2000:], done.stderr[-2000:]))
    return int(m.group(1)), float(m.group(2)), wall, cpu


def default_environment():
    """This environment for pytest, as a default Python environment has it:
    without PYTHONDONTWRITEBYTECODE, so bytecode is cached as pip install and
    a first run leave it (picklespec's, compiled here first, and the
    assertion-rewritten plugin packages pytest caches)."""
    from .bench import _compiled

    _compiled()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def plugin_installed(name):
    """Whether a pytest11 entry point of that name is installed."""
    from importlib.metadata import entry_points

    return any(ep.name == name for ep in entry_points(group="pytest11"))


def parts():
    """(what, wall seconds, CPU seconds of this process) for the parts of
    collection, timed in this process."""
    from picklespec.cases.corpus import load_corpus

    from . import baseline, targets
    from .checks import case_protocols
    from .pytest_plugin import DEFAULT_TARGETS, item_name

    out = []

    def timed(what, work):
        start, cpu = time.monotonic(), time.process_time()
        value = work()
        out.append((what(value), time.monotonic() - start, time.process_time() - cpu))
        return value

    corpus = timed(lambda c: "read the corpus (%d cases)" % len(c.cases), load_corpus)
    opened = timed(lambda t: "start the %d targets" % len(t),
                   lambda: targets.open_targets(targets.parse_targets(DEFAULT_TARGETS)))
    try:
        timed(lambda k: "read the expectations (%d cells)" % len(k.expected), baseline.shipped)
        timed(lambda n: "name the %d items" % len(n),
              lambda: [item_name(case.id, protocol, target.name) for case in corpus.cases
                       for protocol in case_protocols(case, None) for target in opened])
    finally:
        for target in opened:
            target.close()
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m picklespec.runner.plugin_bench",
                                     description="Time the pytest plugin's collection of the corpus.")
    parser.add_argument("--repeat", type=int, default=3, metavar="N", help="fresh pytest runs (default 3)")
    args = parser.parse_args(argv)
    hypothesis = plugin_installed(HYPOTHESIS)
    env = default_environment()
    runs, bare = [], []
    with tempfile.TemporaryDirectory(prefix="picklespec-collect-") as folder:
        collect_once(folder, env=env)  # not counted: it writes the bytecode caches
        for _ in range(max(args.repeat, 1)):
            runs.append(collect_once(folder, env=env))
            if hypothesis:
                bare.append(collect_once(folder, ("-p", "no:" + HYPOTHESIS), env=env))
    items = runs[0][0]
    best = min(r[1] for r in runs)
    median = statistics.median(r[1] for r in runs)
    wall = min(r[2] for r in runs)
    cpu = min(r[3] for r in runs)
    print("pytest --picklespec --collect-only: %d items, collected in %.2f s best, %.2f s median "
          "of %d (goal: under %.1f s: %.2fx the goal); %.2f s wall with start-up, %.2f s CPU "
          "(pytest and the target workers)" % (items, best, median, len(runs), GOAL, best / GOAL, wall, cpu))
    if bare:
        print("without Hypothesis's pytest plugin (-p no:%s), which imports hypothesis at the "
              "session's end: collected in %.2f s best, %.2f s median" % (
                  HYPOTHESIS, min(r[1] for r in bare), statistics.median(r[1] for r in bare)))
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("pytest ran as in a default Python environment: PYTHONDONTWRITEBYTECODE, set here, "
              "was left out, and a first run (not counted) wrote the bytecode caches")
    print("load average: %s (on a busy machine the wall figures grow, the CPU figures do not)"
          % ", ".join("%.1f" % x for x in os.getloadavg()))
    print("its parts, timed in one process:")
    steps = parts()
    total = sum(step[1] for step in steps)
    for what, seconds, cpu in steps:
        print("  %-40s %6.2f s wall %3.0f%%, %6.2f s CPU here" % (
            what, seconds, 100 * seconds / total if total else 0, cpu))
    return 0 if best < GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
