"""The adapters in runner/adapters/: named targets, installing them, `picklespec adapters`.

Theory of operation
-------------------
Each folder of runner/adapters/ that holds an ``adapter.json`` is one adapter
for a third-party library.  The manifest is declarative; nothing in the
runner is written per adapter::

    {
      "library": "zodbpickle 4.5 (PyPI)",
      "runtime": "python",                 python | node
      "python": ["3.11", "3.12"],          CPython X.Y it may run on, first found wins
      "install": ["zodbpickle==4.5"],      pinned pip requirements ([] = standard library);
                                           for node, the npm packages package-lock.json pins
      "command": ["adapter.py"],           the program, relative to the folder
      "targets": {"zodbpickle-c": {"args": ["c"]},
                  "pickle5-3.6": {"args": [], "python": "3.6"}}
    }

A target named on the command line (``picklespec run --target
zodbpickle-c``) is looked up here.  A Python adapter with requirements runs
in a virtualenv of its own, one per adapter and interpreter, under the cache
folder ($XDG_CACHE_HOME or ~/.cache, then ``picklespec/adapters``), made by
``picklespec adapters install NAME`` with the interpreter that
`targets.find_interpreters` finds for the X.Y it needs; a stamp file in the
virtualenv records what was installed, so a changed pin reads as "not
installed".  One with no requirements runs on that interpreter directly.  A
Node.js adapter's packages go into its own folder (``npm ci --prefix``), as
package-lock.json pins them.  A target that is not installed is a usage
error that gives the one command installing it.  Adapters run with
``-E -s -B``, like the worker: picklespec's environment never leaks in.
"""

import json
import os
import shutil
import subprocess
import sys

from .targets import TargetSpec, UsageError, find_interpreters

__all__ = ["ADAPTERS", "Manifest", "ManifestError", "manifests", "named_targets", "find_target",
           "install", "cache_root", "main"]

ADAPTERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "adapters")
MANIFEST = "adapter.json"
STAMP = "picklespec-adapter.json"
RUNTIMES = ("python", "node")


class ManifestError(UsageError):
    """An adapter.json that cannot be used; the message names the file and the field."""


class Manifest(object):
    """One adapter folder's adapter.json, checked."""

    def __init__(self, folder):
        self.folder = folder
        self.name = os.path.basename(folder)
        self.path = os.path.join(folder, MANIFEST)
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError) as exc:
            raise ManifestError("%s: cannot read it: %s" % (self.path, exc)) from None
        if not isinstance(data, dict):
            raise ManifestError("%s: must be a JSON object" % self.path)
        self.library = self._field(data, "library", str)
        self.runtime = self._field(data, "runtime", str)
        if self.runtime not in RUNTIMES:
            raise ManifestError("%s: runtime must be one of %s, not %r" % (self.path, ", ".join(RUNTIMES), self.runtime))
        self.pythons = self._field(data, "python", list, []) if self.runtime == "python" else []
        self.install = self._field(data, "install", list)
        self.command = self._field(data, "command", list)
        self.targets = self._field(data, "targets", dict)
        self.notes = data.get("notes", "")
        if not self.command or not all(isinstance(c, str) for c in self.command):
            raise ManifestError("%s: command must be a non-empty list of strings" % self.path)
        if self.runtime == "python" and not self.pythons:
            raise ManifestError("%s: python must list the CPython versions (X.Y) it runs on" % self.path)
        if not self.targets:
            raise ManifestError("%s: targets must name at least one target" % self.path)
        for target, entry in self.targets.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("args", []), list):
                raise ManifestError("%s: targets.%s must be an object with an args list" % (self.path, target))

    def _field(self, data, name, kind, default=None):
        if name not in data:
            if default is not None:
                return default
            raise ManifestError("%s: the field %r is missing" % (self.path, name))
        if not isinstance(data[name], kind):
            raise ManifestError("%s: %r must be a JSON %s" % (self.path, name, {
                str: "string", list: "array", dict: "object"}[kind]))
        return data[name]

    def python_for(self, target):
        """The X.Y versions a target may run on, in preference order."""
        pinned = self.targets[target].get("python")
        return [pinned] if pinned else list(self.pythons)

    def install_command(self):
        return "picklespec adapters install %s" % self.name


def manifests():
    """{adapter name: Manifest} for every folder of runner/adapters with an adapter.json."""
    out = {}
    for name in sorted(os.listdir(ADAPTERS)) if os.path.isdir(ADAPTERS) else ():
        folder = os.path.join(ADAPTERS, name)
        if os.path.isfile(os.path.join(folder, MANIFEST)):
            out[name] = Manifest(folder)
    return out


def named_targets():
    """{target name: Manifest}; a name claimed by two adapters is a ManifestError."""
    out = {}
    for manifest in manifests().values():
        for target in manifest.targets:
            if target in out:
                raise ManifestError("target %s is named by both %s and %s"
                                    % (target, out[target].path, manifest.path))
            out[target] = manifest
    return out


def cache_root():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "picklespec", "adapters")


def venv_dir(manifest, version):
    return os.path.join(cache_root(), manifest.name, "cpython-%s" % version)


def _venv_python(folder):
    return os.path.join(folder, "bin", "python")


def _interpreter(version):
    """The newest CPython X.Y found on this machine, or None."""
    found = [i for i in find_interpreters() if i.supported and i.implementation == "cpython"
             and "%d.%d" % i.version[:2] == version]
    return max(found, key=lambda i: i.version) if found else None


def _stamp(manifest):
    return {"adapter": manifest.name, "install": manifest.install}


def _installed_venv(manifest, version):
    """The venv's python if the manifest's requirements are installed there, else None."""
    folder = venv_dir(manifest, version)
    try:
        with open(os.path.join(folder, STAMP), encoding="utf-8") as f:
            stamp = json.load(f)
    except (OSError, ValueError):
        return None
    python = _venv_python(folder)
    return python if stamp == _stamp(manifest) and os.access(python, os.X_OK) else None


def _python_for(manifest, target):
    """(interpreter path, None) to run a Python target, or (None, why not)."""
    versions = manifest.python_for(target)
    if not manifest.install:
        for version in versions:
            found = _interpreter(version)
            if found:
                return found.executable or found.path, None
        return None, "needs CPython %s, and none was found (see picklespec targets)" % " or ".join(versions)
    for version in versions:
        python = _installed_venv(manifest, version)
        if python:
            return python, None
    return None, "%s is not installed; run: %s" % (manifest.library, manifest.install_command())


def _node_modules_ok(manifest):
    return all(os.path.isdir(os.path.join(manifest.folder, "node_modules", *_npm_name(p).split("/")))
               for p in manifest.install)


def _npm_name(requirement):
    return requirement[:requirement.rindex("@")] if requirement.rfind("@") > 0 else requirement


def find_target(text):
    """The TargetSpec for an adapter's target name, None if no adapter names it.

    UsageError when it is named but cannot run here: not installed (with the
    command that installs it), its runtime or interpreter missing.
    """
    manifest = named_targets().get(text)
    if manifest is None:
        return None
    program = [os.path.join(manifest.folder, part) if i == 0 else part
               for i, part in enumerate(manifest.command)]
    if not os.path.isfile(program[0]):
        raise UsageError("%s: the adapter %s is missing from this installation" % (text, program[0]))
    args = tuple(manifest.targets[text].get("args", ()))
    if manifest.runtime == "node":
        node = shutil.which("node")
        if not node:
            raise UsageError("%s: needs Node.js, and node is not on PATH" % text)
        if not _node_modules_ok(manifest):
            raise UsageError("%s: the npm packages are not installed; run: %s"
                             % (text, manifest.install_command()))
        argv = (node,) + tuple(program) + args
    else:
        python, problem = _python_for(manifest, text)
        if problem:
            raise UsageError("%s: %s" % (text, problem))
        argv = (python, "-E", "-s", "-B") + tuple(program) + args
    return TargetSpec(text, argv, "", "adapter|%s|%s" % (text, argv[0]), cwd=manifest.folder)


def status(manifest, target):
    """"installed", or why the target cannot run here."""
    try:
        find_target(target)
    except UsageError as exc:
        return str(exc).split(": ", 1)[1]
    return "installed"


# -- installing ------------------------------------------------------------------


def _run(argv, cwd=None):
    sys.stderr.write("+ %s\n" % " ".join(argv))
    sys.stderr.flush()
    return subprocess.run(argv, cwd=cwd).returncode


def install(manifest):
    """Install one adapter's library; returns a list of problems (empty: done)."""
    if manifest.runtime == "node":
        npm = shutil.which("npm")
        if not npm:
            return ["%s: needs npm, and npm is not on PATH" % manifest.name]
        code = _run([npm, "ci", "--prefix", manifest.folder, "--no-audit", "--no-fund",
                     "--loglevel=error"])
        return [] if code == 0 else ["%s: npm ci failed (exit %d)" % (manifest.name, code)]
    if not manifest.install:
        return []  # the standard library: nothing to install
    versions = []
    for target in manifest.targets:
        choices = manifest.python_for(target)
        version = next((v for v in choices if _interpreter(v)), None)
        if version is None:
            return ["%s: target %s needs CPython %s, and none was found (see picklespec targets)"
                    % (manifest.name, target, " or ".join(choices))]
        if version not in versions:
            versions.append(version)
    problems = []
    for version in versions:
        if _installed_venv(manifest, version):
            sys.stderr.write("%s: already installed for CPython %s in %s\n"
                             % (manifest.name, version, venv_dir(manifest, version)))
            continue
        base = _interpreter(version)
        folder = venv_dir(manifest, version)
        if os.path.isdir(folder):
            shutil.rmtree(folder)
        if _run([base.executable or base.path, "-m", "venv", folder]) != 0:
            problems.append("%s: could not make a virtualenv with %s" % (manifest.name, base.path))
            continue
        code = _run([_venv_python(folder), "-m", "pip", "install", "--quiet",
                     "--disable-pip-version-check"] + manifest.install)
        if code != 0:
            problems.append("%s: pip install %s failed (exit %d) for CPython %s"
                            % (manifest.name, " ".join(manifest.install), code, version))
            continue
        with open(os.path.join(folder, STAMP), "w", encoding="utf-8") as f:
            json.dump(_stamp(manifest), f)
        sys.stderr.write("%s: installed for CPython %s in %s\n" % (manifest.name, version, folder))
    return problems


# -- picklespec adapters -----------------------------------------------------------


def main(argv):
    import argparse

    parser = argparse.ArgumentParser(
        prog="picklespec adapters",
        description="The adapters for third-party libraries (runner/adapters): list them and "
                    "whether they are installed, or install them (under %s for Python ones)."
                    % cache_root())
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("list", help="each target, its library and whether it can run here")
    installer = sub.add_parser("install", help="install adapters' libraries")
    installer.add_argument("names", nargs="*", help="adapter or target names")
    installer.add_argument("--all", action="store_true", help="every adapter")
    args = parser.parse_args(argv)
    try:
        found = manifests()
        targets = named_targets()
    except ManifestError as exc:
        sys.stderr.write("picklespec adapters: %s\n" % exc)
        return 2
    if args.command in (None, "list"):
        rows = [("target", "library", "status")]
        for name, manifest in sorted(targets.items()):
            rows.append((name, manifest.library, status(manifest, name)))
        from .targets import text_table

        sys.stdout.write(text_table(rows))
        return 0
    if not args.names and not args.all:
        sys.stderr.write("picklespec adapters install: name adapters (%s) or give --all\n"
                         % ", ".join(found))
        return 2
    chosen = []
    for name in (list(found) if args.all else args.names):
        manifest = found.get(name) or targets.get(name)
        if manifest is None:
            sys.stderr.write("picklespec adapters install: no adapter or target %r; adapters are %s\n"
                             % (name, ", ".join(found)))
            return 2
        if manifest not in chosen:
            chosen.append(manifest)
    problems = []
    for manifest in chosen:
        problems.extend(install(manifest))
    for problem in problems:
        sys.stderr.write("picklespec adapters install: %s\n" % problem)
    return 1 if problems else 0
