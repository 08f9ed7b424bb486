"""What writing the reports costs: ``python -m picklespec.runner.bench --reports [RUN_JSON]``.

Theory of operation
-------------------
The reports are written once per run, and for the published run of forty
targets (reports/known) they were the largest part of its end.  This
benchmark writes every format of one run into a temporary directory with
`write_all`, times each format on its own (and the whole), and prints the
seconds against a named baseline: the writers that rendered each report to
one string before writing it (format ``picklespec-run/1``), measured on the
same synthetic run on the two shared cores of this project's machine.

The run is RUN_JSON when given (a run.json, format 1 or 2), else a
synthetic one the size of the published run: every case of the corpus
against `TARGETS` targets, its load-side cases once, its dump cases at six
protocols by three dump checks, with a seeded share of failures (with
expected and actual texts) and of unsupported cells, annotated and grouped
as `execute` does it.  Reading or making the run is not timed.
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time

from .. import caseinfo, findings
from ..results import Result, Run
from . import FORMATS, _stage, write_all

TARGETS = 40
FAILING = 0.026  # the published run's share of failing cells
UNSUPPORTED = 0.10
SEED = 0
# The writers before streaming (each report rendered to one string, then
# written; run.json as picklespec-run/1), CPU seconds on the synthetic run of
# seed 0 (375,160 cells, 9,745 failing), Python 3.11, two shared cores; their
# peak RSS was 987 MB, the run read from its run.json included.
BASELINE_NAME = "the string writers of picklespec-run/1, before streaming"
BASELINE = {"run.json": 7.12, "summary.md": 1.51, "matrix.html": 2.46, "junit.xml": 7.32,
            "findings.md": 0.11, "all": 16.18}


def synthetic(cases, targets=TARGETS, seed=SEED):
    """A Run the size of the published one over cases, with seeded outcomes."""
    rng = random.Random(seed)
    names = ["target-%02d" % n for n in range(targets)]
    results = []
    for case in cases:
        if case.classification == "dump":
            cells = [(p, check) for p in range(6) for check in ("dump-bytes", "dump-equivalent",
                                                                 "dump-readable")]
        else:
            check = {"accept": "load", "reject": "reject"}.get(case.classification, "defined")
            cells = [(case.protocol, check)]
        for protocol, check in cells:
            for name in names:
                roll = rng.random()
                if roll < FAILING:
                    results.append(Result(case.id, check, name, protocol, "fail",
                                          message="loaded a different object",
                                          expected="PROTO 2\nBININT1 %d\nSTOP" % rng.randrange(256),
                                          actual="PROTO 2\nBININT2 %d\nSTOP" % rng.randrange(65536),
                                          seconds=rng.random() / 1000))
                elif roll < FAILING + UNSUPPORTED:
                    results.append(Result(case.id, check, name, protocol, "unsupported",
                                          message="protocol %s is not declared" % protocol, seconds=0.0))
                elif check == "defined":
                    results.append(Result(case.id, check, name, protocol, "defined",
                                          chosen="result: 1", seconds=rng.random() / 1000))
                else:
                    results.append(Result(case.id, check, name, protocol, "pass",
                                          seconds=rng.random() / 1000))
    run = Run(targets={n: {"implementation": "synthetic", "version": "1"} for n in names}, results=results,
              started="2026-01-01T00:00:00+00:00", finished="2026-01-01T00:01:00+00:00")
    by_id = {case.id: case for case in cases}
    findings.annotate(run, by_id)
    run.findings = findings.group(run, by_id)
    run.cases = caseinfo.collect(run, by_id)
    return run


def measure(run):
    """({format: (wall, CPU seconds)}, {format: bytes}), and "all" for write_all."""
    seconds, sizes = {}, {}
    with tempfile.TemporaryDirectory() as directory:
        for name, write in FORMATS.items():
            path = os.path.join(directory, name)
            wall, cpu = time.perf_counter(), time.process_time()
            temporary = _stage(path, lambda f, write=write: write(run, f))
            seconds[name] = (time.perf_counter() - wall, time.process_time() - cpu)
            sizes[name] = os.path.getsize(temporary)
            os.unlink(temporary)
        wall, cpu = time.perf_counter(), time.process_time()
        write_all(run, directory)
        seconds["all"] = (time.perf_counter() - wall, time.process_time() - cpu)
    return seconds, sizes


def main(argv=None, out=None):
    parser = argparse.ArgumentParser(prog="python -m picklespec.runner.bench --reports",
                                     description="Time writing the reports of one run.")
    parser.add_argument("run", nargs="?", metavar="RUN_JSON",
                        help="a run.json to report (default: a synthetic run of %d targets)" % TARGETS)
    parser.add_argument("--write-run", metavar="PATH", help="also write the run as run.json to PATH")
    args = parser.parse_args(argv)
    out = out or sys.stdout
    if args.run:
        try:
            with open(args.run, encoding="utf-8") as f:
                run = Run.from_dict(json.load(f))
        except (OSError, ValueError) as exc:
            out.write("%s: cannot read the run: %s\n" % (args.run, exc))
            return 2
        label = args.run
    else:
        from picklespec.cases.corpus import load_corpus

        run = synthetic(load_corpus(None).cases)
        label = "synthetic: the corpus x %d targets, seed %d" % (TARGETS, SEED)
    failing = sum(1 for r in run.results if r.failing)
    out.write("run: %s; %d cells, %d failing, %d root causes, %d targets\n" % (
        label, len(run.results), failing, len(run.findings), len(run.targets)))
    if args.write_run:
        _stage_to(args.write_run, run)
    before = _peak_mb()
    seconds, sizes = measure(run)
    after = _peak_mb()
    baseline = BASELINE if not args.run else {}
    out.write("  %-12s %9s %9s %9s\n" % ("report", "wall s", "CPU s", "MB"))
    for name in list(FORMATS) + ["all"]:
        wall, cpu = seconds[name]
        line = "  %-12s %9.2f %9.2f %9s" % (name if name != "all" else "write_all", wall, cpu,
                                            "%.1f" % (sizes[name] / 1e6) if name in sizes else "")
        if name in baseline:
            line += "   baseline %.2f CPU s: %.2fx its speed" % (baseline[name], baseline[name] / cpu)
        out.write(line + "\n")
    if baseline:
        out.write("baseline: %s\n" % BASELINE_NAME)
    out.write("peak RSS: %.0f MB with the run in memory, %.0f MB after writing\n" % (before, after))
    out.write("(CPU seconds are this process's: on a busy machine wall seconds grow, CPU seconds "
              "much less)\n")
    return 0


def _peak_mb():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stage_to(path, run):
    from . import json_report

    temporary = _stage(path, lambda f: json_report.write(run, f))
    os.replace(temporary, path)


if __name__ == "__main__":
    sys.exit(main())
