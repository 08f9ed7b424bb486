"""The export read by a program that is not Python: read-export.js and pickleparser.

runner/adapters/pickleparser/read-export.js reads an export with nothing
of picklespec -- its manifest, .pkl and .json files -- and checks the npm
unpickler pickleparser against it.  Its verdicts are held to what the
published run of pickleparser through the runner found
(reports/known/baseline.json, which lists that run's failing cells): every
malformed stream the runner saw pickleparser accept is accepted here too.
The runner judges more finely (projections such as the symbolic reading of
globals, cells it reports unsupported), so a cell missing from the baseline
is not compared.
"""

import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

import picklespec.runner
from picklespec.cases import export
from picklespec.cases.corpus import load_corpus

HERE = os.path.join(os.path.dirname(os.path.abspath(picklespec.runner.__file__)), "adapters", "pickleparser")
SCRIPT = os.path.join(HERE, "read-export.js")
NODE = shutil.which("node")
INSTALLED = os.path.isdir(os.path.join(HERE, "node_modules", "pickleparser"))
BASELINE = pathlib.Path(__file__).resolve().parents[2] / "reports" / "known" / "baseline.json"
TARGET = "pickleparser"

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not on PATH: install Node.js to run read-export.js"),
    pytest.mark.skipif(not INSTALLED, reason="pickleparser is not installed: run npm ci --prefix %s" % HERE),
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    directory = tmp_path_factory.mktemp("export")
    export.write_export(str(directory), export.export_files(load_corpus()))
    return directory


@pytest.fixture(scope="module")
def run(exported):
    done = subprocess.run([NODE, SCRIPT, str(exported), "--verbose"], capture_output=True,
                          text=True, timeout=300, cwd=HERE)
    assert done.returncode == 0, done.stderr[-2000:]
    verdicts = {}
    for line in done.stdout.splitlines():
        match = re.match(r"(pass|fail|skip) ([a-z-]+)/(\S+)\.pkl(?:: (.*))?$", line)
        if match:
            verdict, kind, name, reason = match.groups()
            verdicts[(kind, name)] = (verdict, reason or "")
    summary = done.stdout.splitlines()[-1]
    return verdicts, summary, done.stdout


@pytest.fixture(scope="module")
def manifest(exported):
    with open(os.path.join(str(exported), "manifest.json"), encoding="utf-8") as f:
        return json.load(f)


def test_it_reads_every_loadable_stream_of_every_case(run, manifest, exported):
    verdicts, summary, stdout = run
    streams = [(entry["kind"], s["pkl"][:-4]) for entry in manifest["cases"]
               for s in entry["streams"] if s["pkl"] is not None]
    assert len(streams) == len(list(pathlib.Path(exported).glob("*/*.pkl")))
    assert sorted(verdicts) == sorted(streams)
    match = re.fullmatch(r"(\d+) passed, (\d+) failed, (\d+) skipped", summary)
    assert match, summary
    passed, failed, skipped = map(int, match.groups())
    assert passed + failed + skipped == len(streams)
    assert [v for v, _ in verdicts.values()].count("pass") == passed
    assert [v for v, _ in verdicts.values()].count("fail") == failed
    cases = {entry["id"] for entry in manifest["cases"] if any(s["pkl"] for s in entry["streams"])}
    assert "%d cases, %d streams read" % (len(cases), len(streams)) in stdout
    assert passed > 1000 and failed > 100  # pickleparser is far from conforming, but reads most


def _baseline_cells(manifest):
    """{(kind, stream name): the runner cell key} for the cells the runner
    judges with the same stream: load cases, and each dump case's canonical
    variant (the `load` check)."""
    cells = {}
    check = {"accept": "load", "reject": "reject", "implementation-defined": "defined"}
    for entry in manifest["cases"]:
        for stream in entry["streams"]:
            if stream["pkl"] is None:
                continue
            if entry["kind"] == "dump":
                if stream["canonical"]:
                    key = "%s|p%d|load|%s" % (entry["id"], stream["protocol"], TARGET)
                else:
                    continue
            else:
                key = "%s||%s|%s" % (entry["id"], check[entry["kind"]], TARGET)
            cells[(entry["kind"], stream["pkl"][:-4])] = key
    return cells


@pytest.fixture(scope="module")
def baseline():
    if not BASELINE.is_file():
        pytest.skip("no published baseline at %s" % BASELINE)
    with open(BASELINE, encoding="utf-8") as f:
        expected = json.load(f)["expected"]
    # {key: {"outcome": ..., "reason": ...}}; an older baseline's plain outcomes too
    return {k: v if isinstance(v, dict) else {"outcome": v} for k, v in expected.items()}


def test_every_malformed_stream_the_published_run_saw_accepted_is_accepted_here(
        run, manifest, baseline):
    # The same library reading the same bytes: where the runner saw
    # pickleparser accept a reject case's stream, the script sees it too.  (The
    # baseline lists failing cells only; a cell missing from it may have been
    # unsupported or passed under a projection the script does not apply, so
    # absence is not compared.)
    verdicts = run[0]
    accepted_there = [stream for stream, key in _baseline_cells(manifest).items()
                      if stream[0] == "reject" and baseline.get(key, {}).get("outcome") == "fail"
                      and verdicts[stream][0] != "skip"]
    assert len(accepted_there) > 50
    differing = [(stream, verdicts[stream]) for stream in accepted_there
                 if verdicts[stream][0] != "fail"]
    assert not differing, differing[:5]


@pytest.mark.parametrize("stream, verdict, key", [
    # 2**64 is a LONG1 of 9 bytes: "Value too large to unpickling"
    (("dump", "int-2-64.p2.cpython-2.7-c"), "fail", "int-2-64|p2|load|"),
    (("dump", "int-bin1-max.p1.cpython-2.7-c"), "pass", "int-bin1-max|p1|load|"),
    (("reject", "reject-truncated-binint1-no-argument"), "pass",
     "reject-truncated-binint1-no-argument||reject|"),
])
def test_named_cases_as_published(run, baseline, stream, verdict, key):
    verdicts = run[0]
    published = "fail" if key + TARGET in baseline else "pass"
    assert published == verdict, "the published run changed: %s is %s there" % (key, published)
    assert verdicts[stream][0] == verdict, verdicts[stream]


def test_a_python2_str_that_is_not_ascii_is_accepted_here(run):
    # BINSTRING is ASCII unless an encoding says otherwise; pickleparser takes
    # no encoding and decodes it as windows-1252, so it accepts the stream (the
    # runner reports that cell unsupported: the fault is the default encoding's).
    verdict, reason = run[0][("reject", "reject-argument-binstring-non-ascii")]
    assert verdict == "fail" and "accepted" in reason


def test_an_unreadable_export_is_said_so(tmp_path):
    done = subprocess.run([NODE, SCRIPT, str(tmp_path / "none")], capture_output=True,
                          text=True, timeout=60, cwd=HERE)
    assert done.returncode == 2 and "cannot read" in done.stderr and "manifest.json" in done.stderr
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "picklespec-export/1", "cases": [
        {"id": "gone", "kind": "accept", "streams": [{"pkl": "gone.pkl", "json": "gone.json"}]}]}))
    done = subprocess.run([NODE, SCRIPT, str(tmp_path)], capture_output=True, text=True,
                          timeout=60, cwd=HERE)
    assert done.returncode == 2 and "accept/gone.pkl of gone" in done.stderr
