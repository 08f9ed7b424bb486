"""The `picklespec` command: --version, and `dis` on whole and broken pickles.

The broken streams are written byte by byte here, and the whole ones come
from the standard library's pickler, never from the reference.
"""

import pickle
import subprocess
import sys
from importlib import metadata

import pytest

from picklespec.runner import cli


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "picklespec.runner.cli", *args],
                          input=stdin, capture_output=True, timeout=60)


def test_version_prints_the_distribution_version_and_exits_0():
    done = run("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == "picklespec %s\n" % metadata.version("picklespec")


def test_dis_of_a_whole_pickle_exits_0():
    done = run("dis", "-", stdin=pickle.dumps([1, "a"], protocol=2))
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    lines = done.stdout.decode().splitlines()
    assert lines[-2].endswith("STOP") and lines[-1] == "# highest protocol among opcodes = 2"


def test_dis_ignores_bytes_after_the_stop_as_unpicklers_do():
    done = run("dis", "-", stdin=pickle.dumps(5, protocol=1) + b"junk")
    assert done.returncode == 0, done.stderr
    assert b"trailing bytes after STOP" in done.stdout


@pytest.mark.parametrize("data, offset, words", [
    (b"K\x05", 2, "ends without a STOP"),                       # BININT1 5, no STOP
    (pickle.dumps("abcdef", protocol=3)[:-4], 2, "BINUNICODE argument"),  # cut inside the string
    (b"K\x05\xff.", 2, "unknown opcode byte 0xff"),
    (b"", 0, "empty input"),
])
def test_dis_of_a_broken_pickle_prints_what_it_read_and_exits_1(data, offset, words):
    done = run("dis", "-", stdin=data)
    assert done.returncode == 1
    err = done.stderr.decode()
    assert err.startswith("picklespec dis: -: offset %d: " % offset), err
    assert words in err
    assert "Traceback" not in err
    if data[:1] == b"K":
        assert done.stdout.decode().splitlines()[0] == "0: BININT1 5"


def test_stream_fault_names_the_first_fault():
    assert cli.stream_fault(pickle.dumps({"a": [1.5]}, protocol=5)) is None
    assert cli.stream_fault(b"I12\n")[1].endswith("ends without a STOP")


def test_dis_annotates_as_pickletools_does_and_can_be_told_not_to():
    import io
    import pickletools

    data = pickle.dumps([1, {"a": (3,)}], protocol=4)
    listing = io.StringIO()
    pickletools.dis(data, listing)
    wanted = [line.split()[-2:] for line in listing.getvalue().splitlines()
              if line.rstrip().endswith(")") and ("(as " in line or "(MARK at" in line)]
    done = run("dis", "-", stdin=data)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    got = [line.split()[-2:] for line in lines if "  # (" in line]
    assert got == wanted and len(got) >= 4
    assert lines[-1] == listing.getvalue().splitlines()[-1].replace("highest", "# highest")
    plain = run("dis", "--no-annotations", "-", stdin=data)
    assert plain.returncode == 0 and b"#" not in plain.stdout


def test_dis_of_a_truncated_pickle_prints_its_annotated_prefix_and_exits_1():
    data = pickle.dumps([1, 2, 3], protocol=2)[:-2]  # APPENDS and STOP cut off
    done = run("dis", "-", stdin=data)
    assert done.returncode == 1
    out = done.stdout.decode()
    assert "MARK" in out and "BININT1 3" in out and "APPENDS" not in out
    assert done.stderr.decode() == "picklespec dis: -: offset %d: truncated: the pickle ends " \
                                   "without a STOP\n" % len(data)
