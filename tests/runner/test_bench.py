"""runner/bench.py's measuring: what it reports of a child process (not a speed test)."""

import sys

import pytest

from picklespec.runner import bench

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

# A child that holds 80 MB and starts a grandchild that spends CPU time.
CHILD = r"""
import subprocess, sys, time
block = bytearray(80 * 2 ** 20)
for i in range(0, len(block), 4096):
    block[i] = 1
subprocess.run([sys.executable, "-c",
                "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"])
time.sleep(0.3)
print("12 cells, 0 failing")
"""


def test_measure_reports_the_largest_process_and_the_grandchildren_cpu():
    figures = bench.measure([sys.executable, "-c", CHILD])
    assert figures["status"] == 0
    assert figures["rss_mb"] >= 80
    assert figures["tree_mb"] >= 80
    assert figures["cpu"] >= 0.3  # the grandchild's CPU time is counted
    assert bench._cells(figures["output"]) == 12


def test_cells_reads_the_summary_line_of_picklespec_run():
    assert bench._cells("a\n38526 cells, 249 failing\nreports: x\n") == 38526
    assert bench._cells("nothing ran\n") is None


def test_a_run_that_crashed_meets_no_goal(monkeypatch, capsys):
    # As a picklespec run that dies at start-up: fast, exit 1, no cell count.
    crashed = {"wall": 0.3, "cpu": 0.3, "rss_mb": 40.0, "tree_mb": 40.0, "status": 1,
               "output": "Traceback (most recent call last):\nImportError: x\n", "largest": "python"}
    monkeypatch.setattr(bench, "measure", lambda argv, env=None: dict(crashed))
    import io
    out = io.StringIO()
    figures = bench.bench_run("machine", {}, out, breakdown=False)
    text = out.getvalue()
    assert figures["failed"]
    assert "the run failed" in text and "ImportError" in text
    assert "goal met" not in text.replace("NOT met", "")
