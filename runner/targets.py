"""Targets: what picklespec checks, how to name them, how to start them.

Theory of operation
-------------------
A target is a process that speaks the adapter protocol (runner/PROTOCOL.md).
It is named on the command line by a *spec*:

=========================  ====================================================
``reference``              picklespec's reference pickler and unpickler
``cpython-c``              this interpreter's C accelerator (``_pickle``)
``cpython-py``             this interpreter's pure-Python ``pickle``
``python:PATH[:c|:py]``    any Python interpreter (CPython 2.7, 3.6 onward,
                           PyPy) running the worker; both kinds when the kind
                           is left out (the kinds it has, for PyPy only ``py``)
``cmd:COMMAND``            any program that speaks the protocol
``NAME``                   a target an adapter in runner/adapters/ names in its
                           adapter.json (``zodbpickle-c``, ``pickleparser``, ...;
                           runner/catalog.py, ``picklespec adapters``)
``all-interpreters``       every interpreter `find_interpreters` finds, x c/py
=========================  ====================================================

`parse_target` turns a spec into `TargetSpec` values -- a spec may stand for
several targets -- and says what is wrong with it (an unknown spec, an
interpreter that is not there, Node.js missing) as a `UsageError` before
anything is started.  `open_target` starts one and asks its `hello`: the
answer names the target (``cpython-3.13-c``) and the producer its dumps are
held to, and lists the protocols and load options it does.  Python targets
all run the one dependency-free worker (runner/worker.py), started once per
target and kept for the whole run; a foreign interpreter runs it with
``-E -s`` so our environment (PYTHONPATH, a virtualenv) cannot leak into it.

`find_interpreters` looks for interpreters on PATH and in pyenv's versions
folder (PYENV_ROOT, ``pyenv root``, ~/.pyenv), probes each once with a tiny
script that runs on all of them, and keeps one per executable file; the
result is cached for the process.  ``picklespec targets`` prints the table,
with the interpreters picklespec looks for but did not find.
"""

import dataclasses
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

from picklespec.process import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, Adapter, AdapterFailure

from . import wire
from .profile import ProfileError, read_profile

__all__ = ["UsageError", "TargetSpec", "Target", "Interpreter", "parse_target", "parse_targets",
           "open_target", "open_targets", "find_interpreters", "WORKER", "main"]

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "worker.py")

BUILTINS = {  # spec -> worker kind, all run by this interpreter
    "reference": "reference",
    "cpython-c": "c",
    "cpython-py": "py",
}
SPECS_HELP = ("reference, cpython-c, cpython-py, python:PATH[:c|:py], cmd:COMMAND, "
              "all-interpreters, or an adapter's target (picklespec adapters list)")

# The interpreters `picklespec targets` reports as "not found" when absent:
# every CPython the corpus has expectations for, and PyPy.
WANTED = [("cpython", (2, 7))] + [("cpython", (3, minor)) for minor in range(6, 14)] + [("pypy", None)]

_NAMES = re.compile(r"(?:python|pypy)(?:\d+(?:\.\d+)?)?\Z")
_HELLO_TIMEOUT = 30.0  # starting an interpreter under load can take a while

# Runs unchanged under Python 2.7, 3.x and PyPy; prints one JSON line.
_PROBE = r"""
import json, platform, sys
try:
    import _pickle
    c = True
except ImportError:
    try:
        import cPickle
        c = True
    except ImportError:
        c = False
import pickle
sys.stdout.write(json.dumps({"implementation": platform.python_implementation().lower(),
    "version": list(sys.version_info[:3]), "executable": sys.executable,
    "highest": pickle.HIGHEST_PROTOCOL, "c": c}) + "\n")
"""


class UsageError(Exception):
    """A target or an option that cannot be used; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class TargetSpec:
    """One target to start: the command, and how it was named."""

    text: str  # the spec as given (all-interpreters expands to python:PATH:KIND)
    argv: tuple
    kind: str = ""  # the worker kind (c, py, reference), "" for other programs
    identity: str = ""  # equal for specs that would start the same thing
    cwd: str = None

    @property
    def label(self):
        return self.text


@dataclasses.dataclass
class Interpreter:
    """A Python interpreter found on this machine, as its probe described it."""

    path: str  # where it was found
    implementation: str = ""  # cpython, pypy
    version: tuple = ()  # (major, minor, micro)
    executable: str = ""
    highest: int = -1  # pickle.HIGHEST_PROTOCOL
    has_c: bool = False  # _pickle (3.x) or cPickle (2.7)
    problem: str = ""  # why it cannot be a target, if it cannot

    @property
    def family(self):
        return "%s-%d.%d" % (self.implementation, self.version[0], self.version[1])

    @property
    def kinds(self):
        return ["c", "py"] if self.has_c else ["py"]

    @property
    def supported(self):
        return not self.problem


def _worker_version_ok(version):
    return version[:2] == (2, 7) or version[:2] >= (3, 6)


# -- finding interpreters ------------------------------------------------------

_FOUND = None  # what find_interpreters found
_PROBED = {}  # path -> Interpreter, as the probe described it


def pyenv_root():
    """pyenv's root folder: $PYENV_ROOT, `pyenv root`, or ~/.pyenv; None if none exists."""
    root = os.environ.get("PYENV_ROOT")
    if not root and shutil.which("pyenv"):
        try:
            root = subprocess.run(["pyenv", "root"], capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            root = None
    root = root or os.path.expanduser("~/.pyenv")
    return root if os.path.isdir(root) else None


def _candidates():
    """Executable files that may be Python interpreters, first found first."""
    out = []
    root = pyenv_root()
    real_root = os.path.realpath(root) if root else None
    if root:
        versions = os.path.join(root, "versions")
        for name in sorted(os.listdir(versions)) if os.path.isdir(versions) else ():
            for exe in ("python", "pypy3", "pypy"):
                path = os.path.join(versions, name, "bin", exe)
                if os.access(path, os.X_OK):
                    out.append(path)
                    break
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or not os.path.isdir(folder):
            continue
        real = os.path.realpath(folder)
        # pyenv's shims only dispatch to the versions found above.
        if os.path.basename(real) == "shims" or (real_root and real.startswith(real_root + os.sep)):
            continue
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if _NAMES.match(name) and os.path.isfile(path) and os.access(path, os.X_OK):
                out.append(path)
    return out


def _probe_all(paths, timeout=20.0):
    """Probe interpreters in parallel, each once per process: {path: Interpreter}."""
    running = {}
    for path in paths:
        if path in _PROBED:
            continue
        try:
            running[path] = subprocess.Popen([path, "-E", "-s", "-c", _PROBE], stdin=subprocess.DEVNULL,
                                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            running[path] = exc
    for path, process in running.items():
        _PROBED[path] = _read_probe(path, process, timeout)
    return {path: _PROBED[path] for path in paths}


def _read_probe(path, process, timeout):
    found = Interpreter(path)
    if isinstance(process, OSError):
        found.problem = "cannot run: %s" % process.strerror
        return found
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        found.problem = "did not answer the probe within %.0f s" % timeout
        return found
    try:
        info = json.loads(out.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError, UnicodeDecodeError):
        said = [line.strip() for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
        # A launcher says what is wrong first, a traceback last.
        what = ": " + " ... ".join(dict.fromkeys([said[0], said[-1]])) if said else ""
        found.problem = "not a Python interpreter the probe understands%s" % what
        return found
    found.implementation = info["implementation"]
    found.version = tuple(info["version"])
    found.executable = info["executable"] or path
    found.highest = info["highest"]
    found.has_c = bool(info["c"])
    if not _worker_version_ok(found.version):
        found.problem = "Python %d.%d: the worker runs on 2.7 and 3.6 onward" % found.version[:2]
    return found


def find_interpreters(refresh=False):
    """The interpreters on this machine (PATH and pyenv), one per executable file.

    Probed once per process; `refresh` probes again.  Interpreters that cannot
    run the worker are included with `problem` set.
    """
    global _FOUND
    if refresh:
        _PROBED.clear()
    if _FOUND is None or refresh:
        seen = {}
        for path in _candidates():
            seen.setdefault(os.path.realpath(path), path)
        probed = _probe_all(list(seen.values()))
        unique = {}
        for path, found in probed.items():
            key = os.path.realpath(found.executable or path)
            unique.setdefault(key, found)
        _FOUND = sorted(unique.values(), key=lambda i: (
            i.problem != "", i.implementation != "cpython", i.implementation, i.version, i.path))
    return list(_FOUND)


def newest_per_family(interpreters):
    """One interpreter per implementation and X.Y: the newest release of it."""
    best = {}
    for found in interpreters:
        if found.supported:
            kept = best.get(found.family)
            if kept is None or found.version > kept.version:
                best[found.family] = found
    return sorted(best.values(), key=lambda i: (i.implementation != "cpython", i.version))


def missing(interpreters):
    """(what, reason) for each wanted interpreter that was not found."""
    have = {(i.implementation, i.version[:2]) for i in interpreters if i.supported}
    have_impl = {i.implementation for i in interpreters if i.supported}
    root = pyenv_root()
    where = "PATH" + (" and %s/versions" % root if root else " (no pyenv found)")
    out = []
    for impl, version in WANTED:
        if version is None:
            if impl not in have_impl:
                out.append((impl, "not found in %s" % where))
        elif (impl, version) not in have:
            out.append(("%s-%d.%d" % (impl, version[0], version[1]), "not found in %s" % where))
    return out


# -- specs -------------------------------------------------------------------


def _worker_spec(text, python, kind, foreign, identity):
    # -B: never leave .pyc files next to the worker's imports.  A foreign
    # interpreter also gets -E -s: our PYTHONPATH and user site are not its own.
    flags = ("-E", "-s", "-B") if foreign else ("-B",)
    return TargetSpec(text, (python,) + flags + (WORKER, kind), kind, "%s|%s" % (identity, kind))


def _probe_one(path):
    return _probe_all([path])[path]


def _python_specs(text, rest):
    path, kind = rest, None
    for suffix in (":c", ":py"):
        if rest.endswith(suffix):
            path, kind = rest[:-len(suffix)], suffix[1:]
    if not path:
        raise UsageError("%s: name an interpreter, as python:PATH[:c|:py]" % text)
    resolved = os.path.expanduser(path)
    if os.sep not in resolved:
        resolved = shutil.which(resolved) or resolved
    if not (os.path.isfile(resolved) and os.access(resolved, os.X_OK)):
        raise UsageError("%s: no interpreter at %s (not an executable file, and not a command "
                         "on PATH)" % (text, path))
    found = _probe_one(resolved)
    if found.problem:
        raise UsageError("%s: %s" % (text, found.problem))
    kinds = [kind] if kind else found.kinds
    if kind == "c" and not found.has_c:
        raise UsageError("%s: %s %s has no C accelerator (no _pickle or cPickle); use :py"
                         % (text, found.implementation, ".".join(map(str, found.version))))
    identity = os.path.realpath(found.executable or resolved)
    # The interpreter itself, not a launcher in front of it (a pyenv shim
    # would cost a shell and a lookup on every start).
    python = found.executable if found.executable and os.path.isfile(found.executable) else resolved
    return [_worker_spec("python:%s:%s" % (path, k) if not kind else text, python, k,
                         True, identity) for k in kinds]


def _cmd_spec(text, command):
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise UsageError("%s: cannot split the command: %s" % (text, exc)) from None
    if not argv:
        raise UsageError("%s: the command is empty; write cmd:COMMAND" % text)
    program = argv[0]
    if os.sep in program:
        if not (os.path.isfile(program) and os.access(program, os.X_OK)):
            raise UsageError("%s: %s is not an executable file" % (text, program))
    elif not shutil.which(program):
        raise UsageError("%s: %s is not a command on PATH" % (text, program))
    return [TargetSpec(text, tuple(argv), "", "cmd|" + command)]


def parse_target(text):
    """The TargetSpecs a spec names (several for python:PATH and all-interpreters).

    Raises UsageError, saying what is wrong, for an unknown spec or a program
    that is not there.
    """
    text = text.strip()
    if text in BUILTINS:
        identity = os.path.realpath(sys.executable)
        return [_worker_spec(text, sys.executable, BUILTINS[text], False, identity)]
    if text.startswith("python:"):
        return _python_specs(text, text[len("python:"):])
    if text.startswith("cmd:"):
        return _cmd_spec(text, text[len("cmd:"):])
    from . import catalog  # the named targets of runner/adapters/*/adapter.json

    named = catalog.find_target(text)
    if named is not None:
        return [named]
    if text == "all-interpreters":
        specs = []
        for found in newest_per_family(find_interpreters()):
            for kind in found.kinds:
                specs.append(_worker_spec("python:%s:%s" % (found.path, kind), found.path, kind,
                                          True, os.path.realpath(found.executable or found.path)))
        if not specs:
            raise UsageError("all-interpreters: no Python interpreter found on PATH or in pyenv")
        return specs
    raise UsageError("unknown target %r; targets are %s" % (text, SPECS_HELP))


def parse_targets(texts):
    """The specs for several target specs, each thing named once, in order."""
    out = []
    seen = set()
    for text in texts:
        for spec in parse_target(text):
            if spec.identity not in seen:
                seen.add(spec.identity)
                out.append(spec)
    return out


# -- running targets -------------------------------------------------------------


class Target:
    """A started target: its adapter, and what it said about itself.

    `profile` is what its hello declares (runner/profile.py; ProfileError
    when the hello is not a usable profile); `readers` are the isolated
    CPythons that read a non-CPython producer's dumps, set by the run.
    """

    def __init__(self, spec, adapter, hello):
        self.spec = spec
        self.adapter = adapter
        self.hello = hello
        self.profile = read_profile(hello)
        self.readers = None
        self.name = str(hello.get("name") or spec.label)
        self.producer = hello.get("producer") or None
        self.dump_protocols = self.profile.dump_protocols
        self.load_protocols = self.profile.load_protocols
        self.load_options = frozenset(hello.get("load_options") or ())
        version = str(hello.get("version") or "")
        # A Python 2 pickler writes the model's bytes as str (STRING opcodes).
        self.python2 = hello.get("implementation") in ("cpython", "pypy") and version.startswith("2.")

    def dump(self, value, protocol, options=None):
        """The answer to a dump of a model value; raises AdapterFailure."""
        return self.adapter.request(wire.dump_message(value, protocol, options))

    def load(self, data, options=None):
        """The answer to a load of a byte string; raises AdapterFailure."""
        return self.adapter.request(wire.load_message(bytes(data), options))

    def describe(self):
        """What a run records about this target: its hello, and how it was named."""
        info = {k: v for k, v in self.hello.items() if k not in ("ok", "id")}
        info["spec"] = self.spec.text
        return info

    def close(self):
        self.adapter.close()

    def __repr__(self):
        return "<Target %s>" % self.name


def open_target(spec, *, timeout=DEFAULT_TIMEOUT, memory_mb=DEFAULT_MEMORY_MB):
    """Start a target and ask its hello; UsageError if it cannot start or says no."""
    adapter = Adapter(spec.argv, timeout=timeout, memory_mb=memory_mb, cwd=spec.cwd,
                      name=spec.label)
    try:
        hello = adapter.request({"op": "hello"}, timeout=max(timeout, _HELLO_TIMEOUT))
    except AdapterFailure as failure:
        adapter.close()
        said = failure.stderr.strip().splitlines()
        raise UsageError("%s: cannot start: %s%s" % (spec.label, failure, (
            "\n  " + "\n  ".join(said[-5:])) if said else "")) from None
    if not hello.get("ok"):
        adapter.close()
        why = hello.get("kind_error") or hello.get("message") or json.dumps(hello)
        raise UsageError("%s: the target says it cannot run: %s" % (spec.label, why))
    adapter.pipelining = bool(hello.get("pipeline"))
    try:
        return Target(spec, adapter, hello)
    except ProfileError as exc:
        adapter.close()
        raise UsageError("target %s: %s" % (spec.label, exc)) from None


def open_targets(specs, *, timeout=DEFAULT_TIMEOUT, memory_mb=DEFAULT_MEMORY_MB):
    """Start several targets (in parallel); all or none: UsageError closes those started.

    Two targets that introduce themselves with the same name (two CPython
    3.11 builds) are told apart by their full version, then by a number.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, min(len(specs), 8))) as pool:
        futures = [pool.submit(open_target, spec, timeout=timeout, memory_mb=memory_mb)
                   for spec in specs]
    opened, errors = [], []
    for future in futures:
        try:
            opened.append(future.result())
        except UsageError as exc:
            errors.append(str(exc))
    if errors:
        for target in opened:
            target.close()
        raise UsageError("\n".join(errors))
    names = set()
    for target in opened:
        name = target.name
        if name in names:
            name = "%s-%s" % (name, target.hello.get("version", ""))
            base, n = name, 2
            while name in names:
                name, n = "%s-%d" % (base, n), n + 1
            target.name = name
        names.add(name)
    return opened


# -- picklespec targets ---------------------------------------------------------


def text_table(rows):
    """Rows as left-aligned columns of plain text (the listing commands' tables)."""
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return "".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() + "\n"
                   for r in rows)


def main(argv):
    import argparse

    parser = argparse.ArgumentParser(
        prog="picklespec targets",
        description="List the Python interpreters found on this machine (PATH and pyenv) "
                    "and what each supports; target specs: " + SPECS_HELP)
    parser.parse_args(argv)
    rows = [("name", "implementation", "version", "kinds", "protocols", "path")]
    host = "%d.%d.%d" % sys.version_info[:3]
    rows.append(("reference", "picklespec", "on " + host, "reference", "0-5", "(built in)"))
    for kind in ("c", "py"):
        rows.append(("cpython-%s" % kind, "cpython", host, kind, "0-%d" % _highest(),
                     "(built in) " + sys.executable))
    found = find_interpreters()
    for interp in found:
        if interp.supported:
            rows.append(("python:%s" % interp.path, interp.implementation,
                         ".".join(map(str, interp.version)), "+".join(interp.kinds),
                         "0-%d" % interp.highest, interp.executable))
    from . import catalog

    adapters = [(name, manifest, catalog.status(manifest, name))
                for name, manifest in sorted(catalog.named_targets().items())]
    for name, manifest, state in adapters:
        if state == "installed":
            rows.append((name, manifest.library, "", "adapter", "", manifest.folder))
    sys.stdout.write(text_table(rows))
    notes = [("%s" % i.path, i.problem) for i in found if not i.supported]
    notes += missing(found)
    notes += [(name, state) for name, manifest, state in adapters if state != "installed"]
    if notes:
        sys.stdout.write("\nnot found or not usable:\n")
        sys.stdout.write(text_table([("  " + what, why) for what, why in notes]))
    families = newest_per_family(found)
    count = sum(len(i.kinds) for i in families)
    sys.stdout.write("\nall-interpreters: %d targets (%s)\n" % (
        count, ", ".join("%s %s" % (i.family, "+".join(i.kinds)) for i in families)))
    return 0


def _highest():
    import pickle

    return pickle.HIGHEST_PROTOCOL


# -- the shared reference, and isolated readers -------------------------------------

_SHARED = {}


def shared_reference():
    """A started reference target shared by check_case calls; (target or None, why not)."""
    if "reference" not in _SHARED:
        import atexit

        try:
            _SHARED["reference"] = (open_target(parse_target("reference")[0]), "")
            atexit.register(_SHARED["reference"][0].close)
        except UsageError as exc:
            _SHARED["reference"] = (None, str(exc))
    return _SHARED["reference"]


def reader_spec(version):
    """The spec of an isolated CPython X.Y reading with its C unpickler, or UsageError.

    ``-I -S`` isolates it: no environment variables, no user site, not even
    the script's folder on sys.path (-I), and no site-packages at all (-S),
    so nothing installed -- cloudpickle, dill -- helps it read; the worker
    finds its own packages.  Only CPython itself reads the stream.
    """
    wanted = tuple(int(p) for p in version.split("."))
    found = [i for i in newest_per_family(find_interpreters())
             if i.implementation == "cpython" and i.version[:2] == wanted]
    if not found:
        raise UsageError("cpython-%s is not on this machine (PATH, pyenv)" % version)
    interp = found[0]
    kind = "c" if interp.has_c else "py"
    return TargetSpec("cpython-%s-isolated" % version, (interp.executable or interp.path, "-I", "-S", "-B",
                                                        WORKER, kind),
                      kind, "%s|isolated" % os.path.realpath(interp.executable or interp.path))


def open_readers(versions, *, timeout=DEFAULT_TIMEOUT, memory_mb=DEFAULT_MEMORY_MB):
    """[(version, Target or None, why not)] for the CPython versions named."""
    out = []
    for version in versions:
        try:
            out.append((version, open_target(reader_spec(version), timeout=timeout,
                                             memory_mb=memory_mb), ""))
        except UsageError as exc:
            out.append((version, None, str(exc)))
    return out


def shared_readers(versions):
    """open_readers, started once per process (check_case calls share them)."""
    import atexit

    out = []
    for version in versions:
        if version not in _SHARED:
            _SHARED[version] = open_readers([version])[0]
            if _SHARED[version][1] is not None:
                atexit.register(_SHARED[version][1].close)
        out.append(_SHARED[version])
    return out
