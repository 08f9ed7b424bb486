"""Target specs, interpreter discovery, and what a started target says about itself."""

import os
import shutil
import stat
import sys

import pytest

from picklespec.runner import targets
from picklespec.runner.targets import UsageError, open_target, open_targets, parse_target, parse_targets

HERE = os.path.dirname(os.path.abspath(__file__))
FAULTY = os.path.join(HERE, "fake_targets", "faulty.py")
HOST = "cpython-%d.%d" % sys.version_info[:2]


@pytest.fixture
def lone_interpreter(tmp_path, monkeypatch):
    """A PATH holding only this interpreter (as `python`) and a fake `python9`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(sys.executable, bin_dir / "python")
    fake = bin_dir / "python9"
    fake.write_text("#!/bin/sh\necho 'not a python' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    _forget(monkeypatch)
    return bin_dir


def _forget(monkeypatch):
    """Discover afresh in this test; the real machine's findings come back after it."""
    monkeypatch.setattr(targets, "_FOUND", None)
    monkeypatch.setattr(targets, "_PROBED", {})


# -- specs ---------------------------------------------------------------------

BUILTIN_KINDS = [("reference", "reference"), ("cpython-c", "c"), ("cpython-py", "py")]


@pytest.mark.parametrize("spec, kind", BUILTIN_KINDS)
def test_builtins_run_the_worker_under_this_interpreter(spec, kind):
    [parsed] = parse_target(spec)
    assert parsed.argv[0] == sys.executable
    assert parsed.argv[-2:] == (targets.WORKER, kind)
    assert parsed.kind == kind


BAD_SPECS = [
    ("jython", "unknown target 'jython'"),
    ("python:", "name an interpreter"),
    ("python:/nonexistent/python3.99", "no interpreter at /nonexistent/python3.99"),
    ("python:/nonexistent/python3.99:c", "no interpreter at /nonexistent/python3.99"),
    ("python:no-such-python-here", "no interpreter at no-such-python-here"),
    ("cmd:", "the command is empty"),
    ("cmd:'unclosed", "cannot split the command"),
    ("cmd:no-such-program-here --x", "no-such-program-here is not a command on PATH"),
    ("cmd:/nonexistent/adapter", "/nonexistent/adapter is not an executable file"),
]


@pytest.mark.parametrize("spec, message", BAD_SPECS)
def test_bad_specs_say_what_is_wrong(spec, message):
    with pytest.raises(UsageError) as caught:
        parse_target(spec)
    assert message in str(caught.value)


def test_unknown_spec_lists_the_known_ones():
    with pytest.raises(UsageError) as caught:
        parse_target("cpython")
    for known in ("reference", "cpython-c", "python:PATH[:c|:py]", "cmd:COMMAND", "all-interpreters"):
        assert known in str(caught.value)


def test_python_path_without_kind_is_both_kinds():
    specs = parse_target("python:" + sys.executable)
    assert [s.kind for s in specs] == ["c", "py"]
    assert all(s.argv[1:4] == ("-E", "-s", "-B") for s in specs)  # our environment stays ours
    [only] = parse_target("python:%s:py" % sys.executable)
    assert only.kind == "py"


def test_the_same_interpreter_named_twice_is_one_target():
    specs = parse_targets(["cpython-c", "python:%s:c" % sys.executable, "cpython-c"])
    assert len(specs) == 1


def test_pickleparser_without_node_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UsageError, match="needs Node.js, and node is not on PATH"):
        parse_target("pickleparser")


def test_pypy_has_only_the_pure_python_kind():
    pypy = shutil.which("pypy3") or shutil.which("pypy")
    if not pypy:
        pytest.skip("no pypy3 or pypy on PATH")
    assert [s.kind for s in parse_target("python:" + pypy)] == ["py"]
    with pytest.raises(UsageError, match="no C accelerator"):
        parse_target("python:%s:c" % pypy)


# -- discovery ---------------------------------------------------------------------


def test_find_interpreters_probes_path(lone_interpreter):
    found = targets.find_interpreters()
    usable = [i for i in found if i.supported]
    assert len(usable) == 1
    [me] = usable
    assert me.implementation == "cpython"
    assert me.version == tuple(sys.version_info[:3])
    assert me.kinds == ["c", "py"]
    assert me.highest == 5
    [bad] = [i for i in found if not i.supported]
    assert bad.path.endswith("python9") and "not a python" in bad.problem


def test_all_interpreters_is_every_kind_of_every_interpreter(lone_interpreter):
    specs = parse_target("all-interpreters")
    assert [s.kind for s in specs] == ["c", "py"]
    assert all(s.argv[0] == str(lone_interpreter / "python") for s in specs)


def test_all_interpreters_with_none_found_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "none"))
    _forget(monkeypatch)
    with pytest.raises(UsageError, match="no Python interpreter found"):
        parse_target("all-interpreters")


def test_targets_command_lists_found_and_missing(lone_interpreter, capsys):
    assert targets.main([]) == 0
    out = capsys.readouterr().out
    assert "python:%s" % (lone_interpreter / "python") in out
    assert "%d.%d.%d" % sys.version_info[:3] in out
    assert "not found or not usable" in out
    assert "cpython-2.7" in out and "not found in PATH" in out  # wanted, not on this PATH
    assert "pypy" in out
    assert "not a python" in out


def test_pyenv_versions_are_found(tmp_path, monkeypatch):
    root = tmp_path / "pyenv"
    bin_dir = root / "versions" / "9.9.9" / "bin"
    bin_dir.mkdir(parents=True)
    os.symlink(sys.executable, bin_dir / "python")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("PYENV_ROOT", str(root))
    _forget(monkeypatch)
    found = [i for i in targets.find_interpreters() if i.supported]
    assert [i.path for i in found] == [str(bin_dir / "python")]


# -- started targets ---------------------------------------------------------------------


@pytest.mark.parametrize("spec, kind", BUILTIN_KINDS)
def test_open_builtin_targets(spec, kind):
    target = open_target(parse_target(spec)[0])
    try:
        if kind == "reference":
            assert target.name == "reference"
            assert target.producer == HOST + "-c"  # held to this interpreter's C pickler
        else:
            assert target.name == target.producer == "%s-%s" % (HOST, kind)
        assert target.dump_protocols == target.load_protocols == set(range(6))
        assert "encoding" in target.load_options
        assert target.adapter.pipelining
        assert target.python2 is False
        answer = target.dump([1, b"x"], 2)
        assert answer["ok"]
        assert target.load(bytes.fromhex(answer["data"]))["object"]["type"] == "list"
        assert target.describe()["spec"] == spec
    finally:
        target.close()


def test_python2_target():
    python2 = [i for i in targets.find_interpreters() if i.supported and i.version[0] == 2]
    if not python2:
        pytest.skip("no Python 2.7 found on PATH or in pyenv")
    target = open_target(parse_target("python:%s:c" % python2[0].path)[0])
    try:
        assert target.name == "cpython-2.7-c" and target.python2
        assert target.dump_protocols == set(range(3))
        assert target.load_options == {"sequence", "allow_globals"}  # no encoding= in Python 2
    finally:
        target.close()


def test_a_target_that_says_no_is_a_usage_error():
    with pytest.raises(UsageError, match="the hello fails on purpose"):
        open_target(parse_target("cmd:%s %s --hello-fails" % (sys.executable, FAULTY))[0])


def test_a_target_that_dies_is_a_usage_error_with_its_words():
    with pytest.raises(UsageError) as caught:
        open_target(parse_target("cmd:%s %s --die-at-start" % (sys.executable, FAULTY))[0])
    assert "cannot start" in str(caught.value) and "refusing to start" in str(caught.value)


def test_open_targets_is_all_or_nothing():
    specs = parse_targets(["cpython-c", "cmd:%s %s --hello-fails" % (sys.executable, FAULTY)])
    with pytest.raises(UsageError, match="fails on purpose"):
        open_targets(specs)


def test_same_names_are_told_apart():
    specs = parse_targets(["cmd:%s %s" % (sys.executable, FAULTY),
                           "cmd:%s %s --no-pipeline" % (sys.executable, FAULTY)])
    opened = open_targets(specs)
    try:
        assert [t.name for t in opened] == ["faulty", "faulty-1"]
        assert [t.adapter.pipelining for t in opened] == [True, False]
    finally:
        for target in opened:
            target.close()
